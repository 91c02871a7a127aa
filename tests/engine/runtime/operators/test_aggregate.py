"""The aggregate operator, run in-process with LocalRun and checked against reference
computations written out here independently of the engine."""

from __future__ import annotations

import json
import random
from collections import defaultdict

import pytest

from engine.code.builder import Aggregation, StreamsBuilder
from engine.runtime.local import LocalRun
from engine.runtime.state import (
    ChangeloggingStore,
    MemoryStore,
    RocksDBStore,
    decode_entry,
    encode_entry,
    restore,
)

ALL_FNS = [
    Aggregation("n", "count"),
    Aggregation("n_x", "count", "value.get('x')"),
    Aggregation("total", "sum", "value.get('x')"),
    Aggregation("mean", "avg", "value.get('x')"),
    Aggregation("lo", "min", "value.get('x')"),
    Aggregation("hi", "max", "value.get('x')"),
    Aggregation("first", "first", "value.get('x')"),
    Aggregation("last", "last", "value.get('x')"),
    Aggregation("users", "count_distinct", "value.get('user')"),
]
SIMPLE = [Aggregation("n", "count"), Aggregation("total", "sum", "value['x']")]


def topology(window=None, aggregations=SIMPLE, emit=None, group_by="value['g']", name="app"):
    builder = StreamsBuilder(name)
    builder.stream("in", name="src").aggregate(
        aggregations, name="agg", group_by=group_by, window=window, emit=emit
    ).to("out", name="out")
    return builder.build()


def send_all(run, records):
    for g, value, ts in records:
        run.send("in", {"g": g, **value}, key=f"k{ts % 7}", timestamp=ts)


def outputs(run):
    """(key, value, timestamp) of every output record; value None for a retraction."""
    return [
        (m.key().decode(), None if m.value() is None else json.loads(m.value()), m.timestamp()[1])
        for m in run.topics.get("out", [])
    ]


def values_only(outs):
    return [o for o in outs if o[1] is not None]


def session_table(run):
    """The table a consumer of the output builds: a retraction (None value, headers naming
    the session) deletes its row; {(key, start, end): value}."""
    table = {}
    for m in run.topics.get("out", []):
        key = m.key().decode()
        if m.value() is None:
            headers = dict(m.headers())
            row = (key, int(headers["ts.window_start"]), int(headers["ts.window_end"]))
            assert row in table, f"retraction of a session never emitted: {row}"
            del table[row]
        else:
            value = json.loads(m.value())
            table[(key, value["window_start"], value["window_end"])] = value
    return table


def random_records(n=300, seed=7, keys="abc", step=7, missing_x=0.1):
    rnd = random.Random(seed)
    ts, out = 0, []
    for _ in range(n):
        ts += rnd.randrange(step)
        value = {"user": rnd.choice(["u1", "u2", "u3", "u4", None])}
        if rnd.random() >= missing_x:
            value["x"] = rnd.randrange(-5, 20)
        out.append((rnd.choice(keys), value, ts))
    return out


# -- reference computations ------------------------------------------------------------


def reference_fns(records):
    """Every aggregation of ALL_FNS over (value, ts) pairs in arrival order."""
    xs = [(v.get("x"), ts) for v, ts in records if v.get("x") is not None]
    first = last = None
    for x, ts in xs:
        if first is None or ts < first[1]:
            first = (x, ts)
        if last is None or ts >= last[1]:
            last = (x, ts)
    return {
        "n": len(records),
        "n_x": len(xs),
        "total": sum(x for x, _ in xs),
        "mean": sum(x for x, _ in xs) / len(xs) if xs else None,
        "lo": min((x for x, _ in xs), default=None),
        "hi": max((x for x, _ in xs), default=None),
        "first": first[0] if first else None,
        "last": last[0] if last else None,
        "users": len({v["user"] for v, _ in records if v.get("user") is not None}),
    }


def reference_simple(records):
    return {"n": len(records), "total": sum(v["x"] for v, _ in records)}


