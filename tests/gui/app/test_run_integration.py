"""The run monitor inside the main window: Run menu and toolbar, docks, badges and edge
widths on the canvas, selection into the data preview, field-name completions, consumer
groups from Kafka Streams windows, and one sandbox broker that dies with the window.

The first tests feed the monitor's controller the events a worker would send (no Kafka);
the ``kafka`` ones run a small generator topology against a real broker."""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QDockWidget, QMessageBox

from engine.code.builder import StreamsBuilder
from engine.model.topology import Edge, Node, Topology
from gui.canvas.run_badge import EDGE_IDLE_WIDTH, edge_width, format_count, format_rate
from gui.designer.editors.expression_edit import ExpressionEdit
from gui.designer.inspector import value_fields
from gui.monitor.connection import CLUSTER, ConnectionProfile


def metrics_event(
    nodes: dict[str, tuple[float, float, int, int, int, int]], status: str = "running"
) -> dict:
    """A worker's metrics snapshot: {node: (in_rate, out_rate, in, out, errors, late)}."""
    return {
        "status": status,
        "reason": "",
        "nodes": {
            n: {"in": v[2], "out": v[3], "errors": v[4], "late": v[5]} for n, v in nodes.items()
        },
        "rates": {n: {"in": v[0], "out": v[1]} for n, v in nodes.items()},
        "lag": {},
        "offsets": {},
        "elapsed_s": 1.0,
        "group_id": "ecommerce-dashboard",
    }


def badge_text(window, node_id: str) -> list[tuple[str, str]]:
    state = window.scene.node_item(node_id).run_state()
    return [(label, value) for label, value, _colour in state.segments()] if state else []


def edge_rate(window, source: str, target: str) -> float | None:
    for item in window.scene.edge_items():
        if item.key.source == source and item.key.target == target:
            return item.rate
    raise KeyError((source, target))


def in_front(dock) -> bool:
    """Shown, and the tab in front when tabbed with other docks."""
    return dock.isVisible() and not dock.visibleRegion().isEmpty()


def start_fake_run(window) -> None:
    window.monitor.controller.handle_event("status", ("starting", ""))
    window.monitor.controller.handle_event("status", ("running", ""))


# -- the window around the monitor ---------------------------------------------------------


def test_run_menu_toolbar_docks_and_status_bar(window):
    menu = window.run_menu
    texts = [a.text() for a in menu.actions() if not a.isSeparator()]
    assert texts == [
        "Run",
        "Stop",
        "Reset Application State…",
        "Connection…",
        "Attach to Running Application…",
        "Detach",
        "&Test Run",
        "Browse &State",
    ]
    assert window.act_run.shortcut() == QKeySequence("F5")
    assert window.act_stop.shortcut() == QKeySequence("Shift+F5")
    assert (
        window.act_run in window.toolbar.actions() and window.act_stop in window.toolbar.actions()
    )
    assert not window.act_run.icon().isNull()
    assert window.act_run.isEnabled() and not window.act_stop.isEnabled()
    # The monitor's docks sit along the bottom, tabbed with Problems, and the View menu
    # toggles every one of them.
    bottom = Qt.DockWidgetArea.BottomDockWidgetArea
    for dock in window.monitor.docks():
        assert window.dockWidgetArea(dock) == bottom
    # Records and problems on the left; the run's watchers (lag, cluster, alerts,
    # instances) on the right; the throughput chart between them.
    assert set(window.tabifiedDockWidgets(window.validation_dock)) == {
        window.preview_dock,
        window.run_log_dock,
    }
    assert [d.objectName() for d in window.tabifiedDockWidgets(window.lag_dock)] == [
        "clusterDock",
        "alertsDock",
        "instancesDock",
    ]
    assert in_front(window.validation_dock) and in_front(window.lag_dock)
    view_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&View")
    toggles = {a.text() for a in view_menu.actions()}
    assert {
        "Throughput",
        "Consumer lag",
        "Data preview",
        "Run log",
        "Cluster",
        "Problems",
    } <= toggles
    assert window.run_status_label.parent() is not None and "idle" in window.run_status_label.text()
    assert (
        window.minimumSizeHint().width() < 700
    )  # side by side, the panels still fit a small screen


