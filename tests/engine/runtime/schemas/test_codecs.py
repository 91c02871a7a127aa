"""The avro, protobuf and json_schema formats through a topology (reference §7.6), in-process with
a mock:// registry: inputs written by confluent-kafka's own serializers, outputs read by its
own deserializers; the bad-input sentences; the subject name strategies."""

import base64

import pytest
from confluent_kafka.schema_registry import topic_subject_name_strategy
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer, ProtobufSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from google.protobuf import json_format

from engine.model.schemas import compile_proto
from engine.model.topology import Edge, Node, Topology
from engine.runtime.local import LocalRun
from engine.runtime.schemas import SchemaFormats
from engine.runtime.schemas.checks import compiled_message_class

ORDER_AVRO = """{"type": "record", "name": "Order", "namespace": "shop", "fields": [
  {"name": "id", "type": "string"},
  {"name": "amount", "type": "double"},
  {"name": "placed", "type": {"type": "long", "logicalType": "timestamp-millis"}},
  {"name": "day", "type": {"type": "int", "logicalType": "date"}},
  {"name": "price", "type": {"type": "bytes", "logicalType": "decimal", "precision": 9, "scale": 2}},
  {"name": "blob", "type": "bytes"},
  {"name": "status", "type": {"type": "enum", "name": "Status", "symbols": ["NEW", "PAID"]}},
  {"name": "note", "type": ["null", "string"], "default": null}
]}"""

ORDER_PROTO = """syntax = "proto3";
package shop;
import "google/protobuf/timestamp.proto";
message Order {
  string id = 1;
  double amount = 2;
  int64 count = 3;
  bytes blob = 4;
  enum Status { NEW = 0; PAID = 1; }
  Status status = 5;
  google.protobuf.Timestamp placed = 6;
  message Line { string sku = 1; int32 qty = 2; }
  repeated Line lines = 7;
}
"""

ORDER_JSON_SCHEMA = """{"type": "object", "title": "Order",
  "properties": {"id": {"type": "string"}, "amount": {"type": "number"}},
  "required": ["id", "amount"]}"""


def ctx(topic, part=MessageField.VALUE):
    return SerializationContext(topic, part)


def pipeline(fmt, schema, expr="True", strategy=None, out_fmt=None):
    t = Topology("app")
    t.add_node(Node("src", "kafka_source", {"topic": "orders", "value_format": fmt}))
    t.add_node(Node("keep", "filter", {"expr": expr}))
    params = {"topic": "out", "value_format": out_fmt or fmt, "value_schema": schema}
    if strategy:
        params["subject_strategy"] = strategy
    t.add_node(Node("sink", "kafka_sink", params))
    t.add_edge(Edge("src", "keep"))
    t.add_edge(Edge("keep", "sink"))
    return t


def errors(run):
    return [(d.node_id, str(d.error)) for d in run.dead_letters]


# -- Avro ---------------------------------------------------------------------------------


def test_avro_source_hands_plain_data_and_sink_writes_what_confluent_reads(registry):
    write = AvroSerializer(
        registry, ORDER_AVRO, conf={"subject.name.strategy": topic_subject_name_strategy}
    )
    import datetime
    import decimal

    order = {
        "id": "o1",
        "amount": 12.5,
        "placed": datetime.datetime(2024, 5, 1, 12, 0, 0, 250000, tzinfo=datetime.UTC),
        "day": datetime.date(2024, 5, 1),
        "price": decimal.Decimal("12.50"),
        "blob": b"\x00\x01\xff",
        "status": "PAID",
        "note": None,
    }
    t = pipeline("avro", ORDER_AVRO, expr="value['amount'] > 10")
    run = LocalRun(t, schemas=SchemaFormats(registry))
    run.send_raw("orders", None, write(order, ctx("orders")))
    seen = run.topics["out"]
    assert errors(run) == []
    assert len(seen) == 1
    back = AvroDeserializer(registry)(seen[0].value(), ctx("out"))
    assert back == order
    assert seen[0].value()[0] == 0  # the wire format: magic byte, schema id, payload
    assert "out-value" in registry.get_subjects()


