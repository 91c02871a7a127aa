"""Dashboard rows (reference §11): the table, the dashboard_sink operator on a local run, and the
changes the worker sends to the app. No Kafka, no Qt."""

from __future__ import annotations

from collections import defaultdict

from engine.code.builder import Aggregation, SessionWindow, StreamsBuilder, TumblingWindow
from engine.model.topology import Edge, Node, Topology
from engine.model.validation import errors, validate
from engine.runtime.dashboard import DashboardTable, numeric_fields, window_start_of
from engine.runtime.local import LocalRun

MINUTE = 60_000


# -- the table -------------------------------------------------------------------------


def test_a_later_record_replaces_its_row_and_a_tombstone_removes_it():
    t = DashboardTable(10)
    t.put("a", None, {"n": 1})
    t.put("a", None, {"n": 2})
    t.put("a", 0, {"n": 3})
    assert len(t) == 2 and t.get("a") == {"n": 2} and t.get("a", 0) == {"n": 3}
    assert t.remove("a", 0) and not t.remove("a", 0)
    assert t.rows() == [("a", None, {"n": 2})]
    t.put("b", None, 7)  # not an object: kept as {"value": 7}
    assert t.get("b") == {"value": 7}


def test_past_max_rows_the_oldest_windows_go_first_then_the_oldest_updates():
    t = DashboardTable(4)
    for ws in (2 * MINUTE, 0, MINUTE):
        t.put("x", ws, {"n": ws})
    t.put("y", MINUTE, {"n": 1})
    t.put("z", 2 * MINUTE, {"n": 1})  # fifth row: window 0 goes
    assert t.windows() == [MINUTE, 2 * MINUTE]
    t.put("x", MINUTE, {"n": 2})  # x is now the latest update of window 1m
    t.put("w", 3 * MINUTE, {"n": 1})  # window 1m loses its least recently updated row: y
    assert {(k, ws) for k, ws, _ in t.rows()} == {
        ("x", MINUTE),
        ("x", 2 * MINUTE),
        ("z", 2 * MINUTE),
        ("w", 3 * MINUTE),
    }
    plain = DashboardTable(2)
    for key in ("a", "b", "a", "c"):
        plain.put(key, None, {"k": key})
    assert [k for k, _, _ in plain.rows()] == ["a", "c"]  # b was the least recently updated


def test_a_hundred_thousand_distinct_keys_stay_within_max_rows_and_changes_stay_small():
    t = DashboardTable(1000, track_changes=True)
    for i in range(100_000):
        t.put(f"k{i}", None, {"n": i})
        assert len(t) <= 1000
    changes = t.take_changes()
    # Far more rows went than are kept: the app gets the table as it is, not 99,000 removals.
    assert changes["reset"] and len(changes["rows"]) == 1000 and changes["removed"] == []
    assert changes["rows"][-1] == ("k99999", None, {"n": 99999})
    assert t.take_changes() is None


def test_changes_carry_the_latest_value_per_row_and_the_rows_that_went():
    t = DashboardTable(3, track_changes=True)
    for n in range(100):
        t.put("a", None, {"n": n, "items": [1, 2]})
    t.put("b", None, {"n": 1})
    first = t.take_changes()
    assert first == {
        "reset": False,
        "rows": [("a", None, {"n": 99}), ("b", None, {"n": 1})],
        "removed": [],
    }
    t.remove("a", None)
    for key in ("c", "d", "e"):
        t.put(key, None, {"n": 0})
    second = t.take_changes()
    assert sorted(second["removed"]) == [("a", None), ("b", None)]
    assert [r[0] for r in second["rows"]] == ["c", "d", "e"]
    mirror = DashboardTable(3)
    mirror.apply_changes(first)
    mirror.apply_changes(second)
    assert [(k, v) for k, _, v in mirror.rows()] == [
        ("c", {"n": 0}),
        ("d", {"n": 0}),
        ("e", {"n": 0}),
    ]


def test_default_fields_are_the_numeric_measures_and_a_tombstone_names_its_window():
    value = {
        "key": "k",
        "window_start": 0,
        "window_end": 60_000,
        "revenue": 12.5,
        "orders": 3,
        "paid": True,
        "name": "x",
    }
    assert numeric_fields(value) == ["revenue", "orders"]
    assert window_start_of(value) == 0
    assert (
        window_start_of(None, {"ts.window_start": "120000", "ts.window_end": "130000"}) == 120_000
    )
    assert window_start_of(None, {}) is None


# -- the operator on a local run ------------------------------------------------------


def orders(n: int):
    """Orders over 5 minutes: category, amount, customer; the key is the customer."""
    out = []
    for i in range(n):
        out.append(
            (
                f"c{i % 7}",
                {
                    "category": ["books", "toys", "home"][i * 7 % 3],
                    "amount": (i * 37) % 101,
                    "customer": f"c{i % 7}",
                },
                i * 1_500,
            )
        )
    return out


