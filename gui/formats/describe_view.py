"""A read-only picture of a Java Kafka Streams application, drawn from the text its
``Topology#describe()`` prints.

``DescribeDialog`` takes the text (pasted or loaded from a file) and the application
id; ``DescribeWidget`` shows it in a window of its own: sub-topologies as labelled
frames stacked top to bottom, sources, processors and sinks in the designer's node
look, topics as pills (repartition topics marked), state stores as cylinders under
their processors, global stores in their own frame. Nothing here touches the
editable topology model: it is a separate scene and nothing in it can be moved,
deleted or undone.

The application id names the consumer group to watch: ``DescribeWidget`` keeps it
with the input topics and emits ``monitorGroupRequested(group_id)`` when asked.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import networkx as nx
from PySide6.QtCore import QLineF, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontDatabase,
    QFontMetricsF,
    QKeySequence,
    QPainter,
    QPainterPath,
    QPen,
    QPolygonF,
    QShortcut,
    QTextCursor,
)
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFrame,
    QGraphicsItem,
    QGraphicsPathItem,
    QGraphicsScene,
    QGraphicsView,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from engine.code.describe import (
    PROCESSOR,
    SINK,
    SOURCE,
    DescribeError,
    StreamsDescription,
    application_topics,
    consumer_group_hint,
    layout,
    parse_description,
    to_view_graph,
)
from gui.formats.image_export import export_scene_dialog
from gui.style import icons, theme

# -- look --------------------------------------------------------------------------------------

NODE_W, NODE_H, HEADER_H = 184.0, 54.0, 26.0
SLOT_H = NODE_H  # items are centred on the slot the layout gives each row
TOPIC_H, TOPIC_MAX_W = 28.0, 214.0
STORE_W, STORE_H = 150.0, 46.0
FRAME_PAD, FRAME_HEADER = 18.0, 30.0
RADIUS = 7.0

KIND_COLOURS = {
    SOURCE: theme.CATEGORY_COLOURS["Sources"],
    PROCESSOR: theme.CATEGORY_COLOURS["Transforms"],
    SINK: theme.CATEGORY_COLOURS["Sinks"],
}
TOPIC_FILL, TOPIC_BORDER, TOPIC_TEXT = QColor("#232833"), QColor("#5a6477"), QColor("#d7dbe3")
REPARTITION = QColor("#e3a33b")
REPARTITION_FILL, REPARTITION_TEXT = QColor("#30291b"), QColor("#f3d9a8")
STORE_BORDER, STORE_FILL, STORE_TOP, STORE_TEXT = (
    QColor("#9d86e0"),
    QColor("#272336"),
    QColor("#342e4a"),
    QColor("#ddd5f7"),
)
FRAME_FILL, FRAME_BORDER, FRAME_TITLE = QColor("#1c1f26"), QColor("#2e333d"), QColor("#8b93a3")

# The glyph of a processor, from the operator in its generated name.
_GLYPHS = (
    ("AGGREGATE", "aggregate"),
    ("REDUCE", "aggregate"),
    ("COUNT", "aggregate"),
    ("SUPPRESS", "aggregate"),
    ("JOIN", "join"),
    ("WINDOWED", "join"),
    ("FILTER", "filter"),
    ("FLATMAP", "flat_map"),
    ("FLATTRANSFORM", "flat_map"),
    ("KEY-SELECT", "rekey"),
    ("SELECT-KEY", "rekey"),
    ("MAP", "map"),
    ("TRANSFORM", "set_fields"),
    ("PEEK", "console_sink"),
    ("PRINTER", "console_sink"),
    ("MERGE", "merge"),
    ("BRANCH", "branch"),
    ("SPLIT", "branch"),
)


class _Fonts:
    ready = False

    @classmethod
    def ensure(cls) -> None:
        if cls.ready:
            return
        cls.title = QFont()
        cls.title.setPointSizeF(9.0)
        cls.title.setBold(True)
        cls.small = QFont()
        cls.small.setPointSizeF(7.5)
        cls.caps = QFont()
        cls.caps.setPointSizeF(7.0)
        cls.caps.setBold(True)
        cls.caps.setLetterSpacing(QFont.SpacingType.AbsoluteSpacing, 1.0)
        cls.frame = QFont()
        cls.frame.setPointSizeF(8.0)
        cls.frame.setBold(True)
        cls.frame.setLetterSpacing(QFont.SpacingType.AbsoluteSpacing, 1.2)
        cls.topic = QFont()
        cls.topic.setPointSizeF(8.5)
        cls.mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        cls.mono.setPointSizeF(7.5)
        cls.ready = True


def glyph_for(kind: str, name: str) -> str:
    if kind == SOURCE:
        return "kafka_source"
    if kind == SINK:
        return "kafka_sink"
    upper = name.upper()
    for marker, glyph in _GLYPHS:
        if marker in upper:
            return glyph
    return "unknown"


def _read_only(item: QGraphicsItem) -> None:
    """Nothing in this scene is movable, selectable or focusable."""
    for flag in (
        QGraphicsItem.GraphicsItemFlag.ItemIsMovable,
        QGraphicsItem.GraphicsItemFlag.ItemIsSelectable,
        QGraphicsItem.GraphicsItemFlag.ItemIsFocusable,
    ):
        item.setFlag(flag, False)


# -- items -------------------------------------------------------------------------------------


class _BoxItem(QGraphicsItem):
    """An item with a rectangle at (0, 0) and anchors where links meet it."""

    width = height = 0.0

    def __init__(self, node_id: str, data: dict):
        super().__init__()
        _Fonts.ensure()
        self.node_id = node_id
        self.kind: str = data["kind"]
        self.label: str = data["label"]
        self.name: str = data["name"]
        self.band: int | None = None
        self.links: list[LinkItem] = []
        _read_only(self)
        self.setAcceptHoverEvents(True)

    def rect(self) -> QRectF:
        return QRectF(0, 0, self.width, self.height)

    def boundingRect(self) -> QRectF:
        return QRectF(-4, -16, self.width + 8, self.height + 24)

    def scene_rect(self) -> QRectF:
        return self.rect().translated(self.pos())

    def in_point(self) -> QPointF:
        return self.pos() + QPointF(0, self.height / 2)

    def out_point(self) -> QPointF:
        return self.pos() + QPointF(self.width, self.height / 2)

    def top_point(self) -> QPointF:
        return self.pos() + QPointF(self.width / 2, 0)

    def bottom_point(self) -> QPointF:
        return self.pos() + QPointF(self.width / 2, self.height)

    def hoverEnterEvent(self, event) -> None:
        for link in self.links:
            link.set_emphasis(True)

    def hoverLeaveEvent(self, event) -> None:
        for link in self.links:
            link.set_emphasis(False)


class StreamsNodeItem(_BoxItem):
    """A source, processor or sink: the designer's node look, read-only."""

    width, height = NODE_W, NODE_H

    def __init__(self, node_id: str, data: dict):
        super().__init__(node_id, data)
        self.colour = KIND_COLOURS[self.kind]
        self.glyph = glyph_for(self.kind, self.name)
        self.stores: list[str] = list(data.get("stores") or [])
        fm_title, fm_mono = QFontMetricsF(_Fonts.title), QFontMetricsF(_Fonts.mono)
        self._title = fm_title.elidedText(self.label, Qt.TextElideMode.ElideRight, NODE_W - 40)
        # The generated name under its short label (logs and metrics use it); a chosen
        # name is the title already, so the body says what the node is.
        if self.label != self.name:
            detail = self.name
        elif self.stores:
            detail = f"{self.kind} · {_plural(len(self.stores), 'store')}"
        else:
            detail = self.kind
        self._detail = fm_mono.elidedText(detail, Qt.TextElideMode.ElideMiddle, NODE_W - 24)
        tip = [f"<b>{self.name}</b> — {self.kind}"]
        if data.get("topics"):
            tip.append(("reads " if self.kind == SOURCE else "writes ") + ", ".join(data["topics"]))
        if data.get("topic_pattern"):
            tip.append(f"reads topics matching {data['topic_pattern']}")
        if data.get("extractor"):
            tip.append(f"chooses its topic per record ({data['extractor']})")
        if self.stores:
            tip.append("stores: " + ", ".join(self.stores))
        self.setToolTip("<br>".join(tip))

    def paint(self, painter: QPainter, option, widget=None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        rect = self.rect()
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(0, 0, 0, 70))
        painter.drawRoundedRect(rect.translated(0, 3), RADIUS, RADIUS)
        painter.setBrush(theme.NODE_BODY)
        painter.drawRoundedRect(rect, RADIUS, RADIUS)
        header = QPainterPath()
        header.setFillRule(Qt.FillRule.WindingFill)
        header.addRoundedRect(QRectF(0, 0, NODE_W, HEADER_H), RADIUS, RADIUS)
        header.addRect(QRectF(0, HEADER_H - RADIUS, NODE_W, RADIUS))
        painter.fillPath(header, self.colour)
        icons.paint_glyph(painter, self.glyph, QRectF(8, 5, 16, 16))
        painter.setPen(theme.NODE_TITLE_TEXT)
        painter.setFont(_Fonts.title)
        painter.drawText(
            QRectF(30, 0, NODE_W - 40, HEADER_H),
            Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
            self._title,
        )
        painter.setFont(_Fonts.mono)
        painter.setPen(theme.NODE_MUTED_TEXT)
        painter.drawText(
            QRectF(12, HEADER_H, NODE_W - 24, NODE_H - HEADER_H),
            Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignHCenter,
            self._detail,
        )
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(QPen(theme.NODE_BORDER, 1.0))
        painter.drawRoundedRect(rect, RADIUS, RADIUS)


