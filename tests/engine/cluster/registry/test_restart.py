"""A registry started again on the same broker has every schema, id, level and delete;
its records are Confluent's, in a compacted topic of one partition."""

from __future__ import annotations

import json
import threading

import pytest
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient

from engine.cluster.broker import SandboxBroker
from engine.cluster.registry import SchemaRegistryServer
from tests.engine.kafka_util import consume_all

pytestmark = pytest.mark.kafka


def avro(name: str, *fields: str) -> Schema:
    return Schema(
        json.dumps(
            {
                "type": "record",
                "name": name,
                "fields": [{"name": f, "type": "int", "default": 0} for f in fields],
            }
        ),
        "AVRO",
    )


@pytest.fixture
def own_broker():
    with SandboxBroker(registry=False) as broker:
        yield broker


def test_restart_on_the_same_broker_keeps_schemas_and_ids(own_broker):
    with SchemaRegistryServer(own_broker.bootstrap) as first:
        client = SchemaRegistryClient({"url": first.url})
        a1 = client.register_schema("a-value", avro("A", "x"))
        a2 = client.register_schema("a-value", avro("A", "x", "y"))
        b1 = client.register_schema("b-value", avro("B", "z"))
        client.register_schema("gone-value", avro("G", "g"))
        client.delete_subject("gone-value")
        client.set_compatibility("b-value", "FULL")
        client.set_compatibility(level="FORWARD")
    with SchemaRegistryServer(own_broker.bootstrap) as second:
        client = SchemaRegistryClient({"url": second.url})
        assert client.get_subjects() == ["a-value", "b-value"]
        assert client.get_subjects(deleted=True) == ["a-value", "b-value", "gone-value"]
        assert client.get_versions("a-value") == [1, 2]
        assert client.get_version("a-value", 1).schema_id == a1
        assert client.get_latest_version("a-value").schema_id == a2
        assert client.lookup_schema("b-value", avro("B", "z")).schema_id == b1
        assert client.get_compatibility("b-value") == "FULL"
        assert client.get_compatibility() == "FORWARD"
        # Ids go on from the highest one read back, never reused.
        assert client.register_schema("c-value", avro("C", "w")) == max(a1, a2, b1) + 2


def test_records_are_confluents_in_a_compacted_topic(own_broker):
    with SchemaRegistryServer(own_broker.bootstrap) as server:
        client = SchemaRegistryClient({"url": server.url})
        schema_id = client.register_schema("orders-value", avro("Order", "n"))
        client.set_compatibility("orders-value", "NONE")
    records = consume_all(own_broker.bootstrap, "_schemas", quiet=0.5)
    pairs = [(json.loads(m.key()), m.value() and json.loads(m.value())) for m in records]
    key, value = next((k, v) for k, v in pairs if k["keytype"] == "SCHEMA")
    assert key == {"keytype": "SCHEMA", "subject": "orders-value", "version": 1, "magic": 1}
    assert value["id"] == schema_id and value["schemaType"] == "AVRO"
    assert value["deleted"] is False and value["references"] == []
    assert json.loads(value["schema"])["name"] == "Order"
    assert (
        {"keytype": "CONFIG", "subject": "orders-value", "magic": 0},
        {"compatibilityLevel": "NONE"},
    ) in pairs
    from confluent_kafka.admin import AdminClient, ConfigResource

    admin = AdminClient({"bootstrap.servers": own_broker.bootstrap})
    topic = admin.list_topics(timeout=5).topics["_schemas"]
    assert len(topic.partitions) == 1
    [described] = admin.describe_configs([ConfigResource("topic", "_schemas")]).values()
    assert described.result(10)["cleanup.policy"].value == "compact"


def test_concurrent_registrations_get_distinct_ids(own_broker):
    with SchemaRegistryServer(own_broker.bootstrap) as server:
        ids: list[int] = []

        def register(i: int) -> None:
            client = SchemaRegistryClient({"url": server.url})
            ids.append(client.register_schema(f"s{i}", avro(f"R{i}", "x")))

        threads = [threading.Thread(target=register, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert sorted(ids) == list(range(1, 9))


def test_a_broker_that_does_not_answer_is_a_sentence_not_a_hang():
    import requests

    from engine.cluster.broker import free_port

    with SchemaRegistryServer(f"127.0.0.1:{free_port()}") as server:
        answer = requests.get(f"{server.url}/subjects", timeout=30)
    assert answer.status_code == 500
    assert answer.json()["error_code"] == 50001
    assert "check that the broker is up" in answer.json()["message"]
