"""The main window: palette, canvas, inspector and problems around one document;
menus, toolbar and status bar; window layout and recent files remembered.

Running is the run monitor's (``gui.monitor.qt_run_monitor.RunMonitor``): the window
adds its docks and actions, shows its numbers on the canvas, follows the canvas
selection in its data preview, feeds its field names to the expression editors, and
shuts it down on close (the worker and the sandbox broker with it)."""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QByteArray, QRectF, QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QLabel,
    QMainWindow,
    QMessageBox,
    QToolBar,
)

from engine.model.problems import Problem
from engine.model.status import ENDED, RunStatus
from gui.app import dock_layout
from gui.app.broker_service import SandboxBrokerService
from gui.app.canvas_editing import CanvasEditing
from gui.app.compare import install as install_compare
from gui.app.document_files import DocumentFiles
from gui.app.file_actions import FileActions
from gui.app.recovery import RecoveryWriter
from gui.app.redeploy_check import RedeployCheck
from gui.app.settings import app_settings
from gui.canvas.qt_scene import TopologyScene
from gui.canvas.qt_view import TopologyView
from gui.dashboard.qt_area import QtDashboardArea
from gui.designer.inspector import InspectorWidget
from gui.designer.palette import PaletteWidget
from gui.designer.validation_panel import ValidationPanel
from gui.document.document import TopologyDocument
from gui.fleet.qt_fleet_monitor import install as install_fleet
from gui.monitor.qt_alerts import install_alerts
from gui.monitor.qt_run_controller import ACTIVE_STATES
from gui.monitor.qt_run_monitor import RunMonitor
from gui.style import icons, theme
from gui.testrun.qt_test_run import install as install_test_run
from gui.topics.install import install as install_topics

APP_NAME = "Topology Studio"
SNAP_KEY = "view/snap_to_grid"
# The docks' default arrangement: a saved window state of an earlier one is not restored, so
# a new default reaches those who never moved a dock (2: Alerts and Instances by Consumer lag;
# 3: default sizes applied at the window's own size, and View > Reset Layout).
DOCK_LAYOUT = 3
FIELD_RETRY_S = 5.0  # how often to ask again for the field names of a topic that had none


