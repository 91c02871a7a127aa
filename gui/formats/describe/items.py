"""How a described application looks: the fonts, colours and glyphs, and the read-only items
(processors, topics, stores, sub-topology frames, links) in the designer's node look."""

from __future__ import annotations

from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontDatabase,
    QFontMetricsF,
    QPainter,
    QPainterPath,
    QPen,
    QPolygonF,
)
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsPathItem,
)

from engine.code.describe import (
    PROCESSOR,
    SINK,
    SOURCE,
)
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


def colour(name: str) -> QColor:
    """A colour of the diagram (``describe_<name>`` in the palette in use), read at paint
    time so that the diagram follows the theme."""
    return theme.current.colour(f"describe_{name}")


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


class BoxItem(QGraphicsItem):
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


class StreamsNodeItem(BoxItem):
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
            detail = f"{self.kind} · {plural(len(self.stores), 'store')}"
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


class TopicItem(BoxItem):
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
        border = colour("repartition" if self.repartition else "topic_border")
        pen = QPen(border, 1.4 if self.repartition else 1.1)
        if self.kind in ("topic_pattern", "dynamic_topic"):
            pen.setStyle(Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.setBrush(colour("repartition_fill" if self.repartition else "topic"))
        painter.drawRoundedRect(rect, r, r)
        # A log of three records: what a topic is.
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(border)
        for i in range(3):
            painter.drawRoundedRect(QRectF(11 + i * 5, 9, 3.2, self.height - 18), 1.2, 1.2)
        painter.setPen(colour("repartition_text" if self.repartition else "topic_text"))
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
            painter.setPen(colour("repartition"))
            painter.drawText(
                QRectF(r - 2, -15, self.width, 13),
                Qt.AlignmentFlag.AlignBottom | Qt.AlignmentFlag.AlignLeft,
                "REPARTITION",
            )


class StoreItem(BoxItem):
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
        pen = QPen(colour("store"), 1.2)
        if self.is_global:
            pen.setStyle(Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.setBrush(colour("store_fill"))
        painter.drawPath(body)
        painter.setBrush(colour("store_top"))
        painter.drawEllipse(QRectF(0, 0, w, 2 * lip))
        painter.setFont(_Fonts.caps)
        painter.setPen(colour("store"))
        painter.drawText(
            QRectF(0, 2 * lip + 1, w, 12),
            Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop,
            self._caption,
        )
        painter.setFont(_Fonts.small)
        painter.setPen(colour("store_text"))
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
        pen = QPen(colour("frame_border"), 1.2)
        if self.is_global:
            pen.setStyle(Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.setBrush(colour("frame"))
        painter.drawRoundedRect(self.frame, 10, 10)
        header = QRectF(
            self.frame.left() + 14, self.frame.top(), self.frame.width() - 28, FRAME_HEADER
        )
        painter.setFont(_Fonts.frame)
        painter.setPen(colour("frame_title"))
        painter.drawText(
            header, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, self.title
        )
        painter.setFont(_Fonts.small)
        painter.setPen(colour("frame_note"))
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

    def __init__(self, source: BoxItem, target: BoxItem, kind: str, gap_y: float | None = None):
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
            ink = colour("store")
            ink.setAlpha(255 if self.emphasis else 170)
            pen = QPen(ink, 1.6, Qt.PenStyle.DotLine)
        else:
            # emphasis stands out from the background: lighter on the dark one, darker on the light
            lifted = QColor.lighter if theme.current.is_dark else QColor.darker
            ink = lifted(QColor(theme.EDGE), 145) if self.emphasis else theme.EDGE
            if self.source.kind == "repartition_topic" or self.target.kind == "repartition_topic":
                ink = colour("repartition")
                ink = ink if self.emphasis else ink.darker(135)
            pen = QPen(ink, 2.6 if self.emphasis else 1.8)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(self.path())
        if not self._arrow.isEmpty():
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(ink)
            painter.drawPolygon(self._arrow)


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"
