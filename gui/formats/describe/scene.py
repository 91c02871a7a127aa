"""The scene that lays a description's items out (sub-topologies stacked top to bottom,
global stores in their own frame) and the view that zooms and pans it."""

from __future__ import annotations

import math

import networkx as nx
from PySide6.QtCore import QLineF, QRectF, Qt
from PySide6.QtGui import (
    QPainter,
    QPen,
)
from PySide6.QtWidgets import (
    QFrame,
    QGraphicsScene,
    QGraphicsView,
)

from engine.code.describe import (
    PROCESSOR,
    SINK,
    SOURCE,
    StreamsDescription,
    layout,
    to_view_graph,
)
from gui.formats.describe.items import (
    FRAME_HEADER,
    FRAME_PAD,
    NODE_W,
    SLOT_H,
    BoxItem,
    FrameItem,
    LinkItem,
    StoreItem,
    StreamsNodeItem,
    TopicItem,
)
from gui.style import theme

# -- the scene and the view ---------------------------------------------------------------------


class DescribeScene(QGraphicsScene):
    """The items of one ``StreamsDescription``, placed by ``engine.describe.layout``."""

    def __init__(self, description: StreamsDescription, parent=None):
        super().__init__(parent)
        self.description = description
        self.graph: nx.DiGraph = to_view_graph(description)
        self.boxes: dict[str, BoxItem] = {}
        self.links: list[LinkItem] = []
        self.frames: dict[int, FrameItem] = {}
        self._build()

    def node_items(self, kind: str | None = None) -> list[StreamsNodeItem]:
        return [
            b
            for b in self.boxes.values()
            if isinstance(b, StreamsNodeItem) and kind in (None, b.kind)
        ]

    def topic_items(self) -> list[TopicItem]:
        return [b for b in self.boxes.values() if isinstance(b, TopicItem)]

    def store_items(self) -> list[StoreItem]:
        return [b for b in self.boxes.values() if isinstance(b, StoreItem)]

    def content_rect(self) -> QRectF:
        rect = QRectF()
        for item in list(self.boxes.values()) + list(self.frames.values()):
            rect = rect.united(item.sceneBoundingRect())
        return rect

    def _build(self) -> None:
        graph = self.graph
        positions = layout(self.description, graph)
        for node_id, data in graph.nodes(data=True):
            kind = data["kind"]
            if kind in (SOURCE, PROCESSOR, SINK):
                item: BoxItem = StreamsNodeItem(node_id, data)
            elif kind in ("store", "global_store"):
                item = StoreItem(node_id, data)
            else:
                item = TopicItem(node_id, data)
            item.band = self._band(node_id)
            x, y = positions[node_id]
            if isinstance(item, TopicItem) and any(True for _ in graph.successors(node_id)):
                x += NODE_W - item.width  # a topic that feeds a source sits right beside it
            elif isinstance(item, StoreItem):
                x += (NODE_W - item.width) / 2
            item.setPos(round(x), round(y + (SLOT_H - item.height) / 2))
            self.addItem(item)
            self.boxes[node_id] = item
        self._add_frames()
        for source, target, data in graph.edges(data=True):
            a, b = self.boxes[source], self.boxes[target]
            gap = self._gap_between(a, b) if data["kind"] != "store" else None
            link = LinkItem(a, b, data["kind"], gap)
            self.addItem(link)
            self.links.append(link)
        rect = self.content_rect()
        self.setSceneRect(rect.adjusted(-4000, -4000, 4000, 4000))

    def _band(self, node_id: str) -> int | None:
        """The sub-topology an item belongs to; a topic counts with the one reading it."""
        data = self.graph.nodes[node_id]
        if data.get("subtopology") is not None:
            return data["subtopology"]
        readers = [self.graph.nodes[s].get("subtopology") for s in self.graph.successors(node_id)]
        writers = [self.graph.nodes[p].get("subtopology") for p in self.graph.predecessors(node_id)]
        found = [b for b in readers + writers if b is not None]
        return found[0] if found else None

    def _add_frames(self) -> None:
        groups = [(s.id, False, s.nodes) for s in self.description.subtopologies] + [
            (g.id, True, g.nodes) for g in self.description.global_stores
        ]
        for group_id, is_global, nodes in groups:
            members = [
                b
                for b in self.boxes.values()
                if not isinstance(b, TopicItem)
                and self.graph.nodes[b.node_id].get("subtopology") == group_id
            ]
            if not members:
                continue
            rect = QRectF()
            for item in members:
                rect = rect.united(item.scene_rect())
            rect = rect.adjusted(-FRAME_PAD, -FRAME_HEADER - 6, FRAME_PAD, FRAME_PAD)
            stores = {st for n in nodes for st in n.stores}
            counts = f"{len(nodes)} node{'s' if len(nodes) != 1 else ''}"
            if stores:
                counts += f" · {len(stores)} store{'s' if len(stores) != 1 else ''}"
            title = f"GLOBAL STORE {group_id}" if is_global else f"SUB-TOPOLOGY {group_id}"
            detail = f"{counts} · no tasks" if is_global else counts
            frame = FrameItem(rect, title, detail, is_global)
            self.addItem(frame)
            self.frames[group_id] = frame

    def _gap_between(self, a: BoxItem, b: BoxItem) -> float | None:
        """For a link that runs backwards: a y in the empty band between the two frames."""
        fa, fb = self.frames.get(a.band), self.frames.get(b.band)
        if fa is None or fb is None or fa is fb:
            top = min(a.scene_rect().top(), b.scene_rect().top())
            return top - 24.0
        if fb.frame.top() >= fa.frame.bottom():
            return (fa.frame.bottom() + fb.frame.top()) / 2
        return (fb.frame.bottom() + fa.frame.top()) / 2


