"""Browsing aggregate and join state, read-only: pages of a test run's stores checked
against values computed here from the records, and against a live run on the sandbox
broker, asked of the worker process while the run goes on."""

from __future__ import annotations

import random
import threading
import time
from collections import defaultdict

import pytest

from engine.code.builder import StreamsBuilder
from engine.model import fileformat
from engine.runtime.testing.sample_records import InputRecord
from engine.runtime.testing.state_view import state_page, state_reply, stores_of
from engine.runtime.testing.trace import run_trace
from tests.engine.kafka_util import create_topic, produce

HOUR = 3_600_000


def topology(unique="t", partitions=1):
    return fileformat.from_dict(
        {
            "format": "topology-studio/1",
            "name": f"state-{unique}",
            "settings": {"topic_partitions": partitions},
            "nodes": [
                {
                    "id": "src",
                    "type": "kafka_source",
                    "params": {"topic": f"in-{unique}", "timestamp": "value['ts']"},
                },
                {
                    "id": "per_hour",
                    "type": "aggregate",
                    "params": {
                        "group_by": "value['g']",
                        "window": {"type": "tumbling", "size": "1h", "grace": "1d"},
                        "aggregations": [
                            {"name": "n", "fn": "count"},
                            {"name": "total", "fn": "sum", "expr": "value['x']"},
                            {"name": "top", "fn": "max", "expr": "value['x']"},
                        ],
                    },
                },
                {"id": "out", "type": "kafka_sink", "params": {"topic": f"out-{unique}"}},
                {
                    "id": "customers",
                    "type": "kafka_source",
                    "params": {"topic": f"customers-{unique}"},
                },
                {
                    "id": "enrich",
                    "type": "join",
                    "params": {"mode": "left", "expr": "{'x': left['x'], 'c': right}"},
                },
                {"id": "enriched", "type": "kafka_sink", "params": {"topic": f"enriched-{unique}"}},
            ],
            "edges": [
                {"from": "src", "to": "per_hour"},
                {"from": "per_hour", "to": "out"},
                {"from": "src", "to": "enrich", "to_port": "left"},
                {"from": "customers", "to": "enrich", "to_port": "right"},
                {"from": "enrich", "to": "enriched"},
            ],
        }
    )[0]


def records(n, seed, start_ts=0):
    rnd = random.Random(seed)
    return [
        {
            "g": f"g{rnd.randrange(40):02d}",
            "x": rnd.randrange(100),
            "ts": start_ts + rnd.randrange(3 * HOUR),
        }
        for _ in range(n)
    ]


def expected_windows(values):
    acc = defaultdict(list)
    for v in values:
        acc[(v["g"], v["ts"] - v["ts"] % HOUR)].append(v["x"])
    return {(g, start, start + HOUR): (len(xs), sum(xs), max(xs)) for (g, start), xs in acc.items()}


def shown(rows):
    """{(key, start, end): (n, total, top)} from a page's rows (partition first)."""
    return {(r[1], r[2], r[3]): (r[4], r[5], r[6]) for r in rows}


