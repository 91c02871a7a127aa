"""A record to start from for a topic whose values have a registered schema (reference §9.12):
the latest schema under ``<topic>-value`` (and ``<topic>-key``), as Confluent's topic name
strategy names them, turned into a value it accepts, in the plain form the app shows and
produces (``engine.model.schema_values``): each field its default when the schema gives one,
else the first symbol of an enum, the first branch of a union, an empty text, list or map,
zero, false; a timestamp or date is now, so the record falls in the windows open now.
What the Produce dialog shows for a new record, so that a record typed for an Avro topic
goes out in Avro with its schema, not as JSON its consumers cannot read.
"""

from __future__ import annotations

import datetime
import json
import time
from dataclasses import dataclass
from typing import Any

from engine.cluster.topics.schema_names import FORMAT_OF_TYPE
from engine.model.schema_values import named_types
from engine.model.schemas import FORMAT_TITLES

MAX_DEPTH = 8  # a recursive schema (a tree of records) stops here, with null or empty
_AVRO_ZERO = {
    "null": None,
    "boolean": False,
    "int": 0,
    "long": 0,
    "float": 0.0,
    "double": 0.0,
    "bytes": "",
    "string": "",
}
_JSON_ZERO = {
    "string": "",
    "integer": 0,
    "number": 0,
    "boolean": False,
    "array": [],
    "null": None,
}


@dataclass(frozen=True)
class Example:
    """One part's example: its format, the value, and where it came from."""

    format: str  # avro, protobuf, json_schema
    value: Any
    subject: str
    version: int

    def describe(self) -> str:
        return describe_registered(self.format, self.subject, self.version)


def describe_registered(fmt: str, subject: str, version: int) -> str:
    """``Avro, subject orders-value version 1``."""
    return f"{FORMAT_TITLES.get(fmt, fmt)}, subject {subject} version {version}"


def example_line(registry, topic: str) -> tuple[dict, list[Example]] | None:
    """The NDJSON line of a record for ``topic`` built from its registered schemas
    (``{"key", "value", "headers", "key_format"?, "value_format"}``) and the examples it
    was made of; None when no value schema is registered for the topic. ``registry`` is
    an ``engine.cluster.topics.formats.Registry``; raises what its client raises when the
    registry does not answer."""
    value = example_of(registry, topic, "value")
    if value is None:
        return None
    key = example_of(registry, topic, "key")
    line: dict[str, Any] = {"key": key.value if key else None, "value": value.value, "headers": {}}
    if key is not None:
        line["key_format"] = key.format
    line["value_format"] = value.format
    return line, [e for e in (key, value) if e is not None]


def latest_registered(registry, topic: str, part: str):
    """(the latest registered schema under ``<topic>-<part>``, its format), or None when the
    subject has none. Raises what the registry client raises when it does not answer."""
    from confluent_kafka.schema_registry.error import SchemaRegistryError

    try:
        latest = registry.client.get_latest_version(f"{topic}-{part}")
    except SchemaRegistryError as exc:
        if exc.http_status_code == 404:
            return None
        raise
    return latest, FORMAT_OF_TYPE.get(latest.schema.schema_type or "AVRO", "avro")


def example_of(registry, topic: str, part: str) -> Example | None:
    """The example of the latest schema under ``<topic>-<part>``; None when there is none."""
    found = latest_registered(registry, topic, part)
    if found is None:
        return None
    latest, fmt = found
    subject = f"{topic}-{part}"
    if fmt == "protobuf":
        from engine.cluster.schema_classes import registered_message_class

        serialized = registry.serialized.get_latest_version(subject, "serialized")
        message = registered_message_class(registry.serialized, serialized.schema, [0])
        value = protobuf_example(message.DESCRIPTOR)
    else:
        parsed = json.loads(latest.schema.schema_str)
        if fmt == "avro":
            named: dict = {}
            _referenced(registry.client, latest.schema, named, set())
            value = avro_example(parsed, named_types(parsed, named))
        else:
            value = json_schema_example(parsed)
    return Example(fmt, value, subject, latest.version)


# -- Avro -------------------------------------------------------------------------------


