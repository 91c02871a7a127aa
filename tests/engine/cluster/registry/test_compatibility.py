"""Compatibility answers: the rules per format, the levels, transitive checks, and 409
with the reason through the registry."""

from __future__ import annotations

import json

import pytest
from confluent_kafka.schema_registry import Schema
from confluent_kafka.schema_registry.error import SchemaRegistryError

from engine.cluster.registry.compatibility import check
from engine.cluster.registry.formats import parse_schema


def avro(*fields: dict, name: str = "R") -> str:
    return json.dumps({"type": "record", "name": name, "fields": list(fields)})


A = {"name": "a", "type": "int"}
B = {"name": "b", "type": "string"}
B_DEFAULT = {"name": "b", "type": "string", "default": "x"}


def verdict(level: str, kind: str, new: str, *old: str) -> list[str]:
    history = [(i + 1, parse_schema(kind, text)) for i, text in enumerate(old)]
    return check(level, parse_schema(kind, new), history)


@pytest.mark.parametrize(
    ("level", "new", "old", "compatible"),
    [
        ("BACKWARD", avro(A, B), avro(A), False),  # a new field needs a default
        ("BACKWARD", avro(A, B_DEFAULT), avro(A), True),
        ("BACKWARD", avro(A), avro(A, B), True),  # removing a field is fine backward
        ("FORWARD", avro(A), avro(A, B), False),  # but old readers need it
        ("FORWARD", avro(A, B), avro(A), True),
        ("FULL", avro(A, B_DEFAULT), avro(A), True),
        ("FULL", avro(A, B), avro(A), False),
        ("NONE", avro({"name": "a", "type": "string"}), avro(A), True),
        ("BACKWARD", avro({"name": "a", "type": "long"}), avro(A), True),  # promotion
        ("BACKWARD", avro({"name": "a", "type": "string"}), avro(A), False),
    ],
)
def test_avro_levels(level, new, old, compatible):
    assert (verdict(level, "AVRO", new, old) == []) is compatible


def test_avro_reasons_come_from_the_checker():
    [message] = verdict("BACKWARD", "AVRO", avro(A, B), avro(A))
    assert "READER_FIELD_MISSING_DEFAULT_VALUE" in message
    assert "/fields/1" in message and "oldSchemaVersion: 1" in message
    [message] = verdict("BACKWARD", "AVRO", avro({"name": "a", "type": "string"}), avro(A))
    assert "TYPE_MISMATCH" in message


def test_transitive_levels_check_every_version():
    v1, v2, v3 = avro(A), avro(A, B_DEFAULT), avro(A, B)
    # v3 reads v2's data (it has b), so against the latest only it is compatible ...
    assert verdict("BACKWARD", "AVRO", v3, v1, v2) == []
    # ... but not v1's, which has no b and v3 gives it no default.
    [message] = verdict("BACKWARD_TRANSITIVE", "AVRO", v3, v1, v2)
    assert "oldSchemaVersion: 1" in message
    assert verdict("FULL_TRANSITIVE", "AVRO", v3, v1, v2) != []
    assert verdict("FORWARD_TRANSITIVE", "AVRO", avro(A, B_DEFAULT), v1, v2) == []


def test_recursive_avro_types_are_checked_without_end():
    node = {
        "type": "record",
        "name": "Node",
        "fields": [{"name": "v", "type": "int"}, {"name": "next", "type": ["null", "Node"]}],
    }
    grown = {**node, "fields": [*node["fields"], {"name": "w", "type": "int"}]}
    assert verdict("FULL", "AVRO", json.dumps(node), json.dumps(node)) == []
    assert verdict("BACKWARD", "AVRO", json.dumps(grown), json.dumps(node)) != []


PROTO = 'syntax = "proto3"; package p; message M {{ {fields} }}'


@pytest.mark.parametrize(
    ("new", "old", "rule"),
    [
        ("int32 a = 1;", "string a = 1;", "FIELD_SCALAR_KIND_CHANGED"),
        ("M b = 1;", "string b = 1;", "FIELD_KIND_CHANGED"),
        ("int64 a = 1;", "int32 a = 1;", None),  # one wire-compatible group
        ("bytes a = 1;", "string a = 1;", None),
        ("string a = 1;", "string a = 1; int32 b = 2;", None),  # a field removed
        ("string a = 1; int32 b = 2;", "string a = 1;", None),  # a field added
        (
            "string a = 1; oneof o { int32 b = 2; int32 c = 3; }",
            "string a = 1; oneof o { int32 b = 2; } int32 c = 3;",
            "FIELD_MOVED_TO_EXISTING_ONEOF",
        ),
    ],
)
def test_protobuf_rules(new, old, rule):
    problems = verdict("BACKWARD", "PROTOBUF", PROTO.format(fields=new), PROTO.format(fields=old))
    if rule is None:
        assert problems == []
    else:
        assert len(problems) == 1 and rule in problems[0]


