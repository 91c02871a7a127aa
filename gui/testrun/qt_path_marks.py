"""A followed record's path on the canvas: the nodes it reached ringed, with a pill saying
what it became there (→ 2 records, filtered out, dead letter, folded in, written), and the
edges it travelled drawn over in the accent colour.

Like the alert marks, a node's mark is a child item of the node (it moves with it) and
knows nothing of the model; ``mark_path(scene, nodes, edges)`` hands it plain values.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem

from gui.canvas.geometry import NODE_WIDTH
from gui.style import theme
from gui.testrun.rows import ERROR, FILTERED, FOLDED, LATE, PASSED, UNWRITTEN, WRITTEN

# Each outcome's colour: a name of the palette in use, read when painting.
OUTCOME_COLOURS = {
    PASSED: "link",  # the accent of the path
    WRITTEN: "ok",
    FOLDED: "folded",
    FILTERED: "node_muted_text",
    UNWRITTEN: "node_muted_text",
    ERROR: "error",
    LATE: "warning",
}


def outcome_colour(kind: str) -> QColor:
    return theme.current.colour(OUTCOME_COLOURS.get(kind, OUTCOME_COLOURS[PASSED]))


def text_on(fill: QColor) -> QColor:
    """Text readable on ``fill``: dark on a light colour, white on a dark one."""
    return QColor("#111418") if fill.lightness() > 140 else QColor("#ffffff")


RING = 4.0
PILL_HEIGHT = 16.0


class PathMarkItem(QGraphicsItem):
    def __init__(self, node_item):
        super().__init__(node_item)
        self.node_item = node_item
        self.text = ""
        self.kind = PASSED
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemStacksBehindParent)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self._font = QFont()
        self._font.setPointSizeF(7.5)
        self._font.setBold(True)
        self._text_w = 0.0

    def set_outcome(self, text: str, kind: str) -> None:
        if (text, kind) == (self.text, self.kind):
            return
        self.prepareGeometryChange()
        self.text, self.kind = text, kind
        self._text_w = QFontMetricsF(self._font).horizontalAdvance(text) + 14
        self.setToolTip(f"The followed record: {text}")
        self.update()

    def _ring(self) -> QRectF:
        return QRectF(-RING, -RING, NODE_WIDTH + 2 * RING, self.node_item.height + 2 * RING)

    def _pill(self) -> QRectF:
        # On the ring's top edge at the right, over the header's type label: a pill above the
        # node would cover the counts of a node stacked just above it.
        width = min(self._text_w, NODE_WIDTH + 2 * RING)
        return QRectF(NODE_WIDTH + RING - width - 6, -RING - PILL_HEIGHT / 2, width, PILL_HEIGHT)

    def boundingRect(self) -> QRectF:
        return self._ring().united(self._pill()).adjusted(-4, -4, 4, 4)

    def paint(self, painter, option, widget=None) -> None:
        colour = outcome_colour(self.kind)
        painter.setRenderHint(painter.RenderHint.Antialiasing, True)
        glow = QColor(colour)
        glow.setAlpha(80)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(QPen(glow, 7.0))
        painter.drawRoundedRect(self._ring(), 10, 10)
        painter.setPen(QPen(colour, 2.0))
        painter.drawRoundedRect(self._ring(), 10, 10)
        pill = self._pill()
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        painter.drawRoundedRect(pill, PILL_HEIGHT / 2, PILL_HEIGHT / 2)
        painter.setPen(text_on(colour))
        painter.setFont(self._font)
        text = QFontMetricsF(self._font).elidedText(
            self.text, Qt.TextElideMode.ElideRight, pill.width() - 12
        )
        painter.drawText(pill, Qt.AlignmentFlag.AlignCenter, text)


class PathEdgeItem(QGraphicsPathItem):
    """An edge the followed record travelled, drawn over the edge."""

    def __init__(self, edge_item):
        super().__init__(edge_item.path())
        pen = QPen(outcome_colour(PASSED), 3.2)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        self.setPen(pen)
        self.setZValue(-0.5)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)


def mark_path(
    scene, nodes: dict[str, tuple[str, str]], edges: set[tuple[str, str, str, str]]
) -> None:
    """Mark ``nodes`` ({node id: (text, kind)}) and ``edges`` ((source, source port, target,
    target port)); unmark everything else."""
    for item in scene.node_items():
        mark = getattr(item, "path_mark", None)
        outcome = nodes.get(item.node_id)
        if outcome is not None:
            if mark is None:
                mark = item.path_mark = PathMarkItem(item)
            mark.set_outcome(*outcome)
            mark.setVisible(True)
        elif mark is not None and mark.isVisible():
            mark.setVisible(False)
    for old in getattr(scene, "_path_edges", []):
        if old.scene() is scene:
            scene.removeItem(old)
    drawn = []
    for edge_item in scene.edge_items():
        e = edge_item.key
        if (e.source, e.source_port, e.target, e.target_port) in edges:
            glow = PathEdgeItem(edge_item)
            scene.addItem(glow)
            drawn.append(glow)
    scene._path_edges = drawn


def marked_path(scene) -> tuple[dict[str, str], int]:
    """What is marked now (for tests): {node id: text}, and how many edges."""
    nodes = {
        item.node_id: item.path_mark.text
        for item in scene.node_items()
        if getattr(item, "path_mark", None) is not None and item.path_mark.isVisible()
    }
    return nodes, len(getattr(scene, "_path_edges", []))