class TopicItem(_BoxItem):
    """A topic as a pill; a repartition topic in amber with a tag above it, a pattern or
    a topic chosen per record dashed."""

    def __init__(self, node_id: str, data: dict):
        super().__init__(node_id, data)
        self.repartition = self.kind == "repartition_topic"
        fm = QFontMetricsF(_Fonts.topic)
        text = self.label if self.kind != "topic_pattern" else f"/{self.label}/"
        self.width = min(TOPIC_MAX_W, max(84.0, fm.horizontalAdvance(text) + 50))
        self.height = TOPIC_H
        # Elided with some slack: text drawn zoomed out is a little wider than measured.
        self._text = fm.elidedText(text, Qt.TextElideMode.ElideMiddle, self.width - 46)
        what = {
            "topic": "topic",
            "repartition_topic": "repartition topic (internal; its full name is "
            "prefixed with the application id)",
            "topic_pattern": "topics matching a pattern",
            "dynamic_topic": "a topic chosen per record",
        }[self.kind]
        self.setToolTip(f"<b>{self.name}</b><br>{what}")

    def paint(self, painter: QPainter, option, widget=None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        rect = self.rect()
        r = self.height / 2
        border = REPARTITION if self.repartition else TOPIC_BORDER
        pen = QPen(border, 1.4 if self.repartition else 1.1)
        if self.kind in ("topic_pattern", "dynamic_topic"):
            pen.setStyle(Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.setBrush(REPARTITION_FILL if self.repartition else TOPIC_FILL)
        painter.drawRoundedRect(rect, r, r)
        # A log of three records: what a topic is.
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(border)
        for i in range(3):
            painter.drawRoundedRect(QRectF(11 + i * 5, 9, 3.2, self.height - 18), 1.2, 1.2)
        painter.setPen(REPARTITION_TEXT if self.repartition else TOPIC_TEXT)
        painter.setFont(_Fonts.topic)
        if self.kind == "dynamic_topic":
            italic = QFont(_Fonts.topic)
            italic.setItalic(True)
            painter.setFont(italic)
        painter.drawText(
            QRectF(30, 0, self.width - 36, self.height),
            Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
            self._text,
        )
        if self.repartition:
            painter.setFont(_Fonts.caps)
            painter.setPen(REPARTITION)
            painter.drawText(
                QRectF(r - 2, -15, self.width, 13),
                Qt.AlignmentFlag.AlignBottom | Qt.AlignmentFlag.AlignLeft,
                "REPARTITION",
            )


class StoreItem(_BoxItem):
    """A state store as a cylinder; a global store says so."""

    width, height = STORE_W, STORE_H

    def __init__(self, node_id: str, data: dict):
        super().__init__(node_id, data)
        self.is_global = self.kind == "global_store"
        fm = QFontMetricsF(_Fonts.small)
        self._text = fm.elidedText(self.label, Qt.TextElideMode.ElideMiddle, STORE_W - 20)
        self._caption = "GLOBAL STORE" if self.is_global else "STATE STORE"
        self.setToolTip(
            f"<b>{self.name}</b><br>{'global store' if self.is_global else 'state store'}"
            + ("" if self.is_global else ", backed by a changelog topic unless logging is off")
        )

    def paint(self, painter: QPainter, option, widget=None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        w, h, lip = self.width, self.height, 7.0
        body = QPainterPath()
        body.moveTo(0, lip)
        body.lineTo(0, h - lip)
        body.arcTo(QRectF(0, h - 2 * lip, w, 2 * lip), 180, 180)
        body.lineTo(w, lip)
        body.arcTo(QRectF(0, 0, w, 2 * lip), 0, -180)
        body.closeSubpath()
        pen = QPen(STORE_BORDER, 1.2)
        if self.is_global:
            pen.setStyle(Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.setBrush(STORE_FILL)
        painter.drawPath(body)
        painter.setBrush(STORE_TOP)
        painter.drawEllipse(QRectF(0, 0, w, 2 * lip))
        painter.setFont(_Fonts.caps)
        painter.setPen(STORE_BORDER)
        painter.drawText(
            QRectF(0, 2 * lip + 1, w, 12),
            Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop,
            self._caption,
        )
        painter.setFont(_Fonts.small)
        painter.setPen(STORE_TEXT)
        painter.drawText(
            QRectF(10, 2 * lip + 12, w - 20, h - 2 * lip - 14),
            Qt.AlignmentFlag.AlignCenter,
            self._text,
        )


class FrameItem(QGraphicsItem):
    """A sub-topology (or a global store) as a labelled frame behind its nodes."""

    def __init__(self, rect: QRectF, title: str, detail: str, is_global: bool):
        super().__init__()
        _Fonts.ensure()
        self.frame = QRectF(rect)
        self.title, self.detail, self.is_global = title, detail, is_global
        self.setZValue(-10)
        _read_only(self)

    def boundingRect(self) -> QRectF:
        return self.frame.adjusted(-2, -2, 2, 2)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        pen = QPen(FRAME_BORDER, 1.2)
        if self.is_global:
            pen.setStyle(Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.setBrush(FRAME_FILL)
        painter.drawRoundedRect(self.frame, 10, 10)
        header = QRectF(
            self.frame.left() + 14, self.frame.top(), self.frame.width() - 28, FRAME_HEADER
        )
        painter.setFont(_Fonts.frame)
        painter.setPen(FRAME_TITLE)
        painter.drawText(
            header, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, self.title
        )
        painter.setFont(_Fonts.small)
        painter.setPen(QColor("#6c7483"))
        painter.drawText(
            header, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight, self.detail
        )


def _rounded_polyline(points: list[QPointF], radius: float) -> QPainterPath:
    path = QPainterPath(points[0])
    for prev, corner, nxt in zip(points, points[1:], points[2:]):
        a, b = QLineF(corner, prev), QLineF(corner, nxt)
        r = min(radius, a.length() / 2, b.length() / 2)
        path.lineTo(a.pointAt(r / a.length()) if a.length() else corner)
        path.quadTo(corner, b.pointAt(r / b.length()) if b.length() else corner)
    path.lineTo(points[-1])
    return path


class LinkItem(QGraphicsPathItem):
    """A link between two items: a record stream (with an arrow), or a processor's use of a
    store (dotted). A link that runs backwards (into the next sub-topology's topics)
    goes round through the gap between the frames."""

    def __init__(self, source: _BoxItem, target: _BoxItem, kind: str, gap_y: float | None = None):
        super().__init__()
        self.source, self.target, self.kind = source, target, kind
        self.gap_y = gap_y
        self.emphasis = False
        self.setZValue(-1)
        _read_only(self)
        source.links.append(self)
        target.links.append(self)
        self._arrow = QPolygonF()
        self.update_path()

    def update_path(self) -> None:
        if self.kind == "store":
            p1, p2 = self.source.bottom_point(), self.target.top_point()
            path = QPainterPath(p1)
            dy = max(abs(p2.y() - p1.y()) * 0.5, 12.0)
            path.cubicTo(QPointF(p1.x(), p1.y() + dy), QPointF(p2.x(), p2.y() - dy), p2)
            self._arrow = QPolygonF()
            self.setPath(path)
            return
        p1, p2 = self.source.out_point(), self.target.in_point()
        end = QPointF(p2.x() - 7, p2.y())
        if p2.x() - p1.x() >= 40 or self.gap_y is None:
            path = QPainterPath(p1)
            dx = max(abs(end.x() - p1.x()) * 0.5, 40.0)
            path.cubicTo(QPointF(p1.x() + dx, p1.y()), QPointF(end.x() - dx, end.y()), end)
        else:
            out_x, in_x = p1.x() + 22, min(p2.x() - 22, p1.x() - 10)
            path = _rounded_polyline(
                [
                    p1,
                    QPointF(out_x, p1.y()),
                    QPointF(out_x, self.gap_y),
                    QPointF(in_x, self.gap_y),
                    QPointF(in_x, end.y()),
                    end,
                ],
                12.0,
            )
        self._arrow = QPolygonF(
            [p2, QPointF(p2.x() - 8, p2.y() - 4.5), QPointF(p2.x() - 8, p2.y() + 4.5)]
        )
        self.setPath(path)

    def set_emphasis(self, on: bool) -> None:
        self.emphasis = on
        self.setZValue(-0.5 if on else -1)
        self.update()

    def boundingRect(self) -> QRectF:
        return super().boundingRect().united(self._arrow.boundingRect()).adjusted(-4, -4, 4, 4)

    def paint(self, painter: QPainter, option, widget=None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        if self.kind == "store":
            colour = QColor(STORE_BORDER)
            colour.setAlpha(255 if self.emphasis else 170)
            pen = QPen(colour, 1.6, Qt.PenStyle.DotLine)
        else:
            colour = QColor(theme.EDGE).lighter(145) if self.emphasis else theme.EDGE
            if self.source.kind == "repartition_topic" or self.target.kind == "repartition_topic":
                colour = QColor(REPARTITION) if self.emphasis else QColor(REPARTITION).darker(135)
            pen = QPen(colour, 2.6 if self.emphasis else 1.8)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(self.path())
        if not self._arrow.isEmpty():
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(colour)
            painter.drawPolygon(self._arrow)


# -- the scene and the view ---------------------------------------------------------------------


class DescribeScene(QGraphicsScene):
    """The items of one ``StreamsDescription``, placed by ``engine.describe.layout``."""

    def __init__(self, description: StreamsDescription, parent=None):
        super().__init__(parent)
        self.description = description
        self.graph: nx.DiGraph = to_view_graph(description)
        self.boxes: dict[str, _BoxItem] = {}
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
                item: _BoxItem = StreamsNodeItem(node_id, data)
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

    def _gap_between(self, a: _BoxItem, b: _BoxItem) -> float | None:
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


# -- the window ---------------------------------------------------------------------------------

_STYLE = """
QWidget#describeHeader { background: #1a1d24; border-bottom: 1px solid #14161b; }
QLabel#describeTitle { font-size: 13pt; font-weight: bold; color: #f1f3f6; }
QLabel#readOnlyBadge { color: #e3a33b; border: 1px solid #6b5220; border-radius: 4px; padding: 1px 8px;
                       font-size: 7.5pt; font-weight: bold; letter-spacing: 1px; }
QLabel#describeFacts { color: #aeb6c4; }
QLabel#describeLegend { color: #8b93a3; font-size: 8pt; }
QPushButton { background: #2a2f3a; color: #d7dbe3; border: 1px solid #353b47; border-radius: 4px; padding: 5px 12px; }
QPushButton:hover { background: #323846; }
QPushButton:disabled { color: #5d6472; }
QPushButton#monitorButton { background: #2d5f96; border: 1px solid #3a7cc4; color: #ffffff; }
QPushButton#monitorButton:hover { background: #3a7cc4; }
QPushButton#monitorButton:disabled { background: #2a2f3a; border: 1px solid #353b47; color: #5d6472; }
"""


def _legend() -> str:
    def chip(colour: QColor | str, text: str, shape: str = "■") -> str:
        name = colour.name() if isinstance(colour, QColor) else colour
        return f"<span style='color:{name}'>{shape}</span>&nbsp;{text}"

    return "&nbsp;&nbsp;&nbsp;".join(
        [
            chip(KIND_COLOURS[SOURCE], "source"),
            chip(KIND_COLOURS[PROCESSOR], "processor"),
            chip(KIND_COLOURS[SINK], "sink"),
            chip(TOPIC_BORDER.lighter(130), "topic", "●"),
            chip(REPARTITION, "repartition topic", "●"),
            chip(STORE_BORDER, "state store", "●"),
        ]
    )


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


class DescribeWidget(QWidget):
    """A read-only window on a Kafka Streams application's topology.

    ``application_id`` is the application's consumer group ('' when not given);
    ``input_topics`` what it reads from outside; the "Monitor consumer group" button emits
    ``monitorGroupRequested(application_id)``.
    """

    monitorGroupRequested = Signal(str)

    def __init__(
        self,
        description: StreamsDescription,
        application_id: str = "",
        source_name: str = "",
        parent: QWidget | None = None,
    ):
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("describeWindow")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowIcon(icons.app_icon())
        self.setStyleSheet(_STYLE)
        self.description = description
        self.application_id = application_id.strip()
        self.source_name = source_name
        self.topics = application_topics(description)
        self.input_topics: list[str] = list(self.topics.inputs)
        self.group_hint = consumer_group_hint(description, self.application_id or None)

        self.scene = DescribeScene(description, self)
        self.view = DescribeView(self.scene, self)
        name = self.application_id or source_name or "pasted text"
        self.setWindowTitle(f"{name} — Kafka Streams topology (read-only) — Topology Studio")

        header = QWidget(self)
        header.setObjectName("describeHeader")
        title = QLabel("Kafka Streams topology", header)
        title.setObjectName("describeTitle")
        badge = QLabel("READ-ONLY", header)
        badge.setObjectName("readOnlyBadge")
        badge.setToolTip(
            "Drawn from the text of Topology#describe(): it cannot be edited or run here."
        )
        self.fit_button = QPushButton("Fit", header)
        self.fit_button.setToolTip("Show the whole topology (F)")
        self.fit_button.clicked.connect(self.view.fit)
        self.export_button = QPushButton("Export Image…", header)
        self.export_button.clicked.connect(self.export_image)
        self.monitor_button = QPushButton("Monitor consumer group", header)
        self.monitor_button.setObjectName("monitorButton")
        self.monitor_button.clicked.connect(self._on_monitor_clicked)
        self.monitor_button.setEnabled(bool(self.application_id))
        self.monitor_button.setToolTip(
            f"Chart the lag of consumer group '{self.application_id}'"
            if self.application_id
            else "describe() does not print the application id: open the topology again and give its "
            "application.id to monitor its consumer group"
        )
        self.facts = QLabel(self._facts_html(), header)
        self.facts.setObjectName("describeFacts")
        self.facts.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.facts.setWordWrap(True)
        legend = QLabel(_legend(), header)
        legend.setObjectName("describeLegend")

        top = QHBoxLayout()
        top.setSpacing(10)
        top.addWidget(title)
        top.addWidget(badge, 0, Qt.AlignmentFlag.AlignVCenter)
        top.addStretch(1)
        top.addWidget(self.fit_button)
        top.addWidget(self.export_button)
        top.addWidget(self.monitor_button)
        box = QVBoxLayout(header)
        box.setContentsMargins(16, 12, 16, 10)
        box.setSpacing(6)
        box.addLayout(top)
        box.addWidget(self.facts)
        box.addWidget(legend)

        layout_ = QVBoxLayout(self)
        layout_.setContentsMargins(0, 0, 0, 0)
        layout_.setSpacing(0)
        layout_.addWidget(header)
        layout_.addWidget(self.view, 1)
        self.resize(1280, 820)
        QShortcut(QKeySequence("F"), self, self.view.fit)
        QShortcut(QKeySequence.StandardKey.Close, self, self.close)

    def _facts_html(self) -> str:
        d, t = self.description, self.topics
        nodes = d.nodes()
        counts = " · ".join(
            [
                _plural(len(d.subtopologies), "sub-topology").replace("topologys", "topologies"),
                _plural(sum(n.kind == PROCESSOR for n in nodes), "processor"),
                _plural(len(self.scene.topic_items()), "topic"),
                _plural(len(self.scene.store_items()), "store"),
            ]
        )
        if d.global_stores:
            counts += f" · {_plural(len(d.global_stores), 'global store')}"
        if self.application_id:
            app = (
                f"Application id <b style='color:#f1f3f6'>{_html(self.application_id)}</b> "
                "<span style='color:#6c7483'>(consumer group)</span>"
            )
        else:
            app = (
                "Application id <span style='color:#e3a33b'>not given</span> "
                "<span style='color:#6c7483'>— describe() does not print it</span>"
            )
        reads = (
            ", ".join(_html(x) for x in self.input_topics + [f"/{p}/" for p in t.patterns]) or "—"
        )
        writes = ", ".join(_html(x) for x in t.outputs) or "—"
        return (
            f"{app}&nbsp;&nbsp;·&nbsp;&nbsp;Reads <b>{reads}</b>&nbsp;&nbsp;·&nbsp;&nbsp;"
            f"Writes <b>{writes}</b><br><span style='color:#7b8494'>{counts}</span>"
        )

    def _on_monitor_clicked(self) -> None:
        if self.application_id:
            self.monitorGroupRequested.emit(self.application_id)

    def export_image(self) -> Path | None:
        stem = re.sub(
            r"[^\w.-]+", "_", self.application_id or Path(self.source_name or "topology").stem
        )
        return export_scene_dialog(
            self,
            self.scene,
            Path.home() / f"{stem}-streams.png",
            f"{self.application_id or 'Kafka Streams'} topology",
        )

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.view.fit()


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# -- the dialog ----------------------------------------------------------------------------------

_PLACEHOLDER = """Topologies:
   Sub-topology: 0
    Source: KSTREAM-SOURCE-0000000000 (topics: [orders])
      --> KSTREAM-FILTER-0000000001
    …"""


class DescribeDialog(QDialog):
    """Takes the text of ``Topology#describe()`` and the application id; on Open, parses it and
    either accepts (``description`` is set) or shows the line it could not read."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Open Kafka Streams Topology")
        self.setObjectName("describeDialog")
        self.description: StreamsDescription | None = None
        self.source_name = ""
        self.error: DescribeError | None = None

        intro = QLabel(
            "Paste what a Kafka Streams application prints with "
            "<code>System.out.println(topology.describe())</code>, or load it from a file. "
            "It opens as a read-only picture: nothing runs.",
            self,
        )
        intro.setWordWrap(True)
        self.text = QPlainTextEdit(self)
        self.text.setObjectName("describeText")
        self.text.setPlaceholderText(_PLACEHOLDER)
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.text.setFont(mono)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.text.textChanged.connect(self._on_text_changed)
        self.load_button = QPushButton("Load from File…", self)
        self.load_button.clicked.connect(self.load_dialog)
        self.app_id = QLineEdit(self)
        self.app_id.setObjectName("applicationId")
        self.app_id.setPlaceholderText("application.id, e.g. wordcount-app (optional)")
        app_help = QLabel(
            "The application id is the app's consumer group and the prefix of its internal "
            "topics. describe() does not print it; give it to monitor the group's lag.",
            self,
        )
        app_help.setObjectName("help")
        app_help.setWordWrap(True)
        self.error_label = QLabel(self)
        self.error_label.setObjectName("problemsBox")
        self.error_label.setWordWrap(True)
        self.error_label.setTextFormat(Qt.TextFormat.PlainText)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label.hide()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Open | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.accepted.connect(self.try_accept)
        self.buttons.rejected.connect(self.reject)

        row = QHBoxLayout()
        row.addWidget(self.load_button)
        row.addStretch(1)
        app_row = QHBoxLayout()
        app_label = QLabel("Application id", self)
        app_label.setObjectName("fieldLabel")
        app_row.addWidget(app_label)
        app_row.addWidget(self.app_id, 1)
        box = QVBoxLayout(self)
        box.addWidget(intro)
        box.addWidget(self.text, 1)
        box.addLayout(row)
        box.addLayout(app_row)
        box.addWidget(app_help)
        box.addWidget(self.error_label)
        box.addWidget(self.buttons)
        self.resize(760, 620)

    @property
    def application_id(self) -> str:
        return self.app_id.text().strip()

    def load_dialog(self) -> None:
        chosen, _ = QFileDialog.getOpenFileName(
            self, "Load describe() output", str(Path.home()), "Text (*.txt *.log);;All files (*)"
        )
        if chosen:
            self.load_file(chosen)

    def load_file(self, path: str | Path) -> bool:
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            self._show_error(f"Could not read {path}: {exc.strerror or exc}.")
            return False
        self.text.setPlainText(text)
        self.source_name = path.name
        return True

    def try_accept(self) -> bool:
        text = self.text.toPlainText()
        try:
            self.description = parse_description(text)
        except DescribeError as exc:
            self.error = exc
            lines = text.splitlines()
            offending = lines[exc.line - 1].strip() if 0 < exc.line <= len(lines) else ""
            message = f"Line {exc.line}: {exc.message}"
            if offending:
                message += f"\n\n  {exc.line} │ {offending}"
            self._show_error(message)
            self._select_line(exc.line)
            return False
        self.error = None
        self.accept()
        return True

    def _show_error(self, message: str) -> None:
        self.error_label.setText(message)
        self.error_label.show()

    def _select_line(self, number: int) -> None:
        block = self.text.document().findBlockByNumber(max(0, number - 1))
        if not block.isValid():
            return
        cursor = QTextCursor(block)
        cursor.movePosition(QTextCursor.MoveOperation.EndOfBlock, QTextCursor.MoveMode.KeepAnchor)
        self.text.setTextCursor(cursor)
        mark = QTextEdit.ExtraSelection()
        mark.cursor = QTextCursor(block)
        mark.format.setBackground(QBrush(QColor(224, 93, 93, 60)))
        mark.format.setProperty(mark.format.Property.FullWidthSelection, True)
        self.text.setExtraSelections([mark])
        self.text.centerCursor()

    def _on_text_changed(self) -> None:
        if self.error is not None:
            self.error = None
            self.error_label.hide()
            self.text.setExtraSelections([])