def test_a_test_runs_windows_paged_and_searched():
    topo = topology()
    values = records(600, 3)  # a day of grace: every window is still open at the end
    trace = run_trace(topo, {"src": [InputRecord(v, v["g"], v["ts"]) for v in values]})
    stream_time = max(v["ts"] for v in values)
    open_windows = expected_windows(values)
    page = state_page(topo.nodes["per_hour"], stores_of(trace.stores, "per_hour"), page_size=1000)
    assert page["columns"] == [
        "partition",
        "key",
        "window_start",
        "window_end",
        "n",
        "total",
        "top",
        "last timestamp",
    ]
    assert page["total"] == len(open_windows)
    assert shown(page["rows"]) == open_windows
    assert page["stream_time"] == {0: stream_time}

    small = [
        state_page(topo.nodes["per_hour"], stores_of(trace.stores, "per_hour"), page=p, page_size=7)
        for p in range(3)
    ]
    assert [len(p["rows"]) for p in small] == [7, 7, 7]
    assert small[0]["pages"] == -(-len(open_windows) // 7)
    whole = state_page(topo.nodes["per_hour"], stores_of(trace.stores, "per_hour"), page_size=21)
    assert [r for p in small for r in p["rows"]] == whole["rows"]  # pages follow one order
    found = state_page(topo.nodes["per_hour"], stores_of(trace.stores, "per_hour"), search="G07")
    assert found["rows"] and {r[1] for r in found["rows"]} == {"g07"}
    assert shown(found["rows"]) == {k: v for k, v in open_windows.items() if k[0] == "g07"}


def test_a_reduce_shows_its_result_not_its_state():
    topo = topology("reduce")
    topo.nodes["per_hour"].params["aggregations"] = [
        {"name": "xs", "fn": "reduce", "expr": "agg + [value['x']]", "init": "[]"},
        {"name": "top", "fn": "reduce", "expr": "max(agg, value['x'])", "init": "0"},
    ]
    values = [{"g": "a", "x": x, "ts": 1000 * x} for x in (3, 9, 4)]
    trace = run_trace(topo, {"src": [InputRecord(v, v["g"], v["ts"]) for v in values]})
    page = state_page(topo.nodes["per_hour"], stores_of(trace.stores, "per_hour"))
    assert page["columns"][4:6] == ["xs", "top"]
    assert [row[4:6] for row in page["rows"]] == [[[3, 4, 9], 9]]  # in timestamp order


def test_sliding_windows_show_as_windows_with_both_ends():
    topo = topology("sliding")
    topo.nodes["per_hour"].params["window"] = {"type": "sliding", "size": "10s", "grace": "1h"}
    base = 1_700_000_000_000
    values = [{"g": "a", "x": x, "ts": base + 1000 * x} for x in (1, 5)]
    trace = run_trace(topo, {"src": [InputRecord(v, v["g"], v["ts"]) for v in values]})
    page = state_page(topo.nodes["per_hour"], stores_of(trace.stores, "per_hour"))
    assert page["kind"] == "windows"
    # the left windows of both records, and the first record's right window
    assert [row[1:6] for row in page["rows"]] == [
        ["a", base - 9000, base + 1000, 1, 1],
        ["a", base - 5000, base + 5000, 2, 6],
        ["a", base + 1001, base + 11001, 1, 5],
    ]


def test_the_table_side_of_a_stream_table_join_and_bad_requests():
    topo = topology()
    customers = [InputRecord({"name": f"n{i}"}, f"g{i % 5:02d}", i) for i in range(12)]
    trace = run_trace(topo, {"customers": customers})
    reply = state_reply(topo, trace.stores, {"id": 7, "node": "enrich", "search": "", "page": 0})
    assert reply["id"] == 7 and reply["columns"] == ["partition", "key", "value"]
    assert {r[1]: r[2] for r in reply["rows"]} == {
        f"g{i:02d}": {"name": f"n{i + 10 if i < 2 else i + 5}"} for i in range(5)
    }
    assert "error" in state_reply(topo, trace.stores, {"id": 8, "node": "src"})
    assert "error" in state_reply(topo, trace.stores, {"id": 9, "node": "ghost"})


def test_a_tables_rows_in_a_test_run_with_tombstones_deleting_them():
    b = StreamsBuilder("state-tables")
    b.table("customers", name="customers").to("a", name="a")
    b.stream("orders", name="orders").to_table(name="latest").to("b", name="b")
    topo = b.build()
    rows = [InputRecord({"name": f"n{i}"}, f"c{i % 3}", i) for i in range(7)]
    rows.append(InputRecord(None, "c1", 9))
    trace = run_trace(topo, {"customers": rows, "orders": rows})
    for node in ("customers", "latest"):
        page = state_reply(topo, trace.stores, {"id": 1, "node": node, "search": "", "page": 0})
        assert page["kind"] == "table" and page["columns"] == ["partition", "key", "value"]
        assert {r[1]: r[2] for r in page["rows"]} == {"c0": {"name": "n6"}, "c2": {"name": "n5"}}
    # the tombstone is handed on: a test run's output shows it as a None value
    assert trace.outputs()["a"][-1] == {"key": "c1", "value": None}


def test_a_table_aggregates_groups_after_a_row_moved_group():
    b = StreamsBuilder("state-table-aggregate")
    b.table("rows", name="rows").table_aggregate(
        [{"name": "n", "fn": "count"}, {"name": "mean", "fn": "avg", "expr": "value['x']"}],
        group_by="value['g']",
        name="groups",
    ).to("o", name="o")
    topo = b.build()
    rows = [
        InputRecord({"g": "a", "x": 2}, "r1", 1),
        InputRecord({"g": "a", "x": 4}, "r2", 2),
        InputRecord({"g": "b", "x": 4}, "r1", 3),
    ]
    trace = run_trace(topo, {"rows": rows})
    page = state_reply(topo, trace.stores, {"id": 1, "node": "groups", "search": "", "page": 0})
    assert page["columns"] == ["partition", "key", "n", "mean", "last timestamp"]
    assert [r[1:] for r in page["rows"]] == [["a", 1, 4.0, 3], ["b", 1, 4.0, 3]]


def test_both_sides_of_a_table_join():
    b = StreamsBuilder("state-table-join")
    left, right = b.table("l", name="left"), b.table("r", name="right")
    left.table_join(right, "[left, right]", name="join", mode="outer").to("o", name="o")
    topo = b.build()
    trace = run_trace(
        topo,
        {
            "left": [InputRecord(1, "a", 5), InputRecord(2, "b", 6)],
            "right": [InputRecord(3, "b", 7), InputRecord(None, "b", 8)],
        },
    )
    page = state_reply(topo, trace.stores, {"id": 1, "node": "join", "search": "", "page": 0})
    assert page["columns"] == ["partition", "side", "key", "timestamp", "value"]
    assert [r[1:] for r in page["rows"]] == [["left", "a", 5, 1], ["left", "b", 6, 2]]


@pytest.mark.kafka
def test_state_of_a_live_run_equals_the_aggregates_of_the_records_produced_so_far(
    bootstrap, unique
):
    from engine.runtime.worker.supervisor import RunSupervisor

    topo = topology(unique, partitions=3)
    for name in ("in", "out", "customers", "enriched"):
        create_topic(bootstrap, f"{name}-{unique}", 3)
    replies: dict[int, list[dict]] = defaultdict(list)
    latest: dict = {}
    cond = threading.Condition()

    def on_event(kind, payload):
        with cond:
            if kind == "state":
                replies[payload["id"]].append(payload)
            elif kind == "metrics":
                latest["nodes"] = payload["nodes"]
            cond.notify_all()

    def wait(predicate, timeout=60):
        deadline = time.monotonic() + timeout
        with cond:
            while not predicate():
                if time.monotonic() > deadline:
                    raise AssertionError(
                        f"timed out; metrics {latest.get('nodes', {}).get('per_hour')}"
                    )
                cond.wait(0.2)

    sup = RunSupervisor(topo, bootstrap, on_event, metrics_interval_s=0.2)
    sup.start()
    try:
        produced = []
        for batch, seed in enumerate((1, 2)):
            values = records(400, seed, start_ts=batch * HOUR)
            produce(bootstrap, f"in-{unique}", [(v["g"], v) for v in values])
            produce(
                bootstrap,
                f"customers-{unique}",
                [(f"g{i:02d}", {"batch": batch}) for i in range(5)],
            )
            produced += values
            count = len(produced)
            wait(lambda n=count: latest.get("nodes", {}).get("per_hour", {}).get("in", 0) >= n)
            sup.request_state({"id": batch, "node": "per_hour", "page_size": 1000})
            wait(lambda b=batch: replies.get(b))
            [page] = replies[batch]
            assert "error" not in page, page
            # every window is open (a day of grace): each shows the values of every record
            # produced so far, whichever partition holds it
            assert shown(page["rows"]) == expected_windows(produced)
            assert page["total"] == len(page["rows"])
            assert len({r[0] for r in page["rows"]}) > 1, "one partition only"
        sup.request_state({"id": 9, "node": "enrich", "search": "g0"})
        wait(lambda: replies.get(9))
        table = {r[1]: r[2] for r in replies[9][0]["rows"]}
        assert table == {f"g{i:02d}": {"batch": 1} for i in range(5)}
    finally:
        sup.stop()