def test_avro_values_are_plain_json_like_data(registry):
    from engine.runtime.schemas.codecs import decoder

    write = AvroSerializer(registry, ORDER_AVRO)
    import datetime
    import decimal

    data = write(
        {
            "id": "o1",
            "amount": 1.0,
            "placed": datetime.datetime(2024, 5, 1, 0, 0, 0, 123000, tzinfo=datetime.UTC),
            "day": datetime.date(2024, 5, 1),
            "price": decimal.Decimal("3.10"),
            "blob": b"\x01\x02",
            "status": "NEW",
            "note": "hi",
        },
        ctx("orders"),
    )
    value = decoder("avro", registry, "orders", "value")(data)
    assert value == {
        "id": "o1",
        "amount": 1.0,
        "placed": 1714521600123,  # epoch ms
        "day": "2024-05-01",
        "price": "3.10",
        "blob": base64.b64encode(b"\x01\x02").decode(),
        "status": "NEW",
        "note": "hi",
    }


def test_avro_bad_input_goes_to_the_dead_letters_with_a_sentence(registry):
    write = AvroSerializer(
        registry, '{"type": "record", "name": "X", "fields": [{"name": "a", "type": "long"}]}'
    )
    good = write({"a": 1}, ctx("orders"))
    run = LocalRun(pipeline("avro", ORDER_AVRO), schemas=SchemaFormats(registry))
    run.send_raw("orders", None, b'{"id": "o1"}')
    run.send_raw("orders", None, b"\x00\x00\x00\x00\x07rest")
    run.send_raw("orders", None, good[:-1] if len(good) > 5 else good)
    run.send_raw("orders", None, b"\x00\x00")
    assert errors(run) == [
        ("src", "not in the schema registry's wire format (first byte 0x7b)"),
        ("src", "schema id 7 not found"),
        ("src", errors(run)[2][1]),
        ("src", "not in the schema registry's wire format (only 2 bytes)"),
    ]
    assert errors(run)[2][1].startswith("the payload does not match schema id 1 (Avro)")
    # nothing lost: the original bytes stay on the dead letter
    assert run.dead_letters[0].record.origin.value() == b'{"id": "o1"}'


def test_avro_value_the_schema_refuses_names_the_field(registry):
    t = Topology("app")
    t.add_node(Node("src", "kafka_source", {"topic": "in"}))
    t.add_node(
        Node(
            "sink",
            "kafka_sink",
            {"topic": "out", "value_format": "avro", "value_schema": ORDER_AVRO},
        )
    )
    t.add_edge(Edge("src", "sink"))
    run = LocalRun(t, schemas=SchemaFormats(registry))
    ok = {
        "id": "o",
        "amount": 2,
        "placed": 1,
        "day": "2024-01-02",
        "price": "1.5",
        "blob": "AQ==",
        "status": "NEW",
    }
    run.send("in", ok)
    run.send("in", {**ok, "amount": "abc"})
    run.send("in", {k: v for k, v in ok.items() if k != "id"})
    run.send("in", {**ok, "status": "LOST"})
    run.send("in", {**ok, "blob": "not base64!"})
    assert errors(run) == [
        ("sink", "field 'amount': expected double, got 'abc'"),
        ("sink", "field 'id': missing, and the schema gives no default"),
        ("sink", "field 'status': expected one of NEW, PAID, got 'LOST'"),
        ("sink", "field 'blob': expected bytes as base64 text, got 'not base64!'"),
    ]
    assert len(run.topics["out"]) == 1


# -- Protobuf -------------------------------------------------------------------------------


def test_protobuf_source_needs_no_generated_code(registry):
    """The producer has the generated class; the topology only the registry."""
    message_class = compiled_message_class(compile_proto(ORDER_PROTO))
    write = ProtobufSerializer(
        message_class, registry, {"subject.name.strategy": topic_subject_name_strategy}
    )
    order = json_format.ParseDict(
        {
            "id": "o1",
            "amount": 2.5,
            "count": 9007199254740993,
            "blob": "AAH/",
            "status": "PAID",
            "placed": "2024-05-01T12:00:00Z",
            "lines": [{"sku": "a", "qty": 2}],
        },
        message_class(),
    )
    run = LocalRun(
        pipeline("protobuf", ORDER_PROTO, expr="value['count'] > 1"),
        schemas=SchemaFormats(registry),
    )
    run.send_raw("orders", None, write(order, ctx("orders")))
    assert errors(run) == []
    out = run.topics["out"]
    assert len(out) == 1
    read = ProtobufDeserializer(message_class, {"use.deprecated.format": False})
    assert read(out[0].value(), ctx("out")) == order


