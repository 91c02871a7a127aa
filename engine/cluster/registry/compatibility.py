"""Schema compatibility, as Confluent's registry judges it.

Levels: NONE; BACKWARD (the default: the new schema reads data written with the previous
one), FORWARD (the previous schema reads data written with the new one), FULL (both);
each against the latest version only, or with ``_TRANSITIVE`` against every version.
A check answers a list of messages, empty when compatible; each names the rule broken,
where, and the version checked against.

Rules checked, reader against writer:

- Avro: the ``avro`` package's own ``ReaderWriterCompatibilityChecker`` (type mismatch,
  reader field missing a default, missing enum symbols, missing union branches, name
  mismatch, fixed size mismatch); it memoises pairs of named types, so recursive types
  end.
- Protobuf (Confluent's documented rules): PACKAGE_CHANGED; MESSAGE_REMOVED;
  FIELD_KIND_CHANGED (scalar, enum or message); FIELD_SCALAR_KIND_CHANGED unless both
  kinds are in one wire-compatible group (int32 uint32 int64 uint64 bool; sint32 sint64;
  fixed32 sfixed32; fixed64 sfixed64; string bytes); FIELD_NAMED_TYPE_CHANGED;
  REQUIRED_FIELD_ADDED and REQUIRED_FIELD_REMOVED (proto2); FIELD_MOVED_TO_EXISTING_ONEOF.
  Adding or removing optional fields is compatible.
- JSON Schema (Confluent's documented rules, recursively through ``properties`` and
  ``items``): TYPE_CHANGED / TYPE_NARROWED (the reader accepts fewer types; integer
  widens to number); REQUIRED_ATTRIBUTE_ADDED; PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL;
  PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL (a property the writer's open model could have
  held with any value); ENUM_ARRAY_NARROWED; MAX_LENGTH_DECREASED / MIN_LENGTH_INCREASED,
  MAXIMUM_DECREASED / MINIMUM_INCREASED, MAX_ITEMS_DECREASED / MIN_ITEMS_INCREASED;
  ADDITIONAL_PROPERTIES_NARROWED (open to closed). ``$ref`` is compared as text.
"""

from __future__ import annotations

from collections.abc import Iterator

from avro.compatibility import ReaderWriterCompatibilityChecker, SchemaCompatibilityType
from google.protobuf import descriptor_pb2

from engine.cluster.registry.formats import AVRO, JSON, ParsedSchema
from engine.cluster.registry.protobuf_text import SCALAR_NAMES

LEVELS = (
    "NONE",
    "BACKWARD",
    "BACKWARD_TRANSITIVE",
    "FORWARD",
    "FORWARD_TRANSITIVE",
    "FULL",
    "FULL_TRANSITIVE",
)
DEFAULT_LEVEL = "BACKWARD"
MAX_MESSAGES = 20  # per check: enough to act on, bounded for huge schemas
MAX_DESCRIPTION = 500
# The avro checker's findings in words, reader against writer.
_AVRO_WORDS = {
    "reader_field_missing_default_value": (
        "the reader's field {} has no default value and is missing in the writer's schema"
    ),
    "missing_enum_symbols": "the reader's enum lacks the writer's symbols {}",
    "missing_union_branch": "the reader's union lacks a branch for {}",
}

FIELD = descriptor_pb2.FieldDescriptorProto
_WIRE_GROUPS = [
    {FIELD.TYPE_INT32, FIELD.TYPE_UINT32, FIELD.TYPE_INT64, FIELD.TYPE_UINT64, FIELD.TYPE_BOOL},
    {FIELD.TYPE_SINT32, FIELD.TYPE_SINT64},
    {FIELD.TYPE_FIXED32, FIELD.TYPE_SFIXED32},
    {FIELD.TYPE_FIXED64, FIELD.TYPE_SFIXED64},
    {FIELD.TYPE_STRING, FIELD.TYPE_BYTES},
]


def check(level: str, new: ParsedSchema, previous: list[tuple[int, ParsedSchema]]) -> list[str]:
    """Why ``new`` is incompatible with the ``previous`` (version, schema) pairs, oldest
    first, at ``level``; empty when it is compatible."""
    if level == "NONE" or not previous:
        return []
    against = previous if level.endswith("_TRANSITIVE") else previous[-1:]
    base = level.removesuffix("_TRANSITIVE")
    messages: list[str] = []
    for version, old in reversed(against):
        pairs = []
        if base in ("BACKWARD", "FULL"):
            pairs.append((new, old))
        if base in ("FORWARD", "FULL"):
            pairs.append((old, new))
        for reader, writer in pairs:
            for problem in _problems(reader, writer):
                messages.append(
                    f"{problem}, {{oldSchemaVersion: {version}}}, {{compatibility: '{level}'}}"
                )
                if len(messages) >= MAX_MESSAGES:
                    return messages
    return messages


