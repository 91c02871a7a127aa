"""An edge: a bezier curve from an output port to an input port."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainterPath, QPainterPathStroker, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem, QStyle

from gui.canvas.run_badge import EDGE_FLOW, EDGE_IDLE_WIDTH, EDGE_MAX_WIDTH, edge_width, format_rate
from gui.style import theme


def bezier(p1: QPointF, p2: QPointF) -> QPainterPath:
    path = QPainterPath(p1)
    dx = max(abs(p2.x() - p1.x()) * 0.5, 50.0)
    path.cubicTo(QPointF(p1.x() + dx, p1.y()), QPointF(p2.x() - dx, p2.y()), p2)
    return path


class EdgeItem(QGraphicsPathItem):
    """``key`` is the opaque identity the scene uses (the model's edge)."""

    def __init__(self, key, source, target):
        super().__init__()
        self.key = key
        self.source = source  # PortItem
        self.target = target  # PortItem
        self.invalid = False
        self.hovered = False
        self.rate: float | None = None  # records/s through the edge while a run goes on
        self.width = EDGE_IDLE_WIDTH
        self._reason = ""
        self._shape: QPainterPath | None = None
        self.setZValue(-1)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setAcceptHoverEvents(True)
        self.update_path()

    def set_ports(self, source, target) -> None:
        self.source, self.target = source, target
        self.update_path()

    def set_invalid(self, invalid: bool, reason: str = "") -> None:
        self.invalid = invalid
        self._reason = reason
        self._update_tooltip()
        self.update()

    def set_rate(self, rate: float | None, top: float | None = None) -> bool:
        """Draw the edge as thick as ``rate`` records/s against the busiest edge's ``top``
        (None: no run); True when that changed what is drawn."""
        width = edge_width(rate, top)
        same = (
            (rate is None) == (self.rate is None)
            and abs(width - self.width) < 0.25
            and (rate is None or format_rate(rate) == format_rate(self.rate))
        )
        self.rate = rate
        if same:
            return False
        self.width = width
        self._update_tooltip()
        self.update()
        return True

    def _update_tooltip(self) -> None:
        if self._reason or self.rate is None:
            self.setToolTip(self._reason)
        else:
            self.setToolTip(f"{format_rate(self.rate)} records/s")

    def update_path(self) -> None:
        self._shape = None
        self.setPath(bezier(self.source.scenePos(), self.target.scenePos()))

    def shape(self) -> QPainterPath:
        if self._shape is None:
            stroker = QPainterPathStroker()
            stroker.setWidth(12)
            self._shape = stroker.createStroke(self.path())
        return self._shape

    def boundingRect(self) -> QRectF:
        # Room for the widest pen a rate can ask for, so a thicker edge never needs a
        # geometry change (and an index update) when the numbers move.
        m = EDGE_MAX_WIDTH / 2 + 2
        return super().boundingRect().adjusted(-m, -m, m, m)

    def hoverEnterEvent(self, event) -> None:
        self.hovered = True
        self.update()

    def hoverLeaveEvent(self, event) -> None:
        self.hovered = False
        self.update()

    def paint(self, painter, option, widget=None) -> None:
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        if self.invalid:
            colour = theme.EDGE_INVALID
        elif selected:
            colour = theme.EDGE_SELECTED
        elif self.hovered:
            colour = QColor(theme.EDGE).lighter(140)
        elif self.rate:
            colour = EDGE_FLOW
        else:
            colour = theme.EDGE
        width = self.width
        if selected or self.hovered:
            width = max(width, EDGE_IDLE_WIDTH + 1.0)
        pen = QPen(colour, width)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        if self.invalid:
            pen.setStyle(Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(self.path())


class WirePreviewItem(QGraphicsPathItem):
    """The live line while a wire is dragged: green where it can land, red where refused."""

    def __init__(self):
        super().__init__()
        self.setZValue(10)
        self.set_state(None)

    def set_state(self, ok: bool | None) -> None:
        colour = theme.EDGE if ok is None else (theme.PREVIEW_OK if ok else theme.PREVIEW_REFUSED)
        pen = QPen(colour, 2.2, Qt.PenStyle.DashLine if ok is None else Qt.PenStyle.SolidLine)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        self.setPen(pen)

    def set_ends(self, start: QPointF, end: QPointF, from_output: bool) -> None:
        self.setPath(bezier(start, end) if from_output else bezier(end, start))