class MainWindow(QMainWindow):
    def __init__(
        self,
        document: TopologyDocument | None = None,
        settings: QSettings | None = None,
        recovery_dir: Path | None = None,
        parent=None,
    ):
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.setWindowIcon(icons.app_icon())
        self.settings = settings if settings is not None else app_settings()
        self.document = document if document is not None else TopologyDocument()
        self.recovery = RecoveryWriter(self.document, recovery_dir, self)
        self.recovery.failed.connect(lambda text: self.statusBar().showMessage(text, 15000))

        self.scene = TopologyScene(self.document.topology, self)
        self.view = TopologyView(self.scene, self)
        self.central = QtDashboardArea(self.view, self)  # the canvas, the dashboards under it
        self.setCentralWidget(self.central)
        self.palette = PaletteWidget(self)
        self.inspector = InspectorWidget(self.document, self)
        self.validation = ValidationPanel(self.document, self)
        self.palette_dock = self._dock(
            "Nodes", "paletteDock", self.palette, Qt.DockWidgetArea.LeftDockWidgetArea
        )
        self.inspector_dock = self._dock(
            "Inspector", "inspectorDock", self.inspector, Qt.DockWidgetArea.RightDockWidgetArea
        )
        self.validation_dock = self._dock(
            "Problems", "problemsDock", self.validation, Qt.DockWidgetArea.BottomDockWidgetArea
        )
        self.monitor = RunMonitor(self, self.settings)
        self.monitor.set_topology_provider(lambda: self.document.topology)
        self.broker_service = SandboxBrokerService(self.monitor.controller, self)
        docks = {dock.objectName(): dock for dock in self.monitor.docks()}
        self.throughput_dock, self.lag_dock = docks["throughputDock"], docks["lagDock"]
        self.preview_dock, self.run_log_dock = docks["previewDock"], docks["runLogDock"]
        self.cluster_dock = docks["clusterDock"]
        dock_layout.place_monitor_docks(self)
        self.dashboard = self.central.attach(self.monitor.controller, self.document, self.settings)
        dock_layout.size_docks(self)
        self._monitor_shut = False
        self._fields_asked_at = 0.0
        self._preview_timer = QTimer(self)
        self._preview_timer.setSingleShot(True)
        self._preview_timer.setInterval(0)
        self._preview_timer.timeout.connect(self._preview_selection)

        self.files = DocumentFiles(self, self.document, self.settings, self.statusBar())
        self.editing = CanvasEditing(self, self.document, self.scene, self.view, self.statusBar())
        self._make_actions()
        self._make_menus()
        self._make_toolbar()
        self._make_status_bar()

        d = self.document
        d.topology_replaced.connect(self._on_topology_replaced)
        d.problems_changed.connect(self._on_problems_changed)
        d.path_changed.connect(self._update_title)
        d.modified_changed.connect(self._update_title)
        self.scene.nodes_moved.connect(d.move_nodes)
        self.scene.message.connect(lambda text: self.statusBar().showMessage(text, 6000))
        self.scene.selectionChanged.connect(self._on_selection_changed)
        self.view.zoom_changed.connect(lambda z: self.zoom_label.setText(f"{z * 100:.0f}%"))
        self.palette.type_activated.connect(self.editing.add_node_in_view)
        self.validation.node_activated.connect(self.select_node)
        self._connect_monitor()
        self.alerts = install_alerts(self)  # Alerts dock, canvas marks, desktop notifications
        self.fleet = install_fleet(self)  # Attach, Instances (gui.fleet)
        self.test_run = install_test_run(self)  # Test Run, Browse State (gui.testrun)
        self.topics = install_topics(self)  # Topic Browser, Reset Offsets (gui.topics)
        self.redeploy = RedeployCheck(self.monitor, d, self)  # asks before a Run resets state

        self._default_state = self.saveState(DOCK_LAYOUT)  # for View > Reset Layout
        self._restore_window()
        # After the docks' saved state is restored: the Changes dock shows only while comparing.
        self.compare = install_compare(self)  # File → Compare With, the Changes dock
        self._on_problems_changed(d.problems)
        self._update_title()
        self._on_selection_changed()

    # -- construction ----------------------------------------------------------------------

    def _dock(self, title: str, name: str, widget, area) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetClosable
            | QDockWidget.DockWidgetFeature.DockWidgetFloatable
        )
        self.addDockWidget(area, dock)
        return dock

    def add_watcher_dock(self, dock: QDockWidget) -> None:
        """A dock that watches the run (alerts, instances): a tab beside Consumer lag and
        Cluster, behind Consumer lag."""
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
        self.tabifyDockWidget(self.cluster_dock, dock)
        self.lag_dock.raise_()

    def _connect_monitor(self) -> None:
        m = self.monitor
        m.nodeMetrics.connect(self._on_node_metrics)
        m.groupStatus.connect(self._on_group_status)
        m.statusChanged.connect(self._on_run_status_changed)
        m.controller.runFinished.connect(self._on_run_finished)
        m.fieldNamesReady.connect(self.inspector.on_topic_fields)
        m.controller.bootstrapChanged.connect(lambda _b: self._show_connection())
        m.controller.connectionChanged.connect(self._on_connection_changed)
        self.inspector.set_topic_fields(m.field_names_for)
        self.inspector.set_registry_lookup(m.controller.registry_lookup)
        self.file_actions.monitorGroupRequested.connect(self.monitor_group)
        self.broker_service.started.connect(
            lambda address: self.set_broker_status(
                f"Sandbox broker {address}{self._registry_note()}", True
            )
        )
        self.broker_service.failed.connect(lambda message: self.set_broker_status(message, False))
        self._show_connection()

    def _action(self, text: str, slot, shortcut=None, tip: str = "", name: str = "") -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            if isinstance(shortcut, (list, tuple)):
                action.setShortcuts([QKeySequence(s) for s in shortcut])
            else:
                action.setShortcut(QKeySequence(shortcut))
        if tip:
            action.setStatusTip(tip)
            action.setToolTip(tip)
        action.setObjectName(
            name or text.replace("…", "").replace("&", "").lower().replace(" ", "_")
        )
        action.triggered.connect(lambda *_: slot())
        self.addAction(action)
        return action

    def _make_actions(self) -> None:
        K = QKeySequence.StandardKey
        d = self.document
        self.act_new = self._action("&New", self.files.new_empty, K.New, "Start an empty topology")
        self.act_new_demo = self._action(
            "New from &Demo Template",
            self.files.new_from_demo,
            None,
            "Start from the e-commerce dashboard demo",
            name="new_demo",
        )
        self.act_open = self._action(
            "&Open…", self.files.open_dialog, K.Open, "Open a topology file", name="open"
        )
        self.act_save = self._action(
            "&Save", self.files.save, K.Save, "Save the topology", name="save"
        )
        self.act_save_as = self._action(
            "Save &As…", self.files.save_as, K.SaveAs, "Save under a new name", name="save_as"
        )
        self.act_quit = self._action("&Quit", self.close, K.Quit, name="quit")
        self.act_undo = d.undo_stack.createUndoAction(self, "&Undo")
        self.act_undo.setShortcuts(QKeySequence.keyBindings(K.Undo))
        self.act_redo = d.undo_stack.createRedoAction(self, "&Redo")
        self.act_redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        self.addActions([self.act_undo, self.act_redo])
        self.act_cut = self._action("Cu&t", self.editing.cut, K.Cut, name="cut")
        self.act_copy = self._action("&Copy", self.editing.copy, K.Copy, name="copy")
        self.act_paste = self._action("&Paste", self.editing.paste, K.Paste, name="paste")
        self.act_duplicate = self._action(
            "&Duplicate", self.editing.duplicate, "Ctrl+D", name="duplicate"
        )
        self.act_delete = self._action(
            "&Delete",
            self.editing.delete_selection,
            [QKeySequence.StandardKey.Delete, "Backspace"],
            name="delete",
        )
        self.act_select_all = self._action(
            "Select &All", self.editing.select_all, K.SelectAll, name="select_all"
        )
        self.act_quick_add = self._action(
            "&Add Node…",
            lambda: self.editing.open_quick_add(self.view.cursor_scene_pos()),
            "Shift+A",
            "Search node types and add one at the cursor (Tab on the canvas)",
            name="add_node",
        )
        self.act_layout = self._action(
            "Auto-&Layout",
            self.editing.auto_layout,
            "Ctrl+L",
            "Arrange the nodes left to right",
            name="auto_layout",
        )
        self.act_fit = self._action(
            "&Fit to View", self.view.fit, ["F", "Home"], "Show the whole topology", name="fit"
        )
        self.act_zoom_in = self._action(
            "Zoom &In", lambda: self.view.zoom_by(1), [K.ZoomIn, "Ctrl+="], name="zoom_in"
        )
        self.act_zoom_out = self._action(
            "Zoom &Out", lambda: self.view.zoom_by(-1), K.ZoomOut, name="zoom_out"
        )
        self.act_zoom_reset = self._action(
            "&Actual Size", lambda: self.view.set_zoom(1.0), "Ctrl+0", name="zoom_reset"
        )
        self.act_reset_layout = self._action(
            "&Reset Layout",
            self.reset_layout,
            None,
            "Put every panel back where and as large as it was at first",
            name="reset_layout",
        )
        self.act_snap = QAction("&Snap to Grid", self)
        self.act_snap.setObjectName("snap_to_grid")
        self.act_snap.setStatusTip("Node moves end on the canvas grid")
        self.act_snap.setCheckable(True)
        self.act_snap.setChecked(self.settings.value(SNAP_KEY, True, type=bool))
        self.scene.snap_to_grid = self.act_snap.isChecked()
        self.act_snap.toggled.connect(self._on_snap_toggled)
        self.act_about = self._action("&About Topology Studio", self.about, name="about")
        self.act_keys = self._action("&Keyboard and Mouse", self.show_keys, name="keys")
        for action in (self.act_fit,):
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        run = self.monitor.actions()
        self.act_run, self.act_stop = run["run"], run["stop"]
        self.act_reset, self.act_connection = run["reset"], run["connection"]
        self.act_reset.setText("Reset Application State…")
        self.act_run.setIcon(icons.run_icon("run"))
        self.act_stop.setIcon(icons.run_icon("stop"))
        for name, action in run.items():
            action.setObjectName(name)
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            self.addAction(action)  # shortcuts work with the toolbar hidden

    def _add_theme_menu(self, view_menu) -> None:
        """View → Theme (System, Light, Dark), applied to the whole app as it changes."""
        from gui.app.appearance import Appearance, theme_menu

        self.appearance = Appearance(QApplication.instance(), self.settings, self)
        self.appearance.refresh_if_different()
        view_menu.addSeparator()
        view_menu.addMenu(theme_menu(self.appearance, view_menu))

    def _make_menus(self) -> None:
        bar = self.menuBar()
        m = bar.addMenu("&File")
        m.addActions([self.act_new, self.act_new_demo, self.act_open])
        m.addMenu(self.files.recent_menu)
        m.addSeparator()
        m.addActions([self.act_save, self.act_save_as])
        self.file_actions = FileActions(self, m)  # Kafka Streams describe(), Python, images
        m.addSeparator()
        m.addAction(self.act_quit)
        m = bar.addMenu("&Edit")
        m.addActions([self.act_undo, self.act_redo])
        m.addSeparator()
        m.addActions(
            [self.act_cut, self.act_copy, self.act_paste, self.act_duplicate, self.act_delete]
        )
        m.addSeparator()
        m.addActions([self.act_select_all, self.act_quick_add])
        m = bar.addMenu("&View")
        m.addActions([self.act_fit, self.act_zoom_in, self.act_zoom_out, self.act_zoom_reset])
        m.addSeparator()
        m.addActions([self.act_snap, self.act_layout])
        m.addSeparator()
        for dock in (self.palette_dock, self.inspector_dock, self.validation_dock):
            m.addAction(dock.toggleViewAction())
        m.addSeparator()
        for dock in (
            self.throughput_dock,
            self.lag_dock,
            self.preview_dock,
            self.run_log_dock,
            self.cluster_dock,
        ):
            m.addAction(dock.toggleViewAction())
        m.addAction(self.central.toggle_action)
        m.addSeparator()
        m.addAction(self.act_reset_layout)
        self._add_theme_menu(m)
        m = bar.addMenu("&Run")
        m.setObjectName("runMenu")
        self.run_menu = m
        m.addActions([self.act_run, self.act_stop])
        m.addSeparator()
        m.addActions([self.act_reset, self.act_connection])
        m = bar.addMenu("&Help")
        m.addActions([self.act_keys, self.act_about])

    def _make_toolbar(self) -> None:
        bar = QToolBar("Main", self)
        bar.setObjectName("mainToolbar")
        bar.setMovable(False)
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        bar.addActions([self.act_new, self.act_open, self.act_save])
        bar.addSeparator()
        # Fixed labels in the toolbar (the menu's actions name the command to undo).
        stack = self.document.undo_stack
        self.tool_undo = QAction("Undo", self)
        self.tool_undo.triggered.connect(stack.undo)
        stack.canUndoChanged.connect(self.tool_undo.setEnabled)
        stack.undoTextChanged.connect(self._on_undo_text_changed)
        self.tool_undo.setEnabled(stack.canUndo())
        self.tool_redo = QAction("Redo", self)
        self.tool_redo.triggered.connect(stack.redo)
        stack.canRedoChanged.connect(self.tool_redo.setEnabled)
        stack.redoTextChanged.connect(self._on_redo_text_changed)
        self.tool_redo.setEnabled(stack.canRedo())
        bar.addActions([self.tool_undo, self.tool_redo])
        bar.addSeparator()
        bar.addActions([self.act_layout, self.act_fit])
        bar.addSeparator()
        bar.addActions([self.act_run, self.act_stop])
        for action in (self.act_run, self.act_stop):
            bar.widgetForAction(action).setToolButtonStyle(
                Qt.ToolButtonStyle.ToolButtonTextBesideIcon
            )
        bar.addAction(self.act_connection)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, bar)
        self.toolbar = bar

    def _on_undo_text_changed(self, text: str) -> None:
        self.tool_undo.setToolTip(f"Undo {text}" if text else "Undo")

    def _on_redo_text_changed(self, text: str) -> None:
        self.tool_redo.setToolTip(f"Redo {text}" if text else "Redo")

    def _make_status_bar(self) -> None:
        status = self.statusBar()
        self.problems_label = QLabel()
        self.problems_label.setObjectName("statusProblems")
        self.zoom_label = QLabel("100%")
        self.zoom_label.setObjectName("statusZoom")
        self.broker_label = QLabel("")
        self.broker_label.setObjectName("statusBroker")
        self.run_status_label = self.monitor.status_label
        self.run_status_label.setObjectName("statusRun")
        status.addPermanentWidget(self.problems_label)
        status.addPermanentWidget(self.zoom_label)
        status.addPermanentWidget(self.run_status_label)
        status.addPermanentWidget(self.broker_label)

    # -- window state ----------------------------------------------------------------------

    def _restore_window(self) -> None:
        geometry = self.settings.value("window/geometry")
        state = self.settings.value("window/state")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(1400, 860)
        # A state of another layout is left unused; without one, the default sizes are
        # applied again once the window is shown at its own size.
        self._docks_sized = (
            isinstance(state, QByteArray)
            and not state.isEmpty()
            and self.restoreState(state, DOCK_LAYOUT)
        )

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not self._docks_sized:
            self._docks_sized = True
            dock_layout.size_docks(self)

    def reset_layout(self) -> None:
        """The docks as a new window places them: where, which are shown, and their sizes."""
        for dock in self.findChildren(QDockWidget):
            if dock.isFloating():
                dock.setFloating(False)
        self.restoreState(self._default_state, DOCK_LAYOUT)
        dock_layout.size_docks(self)
        self.statusBar().showMessage("Panels put back as they were at first", 4000)

    def save_window_state(self) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState(DOCK_LAYOUT))
        self.settings.sync()

    def _update_title(self, *_args) -> None:
        self.setWindowTitle(f"{self.document.display_name()}[*] — {APP_NAME}")
        self.setWindowModified(self.document.modified)

    def set_broker_status(self, text: str, ok: bool | None = None) -> None:
        colour = {True: theme.OK, False: theme.ERROR, None: theme.MUTED_TEXT}[ok].name()
        self.broker_label.setText(f"<span style='color:{colour}'>●</span> {text}")
        self.broker_label.setToolTip(text)

    def _show_connection(self) -> None:
        """Where runs go, in the status bar: the sandbox broker's address, or the cluster."""
        c = self.monitor.controller
        if c.profile.uses_sandbox:
            bootstrap = c.bootstrap()
            if bootstrap:
                self.set_broker_status(f"Sandbox broker {bootstrap}{self._registry_note()}", True)
            elif self.broker_service.starting():
                self.set_broker_status("Starting sandbox broker…")
            else:
                self.set_broker_status("Sandbox broker (starts with the first run)")
        else:
            self.set_broker_status(f"Kafka {c.profile.describe()}{self._registry_note()}")

    def _registry_note(self) -> str:
        """The schema registry runs use, for the status bar beside the broker."""
        url = self.monitor.controller.registry_url()
        return f" · schema registry {url}" if url else ""

    def start_sandbox_broker(self) -> None:
        """Start the sandbox broker now (when that is the connection), in the background."""
        if self.monitor.controller.profile.uses_sandbox and not self.monitor.controller.bootstrap():
            self.set_broker_status("Starting sandbox broker…")
            self.broker_service.start()
        else:
            self._show_connection()

    def _on_connection_changed(self, profile) -> None:
        if profile.uses_sandbox and not self.monitor.controller.bootstrap():
            self.start_sandbox_broker()
        else:
            self._show_connection()

    # -- running -------------------------------------------------------------------------

    def run_active(self) -> bool:
        return self.monitor.status()[0] in ACTIVE_STATES

    def _on_node_metrics(self, metrics: dict) -> None:
        self.scene.run_overlay.show_metrics(metrics)
        # Topics may have had no records when first asked (a run just started writing).
        if self.inspector.field_topics and time.monotonic() - self._fields_asked_at > FIELD_RETRY_S:
            self._fields_asked_at = time.monotonic()
            self.inspector.refresh_field_names()

    def _on_group_status(self, group: str, status: str, reason: str) -> None:
        if group == self.monitor.controller.group_id and self.run_active():
            self.scene.run_overlay.show_group_status(group, status, reason)

    def _on_run_status_changed(self, status: str, reason: str) -> None:
        self.inspector.set_run_active(status in ACTIVE_STATES)
        if status == RunStatus.STARTING:
            self.scene.run_overlay.clear()
            self._fields_asked_at = time.monotonic()
            for dock in (
                self.preview_dock if self.scene.selected_node_ids() else self.run_log_dock,
                self.throughput_dock,
            ):
                if not dock.isHidden():
                    dock.raise_()
        elif status in ENDED:
            if self.scene.run_overlay.shown():
                self.scene.run_overlay.finish()
            if (
                status == RunStatus.FAILED
                and "problems" in reason
                and not self.validation_dock.isHidden()
            ):
                self.validation_dock.raise_()
        if status == RunStatus.FAILED and reason:
            self.statusBar().showMessage(f"The run failed: {reason}", 10000)

    def _on_run_finished(self, final_metrics) -> None:
        nodes = final_metrics.get("nodes") if isinstance(final_metrics, dict) else None
        if self.scene.run_overlay.shown():
            self.scene.run_overlay.finish(nodes if isinstance(nodes, dict) else None)

    def monitor_group(self, group: str) -> None:
        """Chart ``group``'s lag in the cluster view (from a Kafka Streams window's
        "Monitor consumer group"), and bring that view forward."""
        if not group:
            return
        c = self.monitor.controller
        if c.profile.uses_sandbox and not c.bootstrap():
            self.start_sandbox_broker()
        self.monitor.cluster.show_group(group)
        self.monitor.cluster.refresh()
        self.cluster_dock.show()
        self.cluster_dock.raise_()
        self.raise_()
        self.activateWindow()
        self.statusBar().showMessage(
            f"Monitoring the lag of consumer group '{group}' on {c.profile.describe()}", 6000
        )

    def shutdown_monitor(self) -> None:
        """Stop the run and the sandbox broker, and wait for them (idempotent)."""
        if self._monitor_shut:
            return
        self._monitor_shut = True
        self.scene.run_overlay.clear()
        self.broker_service.stop()
        self.fleet.shutdown()
        self.topics.shutdown()
        self.monitor.shutdown()

    # -- document ------------------------------------------------------------------------

    def _on_topology_replaced(self, topology) -> None:
        if not self.run_active():  # a run's entries stay while it runs; else they are history
            self.alerts.widget.clear()
            self.monitor.log.model.clear()
        self.scene.set_topology(topology)
        self.scene.set_problems(self.document.problems)
        QTimer.singleShot(0, self.show_topology)
        self._update_title()

    def show_topology(self) -> None:
        """The whole topology, or where it starts (its sources) at a zoom where names read."""
        sources = QRectF()
        for node in self.document.topology.nodes.values():
            item = self.scene.node_item(node.id)
            if item is not None and node.type.endswith("_source"):
                sources = sources.united(item.sceneBoundingRect())
        self.view.show_readable(sources)

    def _on_problems_changed(self, problems: list[Problem]) -> None:
        self.scene.set_problems(problems)
        problems = self.document.all_problems()  # the file's own problems count too
        errors = sum(1 for p in problems if p.is_error)
        warnings = len(problems) - errors
        if not problems:
            self.problems_label.setText(f"<span style='color:{theme.OK.name()}'>✔ valid</span>")
        else:
            text = []
            if errors:
                text.append(
                    f"<span style='color:{theme.ERROR.name()}'>{errors} error{'s' if errors != 1 else ''}</span>"
                )
            if warnings:
                text.append(
                    f"<span style='color:{theme.WARNING.name()}'>{warnings} warning{'s' if warnings != 1 else ''}</span>"
                )
            self.problems_label.setText(" · ".join(text))

    def _on_selection_changed(self) -> None:
        try:
            ids = self.scene.selected_node_ids()
            edges = self.scene.selected_edges()
        except RuntimeError:  # during teardown
            return
        self.inspector.show_nodes(ids)
        self._preview_timer.start()  # once the selection settles (a multi-select comes one by one)
        for action in (self.act_cut, self.act_copy, self.act_duplicate):
            action.setEnabled(bool(ids))
        self.act_delete.setEnabled(bool(ids or edges))

    def _preview_selection(self) -> None:
        """One node selected: the data preview shows its records (several or none: the
        preview keeps its node)."""
        try:
            ids = self.scene.selected_node_ids()
        except RuntimeError:  # during teardown
            return
        if len(ids) == 1:
            self.monitor.set_selected_node(ids[0])
            if self.run_active() and not self.preview_dock.isHidden():
                self.preview_dock.raise_()

    # -- canvas gestures -------------------------------------------------------------------

    def _on_snap_toggled(self, on: bool) -> None:
        self.scene.snap_to_grid = on
        self.settings.setValue(SNAP_KEY, on)

    def select_node(self, node_id: str) -> None:
        self.scene.select_nodes([node_id])
        self.view.focus_on([node_id])

    def selected_ids(self) -> list[str]:
        return self.scene.selected_node_ids()

    # -- help ----------------------------------------------------------------------------

    def about(self) -> None:
        from gui.app.about import (
            AboutDialog,
        )  # asks the sandbox broker its version: only when shown

        dialog = AboutDialog(self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def show_keys(self) -> None:
        QMessageBox.information(
            self,
            "Keyboard and mouse",
            (
                "Drag a node type from the palette onto the canvas, or press Tab on the canvas to search.\n"
                "Drag from an output port (right) to an input port (left) to connect; drop on empty canvas to add "
                "a connected node.\n"
                "Drag a connected input to move its wire to another input; drop it on empty canvas to delete it.\n"
                "Wheel: zoom at the cursor · Middle drag or Space+drag: pan · F: fit · Ctrl+L: auto-layout\n"
                "Drag on empty canvas: select several · Delete: remove · Ctrl+C/X/V: copy, cut, paste · "
                "Ctrl+D: duplicate\nCtrl+Z / Ctrl+Shift+Z: undo / redo"
            ),
        )

    # -- closing -------------------------------------------------------------------------

    def closeEvent(self, event) -> None:
        if not self.files.maybe_save():
            event.ignore()
            return
        self.save_window_state()
        self.recovery.clear()
        if self.run_active():
            self.statusBar().showMessage("Stopping the run…")
            QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
            QApplication.processEvents()
            try:
                self.shutdown_monitor()
            finally:
                QApplication.restoreOverrideCursor()
        else:
            self.shutdown_monitor()
        event.accept()
