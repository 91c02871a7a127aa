"""Wire-format records on the real broker with the sandbox's schema registry: Avro detected
and decoded through confluent-kafka's deserializer, and produced back with its serializer."""

from __future__ import annotations

import io
import json

import pytest
from confluent_kafka import Producer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from engine.cluster.registry import SchemaRegistryServer
from engine.cluster.topics.formats import Registry
from engine.cluster.topics.output import RecordWriter
from engine.cluster.topics.positions import EARLIEST
from engine.cluster.topics.producer import ProduceError, RecordEncoder, TopicProducer, read_lines
from engine.cluster.topics.reader import ScanRequest, TopicReader, TopicScan
from tests.engine.cluster.topics.conftest import create_topic

pytestmark = pytest.mark.kafka

SCHEMA = json.dumps(
    {
        "type": "record",
        "name": "Order",
        "fields": [
            {"name": "id", "type": "int"},
            {"name": "email", "type": "string"},
            {"name": "payload", "type": "bytes"},
        ],
    }
)


@pytest.fixture(scope="module")
def registry_url(broker):
    server = SchemaRegistryServer(broker.bootstrap).start()
    try:
        yield server.url
    finally:
        server.stop()


def scan(bootstrap, topic, url, **kwargs):
    reader = TopicReader(bootstrap, registry=Registry(url) if url else None)
    return TopicScan(reader, ScanRequest(topic, EARLIEST, **kwargs))


def test_avro_is_detected_decoded_and_produced_back(bootstrap, registry_url, unique):
    topic = f"avro-{unique}"
    create_topic(bootstrap, topic)
    serialize = AvroSerializer(SchemaRegistryClient({"url": registry_url}), SCHEMA)
    ctx = SerializationContext(topic, MessageField.VALUE)
    producer = Producer({"bootstrap.servers": bootstrap})
    for i in range(3):
        value = {"id": i, "email": f"u{i}@x", "payload": bytes([i, 255])}
        producer.produce(topic, serialize(value, ctx), f"k{i}".encode())
    producer.produce(topic, b'{"not": "avro"}', b"plain")
    producer.flush(30)

    decoded = scan(bootstrap, topic, registry_url)
    records = decoded.records()
    # ... and the scan names the schema they were written with.
    [named] = [n for n in decoded.notices if n.startswith("values in ")]
    assert named.startswith(f"values in Avro · subject {topic}-value · version 1 · schema id ")
    assert [(r["value_format"], r["value"]) for r in records] == [
        ("avro", {"id": 0, "email": "u0@x", "payload": "AP8="}),
        ("avro", {"id": 1, "email": "u1@x", "payload": "Af8="}),
        ("avro", {"id": 2, "email": "u2@x", "payload": "Av8="}),
        ("json", {"not": "avro"}),
    ]
    assert len(scan(bootstrap, topic, registry_url, filter="value['id'] >= 1").records()) == 2

    # Without a registry the same records are not decoded, and the scan says nothing false.
    blind_scan = scan(bootstrap, topic, None)
    blind = blind_scan.records()
    assert blind[0]["value_format"] in ("bytes", "string")
    # ... and says what would decode them.
    [said] = [n for n in blind_scan.notices if "wire format" in n]
    assert said.startswith("3 values read are in the schema registry's wire format (schema id ")
    assert said.endswith(
        "shown undecoded: name the registry with --schema-registry URL or SCHEMA_REGISTRY_URL"
    )
    seeing = scan(bootstrap, topic, registry_url)
    seeing.records()
    assert not [n for n in seeing.notices if "wire format" in n]

    # Produced back as Avro with the registered schema of the source's subject.
    target = f"avro-copy-{unique}"
    create_topic(bootstrap, target)
    out = io.StringIO()
    RecordWriter(out).write(records[:3])
    registry = Registry(registry_url)
    encoder = RecordEncoder(target, registry=registry, value_schema=f"subject:{topic}-value")
    TopicProducer(bootstrap, target).send(read_lines(io.StringIO(out.getvalue()), encoder, "in"))
    copied = scan(bootstrap, target, registry_url).records()
    assert [(r["value_format"], r["value"]) for r in copied] == [
        (r["value_format"], r["value"]) for r in records[:3]
    ]

    # A value the schema refuses, and a subject the registry lacks, are sentences.
    with pytest.raises(ProduceError, match="in:1: value: the schema of subject"):
        read_lines(['{"value": {"id": "x"}, "value_format": "avro"}'], encoder, "in")
    lacking = RecordEncoder(f"nothing-{unique}", registry=registry)
    with pytest.raises(ProduceError, match=f"has no subject 'nothing-{unique}-value'"):
        read_lines(['{"value": {"id": 1}, "value_format": "avro"}'], lacking, "in")