def test_protobuf_decoded_value_is_plain_data(registry):
    from engine.runtime.schemas.codecs import decoder

    message_class = compiled_message_class(compile_proto(ORDER_PROTO))
    write = ProtobufSerializer(
        message_class, registry, {"subject.name.strategy": topic_subject_name_strategy}
    )
    msg = json_format.ParseDict(
        {
            "id": "o1",
            "count": 5,
            "blob": "AQI=",
            "status": "PAID",
            "lines": [{"sku": "a", "qty": 2}],
        },
        message_class(),
    )
    value = decoder("protobuf", registry, "orders", "value")(write(msg, ctx("orders")))
    assert value == {
        "id": "o1",
        "amount": 0.0,
        "count": 5,  # int64 as a number, not text
        "blob": "AQI=",
        "status": "PAID",
        "lines": [{"sku": "a", "qty": 2}],
    }


def test_protobuf_value_the_schema_refuses_names_the_field(registry):
    t = Topology("app")
    t.add_node(Node("src", "kafka_source", {"topic": "in"}))
    t.add_node(
        Node(
            "sink",
            "kafka_sink",
            {"topic": "out", "value_format": "protobuf", "value_schema": ORDER_PROTO},
        )
    )
    t.add_edge(Edge("src", "sink"))
    run = LocalRun(t, schemas=SchemaFormats(registry))
    run.send("in", {"id": "o", "amount": 1})
    run.send("in", {"id": "o", "amount": "abc"})
    run.send("in", {"id": "o", "lines": [{"qty": "many"}]})
    run.send("in", {"id": "o", "colour": "red"})
    assert errors(run) == [
        ("sink", "field 'amount': expected double, got 'abc'"),
        ("sink", errors(run)[1][1]),
        ("sink", "field 'colour': is not a field of shop.Order"),
    ]
    assert errors(run)[1][1].startswith("field 'lines")
    assert len(run.topics["out"]) == 1


# -- JSON Schema ----------------------------------------------------------------------------


def test_json_schema_round_trip_and_refusal(registry):
    write = JSONSerializer(
        ORDER_JSON_SCHEMA, registry, conf={"subject.name.strategy": topic_subject_name_strategy}
    )
    run = LocalRun(
        pipeline("json_schema", ORDER_JSON_SCHEMA, expr="value['amount'] > 1"),
        schemas=SchemaFormats(registry),
    )
    run.send_raw("orders", None, write({"id": "a", "amount": 5}, ctx("orders")))
    run.send_raw("orders", None, write({"id": "b", "amount": 0}, ctx("orders")))
    assert errors(run) == []
    out = run.topics["out"]
    assert [
        JSONDeserializer(None, schema_registry_client=registry)(m.value(), ctx("out")) for m in out
    ] == [{"id": "a", "amount": 5}]
    t = Topology("app")
    t.add_node(Node("src", "kafka_source", {"topic": "in"}))
    t.add_node(
        Node(
            "sink",
            "kafka_sink",
            {"topic": "out2", "value_format": "json_schema", "value_schema": ORDER_JSON_SCHEMA},
        )
    )
    t.add_edge(Edge("src", "sink"))
    run = LocalRun(t, schemas=SchemaFormats(registry))
    run.send("in", {"id": "a", "amount": "abc"})
    run.send("in", {"amount": 1})
    assert errors(run) == [
        ("sink", "field 'amount': expected number, got 'abc'"),
        ("sink", "field 'id': missing, and the schema requires it"),
    ]


# -- strategies, registration, subjects --------------------------------------------------------


@pytest.mark.parametrize(
    ("strategy", "subject"),
    [("topic", "out-value"), ("record", "shop.Order"), ("topic_record", "out-shop.Order")],
)
def test_subject_strategies(registry, strategy, subject):
    t = Topology("app")
    t.add_node(Node("src", "kafka_source", {"topic": "in"}))
    t.add_node(
        Node(
            "sink",
            "kafka_sink",
            {
                "topic": "out",
                "value_format": "avro",
                "value_schema": ORDER_AVRO,
                "subject_strategy": strategy,
            },
        )
    )
    t.add_edge(Edge("src", "sink"))
    run = LocalRun(t, schemas=SchemaFormats(registry))
    run.send(
        "in",
        {
            "id": "o",
            "amount": 2,
            "placed": 1,
            "day": "2024-01-02",
            "price": "1.5",
            "blob": "",
            "status": "NEW",
        },
    )
    assert errors(run) == []
    assert registry.get_subjects() == [subject]


