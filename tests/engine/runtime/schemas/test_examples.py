"""The record the Produce dialog starts from on a topic with a registered schema: a value
each format's own serializer accepts, built from the latest schema of ``<topic>-value``."""

from __future__ import annotations

import base64
import datetime
import json
import time
from types import SimpleNamespace

import orjson
import pytest
from confluent_kafka.schema_registry import Schema, SchemaReference
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.schema_registry.json_schema import JSONDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext

from engine.cluster.topics.producer import RecordEncoder
from engine.model.schemas import compile_proto
from engine.runtime.schemas.examples import (
    avro_example,
    example_line,
    json_schema_example,
)
from tests.engine.runtime.schemas.test_codecs import ORDER_AVRO, ORDER_JSON_SCHEMA, ORDER_PROTO

TREE = json.dumps(
    {
        "type": "record",
        "name": "Node",
        "fields": [
            {"name": "label", "type": "string", "default": "root"},
            {"name": "size", "type": {"type": "fixed", "name": "Four", "size": 4}},
            {"name": "tags", "type": {"type": "map", "values": "long"}},
            {"name": "children", "type": {"type": "array", "items": "Node"}},
            {"name": "parent", "type": ["null", "Node"], "default": None},
            {"name": "first", "type": ["Node", "null"]},
        ],
    }
)


def serialized_proto(text: str) -> str:
    """A .proto as confluent-kafka's serializer registers it: its descriptor in base64."""
    return base64.b64encode(compile_proto(text).files[-1]).decode("ascii")


def registry_of(client):
    """What the app's Registry gives the example and the encoder: the client twice (the
    mock client answers both forms of a Protobuf schema)."""
    return SimpleNamespace(client=client, serialized=client, url="mock://")


def encoded(registry, topic, line):
    outgoing = RecordEncoder(topic, registry=registry).line(1, orjson.dumps(line).decode())
    assert outgoing is not None
    return outgoing


def test_no_registered_schema_gives_no_example(registry):
    assert example_line(registry_of(registry), "orders") is None


@pytest.mark.parametrize(
    ("fmt", "schema_type", "text"),
    [
        ("avro", "AVRO", ORDER_AVRO),
        ("json_schema", "JSON", ORDER_JSON_SCHEMA),
        ("protobuf", "PROTOBUF", ORDER_PROTO),
    ],
)
def test_the_example_of_each_format_is_accepted_by_its_serializer(registry, fmt, schema_type, text):
    if fmt == "protobuf":
        text = serialized_proto(text)
    registry.register_schema("orders-value", Schema(text, schema_type))
    made = example_line(registry_of(registry), "orders")
    assert made is not None
    line, examples = made
    assert line["value_format"] == fmt and "key_format" not in line and line["key"] is None
    assert [e.describe() for e in examples][0].endswith("subject orders-value version 1")
    now, today = time.time() * 1000, datetime.datetime.now(datetime.UTC).date().isoformat()
    if fmt == "avro":  # a timestamp and a date are now: the record falls in open windows
        value = dict(line["value"])
        assert abs(value.pop("placed") - now) < 60_000
        assert value == {
            "id": "",
            "amount": 0.0,
            "day": today,
            "price": "0.00",
            "blob": "",
            "status": "NEW",
            "note": None,
        }
    elif fmt == "json_schema":
        assert line["value"] == {"id": "", "amount": 0}
    else:
        assert line["value"]["status"] == "NEW" and line["value"]["lines"] == []
        assert line["value"]["placed"].startswith(today)
        assert set(line["value"]) == {"id", "amount", "count", "blob", "status", "placed", "lines"}
    data = encoded(registry_of(registry), "orders", line).value
    assert data[0] == 0  # the wire format: what the topic's consumers read
    ctx = SerializationContext("orders", MessageField.VALUE)
    if fmt == "avro":
        assert AvroDeserializer(registry)(data, ctx)["status"] == "NEW"
    elif fmt == "json_schema":
        assert JSONDeserializer(ORDER_JSON_SCHEMA, schema_registry_client=registry)(data, ctx) == {
            "id": "",
            "amount": 0,
        }


def test_a_protobuf_schema_a_registry_gives_as_text(registry):
    """Registries that answer .proto text where the descriptor was asked for: compiled."""
    registry.register_schema("orders-value", Schema(ORDER_PROTO, "PROTOBUF"))
    line, _ = example_line(registry_of(registry), "orders")
    assert line["value"]["status"] == "NEW" and line["value_format"] == "protobuf"


def test_a_key_schema_gives_the_key_and_its_format(registry):
    registry.register_schema("orders-value", Schema(ORDER_AVRO, "AVRO"))
    registry.register_schema("orders-key", Schema('{"type": "string"}', "JSON"))
    line, examples = example_line(registry_of(registry), "orders")
    assert (line["key"], line["key_format"], line["value_format"]) == ("", "json_schema", "avro")
    assert [e.subject for e in examples] == ["orders-key", "orders-value"]
    outgoing = encoded(registry_of(registry), "orders", line)
    assert outgoing.key[0] == 0 and outgoing.value[0] == 0


def test_recursive_avro_stops_and_still_encodes(registry):
    value = avro_example(json.loads(TREE))
    assert value["label"] == "root" and value["children"] == [] and value["parent"] is None
    assert value["size"] == "" and value["tags"] == {}
    depth, node = 0, value
    while isinstance(node, dict) and node.get("first") is not None:
        node, depth = node["first"], depth + 1
    assert 0 < depth <= 8  # the first branch followed, then null where it would not end


def test_an_avro_schema_referring_to_another_subject(registry):
    money = '{"type": "record", "name": "Money", "namespace": "shop", "fields": [{"name": "cents", "type": "long"}, {"name": "currency", "type": "string", "default": "EUR"}]}'
    registry.register_schema("shop.Money", Schema(money, "AVRO"))
    priced = '{"type": "record", "name": "Priced", "namespace": "shop", "fields": [{"name": "price", "type": "shop.Money"}]}'
    registry.register_schema(
        "priced-value", Schema(priced, "AVRO", [SchemaReference("shop.Money", "shop.Money", 1)])
    )
    line, _ = example_line(registry_of(registry), "priced")
    assert line["value"] == {"price": {"cents": 0, "currency": "EUR"}}
    assert encoded(registry_of(registry), "priced", line).value[0] == 0


def test_json_schema_examples_follow_defaults_refs_and_types():
    schema = {
        "$defs": {"money": {"type": "object", "properties": {"cents": {"type": "integer"}}}},
        "type": "object",
        "properties": {
            "price": {"$ref": "#/$defs/money"},
            "currency": {"type": "string", "default": "EUR"},
            "status": {"enum": ["new", "paid"]},
            "at": {"type": "string", "format": "date-time"},
            "on": {"type": "string", "format": "date"},
            "note": {"type": ["null", "string"]},
            "lines": {"type": "array", "items": {"type": "string"}},
            "kind": {"const": "order"},
            "either": {"oneOf": [{"type": "boolean"}, {"type": "integer"}]},
        },
    }
    example = json_schema_example(schema)
    today = datetime.datetime.now(datetime.UTC).date().isoformat()
    assert example.pop("at").startswith(today) and example.pop("on") == today
    assert example == {
        "price": {"cents": 0},
        "currency": "EUR",
        "status": "new",
        "note": "",
        "lines": [],
        "kind": "order",
        "either": False,
    }
