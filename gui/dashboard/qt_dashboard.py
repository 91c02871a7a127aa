"""The Dashboard area: one panel per dashboard_sink of the open topology, in a grid the
user rearranges by dragging a panel's title onto another (the order is remembered per
topology), live while a run goes and holding its last values after Stop; exported as
a PNG, or opened detached in a window of its own (a wall display).

``QtDashboardBoard`` is the model the views share: the Qt-free ``DashboardBoard`` (rows)
fed by the run controller's ``dashboardsReceived``, and the dashboards' params followed
from the topology's events. Any number of ``QtDashboardWidget`` views show one board.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

from PySide6.QtCore import QObject, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from engine.model.masking import masker_for_node, topology_rules
from engine.model.status import RunStatus
from engine.model.topology import Topology
from gui.dashboard.board import DashboardBoard, DashboardSpec, dashboard_specs
from gui.dashboard.qt_panels import QtDashboardPanel, placeholder
from gui.style import icons, theme

ORDER_KEY = "dashboard/order/{}"
REFRESH_MS = 250  # panels repaint at most this often, only those whose rows changed
CELL_WIDTH = 360  # a grid column per this many pixels of width
EMPTY_TEXT = (
    "No dashboards yet. Add a Dashboard node (Sinks) after an aggregate or any stream, "
    "press Run, and its results show here."
)


class QtDashboardBoard(QObject):
    """The dashboards of the open topology and their rows."""

    specsChanged = Signal()  # dashboards added, removed, renamed or their params changed
    rowsChanged = Signal(list)  # node ids whose rows changed

    def __init__(self, controller=None, parent=None):
        super().__init__(parent)
        self.board = DashboardBoard()
        self.topology: Topology | None = None
        self.specs: dict[str, DashboardSpec] = {}
        if controller is not None:
            controller.dashboardsReceived.connect(self.apply)
            controller.statusChanged.connect(self._on_run_status)

    # -- the topology -----------------------------------------------------------------

    def _handlers(self, t: Topology):
        return (
            (t.node_added, self._on_nodes_changed),
            (t.node_removed, self._on_nodes_changed),
            (t.node_renamed, self._on_node_renamed),
            (t.params_changed, self._on_params_changed),
            (t.name_changed, self._on_nodes_changed),
        )

    def set_topology(self, topology: Topology) -> None:
        if self.topology is not None:
            for event, handler in self._handlers(self.topology):
                event.disconnect(handler)
        if topology is not self.topology:
            self.board.clear()
        self.topology = topology
        for event, handler in self._handlers(topology):
            event.connect(handler)
        self._read_specs()

    def _read_specs(self) -> None:
        specs = {s.node_id: s for s in dashboard_specs(self.topology)} if self.topology else {}
        if specs != self.specs:
            self.specs = specs
            self.specsChanged.emit()

    def _on_nodes_changed(self, *_args) -> None:
        self._read_specs()

    def _on_node_renamed(self, old: str, new: str) -> None:
        self.board.rename(old, new)
        self._read_specs()

    def _on_params_changed(self, node_id: str) -> None:
        node = self.topology.nodes.get(node_id) if self.topology else None
        if node is not None and node.type == "dashboard_sink":
            self._read_specs()

    def name(self) -> str:
        return self.topology.name if self.topology is not None else ""

    # -- rows -------------------------------------------------------------------------

    def table(self, node_id: str):
        spec = self.specs.get(node_id)
        return self.board.table(node_id, spec.max_rows if spec else 1000)

    def apply(self, changes: dict) -> None:
        for node_id in changes:
            self.table(node_id)  # created with the dashboard's max_rows
        self.rowsChanged.emit(self.board.apply(self._masked(changes)))

    def _masked(self, changes: dict) -> dict:
        """Row values masked by the topology's masking rules (reference §9.12); keys are the rows'
        identities and stay."""
        if not topology_rules(self.topology):
            return changes
        out = {}
        for node_id, change in changes.items():
            masker = masker_for_node(self.topology, node_id)
            if masker.active and change.get("rows"):
                rows = [(key, ws, masker.mask(value)) for key, ws, value in change["rows"]]
                change = {**change, "rows": rows}
            out[node_id] = change
        return out

    def clear(self) -> None:
        self.board.clear()
        self.rowsChanged.emit(list(self.specs))

    def _on_run_status(self, status: str, _reason: str) -> None:
        if status == RunStatus.STARTING:  # a new run: its own rows (the last run's stay until then)
            self.clear()


class QtDashboardWidget(QWidget):
    """The panels of a board in a grid, with Export PNG and Open in Window."""

    detachRequested = Signal()

    def __init__(
        self,
        model: QtDashboardBoard,
        settings: QSettings | None = None,
        parent=None,
        *,
        detached: bool = False,
    ):
        super().__init__(parent)
        self.setObjectName("dashboard")
        self.model = model
        self.settings = settings
        self.detached = detached
        self.panels: dict[str, QtDashboardPanel] = {}
        self.order: list[str] = []
        self._columns = 0
        self._dirty: set[str] = set()

        self.title = QLabel("Dashboard")
        theme.style_widget(self.title, "color: @bar_text@; font-weight: bold;")
        self.updated = QLabel("")
        theme.style_widget(self.updated, "color: @subtitle@;")
        self.export_button = QToolButton()
        self.export_button.setText("Export PNG…")
        self.export_button.setToolTip("Save the dashboard as a PNG image")
        self.export_button.clicked.connect(lambda: self.export_dialog())
        self.detach_button = QToolButton()
        self.detach_button.setText("Open in Window")
        self.detach_button.setToolTip(
            "Show the dashboard in a window of its own, e.g. on a wall display"
        )
        self.detach_button.clicked.connect(self.detachRequested)
        self.detach_button.setVisible(not detached)
        bar = QHBoxLayout()
        bar.setContentsMargins(8, 4, 8, 2)
        bar.setSpacing(8)
        bar.addWidget(self.title)
        bar.addWidget(self.updated, 1)
        bar.addWidget(self.export_button)
        bar.addWidget(self.detach_button)

        self.canvas = QWidget()
        self.canvas.setObjectName("dashboardCanvas")
        theme.style_widget(self.canvas, "QWidget#dashboardCanvas { background: @dashboard_bg@; }")
        self.grid = QGridLayout(self.canvas)
        self.grid.setContentsMargins(8, 8, 8, 8)
        self.grid.setSpacing(8)
        self.empty = placeholder(EMPTY_TEXT)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.scroll.setWidget(self.canvas)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(bar)
        layout.addWidget(self.scroll, 1)
        self.setMinimumSize(240, 160)

        model.specsChanged.connect(self._on_specs_changed)
        model.rowsChanged.connect(self._on_rows_changed)
        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self._on_tick)
        self._timer.start()
        self._on_specs_changed()

    # -- panels and their order ---------------------------------------------------------

    def _order_key(self) -> str:
        return ORDER_KEY.format(self.model.name() or "untitled")

    def _saved_order(self) -> list[str]:
        if self.settings is None:
            return []
        value = self.settings.value(self._order_key(), [])
        if isinstance(value, str):
            value = [value] if value else []
        return [str(v) for v in value or []]

    def _save_order(self) -> None:
        if self.settings is not None:
            self.settings.setValue(self._order_key(), list(self.order))

    def _on_specs_changed(self) -> None:
        specs = self.model.specs
        for node_id in [n for n in self.panels if n not in specs]:
            panel = self.panels.pop(node_id)
            self.grid.removeWidget(panel)
            panel.deleteLater()
        for node_id, spec in specs.items():
            panel = self.panels.get(node_id)
            if panel is None:
                panel = self.panels[node_id] = QtDashboardPanel(spec, self.model.table(node_id))
                panel.droppedOn.connect(self.move_panel_onto)
            elif panel.spec != spec:
                panel.set_spec(spec)
        saved = [n for n in self._saved_order() if n in specs]
        self.order = saved + [n for n in specs if n not in saved]
        self._relayout(force=True)

    def move_panel(self, node_id: str, index: int) -> None:
        """Put ``node_id``'s panel at ``index`` of the grid's order (remembered)."""
        if node_id not in self.order:
            return
        self.order.remove(node_id)
        self.order.insert(max(0, min(index, len(self.order))), node_id)
        self._save_order()
        self._relayout(force=True)

    def move_panel_onto(self, moved: str, target: str) -> None:
        if target in self.order:
            self.move_panel(moved, self.order.index(target))

    def _relayout(self, force: bool = False) -> None:
        columns = self._column_count()
        if not force and columns == self._columns:
            return
        self._columns = columns
        while self.grid.count():
            self.grid.takeAt(0)
        for c in range(self.grid.columnCount()):
            self.grid.setColumnStretch(c, 0)
        for r in range(self.grid.rowCount()):
            self.grid.setRowStretch(r, 0)
        if not self.order:
            self.empty.show()
            self.grid.addWidget(self.empty, 0, 0)
            return
        self.empty.hide()
        for i, node_id in enumerate(self.order):
            panel = self.panels[node_id]
            self.grid.addWidget(panel, i // columns, i % columns)
            panel.show()
        for c in range(columns):
            self.grid.setColumnStretch(c, 1)
        for r in range(math.ceil(len(self.order) / columns)):
            self.grid.setRowStretch(r, 1)

    def _column_count(self) -> int:
        n = len(self.order)
        if not n:
            return 1
        widest = max(1, min(n, self.scroll.viewport().width() // CELL_WIDTH, 4))
        rows = math.ceil(n / widest)
        return math.ceil(n / rows)  # as few empty cells as the rows allow: 6 panels in 3 + 3

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._relayout()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._relayout()
        self._on_tick()
        self._show_updated()

    # -- rows -----------------------------------------------------------------------------

    def _on_rows_changed(self, node_ids: list) -> None:
        self._dirty.update(node_ids)
        for node_id in node_ids:
            panel = self.panels.get(node_id)
            if panel is not None and panel.table is not self.model.table(node_id):
                panel.table = self.model.table(node_id)

    def _on_tick(self) -> None:
        if not self._dirty or not self.isVisible():
            return
        self.refresh_now()

    def refresh_now(self) -> None:
        dirty, self._dirty = self._dirty, set()
        for node_id in dirty:
            panel = self.panels.get(node_id)
            if panel is not None:
                panel.refresh()
        self._show_updated()

    def _show_updated(self) -> None:
        if self.model.board.updated_at is not None:
            self.updated.setText(
                time.strftime("updated %H:%M:%S", time.localtime(self.model.board.updated_at))
            )

    # -- export ---------------------------------------------------------------------------

    def render_image(self) -> QPixmap:
        """The panels as one image, on the dashboard's background."""
        self.refresh_now()
        return self.canvas.grab()

    def export_png(self, path: str | Path) -> bool:
        return self.render_image().save(str(path), "PNG")

    def export_dialog(self) -> None:
        start = str(Path.home() / f"{self.model.name() or 'dashboard'}-dashboard.png")
        path, _ = QFileDialog.getSaveFileName(self, "Export dashboard", start, "PNG image (*.png)")
        if not path:
            return
        if not path.lower().endswith(".png"):
            path += ".png"
        if not self.export_png(path):
            QMessageBox.warning(
                self,
                "Export dashboard",
                f"Could not write {path}. Choose a folder you can write to.",
            )


class QtDashboardWindow(QWidget):
    """The dashboard on its own, e.g. full screen on a wall display (F11)."""

    def __init__(self, model: QtDashboardBoard, settings: QSettings | None = None, parent=None):
        super().__init__(parent, Qt.WindowType.Window)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle(f"Dashboard — {model.name()}")
        self.setWindowIcon(icons.app_icon())
        theme.style_widget(self, "background: @dashboard_bg@;")
        self.dashboard = QtDashboardWidget(model, settings, self, detached=True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.dashboard)
        self.resize(1280, 760)

    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_F11:
            self.showNormal() if self.isFullScreen() else self.showFullScreen()
        elif event.key() == Qt.Key.Key_Escape and self.isFullScreen():
            self.showNormal()
        else:
            super().keyPressEvent(event)
