"""Burrow-style lag evaluation (no Kafka) and lag of any consumer group (sandbox broker)."""

from __future__ import annotations

import math
import time

import pytest
from confluent_kafka import Consumer

from engine.cluster.admin import ClusterClient, ConnectionProblem
from engine.cluster.lag import OK, STALL, WARN, LagTracker, Observation, evaluate, seconds_behind
from tests.engine.kafka_util import create_topic, produce


def window(*pairs, step=1.0):
    return [Observation(i * step, committed, high) for i, (committed, high) in enumerate(pairs)]


def test_zero_lag_anywhere_in_the_window_is_ok():
    assert evaluate(window((10, 20), (20, 20), (25, 40)))[0] == OK


def test_committed_offset_stuck_with_lag_is_stall():
    status, reason = evaluate(window((10, 20), (10, 25), (10, 30)))
    assert status == STALL and "unchanged" in reason


def test_moving_but_lag_growing_every_step_is_warn():
    status, reason = evaluate(window((10, 20), (15, 30), (20, 45), (25, 60)))
    assert status == WARN and "from 10 to 35" in reason


def test_moving_and_lag_shrinking_is_ok():
    assert evaluate(window((10, 50), (30, 60), (50, 65)))[0] == OK


def test_too_few_observations_are_not_judged():
    assert evaluate(window((10, 20), (10, 30)))[0] == OK


def test_tracker_group_status_is_the_worst_partition_and_seconds_behind():
    tracker = LagTracker(window=5)
    for i in range(5):
        tracker.observe("g", "t", 0, 100 + 10 * i, 100 + 10 * i, now=i)  # caught up
        tracker.observe("g", "t", 1, 50, 80 + i, now=i)  # stuck
    status, reason = tracker.group_status("g")
    assert status == STALL and reason.startswith("t[1]")
    parts = {p.partition: p for p in tracker.partitions("g")}
    assert parts[0].rate == pytest.approx(10.0)
    assert parts[1].seconds_behind == math.inf
    assert seconds_behind(100, 20.0) == 5.0
    assert tracker.group_status("other") == (OK, "all partitions keep up")


@pytest.mark.kafka
def test_lag_of_an_external_consumer_group(bootstrap, unique):
    topic, group = f"ext-{unique}", f"external-{unique}"
    create_topic(bootstrap, topic, partitions=2)
    produce(bootstrap, topic, [(None, {"i": i}) for i in range(30)], partition=0)
    produce(bootstrap, topic, [(None, {"i": i}) for i in range(12)], partition=1)
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": group,
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
            "session.timeout.ms": 2000,
        }
    )
    from confluent_kafka import TopicPartition

    consumer.assign([TopicPartition(topic, 0, 0), TopicPartition(topic, 1, 0)])
    consumed = 0
    deadline = time.monotonic() + 20
    while consumed < 42 and time.monotonic() < deadline:
        consumed += len([m for m in consumer.consume(100, timeout=0.5) if not m.error()])
    consumer.commit(
        offsets=[TopicPartition(topic, 0, 10), TopicPartition(topic, 1, 12)], asynchronous=False
    )
    consumer.close()

    client = ClusterClient(bootstrap)
    try:
        assert group in client.groups()
        lag = client.group_lag(group)
        assert lag[(topic, 0)] == (10, 30)
        assert lag[(topic, 1)] == (12, 12)
        names = {t.name: t.partitions for t in client.topics()}
        assert names[topic] == 2
        sample = client.sample(topic, count=5)
        assert len(sample) == 5 and all("i" in r["value"] for r in sample)
        assert client.field_names(topic) == ["i"]
        assert "connected to" in client.test_connection()
    finally:
        client.close()


def test_connection_problem_is_said_plainly():
    with pytest.raises(ConnectionProblem, match="no broker answered at 127.0.0.1:1"):
        ClusterClient("127.0.0.1:1").test_connection(timeout=2)
