"""What a run shows on the canvas: a badge under each node with its records/s in and
out, its errors and (aggregates) late records, and on sources the consumer group's
OK/WARN/STALL status; and how thick an edge is drawn for the rate flowing through it.

The badge is a child item of its node, so a new number repaints a few hundred pixels,
never the node (whose picture stays cached). It knows nothing of the model: the scene
hands it a ``BadgeState`` of plain values, and it repaints only when the text changes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPen
from PySide6.QtWidgets import QGraphicsItem

from gui.style import theme

BADGE_GAP = 5.0  # between the node's bottom edge and the badge
BADGE_HEIGHT = 20.0
PAD_X = 7.0
SEGMENT_GAP = 9.0
PILL_PAD = 5.0

# The badge is a dark pill in both themes, so it keeps the dark palette's colours.
BADGE_BG = QColor(16, 18, 22, 225)
BADGE_BORDER = QColor("#343a46")
RATE_TEXT = QColor("#dfe4ec")
LABEL_TEXT = QColor("#8b93a3")
ZERO_TEXT = QColor("#6c7483")
BADGE_ERROR = theme.DARK.colour("error")
LATE = theme.DARK.colour("warning")
DIMMED_OPACITY = 0.55
STATUS_COLOURS = {"OK": theme.DARK.colour("ok"), "WARN": LATE, "STALL": BADGE_ERROR}

EDGE_FLOW = QColor("#6fa3dc")
EDGE_IDLE_WIDTH = 2.0
EDGE_MAX_WIDTH = 7.0


def format_rate(rate: float) -> str:
    """records/s, short: 0, 4.2, 42, 420, 4.2k, 42k."""
    if rate <= 0 or not math.isfinite(rate):
        return "0"
    if rate < 10:
        text = f"{rate:.1f}"
        return text.removesuffix(".0")
    if rate < 1000:
        return f"{rate:.0f}"
    return format_count(rate)


def format_count(n: float) -> str:
    """A count, short: 950, 9.5k, 95k, 9.5M."""
    n = float(n)
    for limit, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(n) >= limit:
            value = n / limit
            text = f"{value:.1f}" if value < 10 else f"{value:.0f}"
            return text.removesuffix(".0") + suffix
    return f"{n:.0f}"


def edge_width(rate: float | None, top: float | None = None) -> float:
    """Pen width of an edge carrying ``rate`` records/s when the busiest edge carries
    ``top``: relative, so where the volume goes reads at a glance at 10/s as at 10 000/s
    (square root, so a trickle beside a flood stays visible)."""
    if not rate or rate <= 0 or not math.isfinite(rate):
        return EDGE_IDLE_WIDTH
    top = max(top or rate, rate)
    return round(
        EDGE_IDLE_WIDTH + 0.5 + (EDGE_MAX_WIDTH - EDGE_IDLE_WIDTH - 0.5) * math.sqrt(rate / top), 2
    )


@dataclass(frozen=True)
class BadgeState:
    """What one node's badge shows. ``final`` is the last run's totals, drawn dimmed."""

    in_rate: float = 0.0
    out_rate: float = 0.0
    in_count: int = 0
    out_count: int = 0
    errors: int = 0
    late: int = 0
    final: bool = False
    show_in: bool = True
    show_out: bool = True
    show_late: bool = False
    status: str = ""  # the consumer group's OK/WARN/STALL (sources only)
    status_reason: str = ""

    def segments(self) -> list[tuple[str, str, QColor]]:
        """(label, value, value colour) in reading order."""
        out: list[tuple[str, str, QColor]] = []
        if self.final:
            if self.show_in:
                out.append(("in", format_count(self.in_count), RATE_TEXT))
            if self.show_out:
                out.append(("out", format_count(self.out_count), RATE_TEXT))
        else:
            if self.show_in:
                out.append(("in", f"{format_rate(self.in_rate)}/s", RATE_TEXT))
            if self.show_out:
                out.append(("out", f"{format_rate(self.out_rate)}/s", RATE_TEXT))
        out.append(("err", format_count(self.errors), BADGE_ERROR if self.errors else ZERO_TEXT))
        if self.show_late:
            out.append(("late", format_count(self.late), LATE if self.late else ZERO_TEXT))
        return out

    def tooltip(self, node_id: str, group: str = "") -> str:
        head = f"<b>{node_id}</b> — " + (
            "final counts of the last run" if self.final else "running"
        )
        lines = [head]
        if not self.final:
            rates = []
            if self.show_in:
                rates.append(f"{self.in_rate:,.1f} records/s in")
            if self.show_out:
                rates.append(f"{self.out_rate:,.1f} records/s out")
            lines.append(" · ".join(rates))
        counts = []
        if self.show_in:
            counts.append(f"{self.in_count:,} in")
        if self.show_out:
            counts.append(f"{self.out_count:,} out")
        errors = f"{self.errors:,} error{'s' if self.errors != 1 else ''}"
        counts.append(
            f"<span style='color:{BADGE_ERROR.name()}'>{errors}</span>" if self.errors else errors
        )
        if self.show_late:
            counts.append(f"{self.late:,} late (dropped: their window had closed)")
        lines.append(" · ".join(counts))
        if self.errors:
            lines.append("Failed records went to the dead-letter topic; see the Run log.")
        if self.status:
            colour = STATUS_COLOURS.get(self.status, LABEL_TEXT).name()
            who = f"consumer group <b>{group}</b>" if group else "consumer group"
            lines.append(
                f"<span style='color:{colour}'>●</span> {who}: {self.status}"
                + (f" — {self.status_reason}" if self.status_reason else "")
            )
        return "<br>".join(lines)


class _Fonts:
    label: QFont | None = None

    @classmethod
    def ensure(cls) -> None:
        if cls.label is not None:
            return
        cls.label = QFont()
        cls.label.setPointSizeF(7.5)
        cls.value = QFont()
        cls.value.setPointSizeF(8.5)
        cls.value.setBold(True)
        cls.pill = QFont()
        cls.pill.setPointSizeF(7.0)
        cls.pill.setBold(True)


class NodeBadgeItem(QGraphicsItem):
    """The run's numbers for one node, under it (a child of the node item)."""

    def __init__(self, parent: QGraphicsItem, node_id: str):
        super().__init__(parent)
        _Fonts.ensure()
        self.node_id = node_id
        self.group = ""
        self.state: BadgeState | None = None
        self._layout: list[tuple[float, str, float, str, QColor]] = []  # x, label, x, value, colour
        self._pill: tuple[QRectF, str, QColor] | None = None
        self._width = 0.0
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.setZValue(2)

    def set_state(self, state: BadgeState, group: str = "") -> bool:
        """Show ``state``; False (and nothing repainted) when it reads the same as before."""
        if state == self.state and group == self.group:
            return False
        old_text = self._text_key(self.state)
        self.state, self.group = state, group
        self.setToolTip(state.tooltip(self.node_id, group))
        self.setOpacity(DIMMED_OPACITY if state.final else 1.0)
        if self._text_key(state) != old_text:
            self.prepareGeometryChange()
            self._layout_text()
            self.update()
        return True

    @staticmethod
    def _text_key(state: BadgeState | None):
        if state is None:
            return None
        return tuple(
            (label, value, colour.name()) for label, value, colour in state.segments()
        ), state.status

    def _layout_text(self) -> None:
        fm_label, fm_value, fm_pill = (
            QFontMetricsF(_Fonts.label),
            QFontMetricsF(_Fonts.value),
            QFontMetricsF(_Fonts.pill),
        )
        x = PAD_X
        self._pill = None
        if self.state.status:
            w = fm_pill.horizontalAdvance(self.state.status) + 2 * PILL_PAD
            colour = STATUS_COLOURS.get(self.state.status, theme.NODE_MUTED_TEXT)
            self._pill = (QRectF(4.0, 3.0, w, BADGE_HEIGHT - 6.0), self.state.status, colour)
            x = 4.0 + w + 6.0
        self._layout = []
        for label, value, colour in self.state.segments():
            value_x = x + fm_label.horizontalAdvance(label) + 3.0
            self._layout.append((x, label, value_x, value, colour))
            x = value_x + fm_value.horizontalAdvance(value) + SEGMENT_GAP
        self._width = x - SEGMENT_GAP + PAD_X

    def boundingRect(self) -> QRectF:
        return QRectF(-1, -1, self._width + 2, BADGE_HEIGHT + 2) if self.state else QRectF()

    def paint(self, painter, option, widget=None) -> None:
        if self.state is None:
            return
        painter.setRenderHint(painter.RenderHint.Antialiasing, True)
        painter.setRenderHint(painter.RenderHint.TextAntialiasing, True)
        rect = QRectF(0, 0, self._width, BADGE_HEIGHT)
        painter.setPen(QPen(BADGE_BORDER, 1.0))
        painter.setBrush(BADGE_BG)
        painter.drawRoundedRect(
            rect.adjusted(0.5, 0.5, -0.5, -0.5), BADGE_HEIGHT / 2, BADGE_HEIGHT / 2
        )
        if self._pill is not None:
            pill, text, colour = self._pill
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(colour)
            painter.drawRoundedRect(pill, pill.height() / 2, pill.height() / 2)
            painter.setFont(_Fonts.pill)
            painter.setPen(QColor("#101215"))
            painter.drawText(pill, Qt.AlignmentFlag.AlignCenter, text)
        centre = Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft
        for label_x, label, value_x, value, colour in self._layout:
            painter.setFont(_Fonts.label)
            painter.setPen(LABEL_TEXT)
            painter.drawText(QRectF(label_x, 0, value_x - label_x, BADGE_HEIGHT), centre, label)
            painter.setFont(_Fonts.value)
            painter.setPen(colour)
            painter.drawText(QRectF(value_x, 0, 200, BADGE_HEIGHT), centre, value)
