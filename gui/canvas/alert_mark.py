"""A node with a firing alert: a red ring around it and a pill above it naming the rule.

Like the run badge, the mark is a child item of its node (it moves with it and never
repaints the node) and knows nothing of the model: ``mark_alerts(scene, {node: [rules]})``
hands it the rule names to show.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPen
from PySide6.QtWidgets import QGraphicsItem

from gui.canvas.geometry import NODE_WIDTH
from gui.style import theme

RING = 5.0  # the ring's distance from the node's edge
PILL_HEIGHT = 18.0
PILL_BG = QColor(theme.ERROR)


class AlertMarkItem(QGraphicsItem):
    def __init__(self, node_item):
        super().__init__(node_item)
        self.node_item = node_item
        self.rules: list[str] = []
        self.setFlag(
            QGraphicsItem.GraphicsItemFlag.ItemStacksBehindParent
        )  # the ring under the node
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self._font = QFont()
        self._font.setPointSizeF(7.5)
        self._font.setBold(True)
        self._text = ""
        self._text_w = 0.0

    def set_rules(self, rules: list[str]) -> None:
        text = "⚠ " + (rules[0] if len(rules) == 1 else f"{len(rules)} alerts")
        if rules == self.rules and text == self._text:
            return
        self.prepareGeometryChange()
        self.rules = list(rules)
        self._text = text
        self._text_w = QFontMetricsF(self._font).horizontalAdvance(text) + 14
        self.setToolTip("Firing: " + ", ".join(rules))
        self.update()

    def _ring(self) -> QRectF:
        return QRectF(-RING, -RING, NODE_WIDTH + 2 * RING, self.node_item.height + 2 * RING)

    def _pill(self) -> QRectF:
        width = min(self._text_w, NODE_WIDTH + 2 * RING)
        return QRectF(NODE_WIDTH + RING - width, -RING - PILL_HEIGHT - 3, width, PILL_HEIGHT)

    def boundingRect(self) -> QRectF:
        return self._ring().united(self._pill()).adjusted(-3, -3, 3, 3)

    def paint(self, painter, option, widget=None) -> None:
        painter.setRenderHint(painter.RenderHint.Antialiasing, True)
        glow = QColor(theme.ERROR)
        glow.setAlpha(70)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(QPen(glow, 6.0))
        painter.drawRoundedRect(self._ring(), 11, 11)
        painter.setPen(QPen(theme.ERROR, 2.0))
        painter.drawRoundedRect(self._ring(), 11, 11)
        pill = self._pill()
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(PILL_BG)
        painter.drawRoundedRect(pill, PILL_HEIGHT / 2, PILL_HEIGHT / 2)
        painter.setPen(Qt.GlobalColor.white)
        painter.setFont(self._font)
        metrics = QFontMetricsF(self._font)
        text = metrics.elidedText(self._text, Qt.TextElideMode.ElideRight, pill.width() - 12)
        painter.drawText(pill, Qt.AlignmentFlag.AlignCenter, text)


def mark_alerts(scene, firing: dict[str, list[str]]) -> None:
    """Mark the nodes in ``firing`` ({node id: rule names}); unmark every other node."""
    for item in scene.node_items():
        mark = getattr(item, "alert_mark", None)
        rules = firing.get(item.node_id)
        if rules:
            if mark is None:
                mark = item.alert_mark = AlertMarkItem(item)
            mark.set_rules(rules)
            mark.setVisible(True)
        elif mark is not None and mark.isVisible():
            mark.setVisible(False)


def marked_nodes(scene) -> dict[str, list[str]]:
    """What is marked now (for tests)."""
    return {
        item.node_id: list(item.alert_mark.rules)
        for item in scene.node_items()
        if getattr(item, "alert_mark", None) is not None and item.alert_mark.isVisible()
    }
