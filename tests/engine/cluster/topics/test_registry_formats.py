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

    records = scan(bootstrap, topic, registry_url).records()
    assert [(r["value_format"], r["value"]) for r in records] == [
        ("avro", {"id": 0, "email": "u0@x", "payload": "AP8="}),
        ("avro", {"id": 1, "email": "u1@x", "payload": "Af8="}),
        ("avro", {"id": 2, "email": "u2@x", "payload": "Av8="}),
        ("json", {"not": "avro"}),
    ]
    assert len(scan(bootstrap, topic, registry_url, filter="value['id'] >= 1").records()) == 2

    # Without a registry the same records are not decoded, and the scan says nothing false.
    blind = scan(bootstrap, topic, None).records()
    assert blind[0]["value_format"] in ("bytes", "string")

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
