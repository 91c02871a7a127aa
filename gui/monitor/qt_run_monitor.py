"""RunMonitor: everything about running and watching a topology, behind one object the
main window integrates in a few lines:

    monitor = RunMonitor(window, settings)
    monitor.set_topology_provider(lambda: window.document.topology)
    for dock in monitor.docks():
        window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
    toolbar.addActions(list(monitor.actions().values()))
    monitor.nodeMetrics.connect(window.scene.run_overlay.show_metrics)   # badges on the canvas
    selection -> monitor.set_selected_node(node_id)
    closeEvent -> monitor.shutdown()
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QSettings, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDialog, QDockWidget, QLabel, QMessageBox, QWidget

from engine.model.status import RunStatus
from engine.model.topology import Topology
from gui.monitor import qt_style
from gui.monitor.connection import ConnectionProfile
from gui.monitor.qt_charts import QtLagWidget, QtThroughputWidget
from gui.monitor.qt_cluster import FieldNameCache, QtClusterWidget
from gui.monitor.qt_connection_dialog import QtConnectionDialog, load_profile, save_profile
from gui.monitor.qt_log import QtLogWidget
from gui.monitor.qt_preview import QtPreviewWidget
from gui.monitor.qt_run_controller import ACTIVE_STATES, RunController
from gui.style import theme


def attached_reason(application_id: str, live: int | None) -> str:
    """What the status bar says beside "attached": the application and its live instances."""
    if live is None:
        return f"to {application_id} (reading its run state…)"
    count = "no" if live == 0 else str(live)
    return f"to {application_id} ({count} instance{'s' * (live != 1)} live)"


class QtRunStatusLabel(QLabel):
    """The run's state in its colour, the reason beside it (for a status bar). While the
    app is attached to an application (gui.fleet) and runs nothing itself, it says that
    instead: an idle app that is watching a fleet is not idle to its user."""

    def __init__(self, controller: RunController, parent=None):
        super().__init__(parent)
        self.controller = controller
        self._status, self._reason = controller.status, controller.reason
        self._attached: tuple[str, int | None] | None = None
        controller.statusChanged.connect(self._on_status_changed)
        self._show()

    def show_attached(self, application_id: str, live: int | None = None) -> None:
        """Attached to ``application_id`` with ``live`` instances alive (None: not read yet);
        ``application_id`` "" when detached."""
        self._attached = (application_id, live) if application_id else None
        self._show()

    def _on_status_changed(self, status: str, reason: str) -> None:
        self._status, self._reason = status, reason
        self._show()

    def _show(self) -> None:
        status, reason = self._status, self._reason
        if self._attached is not None and status not in ACTIVE_STATES:
            status, reason = "attached", attached_reason(*self._attached)
        colour = qt_style.RUN_STATUS_COLOURS.get(status, theme.MUTED_TEXT.name())
        text = f"<span style='color:{colour}; font-weight:bold'>● {status}</span>"
        if reason:
            text += f" <span style='color:{theme.MUTED_TEXT.name()}'>{reason}</span>"
        self.setText(text)
        self.setToolTip(reason)


class RunMonitor(QObject):
    nodeMetrics = Signal(dict)  # {node_id: {in_rate, out_rate, in, out, errors, late}}
    groupStatus = Signal(str, str, str)  # group, OK/WARN/STALL, reason
    statusChanged = Signal(str, str)  # run status, reason
    fieldNamesReady = Signal(str, list)  # topic, names (after field_names_for missed the cache)

    def __init__(
        self,
        parent_widget: QWidget | None = None,
        settings: QSettings | None = None,
        profile: ConnectionProfile | None = None,
        *,
        metrics_interval_s: float = 0.5,
    ):
        super().__init__(parent_widget)
        self.parent_widget = parent_widget
        self.settings = settings
        if profile is None and settings is not None:
            profile = load_profile(settings)
        self.controller = RunController(profile, self, metrics_interval_s=metrics_interval_s)
        self.before_run: Callable[[Callable[[], object]], None] | None = None
        c = self.controller
        c.nodeMetrics.connect(self.nodeMetrics)
        c.groupStatus.connect(self.groupStatus)
        c.statusChanged.connect(self.statusChanged)
        c.statusChanged.connect(self._on_status_changed)
        c.resetFinished.connect(self._on_reset_finished)
        self.fields = FieldNameCache(c.cluster_client, self, registry_provider=c.registry_lookup)
        self.fields.ready.connect(self.fieldNamesReady)
        c.bootstrapChanged.connect(lambda _b: self.fields.invalidate())

        self.throughput = QtThroughputWidget(c)
        self.lag = QtLagWidget(c.lag_poller)
        self.preview = QtPreviewWidget(c)
        self.log = QtLogWidget(c)
        self.cluster = QtClusterWidget(c)
        self.status_label = QtRunStatusLabel(c)
        self._docks = [
            self._dock("Throughput", "throughputDock", self.throughput),
            self._dock("Consumer lag", "lagDock", self.lag),
            self._dock("Data preview", "previewDock", self.preview),
            self._dock("Run log", "runLogDock", self.log),
            self._dock("Cluster", "clusterDock", self.cluster),
        ]
        self._actions = self._make_actions()
        self._on_status_changed(c.status, c.reason)

    # -- integration API ---------------------------------------------------------------

    def docks(self) -> list[QDockWidget]:
        return list(self._docks)

    def actions(self) -> dict[str, QAction]:
        return dict(self._actions)

    def set_topology_provider(self, provider: Callable[[], Topology | None]) -> None:
        self.controller.set_topology_provider(provider)

    def set_selected_node(self, node_id: str | None) -> None:
        self.preview.set_node(node_id)

    def field_names_for(self, topic: str) -> list[str]:
        """Cached field names of ``topic`` (its registered schema's, else its JSON values');
        on a miss, [] now and
        ``fieldNamesReady`` later."""
        return self.fields.names(topic)

    def status(self) -> tuple[str, str]:
        return self.controller.status, self.controller.reason

    def shutdown(self) -> None:
        """Stop the run and the sandbox broker this monitor started; blocks until done."""
        self.cluster.shutdown()
        self.controller.shutdown()

    # -- actions -----------------------------------------------------------------------

    def _dock(self, title: str, name: str, widget: QWidget) -> QDockWidget:
        dock = QDockWidget(title, self.parent_widget)
        dock.setObjectName(name)
        dock.setWidget(widget)
        dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetClosable
            | QDockWidget.DockWidgetFeature.DockWidgetFloatable
        )
        return dock

    def _make_actions(self) -> dict[str, QAction]:
        def action(text, slot, tip, shortcut=None) -> QAction:
            a = QAction(text, self)
            a.setToolTip(tip)
            a.setStatusTip(tip)
            if shortcut:
                a.setShortcut(QKeySequence(shortcut))
            a.triggered.connect(slot)
            return a

        return {
            "run": action("Run", self.run, "Run the topology in a worker process", "F5"),
            "stop": action(
                "Stop", self.controller.stop, "Stop the run (flush and commit)", "Shift+F5"
            ),
            "reset": action(
                "Reset state…",
                self.reset_application_state,
                "Delete the topology's committed offsets and internal topics",
            ),
            "connection": action(
                "Connection…",
                self.edit_connection,
                "Choose the sandbox broker or your own Kafka cluster",
            ),
        }

    def run(self) -> None:
        """Run, unless ``before_run`` (given ``controller.run`` to call when it may go on)
        takes over: the app asks first when the run would reset state."""
        if self.before_run is not None:
            self.before_run(self.controller.run)
        else:
            self.controller.run()

    def _on_status_changed(self, status: str, _reason: str) -> None:
        active = status in ACTIVE_STATES
        self._actions["run"].setEnabled(not active)
        self._actions["stop"].setEnabled(active and status != RunStatus.STOPPING)
        self._actions["reset"].setEnabled(not active)
        self._actions["connection"].setEnabled(not active)

    def confirm_reset(self, app_id: str) -> bool:
        answer = QMessageBox.question(
            self.parent_widget,
            "Reset application state",
            f"Delete the committed offsets of consumer group '{app_id}' and its internal "
            "(repartition and changelog) topics?\n\nThe next run reads its sources from the "
            "start again and rebuilds its state. This cannot be undone.",
            QMessageBox.StandardButton.Reset | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        return answer == QMessageBox.StandardButton.Reset

    def reset_application_state(self) -> bool:
        topology = self.controller.topology_provider()
        if topology is None or self.controller.is_active():
            return False
        if not self.confirm_reset(topology.name):
            return False
        self.controller.message.emit("status", f"resetting the state of '{topology.name}'…")
        return self.controller.reset_application_state()

    def _on_reset_finished(self, problems: list) -> None:
        if problems:
            self.controller.message.emit("error", "reset incomplete: " + "; ".join(problems))
        else:
            self.controller.message.emit(
                "status", "application state deleted: the next run starts from the beginning"
            )

    def edit_connection(self) -> bool:
        c = self.controller
        dialog = QtConnectionDialog(
            c.profile,
            self.parent_widget,
            sandbox_bootstrap=c.ensure_bootstrap,
            sandbox_registry=c.ensure_sandbox_registry,
        )
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return False
        self.apply_profile(dialog.profile())
        return True

    def apply_profile(self, profile: ConnectionProfile) -> None:
        self.controller.set_profile(profile)
        if self.settings is not None:
            save_profile(self.settings, profile)
        self.controller.message.emit("status", f"connection: {profile.describe()}")


__all__ = ["QtRunStatusLabel", "RunMonitor"]
