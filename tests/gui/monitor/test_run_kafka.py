"""The run controller and the cluster view against the real sandbox broker."""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

import pytest

from engine.cluster.broker import SandboxBroker, free_port
from engine.code.builder import StreamsBuilder
from gui.monitor.connection import CLUSTER, ConnectionProfile
from gui.monitor.qt_charts import QtLagWidget, QtThroughputWidget
from gui.monitor.qt_cluster import QtClusterWidget
from gui.monitor.qt_connection_dialog import QtConnectionDialog
from gui.monitor.qt_preview import QtPreviewWidget
from gui.monitor.qt_run_controller import RunController

pytestmark = pytest.mark.kafka


def pipeline(unique: str, rate: int = 200):
    b = StreamsBuilder(f"mon-{unique}")
    orders = b.generator(f"orders-{unique}", name="orders", rate=rate, seed=3)
    paid = orders.filter("value['status'] == 'paid'", name="paid")
    paid.to(f"paid-{unique}", name="out")
    return b.build()


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def cluster(bootstrap: str) -> ConnectionProfile:
    return ConnectionProfile(kind=CLUSTER, name="test", bootstrap=bootstrap)


@pytest.fixture
def make_controller(qtbot):
    made = []

    def make(bootstrap: str, topology=None) -> RunController:
        c = RunController(cluster(bootstrap), metrics_interval_s=0.3)
        if topology is not None:
            c.set_topology_provider(lambda: topology)
        made.append(c)
        return c

    yield make
    for c in made:
        c.shutdown()


def test_run_shows_metrics_charts_and_preview_then_stops_cleanly(
    qtbot, bootstrap, unique, make_controller
):
    c = make_controller(bootstrap, pipeline(unique))
    chart = QtThroughputWidget(c)
    preview = QtPreviewWidget(c)
    lag = QtLagWidget(c.lag_poller)
    for w in (chart, preview, lag):
        qtbot.addWidget(w)
        w.show()
    statuses, metrics = [], []
    c.statusChanged.connect(lambda s, r: statuses.append(s))
    c.nodeMetrics.connect(metrics.append)
    preview.set_node("paid")
    assert c.run()
    qtbot.waitUntil(lambda: bool(metrics and metrics[-1]["out"]["out"] > 20), timeout=30_000)
    assert statuses[:2] == ["starting", "running"]
    assert metrics[-1]["orders"]["out_rate"] > 0
    qtbot.waitUntil(
        lambda: bool(chart.chart.visible_data().get("orders", ([], []))[1].max(initial=0) > 0),
        timeout=10_000,
    )
    qtbot.waitUntil(lambda: bool(preview.records.model.rowCount() > 3), timeout=15_000)
    values = [
        preview.records.model.record(r)["value"] for r in range(preview.records.model.rowCount())
    ]
    assert all(v["status"] == "paid" for v in values)
    # The app's own group lag is charted too (committed offsets polled from the cluster).
    qtbot.waitUntil(
        lambda: bool(any(n.startswith(f"orders-{unique}[") for n in lag.chart.visible_data())),
        timeout=20_000,
    )
    pid = c.supervisor.pid
    c.stop()
    assert c.status == "stopping"
    qtbot.waitUntil(lambda: bool(c.status == "stopped"), timeout=30_000)
    qtbot.waitUntil(lambda: bool(c.supervisor is None), timeout=10_000)
    assert not alive(pid)
    assert multiprocessing.active_children() == []
    assert statuses[-2:] == ["stopping", "stopped"]