def reference_time_windows(records, size, advance, grace):
    """(group, start) -> accepted records, with lateness decided on a simulated stream time;
    and the final stream time."""
    windows, stream_time, late = defaultdict(list), None, 0
    for g, value, ts in records:
        stream_time = ts if stream_time is None else max(stream_time, ts)
        dropped = False
        for start in range(0, ts + 1, advance):
            if start <= ts < start + size:
                if start + size + grace <= stream_time:
                    dropped = True
                else:
                    windows[(g, start)].append((value, ts))
        late += dropped
    return windows, stream_time, late


def reference_sessions(records, gap):
    """(group, start, end) -> records, for records that are all on time: per group, sorted
    timestamps split where the distance exceeds the gap (a record exactly gap away merges)."""
    by_group = defaultdict(list)
    for g, value, ts in records:
        by_group[g].append((ts, value))
    sessions = {}
    for g, items in by_group.items():
        items.sort(key=lambda item: item[0])
        current = [items[0]]
        for item in items[1:]:
            if item[0] - current[-1][0] <= gap:
                current.append(item)
            else:
                sessions[(g, current[0][0], current[-1][0])] = [(v, t) for t, v in current]
                current = [item]
        sessions[(g, current[0][0], current[-1][0])] = [(v, t) for t, v in current]
    return sessions


def last_by_window(outs):
    last = {}
    for key, value, ts in outs:
        last[(key, value["window_start"])] = (value, ts)
    return last


# -- tumbling, hopping ---------------------------------------------------------------------


@pytest.mark.parametrize("emit", ["update", "final"])
def test_tumbling_every_function_matches_the_reference(emit):
    records = random_records()
    run = LocalRun(topology({"type": "tumbling", "size": "20ms"}, ALL_FNS, emit))
    send_all(run, records)
    windows, stream_time, late = reference_time_windows(records, 20, 20, 0)
    assert late == 0
    outs = outputs(run)
    if emit == "final":
        closed = {k for k in windows if k[1] + 20 <= stream_time}
        assert len(outs) == len(closed)  # each closed window exactly once, open ones not yet
        assert {(k, v["window_start"]) for k, v, _ in outs} == closed
    else:
        assert len(outs) == len(records)
        closed = set(windows)
    got = last_by_window(outs)
    for g, start in closed:
        value, ts = got[(g, start)]
        accepted = windows[(g, start)]
        assert value == {
            "key": g,
            "window_start": start,
            "window_end": start + 20,
            **reference_fns(accepted),
        }
        assert ts == max(t for _, t in accepted)  # the largest timestamp in the window


@pytest.mark.parametrize("emit", ["update", "final"])
def test_hopping_matches_the_reference(emit):
    records = random_records(seed=11, missing_x=0)
    run = LocalRun(topology({"type": "hopping", "size": "30ms", "advance": "10ms"}, SIMPLE, emit))
    send_all(run, records)
    windows, stream_time, _ = reference_time_windows(records, 30, 10, 0)
    outs = outputs(run)
    expected = {k for k in windows if emit == "update" or k[1] + 30 <= stream_time}
    if emit == "final":
        assert len(outs) == len(expected)
    else:
        assert len(outs) == sum(len(v) for v in windows.values())  # one per record and window
    got = last_by_window(outs)
    assert set(got) == expected
    for (g, start), (value, _) in got.items():
        assert value == {
            "key": g,
            "window_start": start,
            "window_end": start + 30,
            **reference_simple(windows[(g, start)]),
        }


def test_final_emits_each_window_once_exactly_when_stream_time_passes_end_plus_grace():
    run = LocalRun(topology({"type": "tumbling", "size": "10ms", "grace": "5ms"}, SIMPLE, "final"))
    steps = [("a", 1, 0), ("b", 2, 4), ("a", 3, 12), ("a", 4, 3), ("b", 5, 14)]
    for g, x, ts in steps:
        send_all(run, [(g, {"x": x}, ts)])
        assert outputs(run) == []  # stream time 14 < 10 + 5: [0, 10) is still open
    send_all(run, [("c", {"x": 6}, 15)])
    assert outputs(run) == [
        ("a", {"key": "a", "window_start": 0, "window_end": 10, "n": 2, "total": 5}, 3),
        ("b", {"key": "b", "window_start": 0, "window_end": 10, "n": 1, "total": 2}, 4),
    ]
    send_all(run, [("a", {"x": 7}, 9), ("a", {"x": 8}, 16), ("a", {"x": 9}, 24)])
    assert len(outputs(run)) == 2  # the late record at 9 changed and re-emitted nothing
    assert run.metrics["agg"].late == 1
    send_all(run, [("z", {"x": 0}, 25)])
    assert [(k, v["window_start"], v["n"]) for k, v, _ in outputs(run)[2:]] == [
        ("a", 10, 2),
        ("b", 10, 1),
        ("c", 10, 1),
    ]