def _problems(reader: ParsedSchema, writer: ParsedSchema) -> Iterator[str]:
    if reader.schema_type != writer.schema_type:
        yield _message(
            "SCHEMA_TYPE_CHANGED",
            f"the schema type changed from {writer.schema_type} to {reader.schema_type}",
            "/",
        )
        return
    if reader.schema_type == AVRO:
        yield from _avro(reader, writer)
    elif reader.schema_type == JSON:
        yield from _json(reader.parsed, writer.parsed, "#")
    else:
        yield from _protobuf(reader.parsed, writer.parsed)


def _message(kind: str, description: str, where: str) -> str:
    if len(description) > MAX_DESCRIPTION:  # e.g. thousands of missing enum symbols
        description = description[:MAX_DESCRIPTION] + "…"
    return f"{{errorType:'{kind}', description:'{description}', path:'{where}'}}"


# -- Avro


def _avro(reader: ParsedSchema, writer: ParsedSchema) -> Iterator[str]:
    result = ReaderWriterCompatibilityChecker().get_compatibility(reader.parsed, writer.parsed)
    if result.compatibility is SchemaCompatibilityType.compatible:
        return
    kinds = sorted({i.value for i in result.incompatibilities})
    details = "; ".join(sorted(str(m) for m in result.messages))
    if len(kinds) == 1 and kinds[0] in _AVRO_WORDS:
        details = _AVRO_WORDS[kinds[0]].format(details)
    where = ", ".join(sorted(result.locations - {"/"})) or "/"
    yield _message(", ".join(k.upper() for k in kinds), details, where)


# -- Protobuf


def _messages(fdp: descriptor_pb2.FileDescriptorProto) -> dict[str, descriptor_pb2.DescriptorProto]:
    found: dict[str, descriptor_pb2.DescriptorProto] = {}
    stack = [(f".{fdp.package}" if fdp.package else "", m) for m in fdp.message_type]
    while stack:
        scope, msg = stack.pop()
        name = f"{scope}.{msg.name}"
        if not msg.options.map_entry:
            found[name] = msg
        stack += [(name, nested) for nested in msg.nested_type]
    return found


def _kind(field: descriptor_pb2.FieldDescriptorProto) -> str:
    if field.type == FIELD.TYPE_MESSAGE:
        return "message"
    return "enum" if field.type == FIELD.TYPE_ENUM else "scalar"


def _protobuf(reader, writer) -> Iterator[str]:
    if reader.package != writer.package:
        yield _message(
            "PACKAGE_CHANGED", f"package changed from '{writer.package}' to '{reader.package}'", "/"
        )
        return
    new_messages = _messages(reader)
    for name, old in _messages(writer).items():
        new = new_messages.get(name)
        if new is None:
            yield _message("MESSAGE_REMOVED", f"message '{name[1:]}' was removed", name[1:])
            continue
        new_fields = {f.number: f for f in new.field}
        old_fields = {f.number: f for f in old.field}
        for number, old_field in old_fields.items():
            where = f"{name[1:]}.{old_field.name}"
            new_field = new_fields.get(number)
            if new_field is None:
                if old_field.label == FIELD.LABEL_REQUIRED:
                    yield _message(
                        "REQUIRED_FIELD_REMOVED", f"required field {number} was removed", where
                    )
                continue
            yield from _protobuf_field(old, new, old_field, new_field, where)
        for number, new_field in new_fields.items():
            if number not in old_fields and new_field.label == FIELD.LABEL_REQUIRED:
                where = f"{name[1:]}.{new_field.name}"
                yield _message("REQUIRED_FIELD_ADDED", f"required field {number} was added", where)


def _protobuf_field(old_msg, new_msg, old, new, where: str) -> Iterator[str]:
    old_kind, new_kind = _kind(old), _kind(new)
    if old_kind != new_kind:
        yield _message(
            "FIELD_KIND_CHANGED", f"field {old.number} changed from {old_kind} to {new_kind}", where
        )
    elif old_kind == "scalar" and old.type != new.type:
        if not any(old.type in g and new.type in g for g in _WIRE_GROUPS):
            yield _message(
                "FIELD_SCALAR_KIND_CHANGED",
                f"field {old.number} changed from {SCALAR_NAMES[old.type]} to "
                f"{SCALAR_NAMES[new.type]}",
                where,
            )
    elif old_kind != "scalar" and old.type_name != new.type_name:
        yield _message(
            "FIELD_NAMED_TYPE_CHANGED",
            f"field {old.number} changed from {old.type_name[1:]} to {new.type_name[1:]}",
            where,
        )
    if old.label != FIELD.LABEL_REQUIRED and new.label == FIELD.LABEL_REQUIRED:
        yield _message("REQUIRED_FIELD_ADDED", f"field {old.number} became required", where)
    if old.label == FIELD.LABEL_REQUIRED and new.label != FIELD.LABEL_REQUIRED:
        yield _message("REQUIRED_FIELD_REMOVED", f"field {old.number} is no longer required", where)
    in_old_oneof = old.HasField("oneof_index") and not old.proto3_optional
    in_new_oneof = new.HasField("oneof_index") and not new.proto3_optional
    if in_new_oneof and not in_old_oneof:
        oneof = new_msg.oneof_decl[new.oneof_index].name
        existed = any(o.name == oneof for o in old_msg.oneof_decl)
        if existed:
            yield _message(
                "FIELD_MOVED_TO_EXISTING_ONEOF",
                f"field {old.number} moved into the existing oneof '{oneof}'",
                where,
            )


