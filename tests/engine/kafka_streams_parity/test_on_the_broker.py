"""Ported tests run on the real sandbox broker, each input in a run of its own, so the
state between them (sessions, sliding windows) comes back from the changelog topic (memory
stores) or from disk (RocksDB), and the retractions travel as Kafka tombstones with their
headers."""

from __future__ import annotations

import json

import pytest

from engine.code.builder import Aggregation, SessionWindow, SlidingWindow, StreamsBuilder
from engine.runtime.kafka.run import KafkaRun, RunConfig
from tests.engine.kafka_streams_parity.test_session_windows import INACTIVITY_GAP
from tests.engine.kafka_util import consume_all, create_topic
from tests.engine.runtime.kafka.test_stateful_kafka import produce_timed

pytestmark = pytest.mark.kafka


@pytest.mark.parametrize("store", ["memory", "rocksdb"])
def test_should_count_play_events_by_session_across_restarts(bootstrap, unique, tmp_path, store):
    """kafka-streams-examples SessionWindowsExampleTest.shouldCountPlayEventsBySession"""
    src, out = f"play-events-{unique}", f"play-events-per-session-{unique}"
    create_topic(bootstrap, src)
    b = StreamsBuilder(
        f"sessions-{unique}", topic_partitions=1, state_store=store, state_dir=str(tmp_path)
    )
    (
        b.stream(src, name="plays")
        .group_by_key(name="sessions")
        .window(SessionWindow("30m"))
        .aggregate([Aggregation("count", "count")])
        .to(out, name="out")
    )
    topology = b.build()

    start = 1_732_800_000_000
    user_id = "erica"
    second_session_start = start + INACTIVITY_GAP + 1
    merge_time = start + INACTIVITY_GAP // 2
    for ts in (start, second_session_start, merge_time):
        produce_timed(bootstrap, src, [(user_id, {"song_id": 1, "duration": 10}, ts)])
        result = KafkaRun(topology, RunConfig(bootstrap=bootstrap, session_timeout_ms=2000)).run(
            until_idle=1.5, max_seconds=60
        )
        assert result.status == "stopped", result.reason

    got = []
    for m in consume_all(bootstrap, out, expect=5, timeout=30):
        assert m.key() == user_id.encode()
        if m.value() is None:
            headers = dict(m.headers())
            got.append((int(headers["ts.window_start"]), int(headers["ts.window_end"]), None))
        else:
            value = json.loads(m.value())
            got.append((value["window_start"], value["window_end"], value["count"]))
    assert got == [
        (start, start, 1),
        (second_session_start, second_session_start, 1),
        # merged all sessions into one, with tombstones for the sessions that were merged
        (start, start, None),
        (second_session_start, second_session_start, None),
        (start, second_session_start, 3),
    ]


@pytest.mark.parametrize("store", ["memory", "rocksdb"])
def test_sliding_reduce_small_input_across_restarts(bootstrap, unique, tmp_path, store):
    """KStreamSlidingWindowAggregateTest.testReduceSmallInput (ON_WINDOW_UPDATE):
    SlidingWindows.ofTimeDifferenceAndGrace(10, 5), reduce(STRING_ADDER), each input in a run
    of its own"""
    src, out = f"sliding-in-{unique}", f"sliding-out-{unique}"
    create_topic(bootstrap, src)
    b = StreamsBuilder(
        f"sliding-{unique}", topic_partitions=1, state_store=store, state_dir=str(tmp_path)
    )
    (
        b.stream(src, name="src")
        .group_by_key(name="agg")
        .window(SlidingWindow("10ms", grace="5ms"))
        .aggregate([Aggregation("r", "reduce", "agg + '+' + value")])
        .to(out, name="out")
    )
    topology = b.build()
    for value, ts in (("1", 10), ("2", 14), ("3", 15), ("4", 22), ("5", 26), ("6", 30)):
        produce_timed(bootstrap, src, [("A", value, ts)])
        result = KafkaRun(topology, RunConfig(bootstrap=bootstrap, session_timeout_ms=2000)).run(
            until_idle=1.5, max_seconds=60
        )
        assert result.status == "stopped", result.reason

    gathered: dict[int, set] = {}
    for m in consume_all(bootstrap, out, expect=15, timeout=30):
        value = json.loads(m.value())
        gathered.setdefault(value["window_start"], set()).add((value["r"], m.timestamp()[1]))
    assert gathered == {
        0: {("1", 10)},
        4: {("1+2", 14)},
        5: {("1+2+3", 15)},
        11: {("2", 14), ("2+3", 15)},
        12: {("2+3+4", 22)},
        15: {("3", 15), ("3+4", 22)},
        16: {("4", 22), ("4+5", 26)},
        20: {("4+5+6", 30)},
        23: {("5", 26), ("5+6", 30)},
        27: {("6", 30)},
    }


