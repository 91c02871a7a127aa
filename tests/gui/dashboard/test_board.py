"""What each dashboard view draws from the rows (gui.dashboard.board): no Qt needed."""

from __future__ import annotations

import math

from engine.runtime.dashboard import DashboardTable
from gui.dashboard.board import (
    DashboardSpec,
    bars,
    format_change,
    format_value,
    kpis,
    lines,
    table_rows,
)

M = 60_000


def windowed() -> DashboardTable:
    t = DashboardTable(100, history=True)
    for ws, values in (
        (0, {"books": 10, "toys": 30}),
        (M, {"books": 50, "toys": 20, "home": "lots"}),
    ):
        for key, revenue in values.items():
            t.put(
                key,
                ws,
                {"key": key, "window_start": ws, "window_end": ws + M, "revenue": revenue, "n": 1},
            )
    return t


def test_kpi_is_the_newest_row_with_its_change_against_the_previous_window():
    t = DashboardTable(10, history=True)
    t.put("all", 0, {"window_start": 0, "orders": 40})
    t.put("all", M, {"window_start": M, "orders": 50})
    (tile,) = kpis(DashboardSpec("d", "Orders", "kpi", ("orders",)), t)
    assert (tile.value, tile.previous, tile.change) == (50, 40, 0.25)
    assert format_change(tile.change) == "▲ 25.0%" and format_value(tile.value) == "50"
    assert tile.spark == [(0.0, 40), (60.0, 50)]
    # No field named: the first numeric field, window bounds and key aside.
    assert [k.field for k in kpis(DashboardSpec("d", "Orders", "kpi"), t)] == ["orders"]


def test_a_kpi_of_a_window_still_open_is_compared_with_the_same_part_of_the_one_before(
    monkeypatch,
):
    clock = {"s": 0.0}
    monkeypatch.setattr("engine.runtime.dashboard.time.time", lambda: clock["s"])
    t = DashboardTable(10, history=True)
    spec = DashboardSpec("d", "Orders", "kpi", ("orders",))

    def arrive(at_s: float, ws: int, orders: int) -> None:
        clock["s"] = at_s
        t.put("all", ws, {"window_start": ws, "window_end": ws + M, "orders": orders})

    for at_s, orders in ((5, 10), (12, 20), (30, 55), (59.5, 100)):
        arrive(at_s, 0, orders)  # the previous minute, as it filled
    arrive(65, M, 9)
    arrive(71.5, M, 18)
    (tile,) = kpis(spec, t, now_ms=72_000)  # 12 s into the minute
    assert (tile.value, tile.previous, tile.partial) == (18, 20, True)
    assert format_change(tile.change) == "▼ 10.0%"  # not ▼ 82.0% against the whole minute
    (tile,) = kpis(spec, t, now_ms=2 * M + 1)  # the minute closed: against the whole one
    assert (tile.previous, tile.partial) == (100, False)
    (tile,) = kpis(spec, t, now_ms=M + 2_000)  # before anything of the last one arrived
    assert tile.previous is None and tile.change is None


def test_bars_are_the_newest_window_largest_first_with_bad_values_last():
    field, values, ws = bars(DashboardSpec("d", "Revenue", "bars", ("revenue",)), windowed())
    assert (field, ws) == ("revenue", M)
    assert values == [("books", 50), ("toys", 20), ("home", None)]
    assert [format_value(v) for _, v in values] == ["50", "20", "–"]


def test_lines_are_one_per_key_over_window_start_with_gaps_for_bad_values():
    _field, data = lines(DashboardSpec("d", "Revenue", "line", ("revenue",)), windowed())
    assert data["books"] == ([0.0, 60.0], [10, 50]) and data["toys"] == ([0.0, 60.0], [30, 20])
    xs, ys = data["home"]
    assert xs == [60.0] and math.isnan(ys[0])


def test_table_is_every_row_newest_window_first():
    fields, rows = table_rows(DashboardSpec("d", "All", "table"), windowed())
    assert fields == ["revenue", "n"]
    assert [(k, ws) for k, ws, _ in rows] == [
        ("books", M),
        ("home", M),
        ("toys", M),
        ("books", 0),
        ("toys", 0),
    ]


def test_numbers_are_formatted_for_a_wall():
    assert [
        format_value(v) for v in (1234567, 1234.5, 123.45, 3.14159, 2.0, "x", None, True, math.nan)
    ] == ["1,234,567", "1,234", "123.5", "3.14", "2", "–", "–", "–", "–"]
