"""A node on the canvas: coloured header with the type's icon and the node id, port rows,
and a one-line summary. Knows nothing of the model: the scene gives it plain values."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontDatabase, QFontMetricsF, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyle

from gui.canvas.geometry import (
    HEADER_HEIGHT,
    NODE_WIDTH,
    labelled,
    node_height,
    port_y,
    summary_rect,
)
from gui.canvas.port_item import PortItem
from gui.canvas.run_badge import BADGE_GAP, BadgeState, NodeBadgeItem
from gui.style import icons, theme

RADIUS = 7.0


class _Fonts:
    title: QFont | None = None

    @classmethod
    def ensure(cls) -> None:
        if cls.title is not None:
            return
        cls.title = QFont()
        cls.title.setPointSizeF(9.5)
        cls.title.setBold(True)
        cls.small = QFont()
        cls.small.setPointSizeF(7.5)
        cls.port = QFont()
        cls.port.setPointSizeF(8.0)
        cls.mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        cls.mono.setPointSizeF(8.0)


class NodeItem(QGraphicsItem):
    def __init__(
        self,
        node_id: str,
        type_name: str,
        type_title: str,
        colour: QColor,
        inputs,
        outputs,
        summary: str = "",
        ghost_inputs=(),
        ghost_outputs=(),
    ):
        super().__init__()
        _Fonts.ensure()
        self.node_id = node_id
        self.type_name = type_name
        self.type_title = type_title
        self.colour = QColor(colour)
        self.summary = summary
        self.severity: str | None = None  # "error", "warning" or None
        self.edges: set = set()  # EdgeItems, kept by the scene
        self.ports: dict[tuple[bool, str], PortItem] = {}
        self.inputs: tuple[str, ...] = ()
        self.outputs: tuple[str, ...] = ()
        self.ghosts: set[tuple[bool, str]] = set()
        self.height = 0.0
        self.badge: NodeBadgeItem | None = None  # the run's numbers, made on first use
        self.setFlags(
            QGraphicsItem.GraphicsItemFlag.ItemIsMovable
            | QGraphicsItem.GraphicsItemFlag.ItemIsSelectable
            | QGraphicsItem.GraphicsItemFlag.ItemSendsGeometryChanges
        )
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.setAcceptHoverEvents(True)
        self.set_ports(inputs, outputs, ghost_inputs, ghost_outputs)
        self._update_tooltip([])

    # -- data from the scene ---------------------------------------------------------

    def set_ports(self, inputs, outputs, ghost_inputs=(), ghost_outputs=()) -> None:
        """Ports declared by the type, plus ghosts for ports that edges name but the type lacks."""
        self.prepareGeometryChange()
        all_inputs = tuple(inputs) + tuple(p for p in ghost_inputs if p not in inputs)
        all_outputs = tuple(outputs) + tuple(p for p in ghost_outputs if p not in outputs)
        self.inputs, self.outputs = all_inputs, all_outputs
        self.ghosts = {(False, p) for p in ghost_inputs if p not in inputs} | {
            (True, p) for p in ghost_outputs if p not in outputs
        }
        wanted = {(False, p) for p in all_inputs} | {(True, p) for p in all_outputs}
        for key in list(self.ports):
            if key not in wanted or (key in self.ghosts) != self.ports[key].ghost:
                port = self.ports.pop(key)
                port.setParentItem(None)
                if port.scene() is not None:
                    port.scene().removeItem(port)
        for is_output, names in ((False, all_inputs), (True, all_outputs)):
            for index, name in enumerate(names):
                key = (is_output, name)
                port = self.ports.get(key)
                if port is None:
                    port = self.ports[key] = PortItem(
                        self, self.node_id, name, is_output, key in self.ghosts
                    )
                port.setPos(
                    NODE_WIDTH if is_output else 0.0,
                    port_y(index, len(names), all_inputs, all_outputs),
                )
        self.height = node_height(all_inputs, all_outputs)
        if self.badge is not None:
            self.badge.setPos(0.0, self.height + BADGE_GAP)
        self._layout_text()
        self.update()

    def set_title(self, node_id: str) -> None:
        self.node_id = node_id
        for port in self.ports.values():
            port.node_id = node_id
        if self.badge is not None:
            self.badge.node_id = node_id
        self._layout_text()
        self.update()

    def set_summary(self, summary: str) -> None:
        self.summary = summary
        self._layout_text()
        self.update()

    def set_problems(self, problems: list[tuple[str, str]]) -> None:
        """``problems``: (severity, sentence) pairs of this node."""
        severities = {s for s, _ in problems}
        severity = "error" if "error" in severities else ("warning" if severities else None)
        self._update_tooltip(problems)
        if severity != self.severity:
            self.severity = severity
            self._layout_text()
            self.update()

    def set_run_state(self, state: BadgeState | None, group: str = "") -> bool:
        """The run's numbers under the node (None hides them); True when they changed."""
        if state is None:
            if self.badge is None or not self.badge.isVisible():
                return False
            self.badge.setVisible(False)
            self.badge.state = None
            return True
        if self.badge is None:
            self.badge = NodeBadgeItem(self, self.node_id)
            self.badge.setPos(0.0, self.height + BADGE_GAP)
        self.badge.setVisible(True)
        return self.badge.set_state(state, group)

    def run_state(self) -> BadgeState | None:
        return self.badge.state if self.badge is not None and self.badge.isVisible() else None

    def port(self, name: str, is_output: bool) -> PortItem | None:
        return self.ports.get((is_output, name))

    def _update_tooltip(self, problems) -> None:
        lines = [f"<b>{self.node_id}</b> — {self.type_title}"]
        for severity, text in problems:
            colour = theme.ERROR.name() if severity == "error" else theme.WARNING.name()
            lines.append(f"<span style='color:{colour}'>●</span> {text}")
        self.setToolTip("<br>".join(lines))

    def _layout_text(self) -> None:
        badge = 22.0 if self.severity else 0.0
        fm_small, fm_title = QFontMetricsF(_Fonts.small), QFontMetricsF(_Fonts.title)
        available = NODE_WIDTH - 36.0 - 10.0 - badge
        # The node's id comes first; the type's name takes what is left, or hides.
        type_w = min(
            fm_small.horizontalAdvance(self.type_title),
            92.0,
            max(0.0, available - fm_title.horizontalAdvance(self.node_id) - 10.0),
        )
        if type_w < 36.0:
            type_w = 0.0
        self._type_text = (
            fm_small.elidedText(self.type_title, Qt.TextElideMode.ElideRight, type_w)
            if type_w
            else ""
        )
        self._type_w = type_w
        self._title_text = fm_title.elidedText(
            self.node_id,
            Qt.TextElideMode.ElideRight,
            available - (type_w + 10.0 if type_w else 0.0),
        )
        x, y, w, h = summary_rect(self.inputs, self.outputs)
        self._summary_rect = QRectF(x, y, w, h)
        self._summary_text = QFontMetricsF(_Fonts.mono).elidedText(
            self.summary, Qt.TextElideMode.ElideRight, w
        )

    # -- geometry and painting -----------------------------------------------------------

    def boundingRect(self) -> QRectF:
        return QRectF(-4, -4, NODE_WIDTH + 8, self.height + 10)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addRoundedRect(QRectF(0, 0, NODE_WIDTH, self.height), RADIUS, RADIUS)
        return path

    def paint(self, painter, option, widget=None) -> None:
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        rect = QRectF(0, 0, NODE_WIDTH, self.height)
        lod = option.levelOfDetailFromTransform(painter.worldTransform())
        painter.setRenderHint(painter.RenderHint.Antialiasing, True)
        painter.setRenderHint(painter.RenderHint.TextAntialiasing, True)

        # Shadow, body, header.
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(0, 0, 0, 70))
        painter.drawRoundedRect(rect.translated(0, 3), RADIUS, RADIUS)
        painter.setBrush(theme.NODE_BODY)
        painter.drawRoundedRect(rect, RADIUS, RADIUS)
        header = QPainterPath()
        header.setFillRule(Qt.FillRule.WindingFill)
        header.addRoundedRect(QRectF(0, 0, NODE_WIDTH, HEADER_HEIGHT), RADIUS, RADIUS)
        header.addRect(QRectF(0, HEADER_HEIGHT - RADIUS, NODE_WIDTH, RADIUS))
        painter.fillPath(header, self.colour)

        if lod >= 0.35:
            icons.paint_glyph(painter, self.type_name, QRectF(8, 6, 16, 16))
            painter.setPen(theme.NODE_TITLE_TEXT)
            painter.setFont(_Fonts.title)
            painter.drawText(
                QRectF(30, 0, NODE_WIDTH - 40, HEADER_HEIGHT),
                Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                self._title_text,
            )
            badge = 22.0 if self.severity else 0.0
            painter.setFont(_Fonts.small)
            painter.setPen(QColor(255, 255, 255, 185))
            painter.drawText(
                QRectF(NODE_WIDTH - 10 - badge - self._type_w, 0, self._type_w, HEADER_HEIGHT),
                Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight,
                self._type_text,
            )
            if self.severity:
                colour = theme.ERROR if self.severity == "error" else theme.WARNING
                centre = QPointF(NODE_WIDTH - 15, HEADER_HEIGHT / 2)
                painter.setPen(QPen(QColor(255, 255, 255, 220), 1.2))
                painter.setBrush(colour)
                painter.drawEllipse(centre, 7.5, 7.5)
                painter.setFont(_Fonts.title)
                painter.setPen(Qt.GlobalColor.white)
                painter.drawText(
                    QRectF(centre.x() - 7.5, centre.y() - 8, 15, 16),
                    Qt.AlignmentFlag.AlignCenter,
                    "!",
                )
            self._paint_body(painter)

        # Border: selection wins over problems.
        painter.setBrush(Qt.BrushStyle.NoBrush)
        if selected:
            painter.setPen(QPen(theme.NODE_SELECTED, 2.2))
        elif self.severity == "error":
            painter.setPen(QPen(theme.ERROR, 1.6))
        elif self.severity == "warning":
            painter.setPen(QPen(theme.WARNING, 1.2))
        else:
            painter.setPen(QPen(theme.NODE_BORDER, 1.0))
        painter.drawRoundedRect(rect, RADIUS, RADIUS)

    def _paint_body(self, painter) -> None:
        if labelled(self.inputs, self.outputs):
            painter.setFont(_Fonts.port)
            for is_output, names in ((False, self.inputs), (True, self.outputs)):
                for index, name in enumerate(names):
                    if not is_output and names == ("in",):
                        continue
                    y = port_y(index, len(names), self.inputs, self.outputs)
                    ghost = (is_output, name) in self.ghosts
                    painter.setPen(theme.ERROR if ghost else theme.PORT_LABEL)
                    box = (
                        QRectF(NODE_WIDTH / 2, y - 9, NODE_WIDTH / 2 - 12, 18)
                        if is_output
                        else QRectF(12, y - 9, NODE_WIDTH / 2 - 12, 18)
                    )
                    align = Qt.AlignmentFlag.AlignRight if is_output else Qt.AlignmentFlag.AlignLeft
                    painter.drawText(box, align | Qt.AlignmentFlag.AlignVCenter, name)
        if self._summary_text:
            painter.setPen(theme.NODE_MUTED_TEXT)
            painter.setFont(_Fonts.mono)
            align = Qt.AlignmentFlag.AlignVCenter | (
                Qt.AlignmentFlag.AlignHCenter
                if not labelled(self.inputs, self.outputs)
                else Qt.AlignmentFlag.AlignLeft
            )
            painter.drawText(self._summary_rect, align, self._summary_text)

    def itemChange(self, change, value):
        if change == QGraphicsItem.GraphicsItemChange.ItemPositionHasChanged:
            for edge in self.edges:
                edge.update_path()
        return super().itemChange(change, value)
