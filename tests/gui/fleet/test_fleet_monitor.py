"""The fleet's actions follow the run: Attach is unavailable during one, and says why."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from engine.code.builder import StreamsBuilder
from gui.fleet.qt_fleet_monitor import FleetMonitor
from gui.monitor.qt_run_monitor import RunMonitor


def test_attach_is_disabled_during_a_run_and_says_why(qtbot):
    b = StreamsBuilder("shop")
    b.stream("orders", name="s").to("out", name="o")
    topology = b.build()
    parent = QWidget()
    qtbot.addWidget(parent)
    monitor = RunMonitor(parent)
    fleet = FleetMonitor(parent, monitor, lambda: topology)
    attach = fleet.actions["attach"]
    assert attach.isEnabled()
    try:
        monitor.controller.status = "running"
        monitor.controller.statusChanged.emit("running", "")
        assert not attach.isEnabled()
        assert "Stop the run first" in attach.statusTip()
        monitor.controller.status = "stopped"
        monitor.controller.statusChanged.emit("stopped", "")
        assert attach.isEnabled() and "Stop the run" not in attach.statusTip()
    finally:
        monitor.controller.status = "stopped"
        fleet.shutdown()
        monitor.shutdown()
