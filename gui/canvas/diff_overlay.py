"""A comparison on the canvas, over the scene that mirrors the current topology: nodes and
edges added since the other version outlined in green, changed ones (params, type, a new
id) in amber, and what the other version had and this one lacks drawn from it as ghosts:
semi-transparent, dashed, at the old place, not selectable, not editable, no ports.

The overlay only adds items of its own (outlines as children of the node items, so they
follow a moved node; ghosts and edge marks in the scene) and takes them all away on
``clear``; it never changes the scene's items."""

from __future__ import annotations

from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QFont, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem

from engine.model.catalogue import NODE_TYPES
from engine.model.diff import TopologyDiff
from engine.model.topology import Edge
from gui.canvas.edge_item import bezier
from gui.canvas.geometry import HEADER_HEIGHT, NODE_WIDTH, node_height
from gui.style import theme

if TYPE_CHECKING:
    from gui.canvas.qt_scene import TopologyScene

# What changed, as the palette's names (gui/style/theme.py): read when painting.
ADDED, CHANGED, REMOVED = "ok", "warning", "error"
GHOST_OPACITY = 0.45
RADIUS = 7.0


class NodeMarkItem(QGraphicsPathItem):
    """An outline around a node item (its child) and a word above it: added or changed."""

    def __init__(self, node_item: QGraphicsItem, colour: str, word: str, height: float):
        super().__init__(node_item)
        self.word, self.colour = word, colour  # colour: ADDED or CHANGED
        path = QPainterPath()
        path.addRoundedRect(QRectF(-5, -5, NODE_WIDTH + 10, height + 10), RADIUS + 4, RADIUS + 4)
        self.setPath(path)
        self.setZValue(-0.5)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)

    def paint(self, painter, option, widget=None) -> None:
        ink = theme.current.colour(self.colour)
        painter.setRenderHint(painter.RenderHint.Antialiasing, True)
        painter.setPen(QPen(ink, 2.6))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(self.path())
        font = QFont()
        font.setPointSizeF(7.5)
        font.setBold(True)
        painter.setFont(font)
        painter.drawText(
            QRectF(0, -22, NODE_WIDTH, 16), Qt.AlignmentFlag.AlignRight, self.word.upper()
        )

    def boundingRect(self) -> QRectF:
        return super().boundingRect().adjusted(-2, -24, 2, 2)  # the pen's width, the word


class GhostNodeItem(QGraphicsItem):
    """A node of the other version that this one lacks, where it was."""

    def __init__(self, node_id: str, type_name: str, inputs, outputs):
        super().__init__()
        self.node_id, self.type_name = node_id, type_name
        spec = NODE_TYPES.get(type_name)
        self.colour = theme.category_colour(spec.category if spec else None)
        self.title = spec.title if spec else type_name
        self.height = node_height(tuple(inputs), tuple(outputs))
        self.setOpacity(GHOST_OPACITY)
        self.setZValue(-2)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setToolTip(f"{node_id} ({self.title}): removed since the other version")

    def boundingRect(self) -> QRectF:
        return QRectF(-4, -24, NODE_WIDTH + 8, self.height + 30)

    def side(self, is_output: bool) -> QPointF:
        return self.scenePos() + QPointF(NODE_WIDTH if is_output else 0.0, self.height / 2)

    def paint(self, painter, option, widget=None) -> None:
        painter.setRenderHint(painter.RenderHint.Antialiasing, True)
        rect = QRectF(0, 0, NODE_WIDTH, self.height)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(theme.NODE_BODY)
        painter.drawRoundedRect(rect, RADIUS, RADIUS)
        header = QPainterPath()
        header.addRoundedRect(QRectF(0, 0, NODE_WIDTH, HEADER_HEIGHT), RADIUS, RADIUS)
        painter.fillPath(header, self.colour)
        font = QFont()
        font.setPointSizeF(9.5)
        font.setBold(True)
        font.setStrikeOut(True)
        painter.setFont(font)
        painter.setPen(theme.NODE_TITLE_TEXT)
        painter.drawText(
            QRectF(10, 0, NODE_WIDTH - 20, HEADER_HEIGHT),
            Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
            self.node_id,
        )
        font.setStrikeOut(False)
        font.setPointSizeF(7.5)
        painter.setFont(font)
        removed = theme.current.colour(REMOVED)
        painter.setPen(removed)
        painter.drawText(QRectF(0, -22, NODE_WIDTH, 16), Qt.AlignmentFlag.AlignRight, "REMOVED")
        painter.setPen(theme.NODE_MUTED_TEXT)
        painter.drawText(
            rect.adjusted(10, HEADER_HEIGHT, -10, 0), Qt.AlignmentFlag.AlignCenter, self.title
        )
        pen = QPen(removed, 1.6, Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRoundedRect(rect, RADIUS, RADIUS)


class EdgeMarkItem(QGraphicsPathItem):
    """An edge added (a green halo under the edge) or removed (a dashed ghost)."""

    def __init__(self, start: QPointF, end: QPointF, colour: str, removed: bool):
        super().__init__(bezier(start, end))
        ink = theme.current.colour(colour)  # ADDED or REMOVED in the palette shown
        pen = QPen(ink, 2.2 if removed else 7.0)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        if removed:
            pen.setStyle(Qt.PenStyle.DashLine)
            self.setOpacity(0.7)
        else:
            ink.setAlpha(110)
            pen.setColor(ink)
        self.setPen(pen)
        self.setZValue(-3)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)