@pytest.mark.parametrize("width, height", [(1280, 800), (1400, 900)])
def test_no_bottom_tab_title_is_cut_short(window, qtbot, width, height):
    from PySide6.QtWidgets import QTabBar

    window.resize(width, height)
    qtbot.waitUntil(lambda: window.width() == width)
    bars = [b for b in window.findChildren(QTabBar) if b.parent() is window and b.isVisible()]
    titles = {bar.tabText(i) for bar in bars for i in range(bar.count())}
    assert titles == {
        "Problems",
        "Data preview",
        "Run log",
        "Consumer lag",
        "Cluster",
        "Alerts",
        "Instances",
    }
    for bar in bars:
        for i in range(bar.count()):
            assert bar.tabRect(i).width() >= bar.tabSizeHint(i).width(), (
                bar.tabText(i),
                bar.tabRect(i).width(),
                bar.tabSizeHint(i).width(),
            )


def test_a_window_state_saved_by_an_earlier_layout_gives_way_to_the_new_default(
    qtbot, settings, tmp_path
):
    from gui.app.main_window import MainWindow

    first = MainWindow(settings=settings, recovery_dir=tmp_path / "r")
    qtbot.addWidget(first)
    first.show()
    alerts = first.findChild(QDockWidget, "alertsDock")
    first.tabifyDockWidget(first.run_log_dock, alerts)  # where Alerts used to be
    settings.setValue("window/state", first.saveState())  # as earlier builds saved it
    first.files.ask_save_changes = lambda: QMessageBox.StandardButton.Discard
    first.save_window_state = lambda: None  # keep the earlier layout's state
    first.close()
    second = MainWindow(settings=settings, recovery_dir=tmp_path / "r")
    qtbot.addWidget(second)
    second.show()
    alerts = second.findChild(QDockWidget, "alertsDock")
    assert alerts in second.tabifiedDockWidgets(second.lag_dock)
    assert alerts not in second.tabifiedDockWidgets(second.run_log_dock)


def test_monitor_layout_is_remembered(qtbot, settings, tmp_path):
    from gui.app.main_window import MainWindow

    first = MainWindow(settings=settings, recovery_dir=tmp_path / "r")
    qtbot.addWidget(first)
    first.show()
    first.cluster_dock.raise_()
    first.throughput_dock.hide()
    first.close()
    second = MainWindow(settings=settings, recovery_dir=tmp_path / "r")
    qtbot.addWidget(second)
    second.show()
    assert not second.throughput_dock.isVisible()
    assert in_front(second.cluster_dock) and not in_front(second.lag_dock)


def test_metrics_become_badges_and_edge_widths(window, qtbot):
    start_fake_run(window)
    window.monitor.controller.handle_event(
        "metrics",
        metrics_event(
            {
                "orders": (40.0, 40.0, 400, 400, 0, 0),
                "paid": (40.0, 26.0, 400, 260, 3, 0),
                "order_size": (26.0, 26.0, 260, 260, 0, 0),
                "large_orders": (11.0, 11.0, 110, 110, 0, 0),
                "watch": (11.0, 11.0, 110, 110, 0, 0),
                "revenue": (26.0, 5.0, 260, 50, 0, 7),
            }
        ),
    )
    assert badge_text(window, "orders") == [("out", "40/s"), ("err", "0")]  # a source: no "in"
    assert badge_text(window, "paid") == [("in", "40/s"), ("out", "26/s"), ("err", "3")]
    assert badge_text(window, "large_orders") == [("in", "11/s"), ("err", "0")]  # a sink: no "out"
    assert badge_text(window, "revenue") == [
        ("in", "26/s"),
        ("out", "5/s"),
        ("err", "0"),
        ("late", "7"),
    ]
    assert badge_text(window, "clicks") == []  # no numbers, no badge
    errors = {
        label: colour.name()
        for label, _v, colour in window.scene.node_item("paid").run_state().segments()
    }["err"]
    assert errors == "#e05d5d"  # errors in red
    assert "3 errors" in window.scene.node_item("paid").badge.toolTip()
    # Edges: the rate out of their source; out of a branch, the rate into the one target it feeds.
    assert edge_rate(window, "orders", "paid") == 40.0
    assert edge_rate(window, "paid", "revenue") == 26.0
    assert edge_rate(window, "order_size", "large_orders") == 11.0
    assert edge_rate(window, "clicks", "interactions") is None
    widths = {(e.key.source, e.key.target): e.width for e in window.scene.edge_items()}
    assert (
        widths[("orders", "paid")]
        > widths[("paid", "revenue")]
        > widths[("order_size", "large_orders")]
        > widths[("clicks", "interactions")]
        == EDGE_IDLE_WIDTH
        == edge_width(None)
    )
    assert edge_width(40.0, 40.0) == edge_width(4000.0, 4000.0)  # relative to the busiest edge
    # The badge sits under its node, clear of the title and the ports.
    item = window.scene.node_item("paid")
    badge_rect = item.badge.mapRectToParent(item.badge.boundingRect())
    assert badge_rect.top() > item.height and badge_rect.top() - item.height < 10


