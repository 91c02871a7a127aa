"""Connection profiles: where a run goes — the local sandbox broker, or the user's own
cluster with optional SASL and TLS — and how that maps onto librdkafka settings; and the
schema registry its schema formats use (reference §7.6): the sandbox's when none is named, else
a URL with optional basic auth (``user:password``, either may be ``${NAME}``) and CA file.

Qt-free. Persistence (QSettings) and the dialog live in ``qt_connection_dialog``.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, fields

from engine.model.schemas import registry_setting_message

SANDBOX, CLUSTER = "sandbox", "cluster"
SASL_MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")
_ENV_ONLY = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*\}")


@dataclass
class ConnectionProfile:
    """A named way to reach Kafka. ``kind`` is SANDBOX (the app starts and stops a local
    broker) or CLUSTER (``bootstrap`` servers, optionally SASL and/or TLS)."""

    name: str = "Local sandbox broker"
    kind: str = SANDBOX
    bootstrap: str = ""
    sasl_mechanism: str = ""  # "" for none, else one of SASL_MECHANISMS
    username: str = ""
    password: str = field(default="", repr=False)
    ssl: bool = False
    ca_file: str = ""
    registry_url: str = ""  # "" for the sandbox's registry (or the topology's own setting)
    registry_user_info: str = field(default="", repr=False)
    registry_ca_file: str = ""

    @property
    def uses_sandbox(self) -> bool:
        return self.kind == SANDBOX

    def problems(self) -> list[str]:
        """What is missing or wrong, as sentences (empty when usable)."""
        if self.kind == SANDBOX:
            return self.registry_problems()
        out = []
        servers = [s.strip() for s in self.bootstrap.split(",") if s.strip()]
        if not servers:
            out.append("Enter at least one bootstrap server, as host:port.")
        for server in servers:
            host, _, port = server.rpartition(":")
            if not host or not port.isdigit() or not 0 < int(port) < 65536:
                out.append(f"'{server}' is not host:port (for example kafka.example.com:9092).")
        if self.sasl_mechanism and self.sasl_mechanism not in SASL_MECHANISMS:
            out.append(f"Unknown SASL mechanism '{self.sasl_mechanism}'.")
        if self.sasl_mechanism and not self.username:
            out.append("SASL needs a user name.")
        return out + self.registry_problems()

    def registry_problems(self) -> list[str]:
        """What is wrong with the schema registry settings, as sentences."""
        if not self.registry_url.strip():
            return []
        message = registry_setting_message(self.registry_setting())
        return [f"Schema registry: {message[:1].upper()}{message[1:]}."] if message else []

    def registry_setting(self) -> dict:
        """The registry as a topology's ``settings.schema_registry`` would name it (without
        auto_register); {} when the profile names none."""
        url = self.registry_url.strip()
        if not url:
            return {}
        setting = {"url": url}
        if self.registry_user_info.strip():
            setting["basic_auth_user_info"] = self.registry_user_info.strip()
        if self.registry_ca_file.strip():
            setting["ca_location"] = self.registry_ca_file.strip()
        return setting

    def user_info_is_secret(self) -> bool:
        """Whether the registry's user info holds a password itself (then it is kept for the
        session only, as the broker's password), rather than naming ``${VARIABLES}``."""
        info = self.registry_user_info.strip()
        if not info:
            return False
        _user, _, password = info.partition(":")
        return bool(password) and not _ENV_ONLY.fullmatch(password)

    def client_config(self) -> dict[str, str]:
        """librdkafka settings beyond ``bootstrap.servers`` for this profile."""
        if self.kind == SANDBOX:
            return {}
        config: dict[str, str] = {}
        if self.sasl_mechanism:
            config["security.protocol"] = "SASL_SSL" if self.ssl else "SASL_PLAINTEXT"
            config["sasl.mechanism"] = self.sasl_mechanism
            config["sasl.username"] = self.username
            config["sasl.password"] = self.password
        elif self.ssl:
            config["security.protocol"] = "SSL"
        if self.ssl and self.ca_file:
            config["ssl.ca.location"] = self.ca_file
        return config

    def describe(self) -> str:
        if self.kind == SANDBOX:
            return "local sandbox broker"
        extras = []
        if self.sasl_mechanism:
            extras.append(f"SASL {self.sasl_mechanism}")
        if self.ssl:
            extras.append("TLS")
        return self.bootstrap.strip() + (f" ({', '.join(extras)})" if extras else "")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> ConnectionProfile:
        known = {f.name: f for f in fields(cls)}
        values = {}
        for key, value in (data or {}).items():
            if key not in known:
                continue
            if key == "ssl":
                value = value in (True, "true", "True", "1", 1)
            elif value is None:
                value = ""
            else:
                value = str(value)
            values[key] = value
        profile = cls(**values)
        if profile.kind not in (SANDBOX, CLUSTER):
            profile.kind = SANDBOX
        return profile


def default_profile() -> ConnectionProfile:
    return ConnectionProfile()