def test_auto_register_off_refuses_an_unregistered_schema(registry):
    t = Topology("app")
    t.add_node(Node("src", "kafka_source", {"topic": "in"}))
    t.add_node(
        Node(
            "sink",
            "kafka_sink",
            {"topic": "out", "value_format": "json_schema", "value_schema": ORDER_JSON_SCHEMA},
        )
    )
    t.add_edge(Edge("src", "sink"))
    run = LocalRun(t, schemas=SchemaFormats(registry, auto_register=False))
    run.send("in", {"id": "a", "amount": 1})
    assert registry.get_subjects() == []
    assert len(errors(run)) == 1 and "schema registry refused" in errors(run)[0][1]


def test_sink_schema_from_a_registered_subject(registry):
    from confluent_kafka.schema_registry import Schema

    registry.register_schema("orders-value", Schema(ORDER_JSON_SCHEMA, "JSON"))
    t = Topology("app")
    t.add_node(Node("src", "kafka_source", {"topic": "in"}))
    t.add_node(
        Node(
            "sink",
            "kafka_sink",
            {
                "topic": "orders",
                "value_format": "json_schema",
                "value_schema": "subject:orders-value:1",
            },
        )
    )
    t.add_edge(Edge("src", "sink"))
    run = LocalRun(t, schemas=SchemaFormats(registry, auto_register=False))
    run.send("in", {"id": "a", "amount": 1})
    run.send("in", {"id": "a"})
    assert errors(run) == [("sink", "field 'amount': missing, and the schema requires it")]
    out = run.topics["orders"][0].value()
    assert int.from_bytes(out[1:5], "big") == registry.get_latest_version("orders-value").schema_id


def test_a_subject_the_registry_does_not_have_fails_the_run_at_start(registry):
    from engine.runtime.errors import RunFailedError

    t = Topology("app")
    t.add_node(Node("src", "kafka_source", {"topic": "in"}))
    t.add_node(
        Node(
            "sink",
            "kafka_sink",
            {"topic": "o", "value_format": "avro", "value_schema": "subject:nothing"},
        )
    )
    t.add_edge(Edge("src", "sink"))
    with pytest.raises(
        RunFailedError, match="sink: value_schema: the schema registry has no subject 'nothing'"
    ):
        LocalRun(t, schemas=SchemaFormats(registry))


def test_decoded_values_go_through_internal_topics_unchanged(registry):
    """A repartition topic carries the decoded value as JSON, not the wire format."""
    write = JSONSerializer(ORDER_JSON_SCHEMA, registry)
    t = Topology("app")
    t.add_node(Node("src", "kafka_source", {"topic": "orders", "value_format": "json_schema"}))
    t.add_node(
        Node(
            "count",
            "aggregate",
            {
                "group_by": "value['id']",
                "aggregations": [{"name": "total", "fn": "sum", "expr": "value['amount']"}],
            },
        )
    )
    t.add_node(Node("sink", "kafka_sink", {"topic": "totals"}))
    t.add_edge(Edge("src", "count"))
    t.add_edge(Edge("count", "sink"))
    run = LocalRun(t, schemas=SchemaFormats(registry))
    for amount in (1, 2):
        run.send_raw("orders", None, write({"id": "a", "amount": amount}, ctx("orders")))
    assert errors(run) == []
    assert run.values("app-count-repartition") == [
        {"id": "a", "amount": 1},
        {"id": "a", "amount": 2},
    ]
    assert run.values("totals")[-1]["total"] == 3


def test_recursive_named_types_and_the_path_into_a_union(registry):
    linked = """{"type": "record", "name": "Node", "fields": [{"name": "v", "type": "int"},
      {"name": "next", "type": ["null", "Node"], "default": null}]}"""
    t = Topology("app")
    t.add_node(Node("src", "kafka_source", {"topic": "in", "value_format": "avro"}))
    t.add_node(
        Node("sink", "kafka_sink", {"topic": "out", "value_format": "avro", "value_schema": linked})
    )
    t.add_edge(Edge("src", "sink"))
    write = AvroSerializer(registry, linked)
    chain = None
    for i in range(300):
        chain = {"v": i, "next": chain}
    run = LocalRun(t, schemas=SchemaFormats(registry))
    run.send_raw("in", None, write(chain, ctx("in")))
    assert errors(run) == []
    assert AvroDeserializer(registry)(run.topics["out"][0].value(), ctx("out")) == chain
    in_process = LocalRun(t)
    in_process.send("in", {"v": 1, "next": {"v": "x", "next": None}}, value_format="avro")
    assert errors(in_process) == [("sink", "field 'next.v': expected int, got 'x'")]