def test_badges_update_at_most_twice_a_second_and_only_when_changed(window, qtbot):
    start_fake_run(window)
    c = window.monitor.controller
    c.handle_event("metrics", metrics_event({"orders": (40.0, 40.0, 400, 400, 0, 0)}))
    applied = window.scene.run_overlay.applied
    paid = window.scene.node_item("paid")
    c.handle_event("metrics", metrics_event({"orders": (41.0, 41.0, 410, 410, 0, 0)}))
    c.handle_event("metrics", metrics_event({"orders": (42.0, 42.0, 420, 420, 0, 0)}))
    assert window.scene.run_overlay.applied == applied  # coalesced, not applied at once
    qtbot.waitUntil(lambda: window.scene.run_overlay.applied == applied + 1, timeout=2000)
    assert badge_text(window, "orders")[0] == ("out", "42/s")  # the latest numbers won
    assert paid.run_state() is None
    # Numbers that read the same do not repaint the badge.
    badge = window.scene.node_item("orders").badge
    assert not badge.set_state(badge.state, badge.group)


def test_source_nodes_show_the_consumer_groups_lag_status(window):
    start_fake_run(window)
    c = window.monitor.controller
    c.group_id = "ecommerce-dashboard"
    c.handle_event(
        "metrics",
        metrics_event(
            {"orders": (40.0, 40.0, 400, 400, 0, 0), "paid": (40.0, 26.0, 400, 260, 0, 0)}
        ),
    )
    window.monitor.groupStatus.emit("someone-else", "STALL", "not ours")
    assert window.scene.node_item("orders").run_state().status == ""
    window.monitor.groupStatus.emit(
        "ecommerce-dashboard", "WARN", "lag grew over the last 10 polls"
    )
    orders = window.scene.node_item("orders")
    assert orders.run_state().status == "WARN"
    assert "lag grew over the last 10 polls" in orders.badge.toolTip()
    assert "ecommerce-dashboard" in orders.badge.toolTip()
    assert window.scene.node_item("paid").run_state().status == ""  # only sources


def test_stop_dims_the_final_counts_and_a_new_run_clears_them(window, qtbot):
    start_fake_run(window)
    c = window.monitor.controller
    c.handle_event(
        "metrics",
        metrics_event(
            {"orders": (40.0, 40.0, 400, 400, 0, 0), "paid": (40.0, 26.0, 400, 260, 2, 0)}
        ),
    )
    c.handle_event("status", ("stopped", ""))
    paid = window.scene.node_item("paid")
    assert paid.run_state().final and paid.badge.opacity() < 1
    assert badge_text(window, "paid") == [("in", "400"), ("out", "260"), ("err", "2")]
    assert edge_rate(window, "orders", "paid") is None  # resting width again
    c.runFinished.emit({"nodes": {"paid": {"in": 1234, "out": 1100, "errors": 2, "late": 0}}})
    assert badge_text(window, "paid") == [("in", "1.2k"), ("out", "1.1k"), ("err", "2")]
    c.handle_event("status", ("starting", ""))
    assert paid.run_state() is None and not window.scene.run_overlay.shown()


