"""Topics with known records on the session's sandbox broker."""

from __future__ import annotations

import json

import pytest
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

BASE_MS = 1_765_015_200_000  # 2025-12-06T10:00:00Z


def create_topic(bootstrap: str, name: str, partitions: int = 1) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    for future in admin.create_topics([NewTopic(name, partitions, 1)]).values():
        future.result(timeout=30)


def produce(bootstrap: str, topic: str, records: list[dict]) -> None:
    """records: {"key": bytes, "value": bytes, "partition": p, "timestamp": ms, "headers": [...]}."""
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
    for r in records:
        producer.produce(
            topic,
            r.get("value"),
            r.get("key"),
            partition=r.get("partition", 0),
            timestamp=r.get("timestamp", 0),
            headers=r.get("headers"),
        )
    assert producer.flush(30) == 0


def orders(n: int, partitions: int) -> list[dict]:
    """n JSON orders, spread round-robin, one second apart from BASE_MS."""
    return [
        {
            "key": f"k{i}".encode(),
            "value": json.dumps(
                {"i": i, "email": f"user{i}@example.com", "amount": i * 1.5}
            ).encode(),
            "partition": i % partitions,
            "timestamp": BASE_MS + i * 1000,
            "headers": [("source", b"test"), ("n", str(i).encode())],
        }
        for i in range(n)
    ]


def make_orders_topic(bootstrap: str, unique: str) -> str:
    """30 orders over 3 partitions (10 each, offsets 0-9), plus nothing else."""
    name = f"orders-{unique}"
    create_topic(bootstrap, name, 3)
    produce(bootstrap, name, orders(30, 3))
    return name


@pytest.fixture
def orders_topic(bootstrap, unique) -> str:
    return make_orders_topic(bootstrap, unique)
