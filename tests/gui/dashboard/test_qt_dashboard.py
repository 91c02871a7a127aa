"""The Dashboard area of the main window: a panel per dashboard_sink, values from the run
controller, views following the inspector, the grid's order, PNG export, a detached window.

Most tests feed the controller the events a worker sends, with rows computed by a local
run of the demo topology; the ``kafka`` one runs a small topology on a real broker."""

from __future__ import annotations

import multiprocessing
import time

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent, QImage
from PySide6.QtWidgets import QApplication

from engine.code.builder import Aggregation, StreamsBuilder, TumblingWindow
from engine.runtime.dashboard import DashboardSet
from engine.runtime.generator import EventFactory
from engine.runtime.local import LocalRun
from gui.dashboard.qt_dashboard import QtDashboardWindow
from gui.designer.editors.field_list import FieldListParamEditor
from gui.dashboard.qt_panels import PANEL_MIME, QtBarsView, QtKpiView, QtLineView, QtTableView
from gui.monitor.connection import CLUSTER, ConnectionProfile

DEMO_DASHBOARDS = [
    "orders_kpi",
    "items_kpi",
    "customers_kpi",
    "revenue_bars",
    "revenue_line",
    "top_products",
]


def demo_rows(topology, seconds: int = 150) -> LocalRun:
    """The demo's dashboards after ``seconds`` of orders and clicks (no broker)."""
    run = LocalRun(topology, dashboards=DashboardSet(track_changes=True))
    orders, clicks = EventFactory("orders", 7), EventFactory("clicks", 11)
    start = 1_700_000_000_000
    for i in range(seconds * 10):
        ts = start + i * 100
        key, value = orders.next(ts)
        run.send("orders", value, key=key, timestamp=ts)
        key, value = clicks.next(ts)
        run.send("clicks", value, key=key, timestamp=ts)
    return run


def start_fake_run(window) -> None:
    window.monitor.controller.handle_event("status", ("starting", ""))
    window.monitor.controller.handle_event("status", ("running", ""))


def test_a_panel_per_dashboard_sink_following_the_topology(window, qtbot):
    dash = window.dashboard
    assert dash.isVisible() and window.central.toggle_action.isChecked()
    assert dash.order == DEMO_DASHBOARDS
    panels = dash.panels
    assert isinstance(panels["orders_kpi"].view, QtKpiView)
    assert isinstance(panels["revenue_bars"].view, QtBarsView)
    assert isinstance(panels["revenue_line"].view, QtLineView)
    assert panels["revenue_bars"].spec.title == "Revenue per category, this minute (EUR)"
    window.document.remove(["top_products"])
    assert "top_products" not in dash.panels and len(dash.order) == 5
    window.document.undo_stack.undo()
    assert dash.order == DEMO_DASHBOARDS
    # A topology without dashboards folds the area away; View → Dashboard opens it again.
    window.document.new_empty()
    assert not dash.isVisible() and dash.order == [] and dash.empty.isVisibleTo(dash.canvas)
    window.central.toggle_action.trigger()
    assert dash.isVisible()