# -- JSON Schema

_NUMERIC_BOUNDS = (
    # keyword, problem when the reader's bound is tighter, tighter means
    ("maxLength", "MAX_LENGTH_DECREASED", min),
    ("minLength", "MIN_LENGTH_INCREASED", max),
    ("maximum", "MAXIMUM_DECREASED", min),
    ("minimum", "MINIMUM_INCREASED", max),
    ("maxItems", "MAX_ITEMS_DECREASED", min),
    ("minItems", "MIN_ITEMS_INCREASED", max),
)
_ALL_TYPES = frozenset({"null", "boolean", "object", "array", "number", "string", "integer"})


def _types(schema: object) -> frozenset[str]:
    if schema is False:
        return frozenset()
    if not isinstance(schema, dict) or "type" not in schema:
        return _ALL_TYPES
    kind = schema["type"]
    return frozenset(kind if isinstance(kind, list) else [kind])


def _open(schema: dict) -> bool:
    return schema.get("additionalProperties", True) is not False


def _json(reader: object, writer: object, where: str, depth: int = 0) -> Iterator[str]:
    if depth > 64 or reader == writer:
        return
    if reader is True or reader == {}:
        return
    reader_types, writer_types = _types(reader), _types(writer)
    accepted = set(reader_types) | ({"integer"} if "number" in reader_types else set())
    missing = writer_types - accepted
    if missing:
        narrowed = reader_types & writer_types or (
            "integer" in reader_types and "number" in writer_types
        )
        kind = "TYPE_NARROWED" if narrowed else "TYPE_CHANGED"
        yield _message(
            kind,
            f"type {sorted(writer_types)} changed to {sorted(reader_types)}",
            where,
        )
        return
    if not isinstance(reader, dict) or not isinstance(writer, dict):
        return
    if reader.get("$ref") != writer.get("$ref"):
        yield _message("REFERENCE_CHANGED", "the $ref changed", where)
    old_enum, new_enum = writer.get("enum"), reader.get("enum")
    if isinstance(new_enum, list):
        if not isinstance(old_enum, list):
            yield _message("ENUM_ARRAY_NARROWED", "an enum was added", where)
        else:
            kept = {repr(v) for v in new_enum}
            if any(repr(v) not in kept for v in old_enum):
                yield _message("ENUM_ARRAY_NARROWED", "enum values were removed", where)
    for keyword, kind, tighter in _NUMERIC_BOUNDS:
        new_bound, old_bound = reader.get(keyword), writer.get(keyword)
        if isinstance(new_bound, (int, float)) and (
            not isinstance(old_bound, (int, float)) or tighter(new_bound, old_bound) != old_bound
        ):
            yield _message(kind, f"{keyword} {old_bound} changed to {new_bound}", where)
    yield from _json_object(reader, writer, where, depth)
    if isinstance(reader.get("items"), (dict, bool)) and isinstance(
        writer.get("items"), (dict, bool)
    ):
        yield from _json(reader["items"], writer["items"], f"{where}/items", depth + 1)


def _json_object(reader: dict, writer: dict, where: str, depth: int) -> Iterator[str]:
    new_props = reader.get("properties") or {}
    old_props = writer.get("properties") or {}
    if not isinstance(new_props, dict) or not isinstance(old_props, dict):
        return
    old_required = set(writer.get("required") or [])
    for name in reader.get("required") or []:
        if name not in old_required:
            yield _message("REQUIRED_ATTRIBUTE_ADDED", f"property '{name}' became required", where)
    if _open(writer) and not _open(reader):
        yield _message("ADDITIONAL_PROPERTIES_NARROWED", "additionalProperties became false", where)
    for name, old in old_props.items():
        path = f"{where}/properties/{name}"
        if name in new_props:
            yield from _json(new_props[name], old, path, depth + 1)
        elif not _open(reader):
            yield _message(
                "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL",
                f"property '{name}' was removed from a closed content model",
                path,
            )
    for name, new in new_props.items():
        if name not in old_props and _open(writer) and new not in (True, {}):
            yield _message(
                "PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL",
                f"property '{name}' was added to an open content model",
                f"{where}/properties/{name}",
            )
