"""The join operator, run in-process with LocalRun: table joins and windowed stream joins."""

from __future__ import annotations

import json
import random
from collections import Counter, defaultdict

import pytest

from engine.code.builder import StreamsBuilder
from engine.runtime.local import LocalRun
from engine.runtime.state import (
    ChangeloggingStore,
    MemoryStore,
    decode_entry,
    encode_entry,
    restore,
)

EXPR = "{'l': left['n'], 'r': right['n'] if right else None}"


def topology(mode="inner", window=None, expr=EXPR, rekey_left=None):
    builder = StreamsBuilder("app")
    left = builder.stream("orders", name="left_src")
    if rekey_left:
        left = left.rekey(rekey_left, name="rk")
    right = builder.stream("users", name="right_src")
    left.join(right, expr, name="j", mode=mode, window=window).to("out", name="out")
    return builder.build()


def outputs(run):
    return [
        (m.key().decode(), json.loads(m.value()), m.timestamp()[1])
        for m in run.topics.get("out", [])
    ]


def left(run, key, n, ts=0):
    run.send("orders", {"n": n}, key=key, timestamp=ts)


def right(run, key, n, ts=0):
    run.send("users", None if n is None else {"n": n}, key=key, timestamp=ts)


# -- table joins ----------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["inner", "left"])
def test_table_join_looks_up_the_latest_right_value(mode):
    run = LocalRun(topology(mode))
    right(run, "u1", "A", 1)
    right(run, "u2", "B", 2)
    assert outputs(run) == []  # the table side emits nothing
    left(run, "u1", 1, 10)
    left(run, "u3", 2, 11)  # no such user
    right(run, "u1", "A2", 12)  # an update
    left(run, "u1", 3, 13)
    left(run, "u2", 4, 5)  # timestamps are the left record's, whatever their order
    expected = [
        ("u1", {"l": 1, "r": "A"}, 10),
        ("u3", {"l": 2, "r": None}, 11),
        ("u1", {"l": 3, "r": "A2"}, 13),
        ("u2", {"l": 4, "r": "B"}, 5),
    ]
    if mode == "inner":
        expected = [e for e in expected if e[1]["r"] is not None]
    assert outputs(run) == expected
    assert run.metrics["j"].in_ == 7
    assert run.metrics["j"].out == len(expected)


@pytest.mark.parametrize(
    "mode, expected",
    [
        ("inner", [("u1", {"l": 1, "r": "A"}, 0)]),
        ("left", [("u1", {"l": 1, "r": "A"}, 0), ("u1", {"l": 2, "r": None}, 0)]),
    ],
)
def test_table_tombstone_deletes_the_key(mode, expected):
    run = LocalRun(topology(mode))
    right(run, "u1", "A")
    left(run, "u1", 1)
    right(run, "u1", None)
    left(run, "u1", 2)
    assert outputs(run) == expected
    assert list(run.stores[("j", 0)].items()) == []


def test_table_join_expression_errors_are_dead_lettered():
    run = LocalRun(topology("left", expr="{'r': right['n']}"))
    right(run, "u1", "A")
    left(run, "u1", 1)
    left(run, "u2", 2)  # right is None: right['n'] raises
    assert outputs(run) == [("u1", {"r": "A"}, 0)]
    assert run.metrics["j"].errors == 1
    assert run.dead_letters[0].node_id == "j"


@pytest.mark.parametrize("partitions", [1, 4])
def test_rekeyed_left_side_is_repartitioned_before_the_join(partitions):
    run = LocalRun(
        topology("inner", expr="{'l': left['n'], 'r': right['n']}", rekey_left="value['user']"),
        partitions=partitions,
    )
    for user in ["u1", "u2"]:
        right(run, user, user.upper())
    run.send("orders", {"n": 1, "user": "u2"}, key="order-1")
    run.send("orders", {"n": 2, "user": "u1"}, key="order-2")
    assert len(run.topics["app-j-left-repartition"]) == 2
    # The right side is repartitioned too, so equal keys meet in one partition.
    assert len(run.topics["app-j-right-repartition"]) == 2
    assert sorted(outputs(run)) == [("u1", {"l": 2, "r": "U1"}, 0), ("u2", {"l": 1, "r": "U2"}, 0)]


