"""A node's port: a small circle on the node's left (inputs) or right (outputs) edge."""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPen
from PySide6.QtWidgets import QGraphicsItem

from gui.canvas.geometry import PORT_RADIUS
from gui.style import theme

HIT_RADIUS = 10.0


class PortItem(QGraphicsItem):
    """Identified by its node id, name and side; ``ghost`` marks a port an edge names but
    the node type does not have (drawn in the error colour, so the edge stays visible)."""

    def __init__(
        self, parent: QGraphicsItem, node_id: str, name: str, is_output: bool, ghost: bool = False
    ):
        super().__init__(parent)
        self.node_id = node_id
        self.name = name
        self.is_output = is_output
        self.ghost = ghost
        self.connected = False
        self.highlight: QColor | None = None
        self.setAcceptHoverEvents(True)
        self.setCursor(Qt.CursorShape.CrossCursor)
        side = "output" if is_output else "input"
        self.setToolTip(
            f"{'missing ' if ghost else ''}{side} '{name}' — drag to connect"
            if not ghost
            else f"'{node_id}' has no {side} '{name}'"
        )

    def boundingRect(self) -> QRectF:
        return QRectF(-HIT_RADIUS, -HIT_RADIUS, 2 * HIT_RADIUS, 2 * HIT_RADIUS)

    def set_connected(self, connected: bool) -> None:
        if connected != self.connected:
            self.connected = connected
            self.update()

    def set_highlight(self, colour: QColor | None) -> None:
        if colour != self.highlight:
            self.highlight = colour
            self.update()

    def hoverEnterEvent(self, event) -> None:
        self.set_highlight(theme.PORT_HOVER)

    def hoverLeaveEvent(self, event) -> None:
        self.set_highlight(None)

    def paint(self, painter, option, widget=None) -> None:
        r = PORT_RADIUS
        if self.highlight is not None:
            painter.setPen(Qt.PenStyle.NoPen)
            glow = QColor(self.highlight)
            glow.setAlpha(90)
            painter.setBrush(glow)
            painter.drawEllipse(QRectF(-r - 4, -r - 4, 2 * r + 8, 2 * r + 8))
        fill = (
            theme.ERROR
            if self.ghost
            else (self.highlight or (theme.PORT_CONNECTED if self.connected else theme.NODE_BODY))
        )
        painter.setBrush(QBrush(fill))
        painter.setPen(QPen(theme.ERROR if self.ghost else theme.PORT_FILL, 1.6))
        painter.drawEllipse(QRectF(-r, -r, 2 * r, 2 * r))