def test_late_records_are_dropped_and_counted_in_update_mode():
    run = LocalRun(topology({"type": "tumbling", "size": "10ms"}, SIMPLE, "update"))
    records = [("a", {"x": 1}, 5), ("a", {"x": 2}, 10), ("a", {"x": 3}, 9), ("a", {"x": 4}, 11)]
    send_all(run, records)
    assert run.metrics["agg"].late == 1
    assert run.metrics["agg"].in_ == 4
    assert [(v["window_start"], v["n"], v["total"]) for _, v, _ in outputs(run)] == [
        (0, 1, 1),
        (10, 1, 2),
        (10, 2, 6),
    ]
    # the closed window is gone from the store
    assert not [k for k, _ in run.stores[("agg", 0)].items() if k.startswith("w:0:")]


def test_out_of_order_records_within_grace_are_accepted():
    records = [("a", {"x": 1}, 5), ("a", {"x": 2}, 12), ("a", {"x": 3}, 9), ("a", {"x": 4}, 21)]
    run = LocalRun(topology({"type": "tumbling", "size": "10ms", "grace": "3ms"}, SIMPLE, "final"))
    send_all(run, records)
    windows, _, late = reference_time_windows(records, 10, 10, 3)
    assert late == 0 and run.metrics["agg"].late == 0
    assert outputs(run)[0] == (
        "a",
        {"key": "a", "window_start": 0, "window_end": 10, "n": 2, "total": 4},
        9,
    )


def test_hopping_record_late_for_one_window_still_counts_in_the_open_one():
    run = LocalRun(topology({"type": "hopping", "size": "10ms", "advance": "5ms"}, SIMPLE))
    send_all(run, [("a", {"x": 1}, 0), ("a", {"x": 1}, 12), ("a", {"x": 5}, 8)])
    # 8 belongs to [0, 10), closed at 12, and [5, 15), open
    assert run.metrics["agg"].late == 1
    assert outputs(run)[-1][1] == {
        "key": "a",
        "window_start": 5,
        "window_end": 15,
        "n": 2,
        "total": 6,
    }


# -- sessions --------------------------------------------------------------------------------


@pytest.mark.parametrize("emit", ["update", "final"])
def test_sessions_match_the_reference(emit):
    records = random_records(n=400, seed=3, keys="abcd", step=9)
    run = LocalRun(topology({"type": "session", "gap": "12ms"}, ALL_FNS, emit))
    send_all(run, records)
    assert run.metrics["agg"].late == 0
    sessions = reference_sessions(records, 12)
    stream_time = records[-1][2]
    outs = outputs(run)
    if emit == "final":
        expected = {k for k in sessions if k[2] + 12 <= stream_time}
        assert len(outs) == len(expected)
        assert {(k, v["window_start"], v["window_end"]) for k, v, _ in outs} == expected
    else:
        assert len(values_only(outs)) == len(records)
        expected = set(sessions)
        # every merged-away session was retracted: the table built from the output is exact
        assert set(session_table(run)) == expected
        assert any(v is None for _, v, _ in outs)
    got = {(k, v["window_start"], v["window_end"]): (v, ts) for k, v, ts in values_only(outs)}
    for g, start, end in expected:
        value, ts = got[(g, start, end)]
        assert value == {
            "key": g,
            "window_start": start,
            "window_end": end,
            **reference_fns(sessions[(g, start, end)]),
        }
        assert ts == end