class DiffOverlay:
    """Shows one ``TopologyDiff`` (current = ``diff.new``) on ``scene``."""

    def __init__(self, scene: TopologyScene):
        self.scene = scene
        self.diff: TopologyDiff | None = None
        self.marks: dict[str, NodeMarkItem] = {}  # node id -> its outline
        self.ghosts: dict[str, GhostNodeItem] = {}  # removed node id -> its ghost
        self.edge_marks: dict[tuple[Edge, bool], EdgeMarkItem] = {}  # (edge, removed)

    def show(self, diff: TopologyDiff) -> None:
        self.clear()
        self.diff = diff
        changed = set(diff.changed) | set(diff.renamed.values())
        for node_id in [*diff.added, *sorted(changed)]:
            item = self.scene.node_item(node_id)
            if item is None:
                continue
            added = node_id in diff.added
            word = "added" if added else "changed"
            if node_id in diff.renamed.values():
                old = next(o for o, n in diff.renamed.items() if n == node_id)
                word = f"renamed from {old}"
            self.marks[node_id] = NodeMarkItem(item, ADDED if added else CHANGED, word, item.height)
        for node_id in diff.removed:
            self._ghost(node_id)
        for edge in diff.edges_added:
            ends = self._ends(edge, current=True)
            if ends is not None:
                self._add_edge_mark(edge, False, EdgeMarkItem(*ends, ADDED, removed=False))
        for edge in diff.edges_removed:
            ends = self._ends(edge, current=False)
            if ends is not None:
                self._add_edge_mark(edge, True, EdgeMarkItem(*ends, REMOVED, removed=True))

    def clear(self) -> None:
        # A mark goes with its node item when the scene deletes that (a node removed, the
        # topology replaced): only those still alive are taken away.
        for mark in self.marks.values():
            if shiboken6.isValid(mark):
                mark.setParentItem(None)
                if mark.scene() is not None:
                    mark.scene().removeItem(mark)
        for item in [*self.ghosts.values(), *self.edge_marks.values()]:
            if shiboken6.isValid(item) and item.scene() is not None:
                item.scene().removeItem(item)
        self.marks.clear()
        self.ghosts.clear()
        self.edge_marks.clear()
        self.diff = None

    def _add_edge_mark(self, edge: Edge, removed: bool, item: EdgeMarkItem) -> None:
        self.edge_marks[(edge, removed)] = item
        self.scene.addItem(item)

    def _ghost(self, node_id: str) -> None:
        assert self.diff is not None
        old = self.diff.old
        node = old.nodes[node_id]
        spec = NODE_TYPES.get(node.type)
        inputs = spec.inputs if spec else ("in",)
        outputs = spec.output_ports(node.params) if spec else ("out",)
        ghost = GhostNodeItem(node_id, node.type, inputs, outputs)
        ghost.setPos(*(node.position or self._place_near(node_id)))
        self.ghosts[node_id] = ghost
        self.scene.addItem(ghost)

    def _place_near(self, node_id: str) -> tuple[float, float]:
        """A place for a ghost whose node had none: beside a neighbour that is still there."""
        assert self.diff is not None
        old = self.diff.old
        for edge in old.incoming(node_id):
            item = self.scene.node_item(edge.source)
            if item is not None:
                return item.pos().x() + NODE_WIDTH + 60, item.pos().y() + 90
        for edge in old.outgoing(node_id):
            item = self.scene.node_item(edge.target)
            if item is not None:
                return item.pos().x() - NODE_WIDTH - 60, item.pos().y() + 90
        rect = self.scene.nodes_rect()
        return rect.left(), rect.bottom() + 60 + 90 * len(self.ghosts)

    def _ends(self, edge: Edge, current: bool) -> tuple[QPointF, QPointF] | None:
        start = self._end(edge.source, edge.source_port, True, current)
        end = self._end(edge.target, edge.target_port, False, current)
        return None if start is None or end is None else (start, end)

    def _end(self, node_id: str, port: str, is_output: bool, current: bool) -> QPointF | None:
        item = self.scene.node_item(node_id)
        if item is not None:
            port_item = item.port(port, is_output)
            if port_item is not None:
                return port_item.scenePos()
            return item.scenePos() + QPointF(NODE_WIDTH if is_output else 0.0, item.height / 2)
        ghost = self.ghosts.get(node_id)
        return ghost.side(is_output) if ghost is not None and not current else None
