"""A demo generator in a schema format (the demo's Avro orders, reference §7.6) on the real local
broker and the sandbox's registry: it writes in the wire format with its node's schema,
confluent-kafka's own deserializer reads the topic, and its source reads it back."""

from __future__ import annotations

import json

import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext

import resources
from engine.code.builder import StreamsBuilder
from engine.runtime.generator import EventFactory
from engine.runtime.kafka.run import KafkaRun, RunConfig
from tests.engine.kafka_util import consume_all

pytestmark = pytest.mark.kafka


def demo_order_schema() -> str:
    demo = json.loads(resources.DEMO_TOPOLOGY.read_text(encoding="utf-8"))
    (orders,) = [n for n in demo["nodes"] if n["id"] == "orders"]
    return orders["params"]["value_schema"]


def test_an_avro_generator_writes_the_wire_format_and_reads_it_back(broker, unique):
    b = StreamsBuilder(f"gen-avro-{unique}")
    orders = b.generator(
        f"orders-{unique}",
        name="orders",
        rate=0,
        seed=7,
        limit=30,
        value_format="avro",
        value_schema=demo_order_schema(),
    )
    orders.filter("value['status'] == 'paid'", name="paid").to(f"paid-{unique}", name="out")
    run = KafkaRun(
        b.build(),
        RunConfig(
            bootstrap=broker.bootstrap,
            session_timeout_ms=2000,
            schema_registry_url=broker.registry_url,
        ),
    )
    result = run.run(until_idle=1.5, max_seconds=60)
    assert result.status == "stopped", result.reason
    nodes = result.metrics["nodes"]
    assert nodes["orders"]["out"] == 30 and nodes["orders"]["errors"] == 0
    _key, expected = EventFactory("orders", 7).next(0)
    # The topic holds Avro in the wire format, under <topic>-value, as Confluent's clients read it.
    client = SchemaRegistryClient({"url": broker.registry_url})
    assert client.get_latest_version(f"orders-{unique}-value").schema.schema_type == "AVRO"
    read = AvroDeserializer(client)
    messages = consume_all(broker.bootstrap, f"orders-{unique}", expect=30)
    assert all(m.value()[0] == 0 for m in messages)
    values = [
        read(m.value(), SerializationContext(f"orders-{unique}", MessageField.VALUE))
        for m in messages
    ]
    assert {v["order_id"] for v in values} == {f"o-{i:07d}" for i in range(1, 31)}
    assert set(values[0]) == set(expected)  # every field of the generator's orders
    paid = sum(1 for v in values if v["status"] == "paid")
    assert paid > 0 and nodes["paid"]["out"] == paid
    assert len(consume_all(broker.bootstrap, f"paid-{unique}", expect=paid)) == paid