def test_out_of_order_sessions_within_grace_merge_as_if_in_order():
    records = random_records(n=300, seed=21, keys="ab", step=9)
    rnd = random.Random(5)
    shuffled = [(g, v, max(0, ts - rnd.randrange(12))) for g, v, ts in records]
    run = LocalRun(topology({"type": "session", "gap": "6ms", "grace": "12ms"}, ALL_FNS, "final"))
    send_all(run, shuffled)
    assert run.metrics["agg"].late == 0
    sessions = reference_sessions(shuffled, 6)
    stream_time = max(ts for _, _, ts in shuffled)
    expected = {k for k in sessions if k[2] + 6 + 12 <= stream_time}
    got = {(k, v["window_start"], v["window_end"]): v for k, v, _ in outputs(run)}
    assert len(outputs(run)) == len(got) == len(expected)
    for g, start, end in expected:
        assert got[(g, start, end)] == {
            "key": g,
            "window_start": start,
            "window_end": end,
            **reference_fns(sessions[(g, start, end)]),
        }


def test_session_merges_records_at_most_gap_away_and_a_record_bridges_two_sessions():
    run = LocalRun(topology({"type": "session", "gap": "10ms", "grace": "10ms"}, SIMPLE))
    send_all(run, [("a", {"x": 1}, 0), ("a", {"x": 1}, 10), ("a", {"x": 1}, 21)])
    # 10 is exactly gap after 0: merged, and the session [0, 0] is retracted first
    assert [
        (v and (v["window_start"], v["window_end"], v["n"]), ts) for _, v, ts in outputs(run)
    ] == [((0, 0, 1), 0), (None, 0), ((0, 10, 2), 10), ((21, 21, 1), 21)]
    retraction = run.topics["out"][1]
    assert retraction.key() == b"a" and retraction.value() is None
    assert dict(retraction.headers()) == {"ts.window_start": b"0", "ts.window_end": b"0"}
    send_all(run, [("a", {"x": 1}, 15)])  # within gap of 10 and of 21: bridges both
    assert [
        (v and (v["window_start"], v["window_end"], v["n"]), ts) for _, v, ts in outputs(run)[4:]
    ] == [(None, 10), (None, 21), ((0, 21, 4), 21)]
    assert [dict(m.headers())["ts.window_start"] for m in run.topics["out"][4:6]] == [b"0", b"21"]
    assert [k for k, _ in run.stores[("agg", 0)].items() if k.startswith("s:")] == ['s:"a":0']
    assert set(session_table(run)) == {("a", 0, 21)}


def test_a_record_inside_a_session_retracts_and_replaces_it_at_equal_time_only_updates():
    run = LocalRun(topology({"type": "session", "gap": "10ms", "grace": "10ms"}, SIMPLE))
    send_all(run, [("a", {"x": 1}, 0), ("a", {"x": 1}, 8), ("a", {"x": 1}, 4), ("a", {"x": 1}, 8)])
    # 4 falls inside [0, 8]: as Kafka Streams, the session is deleted and put again;
    # 8 is the session's end but not the session [8, 8]: the same
    assert [
        (v and (v["window_start"], v["window_end"], v["n"]), ts) for _, v, ts in outputs(run)
    ] == [
        ((0, 0, 1), 0),
        (None, 0),
        ((0, 8, 2), 8),
        (None, 8),
        ((0, 8, 3), 8),
        (None, 8),
        ((0, 8, 4), 8),
    ]
    run = LocalRun(topology({"type": "session", "gap": "10ms"}, SIMPLE))
    send_all(run, [("a", {"x": 1}, 5), ("a", {"x": 1}, 5)])
    assert [v["n"] for _, v, _ in outputs(run)] == [1, 2]  # the record's own window: no retraction


def test_session_lateness_is_judged_on_the_session_the_record_ends_up_in():
    run = LocalRun(topology({"type": "session", "gap": "10ms"}, SIMPLE))
    send_all(run, [("x", {"x": 1}, 10), ("y", {"x": 1}, 0)])  # 0 >= 10 - gap - grace: kept
    assert run.metrics["agg"].late == 0 and outputs(run)[-1][1]["key"] == "y"
    run = LocalRun(topology({"type": "session", "gap": "10ms"}, SIMPLE))
    send_all(run, [("a", {"x": 1}, 0), ("b", {"x": 1}, 10), ("a", {"x": 1}, 5)])
    assert outputs(run)[-1][1] == {
        "key": "a",
        "window_start": 0,
        "window_end": 5,
        "n": 2,
        "total": 2,
    }
    send_all(run, [("b", {"x": 1}, 16), ("a", {"x": 1}, 5)])  # [0, 5] ends before 16 - 10: late
    assert run.metrics["agg"].late == 1 and len(outputs(run)) == 6


