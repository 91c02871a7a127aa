"""The monitor's views built on a plain controller: change the model (events as the
worker would send them), assert on the view. No Kafka."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QMainWindow

from gui.monitor.logbook import DEAD_LETTER
from gui.monitor.qt_charts import QtLagWidget, QtThroughputWidget
from gui.monitor.qt_log import QtLogWidget
from gui.monitor.qt_preview import QtPreviewWidget
from gui.monitor.qt_run_controller import RunController
from gui.monitor.qt_run_monitor import QtRunStatusLabel, RunMonitor
from gui.style import theme
from tests.gui.conftest import contrast


@pytest.fixture
def controller(qtbot):
    c = RunController()
    yield c
    c.shutdown()


def snapshot(out_rate: float, status: str = "running") -> dict:
    return {
        "status": status,
        "reason": "",
        "nodes": {
            "src": {"in": 10, "out": 10, "errors": 1, "late": 0},
            "sink": {"in": 5, "out": 5, "errors": 0, "late": 2},
        },
        "rates": {
            "src": {"in": out_rate, "out": out_rate},
            "sink": {"in": out_rate / 2, "out": out_rate / 2},
        },
        "lag": {},
        "elapsed_s": 1.0,
        "group_id": "g",
    }


def test_metrics_reach_node_metrics_and_the_throughput_chart(qtbot, controller):
    chart = QtThroughputWidget(controller)
    qtbot.addWidget(chart)
    chart.show()
    with qtbot.waitSignal(controller.nodeMetrics) as blocker:
        controller.handle_event("metrics", snapshot(100.0))
    assert blocker.args[0]["src"] == {
        "in_rate": 100.0,
        "out_rate": 100.0,
        "in": 10,
        "out": 10,
        "errors": 1,
        "late": 0,
    }
    time.sleep(0.01)
    controller.handle_event("metrics", snapshot(300.0))
    qtbot.waitUntil(lambda: len(chart.chart.visible_data().get("src", ([], []))[1]) == 2)
    assert list(chart.chart.visible_data()["src"][1]) == [100.0, 300.0]
    assert list(chart.chart.visible_data()["sink"][1]) == [50.0, 150.0]
    assert set(chart.legend.names()) == {"src", "sink"}


def test_chart_lines_and_legend_take_the_palettes_line_colours(qtbot, controller):
    """Lines drawn in the dark palette's colours are recoloured, legend swatches with
    them, when the light one is chosen (those colours are 1.6-3:1 on white)."""
    from gui.monitor import qt_style

    before = theme.current
    theme.use(theme.DARK)
    chart = QtThroughputWidget(controller)
    qtbot.addWidget(chart)
    chart.show()
    controller.handle_event("metrics", snapshot(100.0))
    time.sleep(0.01)
    controller.handle_event("metrics", snapshot(300.0))
    qtbot.waitUntil(lambda: len(chart.chart.curves) == 2)
    names = list(chart.chart.curves)

    def colours() -> tuple[list[str], list[str]]:
        pens = [chart.chart.curves[n].opts["pen"].color().name() for n in names]
        return pens, [chart.legend._colours[n].name() for n in names]

    assert colours() == (list(qt_style.LINE_COLOURS[:2]),) * 2
    try:
        theme.use(theme.LIGHT)
        chart.chart.apply_theme()
        assert colours() == (list(qt_style.LIGHT_LINE_COLOURS[:2]),) * 2
        for colour in qt_style.LIGHT_LINE_COLOURS:
            assert contrast(QColor(colour), theme.LIGHT.colour("chart_bg")) >= 4.0, colour
        theme.use(theme.DARK)
        chart.chart.apply_theme()
        assert colours() == (list(qt_style.LINE_COLOURS[:2]),) * 2
    finally:
        theme.use(before)


def test_legend_lists_new_lines_beside_the_plot_and_toggles_and_picks_them_out(qtbot, controller):
    from PySide6.QtCore import QPoint, Qt

    panel = QtThroughputWidget(controller)
    qtbot.addWidget(panel)
    panel.resize(420, 220)
    panel.show()
    now = time.time()
    controller.throughput.append(now - 1, {"src": 100.0, "sink": 40.0})
    controller.throughput.append(now, {"src": 1200.0, "sink": 50.0})
    panel.refresh_now()
    legend, chart = panel.legend, panel.chart
    assert legend.names() == ["src", "sink"]
    assert [legend.rows[n].text(legend.VALUE) for n in ("src", "sink")] == ["1.2k", "50"]
    # Beside the plot, not over it: the chart keeps the whole width left of the legend.
    assert chart.geometry().right() < legend.geometry().left()
    assert chart.width() >= 0.6 * panel.width()

    controller.throughput.append(now + 1, {"src": 1.0, "sink": 1.0, "late": 3.0})
    panel.refresh_now()
    assert legend.names() == ["src", "sink", "late"]  # a row as a line appears, none moved

    def click(name):
        rect = legend.visualItemRect(legend.rows[name])
        qtbot.mouseClick(legend.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())

    top_with_src = chart._y_top
    click("src")
    assert not chart.curves["src"].isVisible() and chart.curves["sink"].isVisible()
    assert not chart.is_line_visible("src")
    assert chart._y_top < top_with_src  # the axis fits the lines shown
    controller.throughput.append(now + 2, {"src": 7.0, "sink": 2.0, "late": 3.0})
    panel.refresh_now()
    assert list(chart.visible_data()["src"][1]) == [100.0, 1200.0, 1.0]  # not redrawn while hidden
    click("src")
    assert chart.curves["src"].isVisible()
    panel.refresh_now()
    assert chart.visible_data()["src"][1][-1] == 7.0  # caught up once shown

    legend.show_only("sink")
    assert [n for n in chart.curves if chart.curves[n].isVisible()] == ["sink"]
    legend.show_only(None)
    assert all(curve.isVisible() for curve in chart.curves.values())

    rect = legend.visualItemRect(legend.rows["sink"])
    qtbot.mouseMove(legend.viewport(), rect.center())
    qtbot.waitUntil(lambda: chart._highlighted == "sink")
    assert chart.curves["sink"].opts["pen"].widthF() > chart.curves["src"].opts["pen"].widthF()
    qtbot.mouseMove(legend.viewport(), QPoint(rect.center().x(), legend.viewport().height() - 2))
    qtbot.waitUntil(lambda: chart._highlighted is None)  # below the rows: nothing picked out

    # A new run: new rows; a line hidden by name stays hidden.
    click("late")
    controller.throughput.clear()  # as run() does
    controller.handle_event("status", ("starting", ""))
    assert legend.names() == []
    controller.throughput.append(now + 3, {"late": 1.0})
    panel.refresh_now()
    assert legend.names() == ["late"] and not chart.curves["late"].isVisible()


def test_pause_freezes_the_chart_and_resume_catches_up(qtbot, controller):
    chart = QtThroughputWidget(controller)
    qtbot.addWidget(chart)
    chart.show()
    controller.handle_event("metrics", snapshot(1.0))
    qtbot.waitUntil(lambda: "src" in chart.chart.visible_data())
    chart.toolbar.pause_button.click()
    controller.handle_event("metrics", snapshot(2.0))
    qtbot.wait(600)
    assert len(chart.chart.visible_data()["src"][1]) == 1
    chart.toolbar.pause_button.click()
    assert len(chart.chart.visible_data()["src"][1]) == 2


def test_time_range_selects_the_visible_slice(qtbot, controller):
    chart = QtThroughputWidget(controller)
    qtbot.addWidget(chart)
    now = time.time()
    for i in range(0, 900, 10):  # 15 minutes of history
        controller.throughput.append(now - 900 + i, {"src": float(i)})
    chart.toolbar.set_range(900)
    n_all = len(chart.chart.visible_data()["src"][0])
    chart.toolbar.set_range(60)
    n_minute = len(chart.chart.visible_data()["src"][0])
    assert n_minute <= 8 and n_all == 90


def test_status_transitions_are_shown(qtbot, controller):
    label = QtRunStatusLabel(controller)
    log = QtLogWidget(controller)
    qtbot.addWidget(label)
    qtbot.addWidget(log)
    seen = []
    controller.statusChanged.connect(lambda s, r: seen.append(s))
    for status, reason in [
        ("starting", ""),
        ("running", ""),
        ("disconnected", "lost the connection; retrying"),
        ("running", ""),
        ("failed", "the worker died"),
    ]:
        controller.handle_event("status", (status, reason))
        assert status in label.text()
    assert seen == ["starting", "running", "disconnected", "running", "failed"]
    assert "the worker died" in label.text()
    texts = log.visible_texts()
    assert (
        texts[-1] == "failed: the worker died"
        and "disconnected: lost the connection; retrying" in texts
    )


def test_attached_shows_instead_of_idle_until_detached_but_not_over_a_run(qtbot, controller):
    label = QtRunStatusLabel(controller)
    qtbot.addWidget(label)
    assert "idle" in label.text()
    label.show_attached("orders-app")
    assert "attached" in label.text() and "idle" not in label.text()
    assert "to orders-app (reading its run state…)" in label.text()
    label.show_attached("orders-app", 2)
    assert "to orders-app (2 instances live)" in label.text()
    label.show_attached("orders-app", 1)
    assert "to orders-app (1 instance live)" in label.toolTip()
    label.show_attached("orders-app", 0)
    assert "to orders-app (no instances live)" in label.text()
    controller.handle_event("status", ("starting", ""))
    assert "starting" in label.text() and "attached" not in label.text()
    controller.handle_event("status", ("stopped", ""))
    assert "attached" in label.text()
    label.show_attached("")
    assert "stopped" in label.text() and "attached" not in label.text()


def test_log_filters_by_kind_and_stays_bounded(qtbot, controller):
    log = QtLogWidget(controller)
    qtbot.addWidget(log)
    log.model.book.limit = 50
    controller.handle_event("console", [("watch", f"record {i}") for i in range(80)])
    controller.handle_event(
        "dead_letter",
        [
            {
                "node": "parse",
                "error": "not JSON",
                "topic": "in",
                "partition": 0,
                "offset": 3,
                "key": None,
                "value": "{",
            }
        ],
    )
    assert log.model.rowCount() == 50
    assert log.visible_texts()[0] == "record 31"
    for kind, button in log.kind_buttons.items():
        button.setChecked(kind == DEAD_LETTER)
    assert log.visible_texts() == ["not JSON — in[0]@3"]
    log.kind_buttons["console"].setChecked(True)
    log.search.setText("record 7")
    assert log.visible_texts() == [f"record {i}" for i in range(70, 80)]


@pytest.mark.parametrize("palette", ["light", "dark"])
def test_log_lines_are_readable_in_either_palette(qtbot, controller, palette):
    """Every kind of line is written in a colour of the palette in use, readable on its
    background (the light palette's background once showed pale grey console lines)."""
    chosen, before = theme.THEMES[palette], theme.current
    theme.use(chosen)
    try:
        log = QtLogWidget(controller)
        qtbot.addWidget(log)
        controller.handle_event("console", [("run", "repartition: records handed over")])
        controller.message.emit("error", "sandbox broker: it went away")
        controller.handle_event("status", ["running", ""])
        controller.handle_event(
            "dead_letter",
            [{"node": "parse", "error": "not JSON", "topic": "in", "partition": 0, "offset": 3}],
        )
        model = log.model
        kinds = {}
        for row in range(model.rowCount()):
            kind = model.data(model.index(row, 1))
            kinds[kind] = model.data(model.index(row, 3), Qt.ItemDataRole.ForegroundRole)
        assert set(kinds) == {"console", "error", "status", "dead letter"}
        for kind, colour in kinds.items():
            assert contrast(colour, chosen.colour("base")) >= 4.5, (palette, kind, colour.name())
    finally:
        theme.use(before)


GUI = Path(__file__).resolve().parents[3] / "gui"


def test_widgets_own_stylesheets_take_their_text_colours_from_the_palette():
    """A label's colour fixed in its own stylesheet is right in one palette only: the
    widgets name palette colours (theme.style_widget, restyled when the theme changes).
    A colour fixed together with its own background (a status chip) is the exception."""
    fixed = []
    for path in sorted(GUI.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"setStyleSheet\(\s*f?\"([^\"]*)\"", text):
            sheet = match.group(1)
            if re.search(r"(?<!-)color:\s*#[0-9a-fA-F]{3,8}", sheet) and "background" not in sheet:
                fixed.append(f"{path.relative_to(GUI.parent)}: {sheet[:60]}")
    assert not fixed, fixed


def test_preview_shows_the_selected_nodes_records(qtbot, controller):
    preview = QtPreviewWidget(controller)
    qtbot.addWidget(preview)
    assert "Select a node" in preview.title.text()
    preview.set_node("paid")
    records = [
        {
            "key": f"k{i}",
            "value": {"order_id": i, "status": "paid"},
            "timestamp": 1_700_000_000_000 + i,
            "partition": i % 3,
            "offset": 100 + i,
            "topic": "orders",
        }
        for i in range(5)
    ]
    controller.handle_event("samples", ("other", records[:1]))  # not the selected node
    assert preview.records.model.rowCount() == 0
    controller.handle_event("samples", ("paid", records))
    model = preview.records.model
    assert model.rowCount() == 5 and "latest 5 records" in preview.title.text()
    assert model.index(0, 3).data() == "k4"  # newest first
    assert '"order_id": 4' in model.index(0, 4).data()
    assert model.index(0, 0).data().count(":") == 2  # local time
    preview.records.table.selectRow(0)
    assert '"status": "paid"' in preview.records.detail.toPlainText()
    assert "offset 104" in preview.records.detail.toPlainText()
    controller.handle_event(
        "samples",
        ("paid", records + [{**records[0], "offset": 200, "timestamp": 1_800_000_000_000}]),
    )
    assert (
        model.record(preview.records.table.currentIndex().row())["offset"] == 104
    )  # selection kept


def test_lag_chart_badge_and_unit_toggle(qtbot, controller):
    widget = QtLagWidget(controller.lag_poller)
    qtbot.addWidget(widget)
    poller = controller.lag_poller
    poller.history.clear("g")
    history = poller.history
    for i in range(5):
        history.observe(
            {("t", 0): (100 + 10 * i, 300 + 40 * i)}, now=float(i), wall=time.time() - 5 + i
        )
        poller.updated.emit("g")
    poller.statusChanged.emit("g", history.status, history.reason)
    assert widget.badge.text() == "WARN" and "falling behind" in widget.badge.toolTip()
    widget.refresh_now()
    assert list(widget.chart.visible_data()["t[0]"][1]) == [200, 230, 260, 290, 320]
    widget.seconds_button.click()
    assert widget.unit == "seconds"
    assert widget.chart.visible_data()["t[0]"][1][-1] == pytest.approx(320 / 10, rel=0.2)
    assert "320 records behind" in widget.group_label.text()


def test_lag_header_elides_so_the_panel_can_be_narrow(qtbot, controller):
    widget = QtLagWidget(controller.lag_poller)
    qtbot.addWidget(widget)
    poller = controller.lag_poller
    group = "ecommerce-dashboard-with-a-rather-long-application-id"
    poller.history.clear(group)
    partitions = {(f"{group}-revenue-repartition", p): (100, 1_234_567 + p) for p in range(12)}
    poller.history.observe(partitions, now=0.0, wall=time.time())
    poller.updated.emit(group)
    full = f"group {group} · {poller.history.total_lag():,} records behind"
    assert widget.group_label.text() == full and widget.group_label.toolTip() == full
    assert widget.minimumSizeHint().width() <= 420  # the header does not hold the dock wide
    widget.resize(420, 220)
    widget.show()
    qtbot.waitExposed(widget)
    shown = widget.group_label.shown_text()
    assert "…" in shown and len(shown) < len(full)
    assert widget.group_label.fontMetrics().horizontalAdvance(shown) <= widget.group_label.width()
    widget.resize(1600, 300)
    qtbot.waitUntil(lambda: widget.group_label.shown_text() == full)
    widget.refresh_now()
    # Partitions of the group's internal topics are listed without the group's prefix.
    assert widget.legend.rows[f"{group}-revenue-repartition[0]"].text(0) == "revenue-repartition[0]"


def test_run_monitor_facade(qtbot, tmp_path):
    from PySide6.QtCore import QSettings

    window = QMainWindow()
    qtbot.addWidget(window)
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    monitor = RunMonitor(window, settings)
    try:
        assert [d.objectName() for d in monitor.docks()] == [
            "throughputDock",
            "lagDock",
            "previewDock",
            "runLogDock",
            "clusterDock",
        ]
        actions = monitor.actions()
        assert set(actions) == {"run", "stop", "reset", "connection"}
        assert actions["run"].isEnabled() and not actions["stop"].isEnabled()
        monitor.controller.handle_event("status", ("running", ""))
        assert not actions["run"].isEnabled() and actions["stop"].isEnabled()
        assert not actions["connection"].isEnabled() and not actions["reset"].isEnabled()
        got = []
        monitor.nodeMetrics.connect(got.append)
        monitor.controller.handle_event("metrics", snapshot(5.0))
        assert got and got[0]["src"]["out_rate"] == 5.0
        monitor.set_selected_node("src")
        assert monitor.controller.preview_node == "src"
    finally:
        monitor.shutdown()


def test_run_refuses_an_invalid_topology(qtbot, controller):
    from engine.model.topology import Node, Topology

    topology = Topology(name="bad")
    topology.add_node(Node("f", "filter", {"expr": "value["}))
    controller.set_topology_provider(lambda: topology)
    assert controller.run() is False
    assert controller.status == "failed" and "problems" in controller.reason


def test_chart_redraws_only_lines_that_moved_and_decimates_long_ones(qtbot, controller):
    import numpy as np
    from PySide6.QtGui import QColor, QPen

    from gui.monitor.qt_time_chart import QtSolidGridAxisItem, peak_decimate

    chart = QtThroughputWidget(controller)
    qtbot.addWidget(chart)
    now = time.time()
    controller.throughput.append(now - 1, {"a": 1.0, "b": 2.0})
    chart.refresh_now()
    calls = []
    for name, curve in chart.chart.curves.items():
        original = curve.setData
        curve.setData = lambda *a, name=name, original=original, **k: (
            calls.append(name),
            original(*a, **k),
        )
    controller.throughput.lines["a"].append(now, 3.0)
    controller.throughput.latest_time = now
    chart.refresh_now()
    assert calls == ["a"]

    t = np.arange(1000.0)
    v = np.where(t == 500, 99.0, 1.0)
    v[10:20] = np.nan
    dt, dv = peak_decimate(t, v, 100)
    assert len(dt) <= 200 and np.nanmax(dv) == 99.0 and np.isnan(dv).any()

    # Translucent grid pens are drawn as the same colour blended over the background.
    solid = QtSolidGridAxisItem(orientation="left")._solid(QPen(QColor(154, 163, 178, 46)))
    assert solid.color().alpha() == 255


def test_background_results_for_a_closed_widget_are_dropped(qtbot):
    """A look-up that finishes after its widget was closed must not touch the dead widget."""
    import shiboken6
    from PySide6.QtWidgets import QLabel

    from gui.monitor.qt_tasks import BackgroundCall

    label = QLabel()
    got = []

    def on_done(value):
        got.append(value)
        label.setText(value)  # would raise on a deleted widget

    gate = __import__("threading").Event()
    call = BackgroundCall(lambda: gate.wait(5) and "late", on_done).start()
    shiboken6.delete(label)
    gate.set()
    call.join(5)
    qtbot.wait(50)
    assert got == []


@pytest.mark.parametrize("instances", [1, 3])
def test_a_worker_process_that_cannot_start_fails_the_run_with_the_reason(
    qtbot, monkeypatch, instances
):
    from engine.model.fileformat import from_dict
    from engine.runtime.worker import supervisor
    from gui.monitor.connection import CLUSTER, ConnectionProfile

    started, stopped = [], []

    def start(self):
        if len(started) == 1:  # the second worker cannot be started
            raise OSError(24, "Too many open files")
        started.append(self)

    monkeypatch.setattr(supervisor.RunSupervisor, "start", start)
    monkeypatch.setattr(
        supervisor.RunSupervisor, "stop", lambda self, timeout=15.0: stopped.append(self)
    )
    topology, _ = from_dict(
        {
            "format": "topology-studio/1",
            "name": "w",
            "nodes": [
                {"id": "s", "type": "kafka_source", "params": {"topic": "t"}},
                {"id": "o", "type": "console_sink", "params": {}},
            ],
            "edges": [{"from": "s", "to": "o"}],
        }
    )
    c = RunController(ConnectionProfile(kind=CLUSTER, name="c", bootstrap="127.0.0.1:9"))
    try:
        c.topology_provider = lambda: topology
        c.instances = instances
        if instances == 1:
            started.append(None)  # so the only worker is the one that cannot start
        with qtbot.waitSignal(
            c.statusChanged, check_params_cb=lambda s, r: s == "failed", timeout=5000
        ) as got:
            assert c.run()
        assert (
            got.args[1] == "cannot start the run's worker process: [Errno 24] Too many open files"
        )
        assert c.supervisor is None and not c.is_active()
        # Those that did start are stopped again.
        qtbot.waitUntil(lambda: bool(stopped), timeout=5000)
        assert (started[-1] in stopped) if instances > 1 else len(stopped) == 1
    finally:
        c.shutdown()


def test_the_cluster_views_partitions_column_holds_partitions_only(qtbot, controller):
    from engine.cluster.admin import TopicInfo
    from gui.monitor.qt_cluster import QtClusterWidget

    view = QtClusterWidget(controller)
    qtbot.addWidget(view)
    topics = [TopicInfo("orders", 6, False), TopicInfo("clicks", 3, False)]
    view._on_listed((topics, ["shop"]))
    assert view.tree.headerItem().text(1) == "Partitions"
    assert [view.topics_root.child(i).text(1) for i in range(2)] == ["6", "3"]
    assert view.topics_root.text(1) == "" and view.groups_root.text(1) == ""
    assert view.topics_root.text(0) == "Topics (2)"
    assert view.groups_root.text(0) == "Consumer groups (1)"


def test_the_cluster_view_updates_its_rows_in_place(qtbot, controller):
    """A listing keeps the rows of the topics and groups still there (the selection, a menu
    opened on one, a hover stay on their row), updates their counts and colours, adds the
    new and drops the gone, in the listing's order."""
    from engine.cluster.admin import TopicInfo
    from gui.monitor.qt_cluster import GROUP, TOPIC, QtClusterWidget

    view = QtClusterWidget(controller)
    qtbot.addWidget(view)
    view._on_listed(([TopicInfo("orders", 3, False), TopicInfo("clicks", 1, False)], ["shop"]))
    orders, shop = view._find(TOPIC, "orders"), view._find(GROUP, "shop")
    view.tree.setCurrentItem(orders)
    lagging = TopicInfo("orders", 6, False, replicas=3, in_sync=2)
    view._on_listed(([TopicInfo("audit", 1, True), lagging], ["shop", "ops"]))
    assert view._find(TOPIC, "orders") is orders and view._find(GROUP, "shop") is shop
    assert view.tree.currentItem() is orders
    assert [view.topics_root.child(i).text(0) for i in range(2)] == ["audit", "orders"]
    assert view._find(TOPIC, "clicks") is None
    assert [orders.text(c) for c in (1, 2, 3)] == ["6", "3", "2"]
    assert orders.foreground(3).color() == theme.WARNING and orders.toolTip(3)
    assert view._find(TOPIC, "audit").foreground(0).color() == theme.MUTED_TEXT
    view._on_listed(([TopicInfo("orders", 6, False, replicas=3, in_sync=3)], ["shop"]))
    assert not orders.data(3, Qt.ItemDataRole.ForegroundRole) and not orders.toolTip(3)
    assert view.groups_root.childCount() == 1 and view.groups_root.child(0) is shop


def test_the_cluster_views_long_names_keep_their_end(qtbot, controller):
    """An application's internal topics differ after a long shared prefix: a name too
    long for its column is elided at its start, the column takes the width the counts
    leave, and the whole name is the item's tooltip."""
    from engine.cluster.admin import TopicInfo
    from gui.monitor.qt_cluster import QtClusterWidget

    view = QtClusterWidget(controller)
    qtbot.addWidget(view)
    names = [f"ecommerce-dashboard-{n}-repartition" for n in ("revenue", "items_per_minute")]
    view._on_listed(([TopicInfo(n, 3, True) for n in names], ["ecommerce-dashboard"]))
    view.resize(600, 300)
    view.show()
    qtbot.waitExposed(view)
    assert view.tree.textElideMode() == Qt.TextElideMode.ElideLeft
    assert [view.topics_root.child(i).toolTip(0) for i in range(2)] == names
    assert view.groups_root.child(0).toolTip(0) == "ecommerce-dashboard"
    narrow = view.tree.columnWidth(0)
    view.resize(1200, 300)
    qtbot.waitUntil(lambda: view.tree.columnWidth(0) > narrow)
    assert [view.tree.columnWidth(c) for c in (1, 2, 3)] == [66, 66, 66]


def test_an_empty_chart_shows_the_last_minute_in_clock_time(qtbot, controller):
    """Before the first point the time axis spans the window ending now, as it will with
    points (not pyqtgraph's 0 to 1 seconds after the epoch)."""
    chart = QtThroughputWidget(controller)
    qtbot.addWidget(chart)
    (low, high), _ = chart.chart.getPlotItem().getViewBox().viewRange()
    assert abs(high - time.time()) < 5
    assert high - low == pytest.approx(chart.chart.window_s)
