"""One dashboard's panel: a header in the canvas's colours (the node type's glyph on its
category colour, the title, the view) over the view that draws its rows (``qt_views``).
Dragging a header onto another panel moves the panel there.
"""

from __future__ import annotations

from PySide6.QtCore import QMimeData, QPoint, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QDrag, QFontMetrics, QPainter, QPainterPath
from PySide6.QtWidgets import QFrame, QLabel, QSizePolicy, QVBoxLayout, QWidget

from engine.model.catalogue import NODE_TYPES
from engine.runtime.dashboard import DashboardTable
from gui.dashboard import board as b
from gui.dashboard.qt_views import (
    QtBarsView,
    QtDashboardView,
    QtKpiView,
    QtLineView,
    QtTableView,
    _font,
)
from gui.style import icons, theme

PANEL_MIME = "application/x-topology-studio-dashboard-panel"
VIEW_CLASSES = {"kpi": QtKpiView, "bars": QtBarsView, "line": QtLineView, "table": QtTableView}
__all__ = [
    "PANEL_MIME",
    "VIEW_CLASSES",
    "QtBarsView",
    "QtDashboardPanel",
    "QtKpiView",
    "QtLineView",
    "QtPanelHeader",
    "QtTableView",
    "placeholder",
]


class QtPanelHeader(QWidget):
    """The panel's title bar: drag it onto another panel to move the panel there."""

    def __init__(self, panel: QtDashboardPanel):
        super().__init__(panel)
        self.panel = panel
        self.setFixedHeight(30)
        self.setCursor(Qt.CursorShape.OpenHandCursor)
        self.setToolTip("Drag onto another panel to move this one there")
        self._press: QPoint | None = None

    def sizeHint(self) -> QSize:
        return QSize(200, 30)

    def paintEvent(self, _event) -> None:
        spec = self.panel.spec
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), theme.NODE_BODY)
        node_type = NODE_TYPES.get("dashboard_sink")
        colour = theme.category_colour(node_type.category if node_type else None)
        painter.fillRect(QRectF(0, 0, 4, self.height()), colour)
        glyph = QRectF(12, 5, 20, 20)
        path = QPainterPath()
        path.addRoundedRect(glyph, 4, 4)
        painter.fillPath(path, colour)
        icons.paint_glyph(painter, "dashboard_sink", glyph.adjusted(3, 3, -3, -3))
        view = spec.view
        fm_small = QFontMetrics(_font(8))
        view_w = fm_small.horizontalAdvance(view) + 14
        painter.setFont(_font(9.5, True))
        painter.setPen(theme.STRONG_TEXT)
        title_rect = QRectF(40, 0, self.width() - 40 - view_w - 10, self.height())
        painter.drawText(
            title_rect,
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            QFontMetrics(_font(9.5, True)).elidedText(
                spec.title, Qt.TextElideMode.ElideRight, int(title_rect.width())
            ),
        )
        painter.setFont(_font(8))
        painter.setPen(theme.NODE_MUTED_TEXT)
        painter.drawText(
            QRectF(self.width() - view_w - 8, 0, view_w, self.height()),
            Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
            view,
        )
        painter.end()

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._press = event.position().toPoint()
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:
        if self._press is None or (event.position().toPoint() - self._press).manhattanLength() < 8:
            return
        self._press = None
        drag = QDrag(self)
        mime = QMimeData()
        mime.setData(PANEL_MIME, self.panel.spec.node_id.encode())
        drag.setMimeData(mime)
        drag.setPixmap(
            self.panel.grab().scaledToWidth(220, Qt.TransformationMode.SmoothTransformation)
        )
        drag.exec(Qt.DropAction.MoveAction)

    def mouseReleaseEvent(self, event) -> None:
        self._press = None
        super().mouseReleaseEvent(event)


class QtDashboardPanel(QFrame):
    """One dashboard: header and view. ``set_spec`` swaps the view when the view param
    changes; ``refresh`` repaints from the table."""

    droppedOn = Signal(str, str)  # moved node id, this panel's node id

    def __init__(self, spec: b.DashboardSpec, table: DashboardTable, parent=None):
        super().__init__(parent)
        self.setObjectName("dashboardPanel")
        theme.style_widget(
            self,
            "QFrame#dashboardPanel { background: @chart_bg@;"
            " border: 1px solid @row_border@; border-radius: 5px; }",
        )
        self.setAcceptDrops(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(220, 140)
        self.spec = spec
        self.table = table
        self.header = QtPanelHeader(self)
        self.view: QtDashboardView = VIEW_CLASSES[spec.view]()
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(1, 1, 1, 1)
        self._layout.setSpacing(0)
        self._layout.addWidget(self.header)
        self._layout.addWidget(self.view, 1)
        self.refresh()

    def set_spec(self, spec: b.DashboardSpec) -> None:
        old, self.spec = self.spec, spec
        if spec.view != old.view:
            view = VIEW_CLASSES[spec.view]()
            self._layout.replaceWidget(self.view, view)
            self.view.deleteLater()
            self.view = view
        self.header.update()
        self.refresh()

    def set_table(self, table: DashboardTable) -> None:
        self.table = table
        self.refresh()

    def refresh(self) -> None:
        self.view.show_rows(self.spec, self.table)

    # -- drops: another panel's header dragged here ------------------------------------

    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasFormat(PANEL_MIME):
            event.acceptProposedAction()

    def dragMoveEvent(self, event) -> None:
        if event.mimeData().hasFormat(PANEL_MIME):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        data = event.mimeData()
        if data.hasFormat(PANEL_MIME):
            moved = bytes(data.data(PANEL_MIME)).decode()
            event.acceptProposedAction()
            if moved != self.spec.node_id:
                self.droppedOn.emit(moved, self.spec.node_id)


def placeholder(text: str) -> QLabel:
    label = QLabel(text)
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    label.setWordWrap(True)
    theme.style_widget(label, "color: @subtitle@; padding: 24px;")
    return label