def test_session_closes_at_end_plus_gap_plus_grace_and_late_records_are_dropped():
    run = LocalRun(topology({"type": "session", "gap": "10ms"}, SIMPLE, "final"))
    send_all(run, [("a", {"x": 1}, 0), ("b", {"x": 1}, 9)])
    send_all(run, [("a", {"x": 2}, 9)])  # in order, within the gap: joins a's session
    assert outputs(run) == []
    send_all(run, [("b", {"x": 1}, 18)])  # stream time 18 < 9 + gap: not closed yet
    assert outputs(run) == []
    send_all(run, [("b", {"x": 1}, 19)])  # stream time 19 = 9 + gap: a's session closes
    assert outputs(run) == [
        ("a", {"key": "a", "window_start": 0, "window_end": 9, "n": 2, "total": 3}, 9)
    ]
    send_all(run, [("b", {"x": 1}, 20)])
    send_all(run, [("a", {"x": 5}, 8)])  # its session would end at 9 < 20 - gap: late
    assert run.metrics["agg"].late == 1
    send_all(run, [("a", {"x": 7}, 30), ("c", {"x": 0}, 100)])
    assert [
        (k, v["window_start"], v["window_end"], v["total"]) for k, v, _ in outputs(run)[1:]
    ] == [("b", 9, 20, 4), ("a", 30, 30, 7)]  # in order of close time
    # closed sessions leave no state behind once no record can reach them
    send_all(run, [("c", {"x": 0}, 200)])
    assert sorted(k for k, _ in run.stores[("agg", 0)].items()) == ["#stream_time", 's:"c":200']


def test_final_a_record_may_still_reach_a_closed_session_as_in_kafka_streams():
    """Kafka Streams keeps a closed session in its store and merges a record that is not
    late into it; the merged window is another session, emitted when it closes."""
    run = LocalRun(topology({"type": "session", "gap": "10ms"}, SIMPLE, "final"))
    send_all(run, [("a", {"x": 1}, 0), ("b", {"x": 1}, 10)])  # a's [0, 0] closes at 10
    send_all(run, [("a", {"x": 1}, 5)])  # 5 >= 10 - gap: not late, merges into [0, 5]
    send_all(run, [("b", {"x": 1}, 15)])
    assert [(k, v["window_start"], v["window_end"], v["n"]) for k, v, _ in outputs(run)] == [
        ("a", 0, 0, 1),
        ("a", 0, 5, 2),
    ]
    assert run.metrics["agg"].late == 0


# -- unwindowed, output shape, repartition, errors ---------------------------------------------


def test_unwindowed_update_per_record_without_window_fields():
    run = LocalRun(topology(None, ALL_FNS))
    records = random_records(n=60, seed=5)
    send_all(run, records)
    outs = outputs(run)
    assert len(outs) == len(records)
    for g in "abc":
        mine = [(v, ts) for k, v, ts in records if k == g]
        key, value, ts = [o for o in outs if o[0] == g][-1]
        assert list(value) == [
            "key",
            "n",
            "n_x",
            "total",
            "mean",
            "lo",
            "hi",
            "first",
            "last",
            "users",
        ]
        assert value == {"key": g, **reference_fns(mine)}
        assert ts == max(t for _, t in mine)