# -- stream-stream joins ---------------------------------------------------------------------


def test_stream_join_matches_within_the_window_each_pair_once():
    run = LocalRun(topology("inner", window="10ms"))
    left(run, "a", "L0", 0)
    right(run, "a", "R5", 5)
    right(run, "a", "R20", 20)
    left(run, "a", "L15", 15)  # 10 from R5 (inclusive) and 5 from R20
    right(run, "b", "Rb", 16)  # another key
    left(run, "a", "L31", 31)  # 11 from R20: no match
    assert outputs(run) == [
        ("a", {"l": "L0", "r": "R5"}, 5),  # at the later of the two timestamps
        ("a", {"l": "L15", "r": "R5"}, 15),
        ("a", {"l": "L15", "r": "R20"}, 20),
    ]


def test_left_stream_join_emits_unmatched_left_records_only_when_their_window_closes():
    run = LocalRun(topology("left", window="10ms"))
    left(run, "a", "La", 0)
    left(run, "b", "Lb", 3)
    right(run, "b", "Rb", 8)
    assert outputs(run) == [("b", {"l": "Lb", "r": "Rb"}, 8)]
    right(run, "z", "Rz", 10)  # stream time 10 = 0 + window: not closed yet
    assert len(outputs(run)) == 1
    right(run, "a", "Ra", 10)  # so a late-arriving match is still joined, not preceded by a null
    assert outputs(run)[-1] == ("a", {"l": "La", "r": "Ra"}, 10)
    left(run, "c", "Lc", 11)
    right(run, "z", "Rz", 21)  # 11 + 10 = 21: still open
    assert len(outputs(run)) == 2
    right(run, "z", "Rz", 22)  # closes Lc (11 + 10 < 22): unmatched, at its own timestamp
    assert outputs(run)[2:] == [("c", {"l": "Lc", "r": None}, 11)]
    right(run, "z", "Rz", 100)
    assert len(outputs(run)) == 3  # nothing is emitted twice


def test_inner_stream_join_never_emits_unmatched_records():
    run = LocalRun(topology("inner", window="10ms"))
    left(run, "a", "La", 0)
    right(run, "z", "Rz", 100)
    assert outputs(run) == []


def test_stream_join_a_late_record_still_joins_what_the_other_side_keeps():
    run = LocalRun(topology("left", window="10ms"))
    left(run, "a", "La", 0)
    right(run, "a", "R40", 40)  # stream time 40: La's window closed unmatched, emitted first
    assert outputs(run) == [("a", {"l": "La", "r": None}, 0)]
    right(run, "a", "R5", 5)  # late, but the left side (its time 0) still keeps La
    assert outputs(run)[1:] == [("a", {"l": "La", "r": "R5"}, 5)]
    assert run.metrics["j"].late == 1  # R5 is too old to be kept: 5 <= 40 - 2 * 10
    left(run, "a", "L6", 6)  # R5 was not kept; L6's window has passed: unmatched at once
    assert outputs(run)[2:] == [("a", {"l": "L6", "r": None}, 6)]
    right(run, "a", "R14", 14)  # R14 is not kept either, but joins L6
    assert outputs(run)[3:] == [("a", {"l": "L6", "r": "R14"}, 14)]
    right(run, "z", "Rz", 1000)
    left(run, "y", "Ly", 1000)  # each side forgets by its own time
    store = run.stores[("j", 0)]
    assert sorted(k for k, _ in store.items()) == [
        "#time:L",
        "#time:R",
        'L:"y":1000:0',
        'R:"z":1000:0',
    ]
    assert len(outputs(run)) == 4


def test_a_record_later_than_its_window_joins_what_the_other_side_still_keeps():
    run = LocalRun(topology("inner", window="100ms"))
    left(run, "k", "L", 1000)
    right(run, "z", "Rz", 1101)  # stream time 1101: k@950's window ended before it
    right(run, "k", "R", 950)
    assert outputs(run) == [("k", {"l": "L", "r": "R"}, 1000)]


def test_records_with_equal_timestamps_are_all_kept():
    run = LocalRun(topology("inner", window="0ms"))
    left(run, "a", "L1", 5)
    left(run, "a", "L2", 5)
    right(run, "a", "R", 5)
    assert [v for _, v, _ in outputs(run)] == [{"l": "L1", "r": "R"}, {"l": "L2", "r": "R"}]