def test_selecting_a_node_selects_it_in_the_data_preview(window, qtbot):
    c = window.monitor.controller
    window.select_node("paid")
    qtbot.waitUntil(lambda: c.preview_node == "paid", timeout=2000)
    assert "paid" in window.monitor.preview.title.text()
    window.scene.select_nodes(["paid", "orders"])  # several: the preview keeps its node
    qtbot.wait(50)
    assert c.preview_node == "paid"
    start_fake_run(window)
    window.validation_dock.raise_()
    window.select_node("revenue")
    qtbot.waitUntil(lambda: c.preview_node == "revenue", timeout=2000)
    assert in_front(window.preview_dock)  # raised while a run goes on


def test_format_rates_and_counts():
    assert [format_rate(r) for r in (0, 0.25, 4.04, 42.4, 420, 4200, 42_000)] == [
        "0",
        "0.2",
        "4",
        "42",
        "420",
        "4.2k",
        "42k",
    ]
    assert [format_count(n) for n in (0, 950, 9_500, 95_000, 9_500_000)] == [
        "0",
        "950",
        "9.5k",
        "95k",
        "9.5M",
    ]


# -- field-name completions ----------------------------------------------------------------


def kafka_topology() -> Topology:
    t = Topology(name="shop")
    t.add_node(Node("src", "kafka_source", {"topic": "orders-in"}))
    t.add_node(Node("paid", "filter", {"expr": "True"}))
    t.add_node(Node("tagged", "set_fields", {"fields": {"big": "value['amount'] > 100"}}))
    t.add_node(
        Node(
            "agg",
            "aggregate",
            {
                "window": {"type": "tumbling", "size": "1m"},
                "aggregations": [{"name": "n", "fn": "count"}],
            },
        )
    )
    t.add_node(Node("after", "filter", {"expr": "True"}))
    t.add_node(Node("mapped", "map", {"expr": "value"}))
    t.add_node(Node("after_map", "filter", {"expr": "True"}))
    for a, b in (
        ("src", "paid"),
        ("paid", "tagged"),
        ("tagged", "agg"),
        ("agg", "after"),
        ("paid", "mapped"),
        ("mapped", "after_map"),
    ):
        t.add_edge(Edge(a, b))
    return t


def test_value_fields_follow_the_graph_back_to_the_source_topics():
    t = kafka_topology()
    sampled = {"orders-in": ["amount", "status"]}
    fields = lambda node: value_fields(t, node, lambda topic: sampled.get(topic, []))
    assert fields("paid") == (["amount", "status"], {"orders-in"})
    assert fields("agg")[0] == ["amount", "big", "status"]  # set_fields adds its fields
    assert fields("after")[0] == ["key", "n", "window_end", "window_start"]  # an aggregate's output
    assert fields("after_map")[0] == []  # after a map only the expression knows
    assert fields("src") == (
        ["amount", "status"],
        {"orders-in"},
    )  # a source's own timestamp expression


def test_expression_editors_complete_field_names_from_the_source_topic(window, qtbot):
    asked, sampled = [], {}
    window.inspector.set_topic_fields(lambda topic: asked.append(topic) or sampled.get(topic, []))
    window.document.set_topology(kafka_topology(), None)
    window.document.undo_stack.resetClean()
    window.select_node("paid")
    edit = window.inspector.fields["expr"].editor.edit
    assert "orders-in" in asked and edit.field_names == []
    # The monitor answers later, after sampling the topic.
    sampled["orders-in"] = ["amount", "customer_id", "status"]
    window.monitor.fieldNamesReady.emit("orders-in", sampled["orders-in"])
    assert edit.completer.model().stringList() == ["amount", "customer_id", "status"]
    window.monitor.fieldNamesReady.emit("unrelated", ["x"])
    assert edit.field_names == ["amount", "customer_id", "status"]
    # Typing value[' opens the completions; choosing one closes the subscript.
    edit.setFocus()
    edit.set_text("")
    qtbot.keyClicks(edit, "value['st")
    assert edit.completer.popup().isVisible()
    assert edit.completer.currentCompletion() == "status"
    edit.insert_completion("status")
    assert edit.text() == "value['status']"
    assert window.document.topology.node("paid").params["expr"] == "value['status']"
    edit.completer.popup().hide()