@pytest.mark.parametrize(
    "group_by, key_text, key_value",
    [
        ("value['g']", "a", "a"),
        ("len(value['g']) + 1", "2", 2),
        ("value['x'] / 2", "0.5", 0.5),
        ("[value['g'], 1]", '["a",1]', ["a", 1]),
        ("{'g': value['g']}", '{"g":"a"}', {"g": "a"}),
    ],
)
def test_output_key_is_text_for_strings_and_numbers_and_json_otherwise(
    group_by, key_text, key_value
):
    run = LocalRun(topology({"type": "tumbling", "size": "1m"}, SIMPLE, group_by=group_by))
    send_all(run, [("a", {"x": 1}, 61_000)])
    assert outputs(run) == [
        (
            key_text,
            {"key": key_value, "window_start": 60_000, "window_end": 120_000, "n": 1, "total": 1},
            61_000,
        )
    ]
    assert list(outputs(run)[0][1]) == ["key", "window_start", "window_end", "n", "total"]


def test_group_by_repartitions_through_the_internal_topic():
    run = LocalRun(
        topology({"type": "tumbling", "size": "10ms"}, SIMPLE, group_by="value['g']"), partitions=3
    )
    records = random_records(n=50, seed=2, missing_x=0)
    send_all(run, records)
    internal = run.topics["app-agg-repartition"]
    assert len(internal) == len(records)
    assert [json.loads(m.key()) for m in internal] == [g for g, _, _ in records]
    # every group lives in exactly one partition's store
    owners = defaultdict(set)
    for (node, partition), store in run.stores.items():
        for key, entry in store.items():
            if key.startswith("w:"):
                owners[entry["k"]].add(partition)
    assert all(len(p) == 1 for p in owners.values())


def test_grouping_by_the_key_reads_the_source_directly():
    builder = StreamsBuilder("app")
    builder.stream("in", name="src").group_by_key(name="agg").count().to("out", name="out")
    run = LocalRun(builder.build())
    for key in ["x", "y", "x"]:
        run.send("in", {}, key=key, timestamp=1)
    assert "app-agg-repartition" not in run.topics
    assert [(k, v) for k, v, _ in outputs(run)] == [
        ("x", {"key": "x", "count": 1}),
        ("y", {"key": "y", "count": 1}),
        ("x", {"key": "x", "count": 2}),
    ]


def test_expression_errors_dead_letter_the_record_and_leave_state_untouched():
    run = LocalRun(topology({"type": "tumbling", "size": "10ms"}, SIMPLE))
    send_all(run, [("a", {"x": 1}, 1), ("a", {"x": "oops"}, 2), ("a", {}, 3), ("a", {"x": 2}, 4)])
    assert run.metrics["agg"].errors == 2
    assert [d.node_id for d in run.dead_letters] == ["agg", "agg"]
    assert outputs(run)[-1][1]["n"] == 2 and outputs(run)[-1][1]["total"] == 3


def test_partitions_keep_their_own_stream_time():
    run = LocalRun(topology({"type": "tumbling", "size": "10ms"}, SIMPLE, "final", group_by=None))
    run.send("in", {"x": 1}, key="a", timestamp=1, partition=0)
    run.send("in", {"x": 1}, key="b", timestamp=50, partition=1)
    assert outputs(run) == []  # partition 0 has not seen time pass
    run.send("in", {"x": 1}, key="a", timestamp=10, partition=0)
    assert [k for k, _, _ in outputs(run)] == ["a"]


# -- restart: state rebuilt from the store --------------------------------------------------------

WINDOWS = {
    "tumbling": {"type": "tumbling", "size": "10ms", "grace": "2ms"},
    "hopping": {"type": "hopping", "size": "20ms", "advance": "5ms"},
    "session": {"type": "session", "gap": "5ms", "grace": "1ms"},
    "none": None,
}


def jittered(records, seed=1):
    """Records somewhat out of order, so some fall within grace and some are late."""
    rnd = random.Random(seed)
    return [(g, v, max(0, ts - rnd.randrange(12))) for g, v, ts in records]


def copied_stores(run):
    stores = {}
    for key, store in run.stores.items():
        fresh = MemoryStore()
        restore(fresh, json.loads(json.dumps(list(store.items()))))  # as if through the changelog
        stores[key] = fresh
    return stores


