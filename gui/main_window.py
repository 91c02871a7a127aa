"""The main window: palette, canvas, inspector and problems around one document;
menus, toolbar and status bar; window layout and recent files remembered."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QPointF, QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QToolBar,
)

from engine.model import Edge
from engine.problems import Problem
from gui import icons
from gui.canvas.qt_scene import TopologyScene
from gui.canvas.qt_view import TopologyView
from gui.document import clipboard
from gui.document.document import TopologyDocument
from gui.file_actions import FileActions
from gui.inspector import InspectorWidget
from gui.palette import PaletteWidget, QuickAddPopup
from gui.recovery import RecoveryWriter
from gui.settings import add_recent_file, app_settings, recent_files, remove_recent_file
from gui.validation_panel import ValidationPanel

APP_NAME = "Topology Studio"
FILE_FILTER = "Topologies (*.topology.json *.json);;All files (*)"


class MainWindow(QMainWindow):
    def __init__(self, document: TopologyDocument | None = None, settings: QSettings | None = None,
                 recovery_dir: Path | None = None, parent=None):
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.setWindowIcon(icons.app_icon())
        self.settings = settings if settings is not None else app_settings()
        self.document = document if document is not None else TopologyDocument()
        self.recovery = RecoveryWriter(self.document, recovery_dir, self)

        self.scene = TopologyScene(self.document.topology, self)
        self.view = TopologyView(self.scene, self)
        self.setCentralWidget(self.view)
        self.palette = PaletteWidget(self)
        self.inspector = InspectorWidget(self.document, self)
        self.validation = ValidationPanel(self.document, self)
        self.palette_dock = self._dock("Nodes", "paletteDock", self.palette, Qt.DockWidgetArea.LeftDockWidgetArea)
        self.inspector_dock = self._dock("Inspector", "inspectorDock", self.inspector,
                                         Qt.DockWidgetArea.RightDockWidgetArea)
        self.validation_dock = self._dock("Problems", "problemsDock", self.validation,
                                          Qt.DockWidgetArea.BottomDockWidgetArea)
        self.resizeDocks([self.palette_dock, self.inspector_dock], [270, 360], Qt.Orientation.Horizontal)
        self.resizeDocks([self.validation_dock], [110], Qt.Orientation.Vertical)
        self.quick_add = QuickAddPopup(self)
        self._quick_add_at: QPointF | None = None
        self._quick_add_wire: Edge | None = None

        self._make_actions()
        self._make_menus()
        self._make_toolbar()
        self._make_status_bar()

        d = self.document
        d.topology_replaced.connect(self._on_topology_replaced)
        d.problems_changed.connect(self._on_problems_changed)
        d.path_changed.connect(self._update_title)
        d.modified_changed.connect(self._update_title)
        self.scene.connection_requested.connect(self._on_connection_requested)
        self.scene.nodes_moved.connect(d.move_nodes)
        self.scene.message.connect(lambda text: self.statusBar().showMessage(text, 6000))
        self.scene.selectionChanged.connect(self._on_selection_changed)
        self.scene.wire_dropped.connect(self._on_wire_dropped)
        self.view.add_node_requested.connect(self._on_add_node_requested)
        self.view.quick_add_requested.connect(self.open_quick_add)
        self.view.zoom_changed.connect(lambda z: self.zoom_label.setText(f"{z * 100:.0f}%"))
        self.palette.type_activated.connect(self._on_palette_activated)
        self.quick_add.chosen.connect(self._on_quick_add_chosen)
        self.validation.node_activated.connect(self.select_node)

        self._restore_window()
        self._on_problems_changed(d.problems)
        self._update_title()
        self._on_selection_changed()

    # -- construction ----------------------------------------------------------------------

    def _dock(self, title: str, name: str, widget, area) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetClosable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        self.addDockWidget(area, dock)
        return dock

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
        action.setObjectName(name or text.replace("…", "").replace("&", "").lower().replace(" ", "_"))
        action.triggered.connect(lambda *_: slot())
        self.addAction(action)
        return action

    def _make_actions(self) -> None:
        K = QKeySequence.StandardKey
        d = self.document
        self.act_new = self._action("&New", self.new_empty, K.New, "Start an empty topology")
        self.act_new_demo = self._action("New from &Demo Template", self.new_from_demo, None,
                                         "Start from the e-commerce dashboard demo", name="new_demo")
        self.act_open = self._action("&Open…", self.open_dialog, K.Open, "Open a topology file", name="open")
        self.act_save = self._action("&Save", self.save, K.Save, "Save the topology", name="save")
        self.act_save_as = self._action("Save &As…", self.save_as, K.SaveAs, "Save under a new name",
                                        name="save_as")
        self.act_quit = self._action("&Quit", self.close, K.Quit, name="quit")
        self.act_undo = d.undo_stack.createUndoAction(self, "&Undo")
        self.act_undo.setShortcuts(QKeySequence.keyBindings(K.Undo))
        self.act_redo = d.undo_stack.createRedoAction(self, "&Redo")
        self.act_redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        self.addActions([self.act_undo, self.act_redo])
        self.act_cut = self._action("Cu&t", self.cut, K.Cut, name="cut")
        self.act_copy = self._action("&Copy", self.copy, K.Copy, name="copy")
        self.act_paste = self._action("&Paste", self.paste, K.Paste, name="paste")
        self.act_duplicate = self._action("&Duplicate", self.duplicate, "Ctrl+D", name="duplicate")
        self.act_delete = self._action("&Delete", self.delete_selection, [QKeySequence.StandardKey.Delete, "Backspace"],
                                       name="delete")
        self.act_select_all = self._action("Select &All", self.select_all, K.SelectAll, name="select_all")
        self.act_quick_add = self._action("&Add Node…", lambda: self.open_quick_add(self.view.cursor_scene_pos()),
                                          "Shift+A", "Search node types and add one at the cursor (Tab on the canvas)",
                                          name="add_node")
        self.act_layout = self._action("Auto-&Layout", self.auto_layout, "Ctrl+L",
                                       "Arrange the nodes left to right", name="auto_layout")
        self.act_fit = self._action("&Fit to View", self.view.fit, ["F", "Home"], "Show the whole topology",
                                    name="fit")
        self.act_zoom_in = self._action("Zoom &In", lambda: self.view.zoom_by(1), [K.ZoomIn, "Ctrl+="], name="zoom_in")
        self.act_zoom_out = self._action("Zoom &Out", lambda: self.view.zoom_by(-1), K.ZoomOut, name="zoom_out")
        self.act_zoom_reset = self._action("&Actual Size", lambda: self.view.set_zoom(1.0), "Ctrl+0",
                                           name="zoom_reset")
        self.act_about = self._action("&About Topology Studio", self.about, name="about")
        self.act_keys = self._action("&Keyboard and Mouse", self.show_keys, name="keys")
        for action in (self.act_fit,):
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)

    def _make_menus(self) -> None:
        bar = self.menuBar()
        m = bar.addMenu("&File")
        m.addActions([self.act_new, self.act_new_demo, self.act_open])
        self.recent_menu = m.addMenu("Open &Recent")
        self.recent_menu.setObjectName("recentMenu")
        self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
        self._fill_recent_menu()
        m.addSeparator()
        m.addActions([self.act_save, self.act_save_as])
        self.file_actions = FileActions(self, m)  # Kafka Streams describe(), Python, images
        m.addSeparator()
        m.addAction(self.act_quit)
        m = bar.addMenu("&Edit")
        m.addActions([self.act_undo, self.act_redo])
        m.addSeparator()
        m.addActions([self.act_cut, self.act_copy, self.act_paste, self.act_duplicate, self.act_delete])
        m.addSeparator()
        m.addActions([self.act_select_all, self.act_quick_add])
        m = bar.addMenu("&View")
        m.addActions([self.act_fit, self.act_zoom_in, self.act_zoom_out, self.act_zoom_reset])
        m.addSeparator()
        m.addAction(self.act_layout)
        m.addSeparator()
        for dock in (self.palette_dock, self.inspector_dock, self.validation_dock):
            m.addAction(dock.toggleViewAction())
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
        status.addPermanentWidget(self.problems_label)
        status.addPermanentWidget(self.zoom_label)
        status.addPermanentWidget(self.broker_label)

    # -- window state ----------------------------------------------------------------------

    def _restore_window(self) -> None:
        geometry = self.settings.value("window/geometry")
        state = self.settings.value("window/state")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(1400, 860)
        if isinstance(state, QByteArray) and not state.isEmpty():
            self.restoreState(state)

    def save_window_state(self) -> None:
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())
        self.settings.sync()

    def _update_title(self, *_args) -> None:
        self.setWindowTitle(f"{self.document.display_name()}[*] — {APP_NAME}")
        self.setWindowModified(self.document.modified)

    def set_broker_status(self, text: str, ok: bool | None = None) -> None:
        colour = {True: "#57c28a", False: "#e05d5d", None: "#8b93a3"}[ok]
        self.broker_label.setText(f"<span style='color:{colour}'>●</span> {text}")

    # -- document ------------------------------------------------------------------------

    def _on_topology_replaced(self, topology) -> None:
        self.scene.set_topology(topology)
        self.scene.set_problems(self.document.problems)
        QTimer.singleShot(0, self.view.fit)
        self._update_title()

    def _on_problems_changed(self, problems: list[Problem]) -> None:
        self.scene.set_problems(problems)
        errors = sum(1 for p in problems if p.is_error)
        warnings = len(problems) - errors
        if not problems:
            self.problems_label.setText("<span style='color:#57c28a'>✔ valid</span>")
        else:
            text = []
            if errors:
                text.append(f"<span style='color:#e05d5d'>{errors} error{'s' if errors != 1 else ''}</span>")
            if warnings:
                text.append(f"<span style='color:#e3a33b'>{warnings} warning{'s' if warnings != 1 else ''}</span>")
            self.problems_label.setText(" · ".join(text))

    def _on_selection_changed(self) -> None:
        try:
            ids = self.scene.selected_node_ids()
            edges = self.scene.selected_edges()
        except RuntimeError:  # during teardown
            return
        self.inspector.show_nodes(ids)
        for action in (self.act_cut, self.act_copy, self.act_duplicate):
            action.setEnabled(bool(ids))
        self.act_delete.setEnabled(bool(ids or edges))

    def maybe_save(self) -> bool:
        """True when the current document may be replaced or closed."""
        if not self.document.modified:
            return True
        answer = self.ask_save_changes()
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        return answer == QMessageBox.StandardButton.Discard

    def ask_save_changes(self) -> QMessageBox.StandardButton:
        return QMessageBox.question(
            self, APP_NAME, f"Save the changes to {self.document.display_name()}?\n"
            "Your changes are lost if you don't save them.",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Save)

    def new_empty(self) -> None:
        if self.maybe_save():
            self.document.new_empty()

    def new_from_demo(self) -> None:
        if self.maybe_save():
            self.document.new_from_demo()

    def open_dialog(self) -> None:
        if not self.maybe_save():
            return
        start = str(self.document.path.parent) if self.document.path else str(Path.home())
        path, _ = QFileDialog.getOpenFileName(self, "Open topology", start, FILE_FILTER)
        if path:
            self.open_file(path)

    def open_file(self, path: str | Path) -> bool:
        problems = self.document.open(path)
        if self.document.path is None or Path(self.document.path) != Path(path):
            message = "\n".join(str(p) for p in problems) or "unknown error"
            self.statusBar().showMessage(f"Could not open {path}", 8000)
            QMessageBox.warning(self, APP_NAME, f"Could not open {path}:\n{message}\n\n"
                                "Check that the file exists and is a topology file.")
            remove_recent_file(self.settings, str(Path(path).resolve()))
            return False
        add_recent_file(self.settings, path)
        self._fill_recent_menu()
        if problems:
            self.statusBar().showMessage(f"Opened {Path(path).name} with {len(problems)} problem(s) in the file; "
                                         "see Problems", 8000)
        else:
            self.statusBar().showMessage(f"Opened {path}", 4000)
        return True

    def save(self) -> bool:
        if self.document.path is None:
            return self.save_as()
        return self._save_to(self.document.path)

    def save_as(self) -> bool:
        start = str(self.document.path or Path.home() / f"{self.document.topology.name}.topology.json")
        path, _ = QFileDialog.getSaveFileName(self, "Save topology", start, FILE_FILTER)
        if not path:
            return False
        if not path.endswith(".json"):
            path += ".topology.json"
        return self._save_to(Path(path))

    def _save_to(self, path: Path) -> bool:
        try:
            self.document.save(path)
        except OSError as exc:
            QMessageBox.critical(self, APP_NAME, f"Could not save {path}: {exc.strerror or exc}\n"
                                 "Choose another folder with Save As.")
            return False
        add_recent_file(self.settings, path)
        self._fill_recent_menu()
        self.statusBar().showMessage(f"Saved {path}", 4000)
        return True

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        files = recent_files(self.settings)
        for f in files:
            action = self.recent_menu.addAction(Path(f).name)
            action.setToolTip(f)
            action.setStatusTip(f)
            action.triggered.connect(lambda *_, f=f: self.maybe_save() and self.open_file(f))
        if not files:
            empty = self.recent_menu.addAction("No recent files")
            empty.setEnabled(False)
        self.recent_menu.setEnabled(True)

    # -- canvas gestures -------------------------------------------------------------------

    def _on_connection_requested(self, edge: Edge) -> None:
        problem = self.document.connect(edge)
        if problem:
            self.statusBar().showMessage(f"Cannot connect: {problem}", 6000)

    def _on_add_node_requested(self, type_name: str, pos: QPointF) -> None:
        node_id = self.document.add_node(type_name, (round(pos.x()), round(pos.y())))
        self.scene.select_nodes([node_id])
        self.view.setFocus()

    def _on_palette_activated(self, type_name: str) -> None:
        centre = self.view.mapToScene(self.view.viewport().rect().center())
        self._on_add_node_requested(type_name, QPointF(centre.x() - 100, centre.y() - 30))

    def open_quick_add(self, scene_pos: QPointF, wire: Edge | None = None) -> None:
        self._quick_add_at = scene_pos
        self._quick_add_wire = wire
        global_pos = self.view.viewport().mapToGlobal(self.view.mapFromScene(scene_pos))
        self.quick_add.popup_at(global_pos)

    def _on_wire_dropped(self, half: Edge, pos: QPointF) -> None:
        self.open_quick_add(pos, half)

    def _on_quick_add_chosen(self, type_name: str) -> None:
        pos = self._quick_add_at or self.view.cursor_scene_pos()
        wire, self._quick_add_wire = self._quick_add_wire, None
        stack = self.document.undo_stack
        if wire is None:
            self._on_add_node_requested(type_name, QPointF(pos.x() - 20, pos.y() - 14))
            return
        stack.beginMacro(f"Add {type_name} and connect")
        try:
            x = pos.x() if wire.source else pos.x() - 200
            node_id = self.document.add_node(type_name, (round(x), round(pos.y() - 40)))
            from gui.document.wiring import input_ports, output_ports
            if wire.source:
                ports = input_ports(self.document.topology, node_id)
                edge = Edge(wire.source, node_id, wire.source_port, ports[0]) if ports else None
            else:
                ports = output_ports(self.document.topology, node_id)
                edge = Edge(node_id, wire.target, ports[0], wire.target_port) if ports else None
            problem = self.document.connect(edge) if edge else "the new node has no matching port"
        finally:
            stack.endMacro()
        if problem:
            self.statusBar().showMessage(f"Added {node_id}, but could not connect it: {problem}", 6000)
        self.scene.select_nodes([node_id])

    def select_node(self, node_id: str) -> None:
        self.scene.select_nodes([node_id])
        self.view.focus_on([node_id])

    def selected_ids(self) -> list[str]:
        return self.scene.selected_node_ids()

    def delete_selection(self) -> None:
        self.document.remove(self.scene.selected_node_ids(), self.scene.selected_edges())

    def select_all(self) -> None:
        self.scene.select_nodes(list(self.document.topology.nodes))

    def copy(self) -> bool:
        ids = self.scene.selected_node_ids()
        if not ids:
            return False
        frag = clipboard.fragment(self.document.topology, ids)
        # Plain text (the file's own JSON shape): the clipboard then holds no object made
        # in Python, which Qt would destroy after the interpreter at exit, and the nodes
        # paste into a text editor or another Topology Studio alike.
        QApplication.clipboard().setText(clipboard.dumps(frag))
        self.statusBar().showMessage(f"Copied {len(ids)} node{'s' if len(ids) != 1 else ''}", 3000)
        return True

    def cut(self) -> None:
        if self.copy():
            ids = self.scene.selected_node_ids()
            stack = self.document.undo_stack
            self.document.remove(ids)
            stack.command(stack.index() - 1).setText(f"Cut {len(ids)} node{'s' if len(ids) != 1 else ''}")

    def paste(self) -> None:
        data = QApplication.clipboard().mimeData()
        if data is None:
            return
        text = bytes(data.data(clipboard.MIME_TYPE)).decode() if data.hasFormat(clipboard.MIME_TYPE) else data.text()
        frag = clipboard.loads(text)
        if frag is None:
            self.statusBar().showMessage("The clipboard holds no nodes to paste", 4000)
            return
        local = self.view.viewport().mapFromGlobal(self.view.cursor().pos())
        at = None
        if self.view.viewport().rect().contains(local) and self.view.underMouse():
            p = self.view.mapToScene(local)
            at = (round(p.x()), round(p.y()))
        ids = self.document.paste(frag, at=at)
        self.scene.select_nodes(ids)

    def duplicate(self) -> None:
        ids = self.document.duplicate(self.scene.selected_node_ids())
        self.scene.select_nodes(ids)

    def auto_layout(self) -> None:
        self.document.auto_layout()
        self.view.fit()

    # -- help ----------------------------------------------------------------------------

    def about(self) -> None:
        QMessageBox.about(self, f"About {APP_NAME}",
                          f"<h3>{APP_NAME}</h3><p>Design, run and monitor Kafka stream-processing "
                          "topologies on a live canvas.</p>")

    def show_keys(self) -> None:
        QMessageBox.information(self, "Keyboard and mouse", (
            "Drag a node type from the palette onto the canvas, or press Tab on the canvas to search.\n"
            "Drag from an output port (right) to an input port (left) to connect; drop on empty canvas to add "
            "a connected node.\n"
            "Wheel: zoom at the cursor · Middle drag or Space+drag: pan · F: fit · Ctrl+L: auto-layout\n"
            "Drag on empty canvas: select several · Delete: remove · Ctrl+C/X/V: copy, cut, paste · "
            "Ctrl+D: duplicate\nCtrl+Z / Ctrl+Shift+Z: undo / redo"))

    # -- closing -------------------------------------------------------------------------

    def closeEvent(self, event) -> None:
        if not self.maybe_save():
            event.ignore()
            return
        self.save_window_state()
        self.recovery.clear()
        event.accept()