def test_protobuf_message_removed_package_changed_and_required_added():
    two = 'syntax = "proto3"; package p; message M { string a = 1; } message N { int32 x = 1; }'
    one = 'syntax = "proto3"; package p; message M { string a = 1; }'
    assert "MESSAGE_REMOVED" in verdict("BACKWARD", "PROTOBUF", one, two)[0]
    moved = 'syntax = "proto3"; package q; message M { string a = 1; }'
    assert "PACKAGE_CHANGED" in verdict("BACKWARD", "PROTOBUF", moved, one)[0]
    old2 = 'syntax = "proto2"; message M { optional string a = 1; }'
    new2 = 'syntax = "proto2"; message M { optional string a = 1; required int32 b = 2; }'
    assert "REQUIRED_FIELD_ADDED" in verdict("BACKWARD", "PROTOBUF", new2, old2)[0]


def obj(properties: dict, required=(), closed: bool = False) -> str:
    schema: dict = {"type": "object", "properties": properties, "required": list(required)}
    if closed:
        schema["additionalProperties"] = False
    return json.dumps(schema)


@pytest.mark.parametrize(
    ("new", "old", "rule"),
    [
        (obj({"a": {"type": "string"}}), obj({"a": {"type": "integer"}}), "TYPE_CHANGED"),
        (obj({"a": {"type": "number"}}), obj({"a": {"type": "integer"}}), None),  # widened
        (obj({"a": {"type": "integer"}}), obj({"a": {"type": "number"}}), "TYPE_NARROWED"),
        (
            obj({"a": {"type": "string"}}, required=["a"]),
            obj({"a": {"type": "string"}}),
            "REQUIRED_ATTRIBUTE_ADDED",
        ),
        (
            obj({}, closed=True),
            obj({"a": {"type": "string"}}, closed=True),
            "PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL",
        ),
        (
            obj({"a": {"type": "string"}, "b": {"type": "string"}}),
            obj({"a": {"type": "string"}}),
            "PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL",
        ),
        (
            obj({"a": {"type": "string"}, "b": {"type": "string"}}, closed=True),
            obj({"a": {"type": "string"}}, closed=True),
            None,
        ),
        (
            obj({"a": {"enum": ["x"]}}),
            obj({"a": {"enum": ["x", "y"]}}),
            "ENUM_ARRAY_NARROWED",
        ),
        (
            obj({"a": {"type": "string", "maxLength": 5}}),
            obj({"a": {"type": "string", "maxLength": 10}}),
            "MAX_LENGTH_DECREASED",
        ),
        (
            json.dumps({"type": "array", "items": {"type": "string"}}),
            json.dumps({"type": "array", "items": {"type": "boolean"}}),
            "TYPE_CHANGED",
        ),
    ],
)
def test_json_schema_rules(new, old, rule):
    problems = verdict("BACKWARD", "JSON", new, old)
    if rule is None:
        assert problems == []
    else:
        assert problems and rule in problems[0]


@pytest.mark.kafka
def test_the_registry_refuses_an_incompatible_schema_with_the_reason(client, unique):
    subject = f"levels-{unique}"
    client.register_schema(subject, Schema(avro(A), "AVRO"))
    with pytest.raises(SchemaRegistryError) as refused:
        client.register_schema(subject, Schema(avro(A, B), "AVRO"))
    assert refused.value.http_status_code == 409 and refused.value.error_code == 409
    assert "incompatible with an earlier schema" in refused.value.error_message
    assert "READER_FIELD_MISSING_DEFAULT_VALUE" in refused.value.error_message
    assert client.get_versions(subject) == [1]
    # The subject's own level wins over the global one.
    client.set_compatibility(subject, "NONE")
    assert client.register_schema(subject, Schema(avro(A, B), "AVRO")) > 0
    assert client.get_versions(subject) == [1, 2]


@pytest.mark.kafka
def test_transitive_levels_through_the_registry(client, unique):
    subject = f"transitive-{unique}"
    client.set_compatibility(subject, "BACKWARD_TRANSITIVE")
    client.register_schema(subject, Schema(avro(A), "AVRO"))
    client.register_schema(subject, Schema(avro(A, B_DEFAULT), "AVRO"))
    v3 = Schema(avro(A, B), "AVRO")
    assert client.test_compatibility(subject, v3) is True  # against the latest version
    assert client.test_compatibility_all_versions(subject, v3) is False
    with pytest.raises(SchemaRegistryError) as refused:
        client.register_schema(subject, v3)
    assert "oldSchemaVersion: 1" in refused.value.error_message
    client.set_compatibility(subject, "BACKWARD")
    assert client.register_schema(subject, v3) > 0


@pytest.mark.kafka
def test_protobuf_and_json_levels_through_the_registry(client, unique):
    proto = f"proto-levels-{unique}"
    client.register_schema(proto, Schema(PROTO.format(fields="string a = 1;"), "PROTOBUF"))
    with pytest.raises(SchemaRegistryError) as refused:
        client.register_schema(proto, Schema(PROTO.format(fields="int32 a = 1;"), "PROTOBUF"))
    assert "FIELD_SCALAR_KIND_CHANGED" in refused.value.error_message
    doc = f"json-levels-{unique}"
    client.register_schema(doc, Schema(obj({"a": {"type": "string"}}), "JSON"))
    with pytest.raises(SchemaRegistryError) as refused:
        client.register_schema(doc, Schema(obj({"a": {"type": "string"}}, required=["a"]), "JSON"))
    assert "REQUIRED_ATTRIBUTE_ADDED" in refused.value.error_message