@pytest.mark.parametrize(
    "window, emit",
    [(w, e) for w in WINDOWS for e in ("update", "final") if w != "none" or e == "update"],
)  # final needs a window
def test_restart_from_copied_stores_gives_the_uninterrupted_results(window, emit):
    topo = topology(WINDOWS[window], ALL_FNS, emit)
    records = jittered(random_records(n=250, seed=9, keys="abcde"))
    whole = LocalRun(topo, partitions=3)
    send_all(whole, records)
    for split in (1, 97, 180):
        first = LocalRun(topo, partitions=3)
        send_all(first, records[:split])
        second = LocalRun(topo, partitions=3)
        second.stores.update(copied_stores(first))
        send_all(second, records[split:])
        assert outputs(first) + outputs(second) == outputs(whole)
        late = first.metrics["agg"].late + second.metrics["agg"].late
        assert late == whole.metrics["agg"].late
    assert window == "none" or whole.metrics["agg"].late > 0  # the data exercises lateness


@pytest.mark.parametrize("emit", ["update", "final"])
@pytest.mark.parametrize("window", ["tumbling", "session"])
def test_restart_from_the_changelog_alone_gives_the_uninterrupted_results(window, emit):
    topo = topology(WINDOWS[window], ALL_FNS, emit)
    records = jittered(random_records(n=200, seed=4))
    whole = LocalRun(topo, partitions=2)
    send_all(whole, records)

    changelog = defaultdict(list)  # (node, partition) -> changelog records as bytes
    first = LocalRun(topo, partitions=2)
    for partition in range(2):
        log = changelog[("agg", partition)]
        first.stores[("agg", partition)] = ChangeloggingStore(
            MemoryStore(), lambda k, v, log=log: log.append(encode_entry(k, v))
        )
    send_all(first, records[:120])

    second = LocalRun(topo, partitions=2)
    for key, log in changelog.items():
        second.stores[key] = store = MemoryStore()
        restore(store, (decode_entry(k, v) for k, v in log))
        assert dict(store.items()) == json.loads(json.dumps(dict(first.stores[key].items())))
    send_all(second, records[120:])
    assert outputs(first) + outputs(second) == outputs(whole)


def test_rocksdb_stores_give_the_same_results(tmp_path):
    topo = topology(WINDOWS["session"], ALL_FNS, "final")
    records = jittered(random_records(n=150, seed=8))
    memory = LocalRun(topo)
    send_all(memory, records)
    on_disk = LocalRun(topo)
    on_disk.stores[("agg", 0)] = store = RocksDBStore(str(tmp_path / "agg" / "0"))
    send_all(on_disk, records[:70])
    store.close()
    reopened = LocalRun(topo)  # a restart that keeps its local state
    reopened.stores[("agg", 0)] = store = RocksDBStore(str(tmp_path / "agg" / "0"))
    send_all(reopened, records[70:])
    store.close()
    assert outputs(on_disk) + outputs(reopened) == outputs(memory)


@pytest.mark.parametrize(
    "window",
    [
        {"type": "tumbling", "size": "1m"},
        {"type": "hopping", "size": "1m", "advance": "30s"},
        {"type": "session", "gap": "1m"},
    ],
)
def test_windowed_a_none_group_key_is_dropped_and_counted_apart_from_the_text_null(window):
    run = LocalRun(topology(window, SIMPLE, group_by="value['g']"))
    send_all(run, [(None, {"x": 1}, 61_000), ("null", {"x": 2}, 62_000)])
    assert {(key, value["n"], value["total"]) for key, value, _ in outputs(run)} == {("null", 1, 2)}
    assert run.metrics["agg"].late == 1


def test_unwindowed_skips_none_values_and_keeps_a_none_key_apart_from_the_text_null():
    builder = StreamsBuilder("app")
    builder.stream("in", name="src").aggregate([Aggregation("n", "count")], name="agg").to(
        "out", name="out"
    )
    run = LocalRun(builder.build())
    run.send("in", {"x": 1}, key=None, timestamp=1)
    run.send("in", {"x": 1}, key="null", timestamp=2)
    run.send("in", None, key="null", timestamp=3)
    assert [(m.key(), json.loads(m.value())) for m in run.topics["out"]] == [
        (None, {"key": None, "n": 1}),
        (b"null", {"key": "null", "n": 1}),
    ]
    assert run.metrics["agg"].late == 1