def test_demo_generators_offer_their_fields_without_a_broker(window):
    window.select_node("paid")
    names = window.inspector.fields["expr"].editor.edit.completer.model().stringList()
    assert {"amount", "category", "status", "order_id"} <= set(names)
    window.select_node("sessions")  # rows of an aggregate get them too, new rows as well
    editor = window.inspector.fields["aggregations"].editor
    row = editor.add_row()
    assert "page" in row.expr.field_names
    assert all(isinstance(e, ExpressionEdit) for e in [row.expr])


# -- consumer groups from Kafka Streams windows ---------------------------------------------


def test_monitor_group_requested_charts_that_group_in_the_cluster_view(window):
    window.file_actions.monitorGroupRequested.emit("billing-app")
    cluster = window.monitor.cluster
    assert cluster.poller.group == "billing-app"
    assert cluster.pages.currentWidget() is cluster.lag_widget
    assert in_front(window.cluster_dock) and not in_front(window.lag_dock)
    assert "billing-app" in cluster.lag_widget.group_label.text()
    # A run announcing the same cluster again keeps the group; another cluster forgets it.
    bootstrap_changed = window.monitor.controller.bootstrapChanged
    bootstrap_changed.emit("127.0.0.1:1")
    bootstrap_changed.emit("127.0.0.1:1")
    assert cluster.poller.group == "billing-app"
    bootstrap_changed.emit("127.0.0.1:2")
    assert cluster.poller.group == ""


def test_a_topic_without_records_yet_is_sampled_again_for_field_names(qtbot):
    from gui.monitor.qt_cluster import FieldNameCache

    answers = [[], ["amount"]]

    class Client:
        def field_names(self, topic):
            return answers.pop(0)

    cache = FieldNameCache(lambda: Client())
    with qtbot.waitSignal(cache.ready) as first:
        assert cache.names("t") == []
    assert first.args == ["t", []]
    with qtbot.waitSignal(cache.ready) as second:
        assert cache.names("t") == []  # not cached empty: asked again
    assert second.args == ["t", ["amount"]]
    assert cache.names("t") == ["amount"]


# -- against a real broker ----------------------------------------------------------------


def small_topology(unique: str, rate: int = 200) -> Topology:
    b = StreamsBuilder(f"it-{unique}")
    orders = b.generator(f"orders-{unique}", name="orders", rate=rate, seed=5)
    paid = orders.filter("value['status'] == 'paid'", name="paid")
    paid.to(f"paid-{unique}", name="out")
    return b.build()


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def tansu_children() -> set[int]:
    """Broker processes whose parent is this process (read from /proc: no psutil)."""
    me, found = os.getpid(), set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        comm = text[text.index("(") + 1 : text.rindex(")")]
        ppid = int(text.rsplit(")", 1)[1].split()[1])
        if ppid == me and comm.startswith("tansu"):
            found.add(int(stat.parent.name))
    return found


def make_window(qtbot, settings, tmp_path, topology: Topology):
    from gui.app.main_window import MainWindow

    win = MainWindow(settings=settings, recovery_dir=tmp_path / "recovery")
    win.files.ask_save_changes = lambda: QMessageBox.StandardButton.Discard
    qtbot.addWidget(win)
    win.resize(1400, 900)
    win.document.set_topology(topology, None)
    win.document.undo_stack.resetClean()
    win.show()
    qtbot.waitExposed(win)
    return win


