"""Where the schema registry is (reference §7.6), its client, and waiting through its outages.

The registry's address: ``run --schema-registry URL``, else ``settings.schema_registry.url``,
else ``$SCHEMA_REGISTRY_URL``, else the sandbox's (when the run started one). Credentials,
``auto_register`` and the CA certificate (``ca_location``) come from the settings; a secret may name an environment variable as
``${NAME}``. The client is confluent-kafka's own (``SchemaRegistryClient.new_client``, which
also understands ``mock://`` addresses), and it caches schemas by id.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass

from engine.model.schemas import SchemaTextError, expand_env
from engine.model.status import RunStatus
from engine.runtime.errors import RunFailedError

REGISTRY_ENV = "SCHEMA_REGISTRY_URL"
REQUEST_TIMEOUT_S = 10
MAX_WAIT_S = 5.0  # between two tries while the registry does not answer


_MOCKS: dict[str, object] = {}


class RegistryConfigError(ValueError):
    """A registry setting that cannot be used (e.g. a ${NAME} that is not set)."""


@dataclass(frozen=True)
class RegistryConfig:
    url: str
    basic_auth_user_info: str | None = None
    auto_register: bool = True
    ca_location: str | None = None  # the CA certificate of an https registry (PEM)

    def client_conf(self) -> dict:
        conf = {"url": self.url, "timeout": REQUEST_TIMEOUT_S, "max.retries": 1}
        if self.basic_auth_user_info:
            conf["basic.auth.user.info"] = self.basic_auth_user_info
        if self.ca_location:
            conf["ssl.ca.location"] = self.ca_location
        return conf

    def client(self):
        from confluent_kafka.schema_registry import SchemaRegistryClient

        if self.url.startswith("mock://"):
            # confluent-kafka's in-memory registry, for tests: one per name and process, so
            # a test's serializers and the run it drives share it, as they would a server.
            client = _MOCKS.get(self.url)
            if client is None:
                client = _MOCKS[self.url] = SchemaRegistryClient.new_client(self.client_conf())
            return client
        return SchemaRegistryClient.new_client(self.client_conf())

    @property
    def shown_url(self) -> str:
        """The address without credentials written into it."""
        url = self.url.split(",")[0]
        if "@" in url.split("//", 1)[-1].split("/", 1)[0]:
            scheme, rest = url.split("//", 1) if "//" in url else ("", url)
            url = f"{scheme}//{rest.split('@', 1)[1]}"
        return url


def resolve_registry(
    settings: dict,
    cli_url: str | None = None,
    environ: dict | None = None,
    sandbox_url: str | None = None,
) -> RegistryConfig | None:
    """The registry a run uses, or None when none is configured anywhere."""
    env = dict(os.environ) if environ is None else environ
    setting = settings.get("schema_registry") or {}
    if not isinstance(setting, dict):
        setting = {}
    url = cli_url or setting.get("url") or env.get(REGISTRY_ENV) or sandbox_url
    if not url:
        return None
    try:
        url = expand_env(url, env)
        auth = setting.get("basic_auth_user_info")
        auth = expand_env(auth, env) if isinstance(auth, str) else None
    except SchemaTextError as exc:
        raise RegistryConfigError(f"settings.schema_registry: {exc}") from None
    ca = setting.get("ca_location")
    return RegistryConfig(
        url.strip(),
        auth,
        setting.get("auto_register", True) is not False,
        os.path.expanduser(ca) if isinstance(ca, str) and ca.strip() else None,
    )


def unreachable_reason(client, url: str) -> str | None:
    """None when the registry answers, else a sentence saying it does not."""
    from engine.runtime.schemas.codecs import unavailable

    try:
        client.get_subjects()
    except Exception as exc:  # noqa: BLE001 - whatever stops it answering
        if unavailable(exc):
            return f"the schema registry at {url} does not answer"
        from confluent_kafka.schema_registry.error import SchemaRegistryError

        if isinstance(exc, SchemaRegistryError):
            if exc.http_status_code in (401, 403):
                return (
                    f"the schema registry at {url} refused the credentials "
                    "(settings.schema_registry.basic_auth_user_info)"
                )
            return f"the schema registry at {url} answered: {exc.error_message}"
        return f"the schema registry at {url} cannot be used: {exc}"
    return None


class RegistryOutage:
    """Waits while the registry does not answer, as a run waits for its brokers: the run
    says "disconnected" with the reason, tries again with back-off, and goes on where it was
    once the registry answers. A stop asked for meanwhile fails the record's processing, so
    its input offset is not committed and the record is read again by the next run."""

    def __init__(
        self,
        url: str,
        report: Callable[[RunStatus, str], None],
        stopping: Callable[[], bool],
        status: Callable[[], str],
    ):
        self.url = url
        self.report = report
        self.stopping = stopping
        self.status = status

    def retry(self, fn: Callable, arg, first: Exception):
        from engine.runtime.schemas.codecs import RegistryUnavailable

        reason = f"the schema registry at {self.url} does not answer; retrying"
        wait = 0.2
        previous = self.status()
        self.report(RunStatus.DISCONNECTED, reason)
        while True:
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline:
                if self.stopping():
                    raise RunFailedError(
                        f"the schema registry at {self.url} did not answer before the run "
                        "stopped; the records waiting for it will be read again"
                    ) from first
                time.sleep(0.05)
            try:
                result = fn(arg)
            except RegistryUnavailable:
                wait = min(wait * 2, MAX_WAIT_S)
                continue
            if previous in (RunStatus.RUNNING, RunStatus.STARTING):
                self.report(RunStatus.RUNNING, "")
            return result