def test_values_reach_the_panels_through_the_controller_and_stay_after_stop(window, qtbot):
    run = demo_rows(window.document.topology)
    expected = run.dashboards.as_metrics()
    start_fake_run(window)
    c = window.monitor.controller
    c.handle_event("dashboards", run.dashboards.take_changes())
    dash = window.dashboard
    qtbot.waitUntil(lambda: dash.panels["orders_kpi"].view.texts()[0][1] != "–", timeout=3000)

    newest = max(expected["orders_kpi"], key=lambda r: r["window_start"])
    previous = max(
        (r for r in expected["orders_kpi"] if r["window_start"] < newest["window_start"]),
        key=lambda r: r["window_start"],
    )
    field, value, change = dash.panels["orders_kpi"].view.texts()[0]
    assert (field, value) == ("orders", f"{newest['value']['orders']:,}")
    ratio = newest["value"]["orders"] / previous["value"]["orders"] - 1
    assert change.endswith(f"{abs(ratio) * 100:.1f}%")
    assert [t[0] for t in dash.panels["customers_kpi"].view.texts()] == ["sessions", "interactions"]

    bars = dash.panels["revenue_bars"].view
    window_start = max(r["window_start"] for r in expected["revenue_bars"])
    latest = {
        r["key"]: r["value"]["revenue"]
        for r in expected["revenue_bars"]
        if r["window_start"] == window_start
    }
    assert [k for k, _ in bars.values] == sorted(latest, key=lambda k: -latest[k])
    assert bars.window_start == window_start

    line = dash.panels["revenue_line"].view
    assert set(line.legend.names()) == {r["key"] for r in expected["revenue_line"]}
    xs, ys = line.chart.curves["books"].getData()
    books = sorted(
        (r["window_start"] / 1000, r["value"]["revenue"])
        for r in expected["revenue_line"]
        if r["key"] == "books"
    )
    assert list(zip(xs, ys)) == books

    top = dash.panels["top_products"].view
    assert top.values[0][1] == max(r["value"]["units"] for r in expected["top_products"])

    # Stop: the last values stay until the next run starts.
    c.handle_event("status", ("stopping", ""))
    c.handle_event("status", ("stopped", ""))
    assert dash.panels["orders_kpi"].view.texts()[0][1] == value
    start_fake_run(window)
    qtbot.waitUntil(lambda: dash.panels["orders_kpi"].view.tiles[0].value is None, timeout=3000)


def test_bad_values_show_as_a_dash(window, qtbot):
    start_fake_run(window)
    window.monitor.controller.handle_event(
        "dashboards",
        {
            "orders_kpi": {
                "reset": False,
                "removed": [],
                "rows": [("all", 0, {"window_start": 0, "orders": "many"})],
            }
        },
    )
    dash = window.dashboard
    dash.refresh_now()
    assert dash.panels["orders_kpi"].view.texts() == [("orders", "–", "")]


def test_a_view_change_in_the_inspector_redraws_the_panel(window, qtbot):
    run = demo_rows(window.document.topology, seconds=20)
    start_fake_run(window)
    window.monitor.controller.handle_event("dashboards", run.dashboards.take_changes())
    window.select_node("revenue_bars")
    combo = window.inspector.fields["view"].editor.combo
    combo.setCurrentIndex(combo.findData("table"))
    panel = window.dashboard.panels["revenue_bars"]
    assert window.document.topology.node("revenue_bars").params["view"] == "table"
    assert isinstance(panel.view, QtTableView)
    rows = panel.view.texts()
    assert len(rows) == len(run.dashboards.as_metrics()["revenue_bars"])
    assert [panel.view.grid.horizontalHeaderItem(i).text() for i in range(3)] == [
        "key",
        "window",
        "revenue",
    ]
    # Fields are picked from those upstream: the aggregate's output.
    picker = window.inspector.fields["fields"].editor
    assert isinstance(picker, FieldListParamEditor)
    assert {"revenue", "orders", "avg_order", "window_start"} <= set(picker.names())
    picker.check("orders")
    assert window.document.topology.node("revenue_bars").params["fields"] == ["revenue", "orders"]
    assert panel.view.grid.columnCount() == 4
    window.document.undo_stack.undo()
    window.document.undo_stack.undo()
    assert isinstance(panel.view, QtBarsView)


def test_the_grid_is_rearranged_by_dropping_a_panel_and_remembered(
    window, qtbot, settings, tmp_path
):
    dash = window.dashboard
    target = dash.panels["orders_kpi"]
    mime = QMimeData()
    mime.setData(PANEL_MIME, b"top_products")
    buttons, keys = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    QApplication.sendEvent(
        target, QDragEnterEvent(QPoint(20, 20), Qt.DropAction.MoveAction, mime, buttons, keys)
    )
    QApplication.sendEvent(
        target, QDragMoveEvent(QPoint(20, 20), Qt.DropAction.MoveAction, mime, buttons, keys)
    )
    QApplication.sendEvent(
        target, QDropEvent(QPointF(20, 20), Qt.DropAction.MoveAction, mime, buttons, keys)
    )
    assert dash.order[0] == "top_products"
    assert dash.grid.itemAtPosition(0, 0).widget() is dash.panels["top_products"]

    from gui.app.main_window import MainWindow

    again = MainWindow(settings=settings, recovery_dir=tmp_path / "recovery2")
    qtbot.addWidget(again)
    again.document.new_from_demo()
    assert again.dashboard.order == [
        "top_products",
        *[n for n in DEMO_DASHBOARDS if n != "top_products"],
    ]
    again.document.undo_stack.setClean()
    again.shutdown_monitor()