@pytest.mark.kafka
def test_run_shows_badges_edges_and_preview_then_stop_leaves_no_process(
    qtbot, settings, tmp_path, bootstrap, unique
):
    win = make_window(qtbot, settings, tmp_path, small_topology(unique))
    win.monitor.apply_profile(ConnectionProfile(kind=CLUSTER, name="test", bootstrap=bootstrap))
    assert f"Kafka {bootstrap}" in win.broker_label.text()
    win.select_node("paid")
    win.act_run.trigger()
    c = win.monitor.controller
    qtbot.waitUntil(lambda: c.status == "running", timeout=30_000)
    assert not win.act_run.isEnabled() and win.act_stop.isEnabled()
    qtbot.waitUntil(
        lambda: bool(badge_text(win, "paid")) and badge_text(win, "paid")[0][1] != "0/s",
        timeout=30_000,
    )
    qtbot.waitUntil(lambda: (edge_rate(win, "orders", "paid") or 0) > 0, timeout=10_000)
    edge = next(e for e in win.scene.edge_items() if e.key.source == "orders")
    assert edge.width > EDGE_IDLE_WIDTH
    qtbot.waitUntil(lambda: win.monitor.preview.records.model.rowCount() > 3, timeout=20_000)
    values = [
        win.monitor.preview.records.model.record(r)["value"]
        for r in range(win.monitor.preview.records.model.rowCount())
    ]
    assert all(v["status"] == "paid" for v in values)
    pid = c.supervisor.pid
    win.act_stop.trigger()
    qtbot.waitUntil(lambda: c.status == "stopped" and c.supervisor is None, timeout=40_000)
    state = win.scene.node_item("paid").run_state()
    assert state.final and state.in_count > 0  # the final counts, dimmed
    assert edge_rate(win, "orders", "paid") is None
    assert not alive(pid)
    assert multiprocessing.active_children() == []
    win.close()


@pytest.mark.kafka
def test_one_sandbox_broker_for_the_app_and_its_runs_gone_when_the_window_closes(
    qtbot, settings, tmp_path, unique
):
    before = tansu_children()  # the session's broker, if another test started it
    win = make_window(qtbot, settings, tmp_path, small_topology(unique, rate=50))
    assert win.monitor.controller.profile.uses_sandbox
    win.start_sandbox_broker()  # what the app does at launch
    qtbot.waitUntil(lambda: "Sandbox broker 127.0.0.1:" in win.broker_label.text(), timeout=20_000)
    address = win.monitor.controller.bootstrap()
    assert address and address in win.broker_label.text()
    win.act_run.trigger()
    c = win.monitor.controller
    qtbot.waitUntil(lambda: c.status == "running", timeout=30_000)
    qtbot.waitUntil(lambda: bool(badge_text(win, "orders")), timeout=30_000)
    assert (
        c.supervisor.options["bootstrap"] == address
    )  # the run went to the broker the status bar shows
    brokers = tansu_children() - before
    assert len(brokers) == 1, f"expected one sandbox broker, found {sorted(brokers)}"
    qtbot.wait(1500)  # the broker outlives the short-lived thread that asked for it
    assert all(alive(pid) for pid in brokers)
    worker = c.supervisor.pid
    win.close()  # blocks until the run and the broker are gone
    assert not alive(worker)
    assert not any(alive(pid) for pid in brokers)
    assert tansu_children() - before == set()
    assert multiprocessing.active_children() == []


@pytest.mark.kafka
def test_kafka_streams_group_lag_charted_from_monitor_group_requested(
    qtbot, settings, tmp_path, bootstrap, unique
):
    from confluent_kafka import Consumer, Producer, TopicPartition
    from confluent_kafka.admin import AdminClient, NewTopic

    topic, group = f"streams-in-{unique}", f"streams-app-{unique}"
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(topic, 1, 1)])[topic].result(10)
    producer = Producer({"bootstrap.servers": bootstrap})
    for i in range(50):
        producer.produce(topic, f'{{"n": {i}}}'.encode())
    producer.flush(10)
    consumer = Consumer(
        {"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False}
    )
    try:
        consumer.commit(offsets=[TopicPartition(topic, 0, 20)], asynchronous=False)
    finally:
        consumer.close()
    win = make_window(qtbot, settings, tmp_path, small_topology(unique))
    win.monitor.apply_profile(ConnectionProfile(kind=CLUSTER, name="test", bootstrap=bootstrap))
    win.file_actions.monitorGroupRequested.emit(group)
    cluster = win.monitor.cluster
    assert in_front(win.cluster_dock) and cluster.pages.currentWidget() is cluster.lag_widget
    qtbot.waitUntil(lambda: bool(cluster.poller.history.partitions), timeout=20_000)
    assert {(p.topic, p.partition): p.lag for p in cluster.poller.history.partitions} == {
        (topic, 0): 30
    }
    qtbot.waitUntil(
        lambda: "30 records behind" in cluster.lag_widget.group_label.text(), timeout=5000
    )
    win.close()