def test_an_enum_of_many_symbols_is_named_briefly():
    schema = (
        '{"type": "record", "name": "R", "fields": [{"name": "e", "type": {"type": "enum", '
        '"name": "E", "symbols": [' + ", ".join(f'"S{i}"' for i in range(100_000)) + "]}}]}"
    )
    t = Topology("app")
    t.add_node(Node("src", "kafka_source", {"topic": "in"}))
    t.add_node(
        Node("sink", "kafka_sink", {"topic": "out", "value_format": "avro", "value_schema": schema})
    )
    t.add_edge(Edge("src", "sink"))
    run = LocalRun(t)
    run.send("in", {"e": "S99999"})
    run.send("in", {"e": "nope"})
    assert len(run.topics["out"]) == 1
    assert errors(run) == [
        (
            "sink",
            "field 'e': expected one of S0, S1, S2, S3, S4, S5, S6, S7, S8, S9, S10, S11, "
            "... (100,000 symbols), got 'nope'",
        )
    ]


@pytest.mark.parametrize(
    ("fmt", "schema", "fields"),
    [
        ("avro", ORDER_AVRO, ["id", "amount", "placed", "day", "price", "blob", "status", "note"]),
        ("json_schema", ORDER_JSON_SCHEMA, ["id", "amount"]),
        ("protobuf", ORDER_PROTO, ["id", "amount", "count", "blob", "status", "placed", "lines"]),
    ],
)
def test_field_names_of_a_topics_registered_schema(registry, fmt, schema, fields):
    from engine.runtime.schemas.fields import registered_fields

    assert registered_fields(registry, "orders", fmt) == []
    t = Topology("app")
    t.add_node(Node("src", "kafka_source", {"topic": "in"}))
    t.add_node(
        Node("sink", "kafka_sink", {"topic": "orders", "value_format": fmt, "value_schema": schema})
    )
    t.add_edge(Edge("src", "sink"))
    value = {
        "avro": {
            "id": "o",
            "amount": 2,
            "placed": 1,
            "day": "2024-01-02",
            "price": "1.5",
            "blob": "",
            "status": "NEW",
        },
        "json_schema": {"id": "o", "amount": 2},
        "protobuf": {"id": "o"},
    }[fmt]
    run = LocalRun(t, schemas=SchemaFormats(registry))
    run.send("in", value)
    assert errors(run) == []
    assert registered_fields(registry, "orders", fmt) == fields


def test_a_registered_avro_schema_with_references(registry):
    """A subject whose schema names a type of another subject: confluent-kafka's serializer
    resolves the reference; the sink writes what its deserializer reads."""
    from confluent_kafka.schema_registry import Schema, SchemaReference

    money = '{"type": "record", "name": "Money", "namespace": "shop", "fields": [{"name": "cents", "type": "long"}]}'
    registry.register_schema("shop.Money", Schema(money, "AVRO"))
    order = '{"type": "record", "name": "Priced", "namespace": "shop", "fields": [{"name": "price", "type": "shop.Money"}]}'
    registry.register_schema(
        "priced-value", Schema(order, "AVRO", [SchemaReference("shop.Money", "shop.Money", 1)])
    )
    t = Topology("app")
    t.add_node(Node("src", "kafka_source", {"topic": "in"}))
    t.add_node(
        Node(
            "sink",
            "kafka_sink",
            {"topic": "priced", "value_format": "avro", "value_schema": "subject:priced-value"},
        )
    )
    t.add_edge(Edge("src", "sink"))
    run = LocalRun(t, schemas=SchemaFormats(registry, auto_register=False))
    run.send("in", {"price": {"cents": 1250}})
    assert errors(run) == []
    assert AvroDeserializer(registry)(run.topics["priced"][0].value(), ctx("priced")) == {
        "price": {"cents": 1250}
    }