def test_rows_equal_aggregates_computed_independently():
    b = StreamsBuilder("dash-local")
    src = b.stream("orders", name="orders")
    (
        src.group_by("value['category']", name="per_minute")
        .window(TumblingWindow("1m"))
        .aggregate(
            [Aggregation("revenue", "sum", "value['amount']"), Aggregation("orders", "count")]
        )
        .to_dashboard("Revenue per minute", name="windowed", view="bars", fields=["revenue"])
    )
    (
        src.group_by("value['category']", name="total")
        .aggregate([Aggregation("revenue", "sum", "value['amount']")])
        .to_dashboard("Revenue", name="unwindowed", view="kpi")
    )
    src.to_dashboard("Latest order per customer", name="plain")
    run = LocalRun(b.build())
    records = orders(200)
    for key, value, ts in records:
        run.send("orders", value, key=key, timestamp=ts)

    windowed, total, latest = defaultdict(lambda: [0, 0]), defaultdict(int), {}
    for key, value, ts in records:
        cell = windowed[(value["category"], ts // MINUTE * MINUTE)]
        cell[0] += value["amount"]
        cell[1] += 1
        total[value["category"]] += value["amount"]
        latest[key] = value
    rows = run.dashboards.as_metrics()
    assert [
        (r["key"], r["window_start"], r["value"]["revenue"], r["value"]["orders"])
        for r in rows["windowed"]
    ] == [(k, ws, v[0], v[1]) for (k, ws), v in sorted(windowed.items())]
    assert [(r["key"], r["window_start"], r["value"]["revenue"]) for r in rows["unwindowed"]] == [
        (k, None, v) for k, v in sorted(total.items())
    ]
    assert [(r["key"], r["value"]) for r in rows["plain"]] == sorted(latest.items())
    assert run.metrics["plain"].in_ == 200


def test_a_retracted_session_drops_its_row():
    topology = Topology("dash-sessions")
    topology.add_node(Node("clicks", "kafka_source", {"topic": "clicks"}))
    topology.add_node(Node("d", "dashboard_sink", {"title": "Sessions"}))
    topology.add_edge(Edge("clicks", "d"))
    run = LocalRun(topology)
    run.send("clicks", {"key": "u1", "window_start": 0, "window_end": 10, "clicks": 1}, key="u1")
    run.send("clicks", {"key": "u1", "window_start": 40, "window_end": 40, "clicks": 1}, key="u1")
    run.send(
        "clicks", None, key="u1", headers=[("ts.window_start", b"40"), ("ts.window_end", b"40")]
    )
    run.send("clicks", {"key": "u1", "window_start": 0, "window_end": 40, "clicks": 3}, key="u1")
    assert [
        (r["window_start"], r["value"]["clicks"]) for r in run.dashboards.as_metrics()["d"]
    ] == [(0, 3)]


def test_sessions_through_an_aggregate_keep_one_row_per_live_session():
    b = StreamsBuilder("dash-session-agg")
    (
        b.stream("clicks", name="clicks")
        .group_by_key(name="sessions")
        .window(SessionWindow("30s"))
        .aggregate([Aggregation("clicks", "count")])
        .to_dashboard("Sessions", name="d")
    )
    run = LocalRun(b.build())
    for ts in (0, 10_000, 100_000):
        run.send("clicks", {"page": "home"}, key="u1", timestamp=ts)
    rows = run.dashboards.as_metrics()["d"]
    assert {r["window_start"] for r in rows} >= {0, 100_000}
    assert next(r for r in rows if r["window_start"] == 0)["value"]["clicks"] == 2


def test_bad_input_is_shown_as_is_and_told_once_never_raised():
    b = StreamsBuilder("dash-bad")
    b.stream("in", name="src").to_dashboard("Bad", name="d", view="kpi", fields=["amount"])
    run = LocalRun(b.build())
    run.send("in", {"amount": "lots"}, key="a")
    run.send("in", {"amount": "more"}, key="a")
    run.send("in", {"other": 1}, key="b")
    run.send("in", {"other": 2}, key="b")
    run.send("in", "not an object", key="c")
    run.send("in", {"amount": 5}, key="d")
    notices = [text for node, text in run.console_lines if node == "d"]
    assert len(notices) == 2, notices
    assert "'amount' is not a number" in notices[0] and "missing" in notices[1]
    assert run.metrics["d"].errors == 0 and not run.dead_letters
    assert len(run.dashboards.as_metrics()["d"]) == 4


def test_validation_of_the_params():
    def problems(params):
        t = Topology("v")
        t.add_node(Node("s", "kafka_source", {"topic": "t"}))
        t.add_node(Node("d", "dashboard_sink", params))
        t.add_edge(Edge("s", "d"))
        return [p.message for p in errors(validate(t))]

    assert problems({"title": "T", "view": "bars", "fields": ["a", "b"], "max_rows": 10}) == []
    assert problems({"view": "kpi"}) == ["the required param 'title' is missing"]
    assert problems({"title": "T", "view": "pie"})[0].startswith(
        "view must be one of kpi, bars, line, table"
    )
    assert problems({"title": "T", "fields": "a"}) == ["fields must be a list of field names"]
    assert problems({"title": "T", "fields": ["a", "a"]}) == ["fields names a field twice"]
    assert problems({"title": "T", "max_rows": 0}) == ["max_rows must be at least 1"]


def test_a_dashboard_sink_on_a_hundred_thousand_keys_keeps_max_rows():
    b = StreamsBuilder("dash-many")
    b.stream("in", name="src").to_dashboard("Many", name="d", max_rows=500)
    run = LocalRun(b.build())
    send = run.send_raw
    for i in range(100_000):
        send("in", f"k{i}".encode(), b'{"n": 1}')
    rows = run.dashboards.as_metrics()["d"]
    assert len(rows) == 500 and rows[0]["key"] == "k99500" and rows[-1]["key"] == "k99999"