@pytest.mark.parametrize("store", ["memory", "rocksdb"])
def test_table_count_across_restarts(bootstrap, unique, tmp_path, store):
    """KTableAggregateTest.testCount on the broker, each input in a run of its own: the
    input rows (kept before the repartition topic) and the counts come back from their
    changelogs or from disk, so a row changing group is still taken out of its old one."""
    src, out = f"colours-{unique}", f"colour-counts-{unique}"
    create_topic(bootstrap, src)
    b = StreamsBuilder(
        f"table-count-{unique}", topic_partitions=1, state_store=store, state_dir=str(tmp_path)
    )
    table = b.table(src, name="table")
    table.table_aggregate([Aggregation("count", "count")], group_by="value", name="agg").to(
        out, name="out"
    )
    topology = b.build()
    inputs = (("A", "green", 10), ("B", "green", 9), ("A", "blue", 12), ("C", "yellow", 15))
    inputs += (("D", "green", 11),)
    for key, value, ts in inputs:
        produce_timed(bootstrap, src, [(key, value, ts)])
        result = KafkaRun(topology, RunConfig(bootstrap=bootstrap, session_timeout_ms=2000)).run(
            until_idle=1.5, max_seconds=60
        )
        assert result.status == "stopped", result.reason
    got = [
        (m.key().decode(), json.loads(m.value())["count"], m.timestamp()[1])
        for m in consume_all(bootstrap, out, expect=6, timeout=30)
    ]
    assert got == [
        ("green", 1, 10),
        ("green", 2, 10),
        ("green", 1, 12),
        ("blue", 1, 12),
        ("yellow", 1, 15),
        ("green", 2, 12),
    ]


@pytest.mark.parametrize("store", ["memory", "rocksdb"])
def test_table_outer_join_across_restarts(bootstrap, unique, tmp_path, store):
    """KTableKTableOuterJoinTest.testJoin's cases for key 0, shortened, on the broker, each
    input in a run of its own: a left row alone, joined by a right row, the right row
    deleted, the left row deleted (Y0 at 1 and the deletion at 2, not 0: a producer's
    timestamp 0 means now). Both sides' rows come back from the changelog or from disk, and
    the deletions travel as Kafka tombstones."""
    left_topic, right_topic, out = f"left-{unique}", f"right-{unique}", f"joined-{unique}"
    create_topic(bootstrap, left_topic)
    create_topic(bootstrap, right_topic)
    b = StreamsBuilder(
        f"table-join-{unique}", topic_partitions=1, state_store=store, state_dir=str(tmp_path)
    )
    left = b.table(left_topic, name="left")
    right = b.table(right_topic, name="right")
    joiner = "(left or 'null') + '+' + (right or 'null')"
    left.table_join(right, joiner, name="join", mode="outer").to(out, name="out")
    topology = b.build()
    from confluent_kafka import Producer

    for topic, value, ts in (
        (left_topic, "X0", 5),
        (right_topic, "Y0", 1),  # (the test's 0: a producer's timestamp 0 means now)
        (right_topic, None, 5),
        (left_topic, None, 2),
    ):
        producer = Producer({"bootstrap.servers": bootstrap})
        producer.produce(topic, None if value is None else json.dumps(value), "0", timestamp=ts)
        assert producer.flush(20) == 0
        result = KafkaRun(topology, RunConfig(bootstrap=bootstrap, session_timeout_ms=2000)).run(
            until_idle=1.5, max_seconds=60
        )
        assert result.status == "stopped", result.reason
    got = [
        (m.key().decode(), None if m.value() is None else json.loads(m.value()), m.timestamp()[1])
        for m in consume_all(bootstrap, out, expect=4, timeout=30)
    ]
    assert got == [("0", "X0+null", 5), ("0", "X0+Y0", 5), ("0", "X0+null", 5), ("0", None, 2)]
