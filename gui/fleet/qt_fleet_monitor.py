"""FleetMonitor: attaching to applications running anywhere, and the Instances panel.

The main window integrates it in a few lines:

    fleet = FleetMonitor(window, run_monitor, lambda: window.document.topology)
    window.addDockWidget(bottom, fleet.dock)
    run_menu.addActions([fleet.actions["attach"], fleet.actions["detach"]])
    toolbar.addWidget(fleet.instances_box)           # Run starts this many workers
    fleet.nodeMetrics.connect(window.scene.run_overlay.show_metrics)   # when the hashes match

Attaching follows the application's published run state (``QtFleetWatcher``): instances
in the Instances panel, joins/leaves/silences in the run log, per-node rates summed over
instances on the open document's canvas when it is the topology they run (same hash),
else on a read-only window of the topology they published; the lag charts follow the
application's consumer group; the status bar says what the app is attached to and how many
of its instances are live. Detach stops reading and leaves the runs alone. While the
app runs a topology itself, the panel follows that run's instances the same way.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QDialog, QDockWidget, QLabel, QMainWindow, QSpinBox, QWidget

from engine.cluster.fleet import topology_sha256
from engine.cluster.fleet_reader import read_topology
from engine.model.status import RunStatus
from engine.model.topology import Topology
from engine.runtime.worker.instances import MAX_INSTANCES, InstanceGroup
from gui.fleet.qt_attach_dialog import QtAttachDialog, find_applications
from gui.fleet.qt_fleet_watcher import QtFleetWatcher
from gui.fleet.qt_instances import QtInstancesWidget
from gui.monitor.qt_tasks import run_in_background


def node_metrics(summary: dict) -> dict:
    """The canvas badges' numbers from a fleet summary."""
    return {
        node_id: {
            "in_rate": c.get("rate_in", 0.0),
            "out_rate": c.get("rate_out", 0.0),
            "in": c.get("in", 0),
            "out": c.get("out", 0),
            "errors": c.get("errors", 0),
            "late": c.get("late", 0),
        }
        for node_id, c in summary.get("nodes", {}).items()
    }


ATTACH_TIP = "Watch an application running anywhere on the connected cluster"


def roles(topology: Topology) -> tuple[list[str], list[str]]:
    """Source and sink node ids: an instance's records/s in and out are theirs."""
    sources = [n.id for n in topology.nodes.values() if n.type.endswith("_source")]
    sinks = [n.id for n in topology.nodes.values() if n.type.endswith("_sink")]
    return sources, sinks


class QtAttachedTopologyWindow(QMainWindow):
    """The topology an attached application runs, when it is not the open document:
    read-only, with live badges."""

    def __init__(self, topology: Topology, application_id: str, parent=None):
        super().__init__(parent)
        from gui.canvas.layout import auto_layout
        from gui.canvas.qt_scene import TopologyScene
        from gui.canvas.qt_view import TopologyView

        if any(node.position is None for node in topology.nodes.values()):
            for node_id, position in auto_layout(topology).items():
                topology.nodes[node_id].position = position
        self.setObjectName("attachedTopologyWindow")
        self.setWindowTitle(f"{application_id} — attached (read-only) — Topology Studio")
        self.scene = TopologyScene(topology, self)
        self.view = TopologyView(self.scene, self)
        self.view.setInteractive(False)
        self.view.setAcceptDrops(False)
        self.setCentralWidget(self.view)
        note = QLabel(
            f"Read-only: the topology '{application_id}' runs, published by its "
            "instances. Open or save it to edit a copy."
        )
        self.statusBar().addWidget(note)
        self.resize(960, 560)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.view.fit()