class DescribeView(QGraphicsView):
    """Pan by dragging, zoom with the wheel (at the cursor), F to fit; no editing."""

    MIN_ZOOM, MAX_ZOOM, GRID = 0.1, 3.0, 20.0

    def __init__(self, scene: DescribeScene, parent=None):
        super().__init__(scene, parent)
        self.setObjectName("describeCanvas")
        self.setRenderHints(
            QPainter.RenderHint.Antialiasing
            | QPainter.RenderHint.TextAntialiasing
            | QPainter.RenderHint.SmoothPixmapTransform
        )
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setCacheMode(QGraphicsView.CacheModeFlag.CacheBackground)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    def describe_scene(self) -> DescribeScene:
        return self.scene()

    def zoom(self) -> float:
        return self.transform().m11()

    def set_zoom(self, factor: float) -> None:
        factor = max(self.MIN_ZOOM, min(self.MAX_ZOOM, factor))
        self.scale(factor / self.zoom(), factor / self.zoom())

    def zoom_by(self, steps: float) -> None:
        self.set_zoom(self.zoom() * math.pow(1.15, steps))

    def fit(self) -> None:
        rect = self.describe_scene().content_rect()
        if rect.isNull():
            return
        self.fitInView(rect.adjusted(-40, -40, 40, 40), Qt.AspectRatioMode.KeepAspectRatio)
        if self.zoom() > 1.25:
            self.set_zoom(1.25)
            self.centerOn(rect.center())

    def wheelEvent(self, event) -> None:
        delta = event.angleDelta()
        if delta.y():
            self.zoom_by(delta.y() / 120.0)
        event.accept()

    def keyPressEvent(self, event) -> None:
        key = event.key()
        if key in (Qt.Key.Key_F, Qt.Key.Key_Home):
            self.fit()
        elif key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.zoom_by(1)
        elif key == Qt.Key.Key_Minus:
            self.zoom_by(-1)
        elif key == Qt.Key.Key_0:
            self.set_zoom(1.0)
        else:
            super().keyPressEvent(event)

    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:
        painter.fillRect(rect, theme.CANVAS_BG)
        step = self.GRID if self.zoom() >= 0.6 else self.GRID * 5
        if step * self.zoom() < 6:
            return
        major = self.GRID * 5
        minor_lines, major_lines = [], []
        x = math.floor(rect.left() / step) * step
        while x < rect.right():
            (major_lines if abs(x % major) < 1e-6 else minor_lines).append(
                QLineF(x, rect.top(), x, rect.bottom())
            )
            x += step
        y = math.floor(rect.top() / step) * step
        while y < rect.bottom():
            (major_lines if abs(y % major) < 1e-6 else minor_lines).append(
                QLineF(rect.left(), y, rect.right(), y)
            )
            y += step
        painter.setPen(QPen(theme.GRID_MINOR, 0))
        painter.drawLines(minor_lines)
        painter.setPen(QPen(theme.GRID_MAJOR, 0))
        painter.drawLines(major_lines)