def test_export_png_and_a_detached_window(window, qtbot, tmp_path):
    run = demo_rows(window.document.topology, seconds=20)
    start_fake_run(window)
    window.monitor.controller.handle_event("dashboards", run.dashboards.take_changes())
    path = tmp_path / "dash.png"
    assert window.dashboard.export_png(path)
    image = QImage(str(path))
    assert image.width() > 400 and image.height() > 200
    colours = {
        image.pixel(x, y) for x in range(0, image.width(), 5) for y in range(0, image.height(), 5)
    }
    assert len(colours) > 20  # panels with numbers, bars and lines, not a blank area

    window.dashboard.detach_button.click()
    detached = window.central.windows[0]
    assert isinstance(detached, QtDashboardWindow) and detached.isVisible()
    assert detached.dashboard.order == window.dashboard.order
    assert not detached.dashboard.detach_button.isVisible()
    more = {
        "items_kpi": {
            "reset": False,
            "removed": [],
            "rows": [("all", 10**13, {"window_start": 10**13, "items": 4242})],
        }
    }
    window.monitor.controller.handle_event("dashboards", more)
    detached.dashboard.refresh_now()
    assert detached.dashboard.panels["items_kpi"].view.texts()[0][1] == "4,242"
    detached.close()
    qtbot.waitUntil(lambda: window.central.windows == [] or not detached.isVisible(), timeout=2000)
    window.central._forget_closed_windows()
    assert window.central.windows == []


@pytest.mark.kafka
def test_a_run_fills_the_dashboard_at_most_twice_a_second(
    qtbot, settings, tmp_path, bootstrap, unique
):
    from tests.gui.app.test_run_integration import make_window

    b = StreamsBuilder(f"dash-{unique}")
    orders = b.generator(f"orders-{unique}", name="orders", rate=0, seed=3)
    (
        orders.group_by("'all'", name="per_minute")
        .window(TumblingWindow("1m"))
        .aggregate([Aggregation("orders", "count")])
        .to_dashboard("Orders", name="kpi", view="kpi")
    )
    orders.to_dashboard("Latest per customer", name="latest", max_rows=50)
    win = make_window(qtbot, settings, tmp_path, b.build())
    win.monitor.apply_profile(ConnectionProfile(kind=CLUSTER, name="test", bootstrap=bootstrap))
    c = win.monitor.controller
    arrivals = []
    c.dashboardsReceived.connect(lambda _changes: arrivals.append(time.monotonic()))
    win.act_run.trigger()
    qtbot.waitUntil(lambda: c.status == "running", timeout=30_000)
    kpi = win.dashboard.panels["kpi"].view
    qtbot.waitUntil(lambda: bool(kpi.tiles) and (kpi.tiles[0].value or 0) > 100, timeout=30_000)
    # Enough messages to count their rate by (a fixed wait saw one under a loaded suite).
    qtbot.waitUntil(lambda: len(arrivals) >= 6, timeout=30_000)
    latest = win.dashboard.panels["latest"]
    assert 0 < len(latest.table) <= 50
    first = win.dashboard.model.table("kpi").latest()[2]["orders"]
    win.act_stop.trigger()
    qtbot.waitUntil(lambda: c.status == "stopped" and c.supervisor is None, timeout=40_000)
    qtbot.wait(300)
    win.dashboard.refresh_now()
    final = win.dashboard.model.table("kpi").latest()[2]["orders"]
    assert final >= first and kpi.texts()[0][1] == f"{final:,}"  # the last values stay after Stop
    # Thousands of records a second, yet at most two dashboard messages a second.
    # Counted over the whole run, not gap by gap: under load the GUI thread may take two
    # messages sent 0.5 s apart in one go. The final flush at Stop may come sooner.
    sent = arrivals[:-1]
    span = sent[-1] - sent[0]
    assert len(sent) >= 4 and len(sent) - 1 <= 2 * span + 2, (len(sent), span)
    assert multiprocessing.active_children() == []
    win.close()
