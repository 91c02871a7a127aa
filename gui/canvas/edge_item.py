"""An edge: a bezier curve from an output port to an input port."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainterPath, QPainterPathStroker, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem, QStyle

from gui import theme


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
        self.setToolTip(reason)
        self.update()

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
        return super().boundingRect().adjusted(-4, -4, 4, 4)

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
        else:
            colour = theme.EDGE
        pen = QPen(colour, 3.0 if (selected or self.hovered) else 2.0)
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