def random_sides(n=300, seed=3, keys="abcd"):
    rnd = random.Random(seed)
    ts, out = 0, []
    for i in range(n):
        ts += rnd.randrange(6)
        out.append((rnd.choice(["left", "right"]), rnd.choice(keys), f"n{i}", ts))
    return out


def feed(run, records):
    for side, key, n, ts in records:
        (left if side == "left" else right)(run, key, n, ts)


@pytest.mark.parametrize("mode", ["inner", "left"])
def test_stream_join_matches_the_reference(mode):
    records = random_sides()
    run = LocalRun(topology(mode, window="7ms"))
    feed(run, records)
    expected = Counter()
    lefts = [(k, n, ts) for side, k, n, ts in records if side == "left"]
    rights = [(k, n, ts) for side, k, n, ts in records if side == "right"]
    stream_time = records[-1][3]
    for k, ln, lts in lefts:
        matches = [(rn, rts) for rk, rn, rts in rights if rk == k and abs(rts - lts) <= 7]
        for rn, rts in matches:
            expected[(k, json.dumps({"l": ln, "r": rn}), max(lts, rts))] += 1
        if mode == "left" and not matches and lts + 7 < stream_time:
            expected[(k, json.dumps({"l": ln, "r": None}), lts)] += 1
    got = Counter((k, json.dumps(v), ts) for k, v, ts in outputs(run))
    assert got == expected
    assert run.metrics["j"].late == 0


def with_jitter(records, seed=2):
    rnd = random.Random(seed)
    return [(side, k, n, max(0, ts - rnd.randrange(10))) for side, k, n, ts in records]


@pytest.mark.parametrize("mode", ["inner", "left"])
def test_stream_join_restart_from_copied_stores(mode):
    topo = topology(mode, window="3ms")
    records = with_jitter(random_sides(seed=8))
    whole = LocalRun(topo, partitions=2)
    feed(whole, records)
    assert whole.metrics["j"].late > 0
    for split in (1, 150, 260):
        first = LocalRun(topo, partitions=2)
        feed(first, records[:split])
        second = LocalRun(topo, partitions=2)
        for key, store in first.stores.items():
            second.stores[key] = fresh = MemoryStore()
            restore(fresh, json.loads(json.dumps(list(store.items()))))
        feed(second, records[split:])
        assert outputs(first) + outputs(second) == outputs(whole)


@pytest.mark.parametrize("window", [None, "6ms"])
def test_join_restart_from_the_changelog_alone(window):
    topo = topology("left", window=window)
    records = with_jitter(random_sides(seed=12))
    whole = LocalRun(topo, partitions=2)
    feed(whole, records)
    changelog = defaultdict(list)
    first = LocalRun(topo, partitions=2)
    for partition in range(2):
        log = changelog[("j", partition)]
        first.stores[("j", partition)] = ChangeloggingStore(
            MemoryStore(), lambda k, v, log=log: log.append(encode_entry(k, v))
        )
    feed(first, records[:170])
    second = LocalRun(topo, partitions=2)
    for key, log in changelog.items():
        second.stores[key] = store = MemoryStore()
        restore(store, (decode_entry(k, v) for k, v in log))
    feed(second, records[170:])
    assert outputs(first) + outputs(second) == outputs(whole)


def test_kafka_batches_reach_joins_in_timestamp_order_per_partition():
    from engine.runtime.kafka.run import by_timestamp
    from engine.runtime.local import LocalMessage

    def m(topic, partition, offset, ts):
        return LocalMessage(topic, partition, offset, None, None, ts)

    batch = [
        m("orders", 0, 0, 50),
        m("orders", 0, 1, 40),
        m("orders", 0, 2, 90),
        m("customers", 0, 0, 10),
        m("customers", 0, 1, 60),
    ]
    ordered = by_timestamp(batch)
    assert [(x.topic(), x.offset()) for x in ordered] == [
        ("customers", 0),
        ("orders", 0),
        ("orders", 1),
        ("customers", 1),
        ("orders", 2),
    ]
    # each partition's own order is kept even where its timestamps go back
    assert [x.offset() for x in ordered if x.topic() == "orders"] == [0, 1, 2]
