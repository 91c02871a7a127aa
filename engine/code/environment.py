"""The environment variables a run reads, beside its options: where the cluster is, how to log
in to it, and which instance this is. ``topology-studio deploy`` writes them into the Secret,
the compose env file and the systemd EnvironmentFile, so one list lives here.

Kafka credentials are librdkafka settings named in the environment as Kafka's own container
images and most clients do (``KAFKA_SASL_USERNAME`` for ``sasl.username``); an empty variable
counts as unset, so a template with blanks left in it changes nothing."""

from __future__ import annotations

import os
from collections.abc import Mapping

from engine.runtime.kafka.slots import ENV_SLOT
from engine.runtime.state import ENV_STATE_DIR

BOOTSTRAP = "KAFKA_BOOTSTRAP_SERVERS"
SCHEMA_REGISTRY = "SCHEMA_REGISTRY_URL"
INSTANCE_SLOT = ENV_SLOT
STATE_DIR = ENV_STATE_DIR

# variable -> librdkafka setting; what a SASL or TLS cluster needs to let a client in
CLIENT_SETTINGS = {
    "KAFKA_SECURITY_PROTOCOL": "security.protocol",
    "KAFKA_SASL_MECHANISM": "sasl.mechanism",
    "KAFKA_SASL_USERNAME": "sasl.username",
    "KAFKA_SASL_PASSWORD": "sasl.password",
    "KAFKA_SSL_CA_LOCATION": "ssl.ca.location",
}


def client_config(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The librdkafka settings the environment gives (see CLIENT_SETTINGS)."""
    env = os.environ if environ is None else environ
    return {
        setting: env[name].strip()
        for name, setting in CLIENT_SETTINGS.items()
        if env.get(name, "").strip()
    }
