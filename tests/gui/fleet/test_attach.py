"""The app attached to headless runs on the real sandbox broker (reference §12)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PySide6.QtWidgets import QWidget

from engine.cluster.fleet import metrics_topic
from engine.code.builder import StreamsBuilder
from engine.model import fileformat
from gui.canvas.qt_scene import TopologyScene
from gui.fleet.qt_fleet_monitor import FleetMonitor
from gui.monitor.connection import CLUSTER, ConnectionProfile
from gui.monitor.qt_run_monitor import RunMonitor
from tests.engine.kafka_util import create_topic, produce

pytestmark = pytest.mark.kafka
ROOT = Path(__file__).resolve().parents[3]


def pipeline(app: str, unique: str):
    b = StreamsBuilder(app)
    orders = b.generator(f"orders-{unique}", name="orders", rate=300, seed=5)
    orders.filter("value['status'] == 'paid'", name="paid").to(f"paid-{unique}", name="out")
    return b.build()


@pytest.fixture
def headless(bootstrap, unique, tmp_path):
    """A topology running headless in a process of its own, with a foreign record in its
    metrics topic; stopped at the end."""
    app = f"attach-{unique}"
    topology = pipeline(app, unique)
    path = tmp_path / f"{app}.topology.json"
    fileformat.write(topology, path)
    create_topic(bootstrap, metrics_topic(app), partitions=1)
    produce(bootstrap, metrics_topic(app), [("intruder", "this is not run state")])
    env = {**os.environ, "PYTHONPATH": str(ROOT), "KAFKA_BOOTSTRAP_SERVERS": ""}
    proc = subprocess.Popen(
        [sys.executable, "-m", "gui.launcher", "run", str(path), "--bootstrap", bootstrap],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield app, topology, proc
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture
def make_fleet(qtbot, bootstrap):
    made = []

    def make(document):
        parent = QWidget()
        qtbot.addWidget(parent)
        monitor = RunMonitor(
            parent, profile=ConnectionProfile(kind=CLUSTER, name="test", bootstrap=bootstrap)
        )
        fleet = FleetMonitor(parent, monitor, lambda: document)
        qtbot.addWidget(fleet.instances)
        made.append((fleet, monitor))
        return fleet, monitor

    yield make
    for fleet, monitor in made:
        fleet.shutdown()
        monitor.shutdown()


def test_attached_to_the_open_document_rates_reach_canvas_and_panel_then_detach_stops(
    qtbot, headless, make_fleet
):
    app, topology, proc = headless
    document = fileformat.loads(fileformat.dumps(topology))[0]
    for i, node in enumerate(document.nodes.values()):  # moved about: still the same topology
        node.position = (i * 300.0, 40.0)
    scene = TopologyScene(document)
    fleet, monitor = make_fleet(document)
    fleet.nodeMetrics.connect(scene.run_overlay.show_metrics)
    shown = []
    fleet.nodeMetrics.connect(shown.append)
    logged = []
    monitor.controller.message.connect(lambda kind, text: logged.append(text))

    fleet.attach(app)
    assert "attached" in monitor.status_label.text() and f"to {app}" in monitor.status_label.text()
    qtbot.waitUntil(
        lambda: any(m.get("orders", {}).get("out_rate", 0) > 0 for m in shown), timeout=40_000
    )
    assert f"to {app} (1 instance live)" in monitor.status_label.text()
    assert "idle" not in monitor.status_label.text()
    assert fleet.matches_document
    assert scene.run_overlay.shown()
    rows = fleet.instances.rows()
    assert len(rows) == 1
    assert rows[0][2] == str(proc.pid)
    assert rows[0][3] == "running"
    assert "orders-" in rows[0][4]  # the partitions it holds
    assert float(rows[0][5].replace(",", "")) > 0  # records/s in
    assert fleet.instances.summary["skipped"] == 1  # the foreign record
    assert any("joined" in text for text in logged)
    assert monitor.controller.lag_poller.active()

    fleet.detach()
    assert "idle" in monitor.status_label.text() and "attached" not in monitor.status_label.text()
    assert not monitor.controller.lag_poller.active()
    polls = fleet.watcher.polls
    qtbot.wait(2500)
    assert fleet.watcher.polls == polls  # no more reading
    assert proc.poll() is None  # the run goes on
    assert any("detached" in text for text in logged)


def test_attached_to_another_topology_shows_it_read_only_and_reports_a_lost_instance(
    qtbot, headless, make_fleet
):
    app, topology, proc = headless
    other = StreamsBuilder("something-else")
    other.stream("x", name="x").to("y", name="y")
    fleet, monitor = make_fleet(other.build())
    logged = []
    monitor.controller.message.connect(lambda kind, text: logged.append(text))
    fleet.attach(app)
    qtbot.waitUntil(lambda: fleet.topology_window is not None, timeout=40_000)
    assert not fleet.matches_document
    assert set(fleet.topology_window.scene.topology.nodes) == set(topology.nodes)
    assert not fleet.topology_window.view.isInteractive()
    qtbot.waitUntil(lambda: fleet.topology_window.scene.run_overlay.shown(), timeout=10_000)

    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    killed = time.monotonic()
    qtbot.waitUntil(lambda: any("lost" in text for text in logged), timeout=12_000)
    assert time.monotonic() - killed < 11
    qtbot.waitUntil(
        lambda: fleet.instances.rows() and fleet.instances.rows()[0][3] == "lost", timeout=3000
    )
    fleet.topology_window.close()