def test_a_read_record_is_what_a_topologys_source_hands_its_nodes(bootstrap, registry_url, unique):
    """One plain form: ``topic read`` and the browser show a timestamp as the epoch
    milliseconds an expression in a topology sees (not ISO text), so one filter reads both;
    and a record read is produced back unchanged."""
    from engine.runtime.schemas.codecs import decoder

    schema = json.dumps(
        {
            "type": "record",
            "name": "Stamped",
            "fields": [
                {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
                {"name": "day", "type": {"type": "int", "logicalType": "date"}},
                {
                    "name": "price",
                    "type": {"type": "bytes", "logicalType": "decimal", "precision": 6, "scale": 2},
                },
            ],
        }
    )
    topic = f"stamped-{unique}"
    create_topic(bootstrap, topic)
    client = SchemaRegistryClient({"url": registry_url})
    ctx = SerializationContext(topic, MessageField.VALUE)
    import datetime
    import decimal

    moment = datetime.datetime(2025, 1, 2, 3, 4, 5, 678000, tzinfo=datetime.UTC)
    data = AvroSerializer(client, schema)(
        {"at": moment, "day": moment.date(), "price": decimal.Decimal("12.50")}, ctx
    )
    producer = Producer({"bootstrap.servers": bootstrap})
    producer.produce(topic, data)
    producer.flush(30)
    [record] = scan(bootstrap, topic, registry_url).records()
    nodes_see = decoder("avro", client, topic, "value")(data)
    assert (
        record["value"] == nodes_see == {"at": 1735787045678, "day": "2025-01-02", "price": "12.50"}
    )
    assert scan(bootstrap, topic, registry_url, filter="value['at'] > 1735787045000").records()
    out = io.StringIO()
    RecordWriter(out).write([record])
    encoder = RecordEncoder(topic, registry=Registry(registry_url))
    TopicProducer(bootstrap, topic).send(read_lines(io.StringIO(out.getvalue()), encoder, "in"))
    again = scan(bootstrap, topic, registry_url).records()
    assert [r["value"] for r in again] == [record["value"]] * 2


def test_json_schema_is_detected_and_produced_back(bootstrap, registry_url, unique):
    from confluent_kafka.schema_registry.json_schema import JSONSerializer

    schema = json.dumps(
        {
            "type": "object",
            "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
            "required": ["id"],
        }
    )
    topic = f"js-{unique}"
    create_topic(bootstrap, topic)
    serialize = JSONSerializer(schema, SchemaRegistryClient({"url": registry_url}))
    producer = Producer({"bootstrap.servers": bootstrap})
    producer.produce(
        topic, serialize({"id": 1, "name": "a"}, SerializationContext(topic, MessageField.VALUE))
    )
    producer.flush(30)
    records = scan(bootstrap, topic, registry_url).records()
    assert [(r["value_format"], r["value"]) for r in records] == [
        ("json_schema", {"id": 1, "name": "a"})
    ]

    encoder = RecordEncoder(topic, registry=Registry(registry_url))
    out = read_lines(['{"value": {"id": 2}, "value_format": "json_schema"}'], encoder, "in")
    TopicProducer(bootstrap, topic).send(out)
    again = scan(bootstrap, topic, registry_url).records()
    assert [(r["value_format"], r["value"]) for r in again][1] == ("json_schema", {"id": 2})
    with pytest.raises(ProduceError, match="in:1: value: the schema of subject"):
        read_lines(['{"value": {"name": "no id"}, "value_format": "json_schema"}'], encoder, "in")


def _order_message_class():
    """A Protobuf message type built at run time (no generated code): Order {id, name}."""
    from google.protobuf import descriptor_pb2, descriptor_pool
    from google.protobuf.message_factory import GetMessageClass

    file = descriptor_pb2.FileDescriptorProto(
        name="order_test.proto", package="shop", syntax="proto3"
    )
    message = file.message_type.add(name="Order")
    message.field.add(name="id", number=1, type=descriptor_pb2.FieldDescriptorProto.TYPE_INT32,
                      label=descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL)  # fmt: skip
    message.field.add(name="name", number=2, type=descriptor_pb2.FieldDescriptorProto.TYPE_STRING,
                      label=descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL)  # fmt: skip
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file)
    return GetMessageClass(pool.FindMessageTypeByName("shop.Order"))


def test_protobuf_is_detected_and_produced_back(bootstrap, registry_url, unique):
    from confluent_kafka.schema_registry.protobuf import ProtobufSerializer

    order = _order_message_class()
    topic = f"pb-{unique}"
    create_topic(bootstrap, topic)
    serialize = ProtobufSerializer(
        order, SchemaRegistryClient({"url": registry_url}), {"use.deprecated.format": False}
    )
    producer = Producer({"bootstrap.servers": bootstrap})
    producer.produce(
        topic, serialize(order(id=7, name="x"), SerializationContext(topic, MessageField.VALUE))
    )
    producer.flush(30)
    records = scan(bootstrap, topic, registry_url).records()
    assert [(r["value_format"], r["value"]) for r in records] == [
        ("protobuf", {"id": 7, "name": "x"})
    ]

    encoder = RecordEncoder(topic, registry=Registry(registry_url))
    TopicProducer(bootstrap, topic).send(
        read_lines(['{"value": {"id": 8, "name": "y"}, "value_format": "protobuf"}'], encoder, "in")
    )
    again = scan(bootstrap, topic, registry_url).records()
    assert [(r["value_format"], r["value"]) for r in again][1] == (
        "protobuf",
        {"id": 8, "name": "y"},
    )


def test_unknown_schema_ids_and_a_registry_that_does_not_answer_are_sentences(
    bootstrap, registry_url, unique
):
    import time

    topic = f"wire-{unique}"
    create_topic(bootstrap, topic)
    producer = Producer({"bootstrap.servers": bootstrap})
    for _ in range(50):
        producer.produce(topic, b"\x00\x00\x00\x03\xe7payload")  # schema id 999
    producer.flush(30)

    s = scan(bootstrap, topic, registry_url)
    assert {r["value_format"] for r in s.records()} == {"bytes"}
    assert s.notices == [
        (
            "50 values could not be read in the schema registry's wire format (schema id 999 not "
            "found) and are shown as detected"
        )
    ]
    start = time.monotonic()
    down = scan(bootstrap, topic, "http://127.0.0.1:1")
    assert len(down.records()) == 50
    assert time.monotonic() - start < 20  # asked once, not once per record
    assert down.notices == [
        (
            "50 values could not be read in the schema registry's wire format (the schema registry "
            "at http://127.0.0.1:1 does not answer) and are shown as detected"
        )
    ]