def test_external_consumer_groups_lag_appears_in_the_cluster_view(
    qtbot, bootstrap, unique, make_controller
):
    from confluent_kafka import Consumer, Producer, TopicPartition
    from confluent_kafka.admin import AdminClient, NewTopic

    topic, group = f"ext-{unique}", f"someone-else-{unique}"
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(topic, 2, 1)])[topic].result(10)
    producer = Producer({"bootstrap.servers": bootstrap})
    for i in range(200):
        producer.produce(topic, f'{{"n": {i}}}'.encode(), partition=i % 2)
    producer.flush(10)
    consumer = Consumer(
        {"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False}
    )
    try:
        consumer.commit(
            offsets=[TopicPartition(topic, 0, 30), TopicPartition(topic, 1, 60)], asynchronous=False
        )
    finally:
        consumer.close()
    c = make_controller(bootstrap)
    view = QtClusterWidget(c)
    qtbot.addWidget(view)
    view.show()
    qtbot.waitUntil(
        lambda: bool(group in view.groups and any(t.name == topic for t in view.topics)),
        timeout=20_000,
    )
    view.tree.setCurrentItem(view._find(1, topic))
    qtbot.waitUntil(lambda: bool(view.samples.model.rowCount() > 0), timeout=15_000)
    assert view.samples.model.record(0)["value"].keys() == {"n"}
    view.tree.setCurrentItem(view._find(2, group))
    assert view.pages.currentWidget() is view.lag_widget
    qtbot.waitUntil(lambda: bool(view.poller.history.partitions), timeout=20_000)
    lags = {(p.topic, p.partition): p.lag for p in view.poller.history.partitions}
    assert lags == {(topic, 0): 70, (topic, 1): 40}
    view.lag_widget.refresh_now()
    data = view.lag_widget.chart.visible_data()
    assert data[f"{topic}[0]"][1][-1] == 70 and data[f"{topic}[1]"][1][-1] == 40
    assert "110 records behind" in view.lag_widget.group_label.text()
    names = []
    from gui.monitor.qt_cluster import FieldNameCache

    cache = FieldNameCache(c.cluster_client)
    cache.ready.connect(lambda t, n: names.append(n))
    assert cache.names(topic) == []
    qtbot.waitUntil(lambda: bool(names), timeout=15_000)
    assert cache.names(topic) == ["n"]
    view.shutdown()


def test_connection_test_says_what_failed(qtbot):
    dialog = QtConnectionDialog(cluster("127.0.0.1:1"))
    qtbot.addWidget(dialog)
    dialog.test_connection()
    qtbot.waitUntil(lambda: bool(dialog.test_button.isEnabled()), timeout=20_000)
    text = dialog.result_text()
    assert text.startswith("✘") and "No broker answered at 127.0.0.1:1" in text
    assert "check the host and port" in text


def test_connection_test_succeeds_against_the_broker(qtbot, bootstrap):
    dialog = QtConnectionDialog(cluster(bootstrap))
    qtbot.addWidget(dialog)
    dialog.test_connection()
    qtbot.waitUntil(lambda: bool(dialog.test_button.isEnabled()), timeout=20_000)
    assert dialog.result_text().startswith(f"✔ Connected to {bootstrap}")


def test_unreachable_cluster_fails_the_run_with_a_reason(qtbot, make_controller, unique):
    c = make_controller("127.0.0.1:1", pipeline(unique))
    assert c.run()
    qtbot.waitUntil(lambda: bool(c.status == "failed"), timeout=40_000)
    assert "127.0.0.1:1" in c.reason
    qtbot.waitUntil(lambda: bool(c.supervisor is None), timeout=10_000)
    assert multiprocessing.active_children() == []


def test_sandbox_profile_starts_the_broker_and_shutdown_stops_it(qtbot, unique):
    c = RunController(metrics_interval_s=0.3)  # the default profile: the local sandbox broker
    c.set_topology_provider(lambda: pipeline(unique, rate=50))
    try:
        assert c.run()
        qtbot.waitUntil(lambda: bool(c.status == "running"), timeout=30_000)
        sandbox = c._sandbox
        assert sandbox is not None and sandbox.running()
        pid = c.supervisor.pid
    finally:
        c.shutdown()
    assert not sandbox.running() and not alive(pid)
    assert multiprocessing.active_children() == []


def test_broker_lost_mid_run_shows_disconnected_then_recovers(qtbot, unique, make_controller):
    port = free_port()
    first = SandboxBroker(port=port).start()
    second = None
    try:
        c = make_controller(first.bootstrap, pipeline(unique, rate=100))
        outs = []
        c.nodeMetrics.connect(lambda m: outs.append(m["out"]["out"]))
        c.run()
        qtbot.waitUntil(lambda: bool(outs and outs[-1] > 10), timeout=30_000)
        first.stop()
        qtbot.waitUntil(lambda: bool(c.status == "disconnected"), timeout=20_000)
        assert "lost the connection" in c.reason or "acknowledge" in c.reason
        second = SandboxBroker(port=port).start()
        before = outs[-1]
        # Back to running, and records flowing again.
        qtbot.waitUntil(
            lambda: bool(c.status == "running" and outs[-1] > before + 10), timeout=40_000
        )
    finally:
        for b in (first, second):
            if b is not None:
                b.stop()
