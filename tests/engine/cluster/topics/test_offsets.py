"""Offset resets on the real broker: the preview's figures, applying them, and the refusal
while a consumer is in the group."""

from __future__ import annotations

import time

import pytest
from confluent_kafka import Consumer, TopicPartition

from engine.cluster.topics.offsets import OffsetResetter, ResetError
from engine.cluster.topics.positions import parse_start
from engine.cluster.topics.reader import ScanError, TopicReader
from tests.engine.cluster.topics.conftest import BASE_MS

pytestmark = pytest.mark.kafka


def commit(bootstrap, group, topic, offsets: dict[int, int]) -> None:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group})
    try:
        consumer.commit(
            offsets=[TopicPartition(topic, p, o) for p, o in offsets.items()], asynchronous=False
        )
    finally:
        consumer.close()


def figures(plan):
    return {(r.partition): (r.current, r.new, r.replayed, r.skipped) for r in plan.partitions}


def test_dry_run_figures_for_each_kind_of_position(bootstrap, orders_topic, unique):
    group = f"g-{unique}"
    commit(bootstrap, group, orders_topic, {0: 5, 1: 10, 2: 0})
    resetter = OffsetResetter(TopicReader(bootstrap))
    earliest = resetter.plan(group, parse_start("earliest"))
    assert figures(earliest) == {0: (5, 0, 5, 0), 1: (10, 0, 10, 0), 2: (0, 0, 0, 0)}
    latest = resetter.plan(group, parse_start("latest"))
    assert figures(latest) == {0: (5, 10, 0, 5), 1: (10, 10, 0, 0), 2: (0, 10, 0, 10)}
    offset = resetter.plan(group, parse_start("20"))  # kept within the log
    assert {p: f[1] for p, f in figures(offset).items()} == {0: 10, 1: 10, 2: 10}
    # order i is at partition i % 3, offset i // 3, time BASE + i s; from i = 13 on:
    when = resetter.plan(group, parse_start(str(BASE_MS + 13_000)))
    assert {p: f[1] for p, f in figures(when).items()} == {0: 5, 1: 4, 2: 4}
    after = resetter.plan(group, parse_start(str(BASE_MS + 3_600_000)))
    assert {p: f[1] for p, f in figures(after).items()} == {0: 10, 1: 10, 2: 10}
    assert after.notes == [
        (
            "no record is at or after 2025-12-06T11:00:00.000Z: the time is after the end of every "
            "partition, so the group would start at their ends"
        )
    ]
    before = resetter.plan(group, parse_start("2025-01-01T00:00:00Z"))
    assert {p: f[1] for p, f in figures(before).items()} == {0: 0, 1: 0, 2: 0}
    assert before.notes == [
        (
            "2025-01-01T00:00:00.000Z is before the first record of every partition: the group "
            "would start at their beginnings"
        )
    ]
    assert when.notes == []
    assert earliest.state == "EMPTY" and not earliest.active


def test_apply_commits_the_new_offsets(bootstrap, orders_topic, unique):
    group = f"g-{unique}"
    commit(bootstrap, group, orders_topic, {0: 9, 1: 9, 2: 9})
    resetter = OffsetResetter(TopicReader(bootstrap))
    resetter.apply(resetter.plan(group, parse_start("3"), topic=orders_topic))
    assert resetter.committed(group) == {(orders_topic, p): 3 for p in range(3)}


def test_a_group_without_offsets_needs_a_topic(bootstrap, orders_topic, unique):
    resetter = OffsetResetter(TopicReader(bootstrap))
    with pytest.raises(ResetError, match="has no committed offsets: name the topic"):
        resetter.plan(f"nobody-{unique}", parse_start("earliest"))
    plan = resetter.plan(f"nobody-{unique}", parse_start("earliest"), topic=orders_topic)
    assert [r.current for r in plan.partitions] == [None, None, None]
    with pytest.raises(ScanError, match="there is no topic"):
        resetter.plan(f"nobody-{unique}", parse_start("earliest"), topic=f"absent-{unique}")


def test_applying_is_refused_while_a_consumer_is_in_the_group(bootstrap, orders_topic, unique):
    group = f"busy-{unique}"
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": group,
            "session.timeout.ms": 6000,
            "auto.offset.reset": "earliest",
        }
    )
    try:
        consumer.subscribe([orders_topic])
        deadline = time.monotonic() + 30
        while not consumer.assignment() and time.monotonic() < deadline:
            consumer.poll(0.2)
        assert consumer.assignment()
        resetter = OffsetResetter(TopicReader(bootstrap))
        plan = resetter.plan(group, parse_start("earliest"), topic=orders_topic)
        assert plan.active
        with pytest.raises(ResetError, match=f"the group '{group}' is not empty \\(state STABLE"):
            resetter.apply(plan)
    finally:
        consumer.close()