def avro_example(schema: Any, named: dict | None = None, depth: int = 0) -> Any:
    """A value ``schema`` (parsed Avro JSON) accepts, in the plain form; ``named``: the named
    types it may refer to (``named_types`` of it when not given)."""
    named = named_types(schema) if named is None else named
    if isinstance(schema, str):
        if schema in _AVRO_ZERO:
            return _AVRO_ZERO[schema]
        found = named.get(schema) or named.get(schema.rsplit(".", 1)[-1])
        return None if found is None or depth >= MAX_DEPTH else avro_example(found, named, depth)
    if isinstance(schema, list):  # a union: its first branch, as a field default must be
        return avro_example(schema[0], named, depth) if schema else None
    if not isinstance(schema, dict):
        return None
    kind = schema.get("type")
    logical = schema.get("logicalType")
    if logical is not None:
        return _avro_logical(logical, schema)
    if kind in ("record", "error"):
        if depth >= MAX_DEPTH:
            return None
        return {
            f["name"]: f["default"] if "default" in f else avro_example(f["type"], named, depth + 1)
            for f in schema.get("fields", ())
            if isinstance(f, dict) and "name" in f
        }
    if kind == "enum":
        symbols = schema.get("symbols") or [""]
        return schema.get("default", symbols[0])
    if kind == "array":
        return []
    if kind == "map":
        return {}
    if kind == "fixed":
        return ""
    return avro_example(kind, named, depth) if kind is not None else None


def _referenced(client, schema, named: dict, seen: set) -> None:
    """The named types of the Avro schemas ``schema`` refers to (other subjects), into
    ``named``."""
    for ref in schema.references or ():
        if (ref.subject, ref.version) in seen:
            continue
        seen.add((ref.subject, ref.version))
        found = client.get_version(ref.subject, ref.version).schema
        _referenced(client, found, named, seen)
        named_types(json.loads(found.schema_str), named)


def _avro_logical(logical: str, schema: dict) -> Any:
    if logical == "decimal":
        scale = schema.get("scale", 0)
        return "0." + "0" * scale if scale else "0"
    if logical == "date":
        return _today()
    if logical in ("time-millis", "time-micros"):
        return "00:00:00"
    if logical == "uuid":
        return "00000000-0000-0000-0000-000000000000"
    if "timestamp" in logical:
        return int(time.time() * 1000)  # epoch milliseconds, as the engine counts them
    return 0


def _today() -> str:
    return datetime.datetime.now(datetime.UTC).date().isoformat()


# -- JSON Schema ------------------------------------------------------------------------


def json_schema_example(schema: Any, root: Any = None, depth: int = 0) -> Any:
    """A value ``schema`` (a JSON Schema document) accepts, where that can be seen from it:
    its default, const, first example or first enum value, else by its type."""
    root = schema if root is None else root
    if not isinstance(schema, dict) or depth >= MAX_DEPTH:
        return None
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        target: Any = root
        for step in ref[2:].split("/"):
            target = target.get(step) if isinstance(target, dict) else None
        return json_schema_example(target, root, depth + 1)
    for word in ("default", "const"):
        if word in schema:
            return schema[word]
    for word in ("examples", "enum"):
        if isinstance(schema.get(word), list) and schema[word]:
            return schema[word][0]
    for word in ("oneOf", "anyOf", "allOf"):
        if isinstance(schema.get(word), list) and schema[word]:
            return json_schema_example(schema[word][0], root, depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind is None and "properties" in schema:
        kind = "object"
    if kind == "object":
        properties = schema.get("properties")
        if not isinstance(properties, dict):
            return {}
        return {name: json_schema_example(sub, root, depth + 1) for name, sub in properties.items()}
    if kind == "string":
        form = schema.get("format")
        if form == "date-time":
            return datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds")
        return _today() if form == "date" else ""
    return _JSON_ZERO.get(kind) if isinstance(kind, str) else None


# -- Protobuf ---------------------------------------------------------------------------


def protobuf_example(descriptor, depth: int = 0) -> dict:
    """A message of ``descriptor`` with every field present, in the plain form of
    ``protobuf_values``: zero values, enums by their first name, sub-messages filled in."""
    from google.protobuf import json_format
    from google.protobuf.descriptor import FieldDescriptor

    out: dict[str, Any] = {}
    for fd in descriptor.fields:
        message_type = fd.message_type
        if message_type is not None and message_type.GetOptions().map_entry:
            out[fd.name] = {}
        elif fd.is_repeated:
            out[fd.name] = []
        elif fd.type == FieldDescriptor.TYPE_MESSAGE:
            if message_type.full_name.startswith("google.protobuf."):
                from google.protobuf.message_factory import GetMessageClass

                made = GetMessageClass(message_type)()
                if message_type.full_name == "google.protobuf.Timestamp":
                    made.GetCurrentTime()
                out[fd.name] = json_format.MessageToDict(made, preserving_proto_field_name=True)
            elif depth < MAX_DEPTH:
                out[fd.name] = protobuf_example(message_type, depth + 1)
        elif fd.type == FieldDescriptor.TYPE_ENUM:
            out[fd.name] = fd.enum_type.values[0].name
        elif fd.type == FieldDescriptor.TYPE_BYTES:
            out[fd.name] = ""
        else:
            out[fd.name] = fd.default_value
    return out
