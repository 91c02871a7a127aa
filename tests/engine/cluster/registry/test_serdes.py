"""confluent-kafka's own serializers and deserializers for Avro, Protobuf and JSON Schema,
through the registry and the broker, with the three subject name strategies."""

from __future__ import annotations

import json

import pytest
from confluent_kafka.schema_registry import (
    record_subject_name_strategy,
    topic_record_subject_name_strategy,
    topic_subject_name_strategy,
)
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer, ProtobufSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

from tests.engine.kafka_util import consume_all, create_topic, produce

pytestmark = pytest.mark.kafka

STRATEGIES = {
    "topic": topic_subject_name_strategy,
    "record": record_subject_name_strategy,
    "topic_record": topic_record_subject_name_strategy,
}


def expected_subject(strategy: str, topic: str, record_name: str) -> str:
    return {
        "topic": f"{topic}-value",
        "record": record_name,
        "topic_record": f"{topic}-{record_name}",
    }[strategy]


def through_the_broker(bootstrap: str, topic: str, payloads: list[bytes]) -> list[bytes]:
    create_topic(bootstrap, topic)
    produce(bootstrap, topic, [(None, p) for p in payloads])
    return [m.value() for m in consume_all(bootstrap, topic, expect=len(payloads))]


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_avro_round_trip(client, bootstrap, unique, strategy):
    topic, namespace = f"avro-{strategy}-{unique}", f"shop{unique}"
    schema = {
        "type": "record",
        "name": "Order",
        "namespace": namespace,
        "fields": [
            {"name": "id", "type": "string"},
            {"name": "amount", "type": "double"},
            {
                "name": "status",
                "type": {"type": "enum", "name": "Status", "symbols": ["NEW", "PAID"]},
            },
            {"name": "note", "type": ["null", "string"], "default": None},
        ],
    }
    conf = {"subject.name.strategy": STRATEGIES[strategy]}
    serializer = AvroSerializer(client, json.dumps(schema), conf=conf)
    ctx = SerializationContext(topic, MessageField.VALUE)
    orders = [
        {"id": "o1", "amount": 9.5, "status": "NEW", "note": None},
        {"id": "o2", "amount": 12.0, "status": "PAID", "note": "gift"},
    ]
    read = through_the_broker(bootstrap, topic, [serializer(o, ctx) for o in orders])
    fresh = type(client)({"url": client._rest_client.base_urls[0]})
    deserializer = AvroDeserializer(fresh, conf=conf)
    assert [deserializer(v, ctx) for v in read] == orders
    subject = expected_subject(strategy, topic, f"{namespace}.Order")
    assert fresh.get_latest_version(subject).schema.schema_type == "AVRO"


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_json_schema_round_trip(client, bootstrap, unique, strategy):
    topic, title = f"json-{strategy}-{unique}", f"Order{unique}"
    schema = {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": title,
        "type": "object",
        "properties": {
            "id": {"type": "string"},
            "amount": {"type": "number"},
            "tags": {"type": "array", "items": {"type": "string"}},
        },
        "required": ["id", "amount"],
    }
    conf = {"subject.name.strategy": STRATEGIES[strategy]}
    serializer = JSONSerializer(json.dumps(schema), client, conf=conf)
    ctx = SerializationContext(topic, MessageField.VALUE)
    orders = [{"id": "o1", "amount": 3.25, "tags": ["a"]}, {"id": "o2", "amount": 4}]
    read = through_the_broker(bootstrap, topic, [serializer(o, ctx) for o in orders])
    fresh = type(client)({"url": client._rest_client.base_urls[0]})
    deserializer = JSONDeserializer(None, schema_registry_client=fresh, conf=conf)
    assert [deserializer(v, ctx) for v in read] == orders
    subject = expected_subject(strategy, topic, title)
    assert fresh.get_latest_version(subject).schema.schema_type == "JSON"


def protobuf_classes(unique: str):
    """Message classes built at test time from FileDescriptorProtos: an Order in its own
    file importing a Money message from another file and google's Timestamp."""
    package = f"shop{unique}"
    F = descriptor_pb2.FieldDescriptorProto
    money = descriptor_pb2.FileDescriptorProto(
        name=f"{package}/money.proto", package=package, syntax="proto3"
    )
    money.message_type.add(name="Money").field.add(
        name="cents", number=1, type=F.TYPE_INT64, label=F.LABEL_OPTIONAL
    )
    order = descriptor_pb2.FileDescriptorProto(
        name=f"{package}/order.proto",
        package=package,
        syntax="proto3",
        dependency=[f"{package}/money.proto", "google/protobuf/timestamp.proto"],
    )
    msg = order.message_type.add(name="Order")
    msg.field.add(name="id", number=1, type=F.TYPE_STRING, label=F.LABEL_OPTIONAL)
    msg.field.add(
        name="total",
        number=2,
        type=F.TYPE_MESSAGE,
        type_name=f".{package}.Money",
        label=F.LABEL_OPTIONAL,
    )
    msg.field.add(
        name="at",
        number=3,
        type=F.TYPE_MESSAGE,
        type_name=".google.protobuf.Timestamp",
        label=F.LABEL_OPTIONAL,
    )
    status = msg.enum_type.add(name="Status")
    status.value.add(name="NEW", number=0)
    status.value.add(name="PAID", number=1)
    msg.field.add(
        name="status",
        number=4,
        type=F.TYPE_ENUM,
        type_name=f".{package}.Order.Status",
        label=F.LABEL_OPTIONAL,
    )
    msg.field.add(name="skus", number=5, type=F.TYPE_STRING, label=F.LABEL_REPEATED)
    from google.protobuf import timestamp_pb2

    pool = descriptor_pool.DescriptorPool()
    timestamp = descriptor_pb2.FileDescriptorProto()
    timestamp_pb2.DESCRIPTOR.CopyToProto(timestamp)
    for fdp in (timestamp, money, order):
        pool.Add(fdp)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName(f"{package}.Order"))


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_protobuf_round_trip(client, bootstrap, unique, strategy):
    topic = f"proto-{strategy}-{unique}"
    order_class = protobuf_classes(unique)
    conf = {"subject.name.strategy": STRATEGIES[strategy]}
    serializer = ProtobufSerializer(order_class, client, conf=conf)
    ctx = SerializationContext(topic, MessageField.VALUE)
    orders = []
    for i in range(2):
        order = order_class(id=f"o{i}", status=i, skus=["a", "b"][: i + 1])
        order.total.cents = 100 * (i + 1)
        order.at.seconds = 1_700_000_000 + i
        orders.append(order)
    read = through_the_broker(bootstrap, topic, [serializer(o, ctx) for o in orders])
    fresh = type(client)({"url": client._rest_client.base_urls[0]})
    deserializer = ProtobufDeserializer(order_class, conf=conf, schema_registry_client=fresh)
    assert [deserializer(v, ctx) for v in read] == orders
    subject = expected_subject(strategy, topic, f"shop{unique}.Order")
    registered = fresh.get_latest_version(subject)
    assert registered.schema.schema_type == "PROTOBUF"
    # The referenced file is registered under its own subject; the text reads as .proto.
    assert [r.name for r in registered.schema.references] == [f"shop{unique}/money.proto"]
    assert "message Order {" in registered.schema.schema_str
    assert f"shop{unique}/money.proto" in fresh.get_subjects()
