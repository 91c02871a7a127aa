"""Field names of a topic's registered schema (reference §7.6): what the inspector completes in
the expressions of nodes downstream of a source with a schema format."""

from __future__ import annotations

import json

from engine.runtime.schemas.codecs import strategies

MAX_FIELDS = 500


def registered_fields(client, topic: str, fmt: str, part: str = "value") -> list[str]:
    """The top-level field names of the latest schema registered under ``<topic>-<part>``
    (the topic name strategy), or [] when there is none. Raises what the registry client
    raises when the registry does not answer."""
    from confluent_kafka.schema_registry.error import SchemaRegistryError

    from engine.runtime.schemas.codecs import serialization_context

    subject = strategies()["topic"](serialization_context(topic, part), None)
    try:
        found = client.get_latest_version(subject, "serialized" if fmt == "protobuf" else None)
    except SchemaRegistryError as exc:
        if exc.http_status_code == 404:
            return []
        raise
    schema = found.schema
    if fmt == "protobuf":
        from engine.cluster.schema_classes import registered_message_class

        names = [f.name for f in registered_message_class(client, schema, [0]).DESCRIPTOR.fields]
    else:
        try:
            parsed = json.loads(schema.schema_str)
        except ValueError:
            return []
        if fmt == "avro":
            fields = parsed.get("fields", []) if isinstance(parsed, dict) else []
            names = [f["name"] for f in fields if isinstance(f, dict) and "name" in f]
        else:
            props = parsed.get("properties", {}) if isinstance(parsed, dict) else {}
            names = [str(k) for k in props] if isinstance(props, dict) else []
    return names[:MAX_FIELDS]