class FleetMonitor(QObject):
    nodeMetrics = Signal(dict)  # for the main canvas, while attached to the open document
    metricsEnded = Signal()  # detached from the open document: its badges keep the last counts
    attachedChanged = Signal(str)  # application id, "" when detached

    def __init__(
        self,
        parent_widget: QWidget | None,
        run_monitor,
        document_topology: Callable[[], Topology | None],
    ):
        super().__init__(parent_widget)
        self.parent_widget = parent_widget
        self.run_monitor = run_monitor
        self.controller = run_monitor.controller
        self.document_topology = document_topology
        self.attached = ""  # application id while attached
        self.matches_document = False
        self.topology_window: QtAttachedTopologyWindow | None = None
        self._resolved_hash = ""
        self._watching_own_run = False
        self.watcher = QtFleetWatcher(self)
        self.instances = QtInstancesWidget()
        self.dock = QDockWidget("Instances", parent_widget)
        self.dock.setObjectName("instancesDock")
        self.dock.setWidget(self.instances)
        self.instances_box = QSpinBox()
        self.instances_box.setObjectName("instancesBox")
        self.instances_box.setRange(1, MAX_INSTANCES)
        self.instances_box.setPrefix("Instances: ")
        self.instances_box.setToolTip(
            "Worker processes Run starts, in one consumer group: they share the input partitions"
        )
        self.instances_box.valueChanged.connect(self._on_instances_changed)
        self.actions = {
            "attach": self._action(
                "Attach to Running Application…",
                self.choose_and_attach,
                ATTACH_TIP,
            ),
            "detach": self._action(
                "Detach", self.detach, "Stop watching the attached application (it keeps running)"
            ),
        }
        self.watcher.updated.connect(self._on_updated)
        self.watcher.eventsArrived.connect(self._on_events)
        self.watcher.problem.connect(lambda text: self._log("error", f"fleet: {text}"))
        self.instances.stopRequested.connect(self._on_stop_requested)
        self.controller.statusChanged.connect(self._on_run_status)
        self._update_actions()

    def _action(self, text: str, slot, tip: str) -> QAction:
        action = QAction(text, self)
        action.setToolTip(tip)
        action.setStatusTip(tip)
        action.triggered.connect(slot)
        return action

    def _log(self, kind: str, text: str) -> None:
        self.controller.message.emit(kind, text)

    def _update_actions(self) -> None:
        active = self.controller.is_active()
        attach = self.actions["attach"]
        attach.setEnabled(not active)
        tip = (
            "Stop the run first: attaching watches another application instead"
            if active
            else ATTACH_TIP
        )
        attach.setToolTip(tip)
        attach.setStatusTip(tip)
        self.actions["detach"].setEnabled(bool(self.attached))
        self.instances_box.setEnabled(not active)

    # -- attach / detach -------------------------------------------------------------------

    def choose_and_attach(self) -> bool:
        c = self.controller
        dialog = QtAttachDialog(
            lambda: find_applications(c.ensure_bootstrap(), c.client_config())(),
            c.profile.describe(),
            self.parent_widget,
        )
        if dialog.exec() != QDialog.DialogCode.Accepted or not dialog.application_id():
            return False
        self.attach(dialog.application_id())
        return True

    def attach(self, application_id: str) -> None:
        """Watch ``application_id`` (blocking look-ups run in the background)."""
        if self.controller.is_active():
            self._log("error", "stop the run before attaching to another application")
            return
        self.detach(quiet=True)
        self.attached = application_id
        self.matches_document = False
        self._resolved_hash = ""
        self._watching_own_run = False
        self.instances.own_pids = set()
        self.instances.set_roles([], [])  # the document's, until its own topology is read
        self.instances.clear(f"Attaching to {application_id}…")
        self.controller.throughput.clear()
        self.run_monitor.throughput.chart.set_series(self.controller.throughput)
        self._log(
            "status",
            f"attached to {application_id}: watching its instances (detach leaves them running)",
        )
        c = self.controller
        run_in_background(
            c.ensure_bootstrap,
            lambda b: self._start_watch(application_id, b),
            lambda exc: self._log("error", f"cannot attach: {exc}"),
            name="attach",
        )
        self.dock.show()
        self.dock.raise_()
        self.run_monitor.status_label.show_attached(application_id)
        self._update_actions()
        self.attachedChanged.emit(application_id)

    def _start_watch(self, application_id: str, bootstrap: str) -> None:
        if self.attached != application_id:
            return
        self.watcher.watch(bootstrap, self.controller.client_config(), application_id)
        self.controller.group_id = application_id
        self.controller.lag_poller.watch(application_id)

    def detach(self, quiet: bool = False) -> None:
        if not self.attached:
            return
        app_id, self.attached = self.attached, ""
        self.watcher.stop()
        if not self.controller.is_active():
            self.controller.lag_poller.stop()
        if self.matches_document:
            self.metricsEnded.emit()
        if self.topology_window is not None:
            self.topology_window.scene.run_overlay.finish()
        self.matches_document = False
        self.instances.clear(f"Detached from {app_id}; its instances keep running.")
        if not quiet:
            self._log("status", f"detached from {app_id}; its instances keep running")
        self.run_monitor.status_label.show_attached("")
        self._update_actions()
        self.attachedChanged.emit("")

    # -- what the watcher found --------------------------------------------------------------

    def _on_updated(self, summary: dict) -> None:
        self.instances.show_summary(summary)
        if not self.attached:
            return
        live = sum(1 for i in summary.get("instances", []) if i.get("alive"))
        self.run_monitor.status_label.show_attached(self.attached, live)
        hashes = summary.get("hashes") or []
        if hashes and hashes[0] != self._resolved_hash:
            self._resolve_topology(hashes[0])
        metrics = node_metrics(summary)
        # The throughput chart follows the attached application as it follows a run.
        self.controller.throughput.append(
            time.time(), {n: float(m["out_rate"]) for n, m in metrics.items()}
        )
        self.run_monitor.throughput.mark_dirty()
        if self.matches_document:
            self.nodeMetrics.emit(metrics)
        elif self.topology_window is not None:
            self.topology_window.scene.run_overlay.show_metrics(metrics)

    def _resolve_topology(self, sha256: str) -> None:
        self._resolved_hash = sha256
        document = self.document_topology()
        if document is not None and topology_sha256(document) == sha256:
            self.matches_document = True
            self.instances.set_roles(*roles(document))
            self._log(
                "status",
                f"{self.attached} runs the open document (same topology hash): "
                "its live rates are on the canvas",
            )
            return
        self.matches_document = False
        app_id, c = self.attached, self.controller

        def work():
            return read_topology(c.ensure_bootstrap(), app_id, sha256, c.client_config())

        run_in_background(
            work,
            lambda topology: self._show_topology(app_id, sha256, topology),
            lambda exc: self._log("error", f"cannot read the topology of {app_id}: {exc}"),
            name="attach-topology",
        )

    def _show_topology(self, app_id: str, sha256: str, topology: Topology | None) -> None:
        if app_id != self.attached or sha256 != self._resolved_hash:
            return
        if topology is None:
            self._log(
                "error",
                f"{app_id} did not publish its topology ({app_id}-topology): "
                "rates are in the Instances panel only",
            )
            return
        self.instances.set_roles(*roles(topology))
        if self.topology_window is not None:
            self.topology_window.close()
            self.topology_window.deleteLater()
        self.topology_window = QtAttachedTopologyWindow(topology, app_id, self.parent_widget)
        self.topology_window.show()
        self._log(
            "status",
            f"{app_id} runs a topology other than the open document: shown "
            "read-only in its own window",
        )

    def _on_events(self, sentences: list) -> None:
        for text in sentences:
            self._log("status", text)

    # -- the app's own runs ------------------------------------------------------------------

    def _on_instances_changed(self, value: int) -> None:
        self.controller.instances = int(value)

    def _on_run_status(self, status: str, _reason: str) -> None:
        if status == RunStatus.STARTING:
            if self.attached:
                self.detach()
            topology = self.document_topology()
            if topology is not None:
                self.instances.set_roles(*roles(topology))
                self.instances.own_pids = set()
                self.instances.clear(
                    f"{topology.name}: starting "
                    f"{self.controller.instances} instance"
                    f"{'s' * (self.controller.instances != 1)}…",
                    since_ms=time.time() * 1000,  # earlier runs' instances are not listed
                )
                self._watching_own_run = True
                app_id = topology.name
                run_in_background(
                    self.controller.ensure_bootstrap,
                    lambda b: self._watch_own(app_id, b),
                    name="instances-watch",
                )
        elif status == RunStatus.RUNNING:
            sup = self.controller.supervisor
            pids = sup.pids() if isinstance(sup, InstanceGroup) else []
            self.instances.own_pids = {p for p in pids if p is not None}
        self._update_actions()

    def _watch_own(self, app_id: str, bootstrap: str) -> None:
        if self._watching_own_run and not self.attached:
            self.watcher.watch(bootstrap, self.controller.client_config(), app_id)

    def _on_stop_requested(self, pid: int) -> None:
        sup = self.controller.supervisor
        if isinstance(sup, InstanceGroup):
            self._log("status", f"stopping instance pid {pid}; the others take over its partitions")
            run_in_background(lambda: sup.stop_instance(pid), name="instance-stop")

    def shutdown(self) -> None:
        self.watcher.stop()
        self.watcher.join(3)
        if self.topology_window is not None:
            self.topology_window.close()


__all__ = ["FleetMonitor", "QtAttachedTopologyWindow", "node_metrics"]


def install(window) -> FleetMonitor:
    """Adds the fleet to the main window: the Instances dock (beside consumer lag), Attach and
    Detach in the Run menu, the Instances box in the toolbar, badges on the canvas."""
    fleet = FleetMonitor(window, window.monitor, lambda: window.document.topology)
    window.add_watcher_dock(fleet.dock)
    menu = window.run_menu
    menu.addSeparator()
    menu.addActions([fleet.actions["attach"], fleet.actions["detach"]])
    window.toolbar.insertWidget(window.act_connection, fleet.instances_box)
    fleet.nodeMetrics.connect(window.scene.run_overlay.show_metrics)
    fleet.metricsEnded.connect(lambda: window.scene.run_overlay.finish())
    fleet.attachedChanged.connect(lambda app_id: app_id and window.scene.run_overlay.clear())
    return fleet
