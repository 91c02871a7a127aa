"""Run in the app with several instances: the Instances panel shows how they share the
partitions, and stopping one shows the other taking them over (real sandbox broker)."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QWidget

from engine.code.builder import StreamsBuilder
from gui.fleet.qt_fleet_monitor import FleetMonitor
from gui.monitor.connection import CLUSTER, ConnectionProfile
from gui.monitor.qt_run_monitor import RunMonitor

pytestmark = pytest.mark.kafka


def held(row: list[str], topic: str) -> set[int]:
    """Partitions of ``topic`` in the panel's "[0, 1] topic, other +2 internal" text."""
    for group in row[4].split("  ·  "):
        parts, _, topics = group[1:].partition("] ")
        if topic in [t.split(" +")[0] for t in topics.split(", ")]:
            return {int(p) for p in parts.split(", ")}
    return set()


def test_two_instances_share_then_one_takes_over(qtbot, bootstrap, unique):
    topic = f"gen-{unique}"
    b = StreamsBuilder(f"inst-{unique}", topic_partitions=4, commit_interval="200ms")
    b.generator(topic, name="orders", rate=100, seed=1).to(f"copy-{unique}", name="out")
    topology = b.build()
    parent = QWidget()
    qtbot.addWidget(parent)
    monitor = RunMonitor(
        parent, profile=ConnectionProfile(kind=CLUSTER, name="t", bootstrap=bootstrap)
    )
    monitor.set_topology_provider(lambda: topology)
    fleet = FleetMonitor(parent, monitor, lambda: topology)
    try:
        fleet.instances_box.setValue(2)
        assert monitor.controller.run()
        qtbot.waitUntil(lambda: len(fleet.instances.own_pids) == 2, timeout=30_000)

        def sharing():
            rows = [r for r in fleet.instances.rows() if r[3] == "running"]
            shares = [held(r, topic) for r in rows]
            return (
                len(rows) == 2
                and all(float(r[5].replace(",", "")) > 0 for r in rows)  # each one's In/s
                and all(shares)
                and not shares[0] & shares[1]
                and shares[0] | shares[1] == {0, 1, 2, 3}
            )

        qtbot.waitUntil(sharing, timeout=60_000)
        assert {int(r[2]) for r in fleet.instances.rows()} == fleet.instances.own_pids
        victim = min(fleet.instances.own_pids)
        fleet.instances.stopRequested.emit(victim)

        def taken_over():
            rows = {int(r[2]): r for r in fleet.instances.rows()}
            survivor = [r for pid, r in rows.items() if pid != victim]
            return (
                rows[victim][3] == "stopped"
                and survivor
                and survivor[0][3] == "running"
                and held(survivor[0], topic) == {0, 1, 2, 3}
            )

        qtbot.waitUntil(taken_over, timeout=60_000)
        assert monitor.controller.is_active()  # the other instance runs on
    finally:
        monitor.controller.stop()
        qtbot.waitUntil(lambda: not monitor.controller.is_active(), timeout=40_000)
        fleet.shutdown()
        monitor.shutdown()
