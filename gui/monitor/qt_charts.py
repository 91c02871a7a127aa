"""Live charts of a run: throughput per node and consumer lag per partition.

Cheap by design, because they redraw while a pipeline competes for the CPU: data lives
in numpy ring buffers (``series``); a chart redraws at most four times a second, only
when something changed, only while visible and not paused. A redraw hands pyqtgraph
views of the visible slice, only for the lines that moved, peak-decimated when there
are more points than pixels; the axes' ranges are set explicitly (no auto-range pass),
and only when they change. The grid is drawn in solid colours under the data: Qt's
raster engine draws translucent lines about 30x slower than opaque ones, which made
the grid most of a chart's repaint.

The legend is a list beside the plot, not over it (one row per node or partition would
cover the data): rows are added as lines appear, their latest values set by the chart's
refresh; a row toggles its line and picks it out on hover.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFontMetrics, QIcon, QPainter, QPen, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QSizePolicy,
    QSplitter,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from engine.model.status import RunStatus
from gui.monitor import qt_style
from gui.monitor.series import SeriesSet

RANGES_S = (60, 300, 900)
REFRESH_MS = 250
LINE_WIDTH = 1.6
HIGHLIGHT_WIDTH = 2.8
DIM = 0.3  # other lines while one is picked out: this much of their colour over the background
LEGEND_SHARE, LEGEND_MIN, LEGEND_MAX = 0.3, 140, 220  # of the panel's width, in px
AXES_Z = -200  # below the ViewBox (-100): grid lines under the data


class _SolidGridMixin:
    """Tick and grid pens made opaque: each translucent colour is replaced by the same
    colour blended over the chart's background, which looks identical on that solid
    background and draws far faster."""

    _solid_pens: dict

    def generateDrawSpecs(self, p):
        specs = super().generateDrawSpecs(p)
        if specs is None:
            return specs
        axis_spec, tick_specs, text_specs = specs
        return axis_spec, [(self._solid(pen), a, b) for pen, a, b in tick_specs], text_specs

    def _solid(self, pen: QPen) -> QPen:
        colour = pen.color()
        alpha = colour.alpha()
        if alpha == 255:
            return pen
        key = (colour.rgb(), alpha, pen.widthF(), pen.isCosmetic())
        cache = self.__dict__.setdefault("_solid_pens", {})
        solid = cache.get(key)
        if solid is None:
            solid = QPen(pen)
            solid.setColor(_blend(colour, alpha / 255.0))
            cache[key] = solid
        return solid


class QtSolidGridAxisItem(_SolidGridMixin, pg.AxisItem):
    pass


class QtSolidGridDateAxisItem(_SolidGridMixin, pg.DateAxisItem):
    pass


class QtChartCurveItem(pg.PlotCurveItem):
    """A line whose data bounds survive a change of the view: pyqtgraph recomputes them
    (nanmin/nanmax over the data) for every line whenever the range scrolls, yet only
    the pixel padding around them depends on the view."""

    def viewTransformChanged(self):
        self._boundingRect = None
        self.prepareGeometryChange()


class QtTimeChart(pg.PlotWidget):
    """Lines over wall-clock time from a SeriesSet, one per name. Lines can be hidden
    (kept hidden by name across series) and one picked out; the legend beside the chart
    (QtChartLegendWidget) follows the signals."""

    lineAdded = Signal(str, QColor)
    linesCleared = Signal()
    lineVisibilityChanged = Signal(str, bool)
    valuesChanged = Signal(dict)  # {name: latest value} of the lines that moved, once a refresh

    def __init__(self, y_label: str, y_units: str = "", parent=None):
        qt_style.configure()
        super().__init__(
            parent=parent,
            axisItems={
                "bottom": QtSolidGridDateAxisItem(orientation="bottom"),
                "left": QtSolidGridAxisItem(orientation="left"),
            },
        )
        self.series: SeriesSet | None = None
        self.window_s = RANGES_S[0]
        self.curves: dict[str, QtChartCurveItem] = {}
        self._pens: dict[str, QPen] = {}  # name -> its normal pen
        self._hidden: set[str] = set()
        self._highlighted: str | None = None
        self._shown: dict[str, tuple] = {}  # name -> (line, version, window) drawn
        self._tops: dict[str, float] = {}  # name -> highest finite value drawn
        self._x_range: tuple[float, float] | None = None
        self._y_top: float | None = None
        item = self.getPlotItem()
        item.showGrid(x=True, y=True, alpha=qt_style.GRID_ALPHA)
        item.setLabel("left", y_label, units=y_units)
        item.setLabel("bottom", "local time")
        for name in ("left", "bottom"):
            axis = item.getAxis(name)
            axis.setStyle(tickFont=qt_style.axis_font())
            axis.setPen(pg.mkPen("#3a404c"))
            axis.setTextPen(pg.mkPen(qt_style.FOREGROUND))
            axis.setZValue(AXES_Z)
        item.getAxis("left").enableAutoSIPrefix(False)
        item.setMenuEnabled(False)
        item.hideButtons()
        self.setMouseEnabled(x=False, y=False)
        item.disableAutoRange()  # ranges are set explicitly by refresh, when they change
        self.setMinimumHeight(120)
        self.setMinimumWidth(160)
        self._set_y_top(1.0)

    def set_series(self, series: SeriesSet) -> None:
        self.series = series
        for curve in self.curves.values():
            self.removeItem(curve)
        self.curves.clear()
        self._pens.clear()
        self._highlighted = None
        self._shown.clear()
        self._tops.clear()
        self.linesCleared.emit()

    def _add_curve(self, name: str) -> QtChartCurveItem:
        colour = qt_style.colour(len(self.curves))
        pen = pg.mkPen(colour, width=LINE_WIDTH)
        curve = QtChartCurveItem(
            pen=pen, name=name, connect="finite", skipFiniteCheck=True, antialias=False
        )
        curve.setVisible(name not in self._hidden)
        self.addItem(curve)
        self.curves[name] = curve
        self._pens[name] = pen
        self.lineAdded.emit(name, colour)
        return curve

    def is_line_visible(self, name: str) -> bool:
        return name not in self._hidden

    def set_line_visible(self, name: str, visible: bool) -> None:
        """Show or hide a line; the y axis fits the lines shown. A hidden line is not
        redrawn: it catches up at the next refresh once shown."""
        if visible == (name not in self._hidden):
            return
        curve = self.curves.get(name)
        if visible:
            self._hidden.discard(name)
            self._shown.pop(name, None)  # redrawn by the next refresh
            if curve is not None:
                curve.setVisible(True)
                _, v = curve.getData()
                self._tops[name] = _top(v)
        else:
            self._hidden.add(name)
            self._tops.pop(name, None)
            if curve is not None:
                curve.setVisible(False)
        self._set_y_top(_nice_top(max(self._tops.values(), default=0.0)))
        self.lineVisibilityChanged.emit(name, visible)

    def highlight_line(self, name: str | None) -> None:
        """Pick out one line (thicker, on top, the others dimmed), or none."""
        if name not in self.curves:
            name = None
        if name == self._highlighted:
            return
        self._highlighted = name
        for other, curve in self.curves.items():
            pen = self._pens[other]
            if name is None:
                curve.setPen(pen)
                curve.setZValue(0)
            elif other == name:
                curve.setPen(pg.mkPen(pen.color(), width=HIGHLIGHT_WIDTH))
                curve.setZValue(1)
            else:  # opaque, pre-blended: translucent lines draw far slower
                curve.setPen(pg.mkPen(_blend(pen.color(), DIM), width=1))
                curve.setZValue(0)

    def refresh(self) -> None:
        series = self.series
        if series is None:
            return
        lines = series.lines
        for name in lines:
            if name not in self.curves:
                self._add_curve(name)
        now = series.latest_time
        since = now - self.window_s
        buckets = max(16, int(self.getPlotItem().getViewBox().width()) // 2)
        hidden = self._hidden
        values = {}
        for name, curve in self.curves.items():
            line = lines.get(name)
            key = None if line is None else (line, line.version, self.window_s)
            if key == self._shown.get(name, ()):
                continue  # this line has not moved since it was drawn
            self._shown[name] = key
            if line is None:
                curve.setData(np.empty(0), np.empty(0))
                self._tops.pop(name, None)
                values[name] = math.nan
                continue
            last = line.last()
            values[name] = math.nan if last is None else last[1]
            if name in hidden:
                continue  # drawn when shown again (set_line_visible forgets its key)
            t, v = line.window(since)
            if len(t) >= 3 * buckets:
                t, v = _peak_decimate(t, v, buckets)
            curve.setData(t, v)
            self._tops[name] = _top(v)
        if lines:
            x_range = (since, now)
            if x_range != self._x_range:
                self._x_range = x_range
                self.setXRange(since, now, padding=0)
        self._set_y_top(_nice_top(max(self._tops.values(), default=0.0)))
        if values:
            self.valuesChanged.emit(values)

    def _set_y_top(self, top: float) -> None:
        if top != self._y_top:
            self._y_top = top
            self.setYRange(0, top, padding=0)

    def freeze(self) -> None:
        """Keep what is drawn as copies: the ring buffers may overwrite the views a
        chart holds while it is paused for long."""
        for curve in self.curves.values():
            t, v = curve.getData()
            if t is not None and len(t):
                curve.setData(np.array(t), np.array(v))

    def visible_data(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """What each line shows now (for tests)."""
        return {name: curve.getData() for name, curve in self.curves.items()}


def _top(v: np.ndarray) -> float:
    """The highest finite value of a line, 0 for none."""
    if v is None or not len(v) or np.isnan(v).all():
        return 0.0
    top = float(np.nanmax(v))
    return top if math.isfinite(top) else 0.0


def _blend(colour: QColor, amount: float) -> QColor:
    """``colour`` at ``amount`` opacity over the chart's background, as an opaque colour."""
    back = QColor(qt_style.BACKGROUND)
    return QColor(
        round(back.red() + (colour.red() - back.red()) * amount),
        round(back.green() + (colour.green() - back.green()) * amount),
        round(back.blue() + (colour.blue() - back.blue()) * amount),
    )


def _compact(value: float) -> str:
    """A value in at most four characters or so: 7.5, 42, 1.2k, 37k, 4.1M."""
    if not math.isfinite(value):
        return "–"
    magnitude = abs(value)
    for limit, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if magnitude >= limit:
            scaled = value / limit
            return f"{scaled:.1f}{suffix}" if abs(scaled) < 10 else f"{scaled:.0f}{suffix}"
    if magnitude < 10 and value != int(value):
        return f"{value:.1f}"
    return f"{value:.0f}"


def _peak_decimate(t: np.ndarray, v: np.ndarray, buckets: int) -> tuple[np.ndarray, np.ndarray]:
    """At most ``2 * buckets`` points keeping each bucket's minimum and maximum, so spikes
    survive; a bucket of gaps (NaN) stays a gap. The oldest few points that do not fill
    a bucket are kept as they are."""
    factor = len(t) // buckets
    head = len(t) - (len(t) // factor) * factor
    tt = t[head:].reshape(-1, factor)
    vv = v[head:].reshape(-1, factor)
    out_t = np.repeat(tt[:, 0], 2)
    out_v = np.empty(out_t.shape)
    with np.errstate(invalid="ignore"):
        out_v[0::2] = np.fmin.reduce(vv, axis=1)
        out_v[1::2] = np.fmax.reduce(vv, axis=1)
    if head:
        return np.concatenate((t[:head], out_t)), np.concatenate((v[:head], out_v))
    return out_t, out_v


def _nice_top(value: float) -> float:
    """A round upper bound a little above ``value``, so the axis does not jitter."""
    if value <= 0 or not math.isfinite(value):
        return 1.0
    value *= 1.1
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


class QtChartLegendWidget(QTreeWidget):
    """The lines of a chart beside it: colour, name and latest value, one row each.
    Click a row (or Space) to hide or show its line, hover it to pick the line out;
    right-click for "only this line" and "all lines". Rows are added as lines appear and
    never reordered, so an update repaints the values and lays nothing out."""

    NAME, VALUE = 0, 1

    def __init__(self, chart: QtTimeChart, label=None, parent=None):
        super().__init__(parent)
        self.chart = chart
        self.label = label or (lambda name: name)  # the row's text for a line's name
        self.rows: dict[str, QTreeWidgetItem] = {}
        self._colours: dict[str, QColor] = {}
        self._hovered: str | None = None
        self.setColumnCount(2)
        self.setHeaderHidden(True)
        self.setRootIsDecorated(False)
        self.setIndentation(0)
        self.setUniformRowHeights(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)  # keeps a partition's [n]
        self.setMouseTracking(True)
        self.setIconSize(QSize(12, 8))
        self.setFrameShape(QTreeWidget.Shape.NoFrame)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        font = self.font()
        font.setPointSizeF(8.0)
        self.setFont(font)
        self.setStyleSheet(
            f"QTreeWidget {{ background: {qt_style.BACKGROUND}; color: #c9ced8;"
            " border: none; border-left: 1px solid #2f3440; }"
            " QTreeWidget::item { padding: 0px 2px; }"
        )
        header = self.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(self.NAME, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(self.VALUE, QHeaderView.ResizeMode.Fixed)
        header.resizeSection(self.VALUE, QFontMetrics(font).horizontalAdvance("-88.8k") + 6)
        self.setMinimumWidth(60)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Ignored)
        self.setToolTip(
            "Click a line to hide or show it; hover to pick it out; right-click for more"
        )
        chart.lineAdded.connect(self._on_line_added)
        chart.linesCleared.connect(self._on_lines_cleared)
        chart.lineVisibilityChanged.connect(self._on_line_visibility_changed)
        chart.valuesChanged.connect(self._on_values_changed)
        self.itemClicked.connect(lambda item, _column: self._toggle(item))
        self.customContextMenuRequested.connect(self._on_context_menu)

    def sizeHint(self) -> QSize:
        return QSize(LEGEND_MIN, 120)

    def names(self) -> list[str]:
        return list(self.rows)

    def _name(self, item: QTreeWidgetItem | None) -> str | None:
        return None if item is None else item.data(self.NAME, Qt.ItemDataRole.UserRole)

    def _on_line_added(self, name: str, colour: QColor) -> None:
        item = QTreeWidgetItem([self.label(name), ""])
        item.setData(self.NAME, Qt.ItemDataRole.UserRole, name)
        item.setToolTip(self.NAME, name)
        item.setTextAlignment(
            self.VALUE, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        )
        self.rows[name] = item
        self._colours[name] = colour
        self._style(item, name, self.chart.is_line_visible(name))
        self.addTopLevelItem(item)

    def _on_lines_cleared(self) -> None:
        self.clear()
        self.rows.clear()
        self._colours.clear()
        self._hovered = None

    def _on_line_visibility_changed(self, name: str, visible: bool) -> None:
        item = self.rows.get(name)
        if item is not None:
            self._style(item, name, visible)

    def _on_values_changed(self, values: dict) -> None:
        rows = self.rows
        for name, value in values.items():
            item = rows.get(name)
            if item is not None:
                item.setText(self.VALUE, _compact(value))

    def _style(self, item: QTreeWidgetItem, name: str, visible: bool) -> None:
        colour = self._colours[name]
        item.setIcon(self.NAME, _swatch(colour, visible))
        text = QColor("#c9ced8") if visible else QColor("#5c6370")
        for column in (self.NAME, self.VALUE):
            item.setForeground(column, text)

    def _toggle(self, item: QTreeWidgetItem | None) -> None:
        name = self._name(item)
        if name is not None:
            self.chart.set_line_visible(name, not self.chart.is_line_visible(name))

    def show_only(self, name: str | None) -> None:
        """Only ``name`` shown, or every line for None."""
        for other in self.rows:
            self.chart.set_line_visible(other, name is None or other == name)

    def _on_context_menu(self, pos) -> None:
        name = self._name(self.itemAt(pos))
        menu = QMenu(self)
        if name is not None:
            menu.addAction(f"Only {self.label(name)}", lambda: self.show_only(name))
        menu.addAction("All lines", lambda: self.show_only(None))
        menu.exec(self.viewport().mapToGlobal(pos))

    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_Space:
            self._toggle(self.currentItem())
        else:
            super().keyPressEvent(event)

    def mouseMoveEvent(self, event) -> None:
        super().mouseMoveEvent(event)
        self._hover(self._name(self.itemAt(event.position().toPoint())))

    def leaveEvent(self, event) -> None:
        super().leaveEvent(event)
        self._hover(None)

    def _hover(self, name: str | None) -> None:
        if name != self._hovered:
            self._hovered = name
            self.chart.highlight_line(name)


def _swatch(colour: QColor, filled: bool) -> QIcon:
    """A short thick line in the line's colour; an outline for a hidden line."""
    pixmap = QPixmap(12, 8)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    if filled:
        painter.fillRect(0, 2, 12, 4, colour)
    else:
        painter.setPen(QPen(_blend(colour, 0.6), 1))
        painter.drawRect(0, 2, 11, 3)
    painter.end()
    return QIcon(pixmap)


class QtElidedLabel(QLabel):
    """One line of text drawn shortened with an ellipsis to the width it is given, so it
    never holds its panel wide; ``text()`` and the tooltip keep the full text."""

    def __init__(
        self, text: str = "", parent=None, mode: Qt.TextElideMode = Qt.TextElideMode.ElideMiddle
    ):
        super().__init__(parent)
        self.mode = mode
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self.setText(text)

    def setText(self, text: str) -> None:
        super().setText(text)
        self.setToolTip(text)

    def minimumSizeHint(self) -> QSize:
        return QSize(
            self.fontMetrics().horizontalAdvance("ab…"), super().minimumSizeHint().height()
        )

    def shown_text(self) -> str:
        """The text as drawn at the current width."""
        return self.fontMetrics().elidedText(self.text(), self.mode, self.contentsRect().width())

    def paintEvent(self, _event) -> None:
        painter = QPainter(self)
        self.style().drawItemText(
            painter,
            self.contentsRect(),
            int(self.alignment()),
            self.palette(),
            self.isEnabled(),
            self.shown_text(),
            self.foregroundRole(),
        )


class QtChartToolbar(QWidget):
    """Time range (1, 5, 15 minutes) and pause."""

    rangeChanged = Signal(int)  # seconds
    pausedChanged = Signal(bool)

    def __init__(self, parent=None):
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 2)
        layout.setSpacing(6)
        self.range_box = QComboBox()
        for seconds in RANGES_S:
            self.range_box.addItem(f"last {seconds // 60} min", seconds)
        self.range_box.setToolTip("Time range shown")
        self.range_box.currentIndexChanged.connect(
            lambda i: self.rangeChanged.emit(int(self.range_box.itemData(i)))
        )
        self.pause_button = QToolButton()
        self.pause_button.setText("Pause")
        self.pause_button.setCheckable(True)
        self.pause_button.setToolTip("Freeze the chart; data keeps being recorded")
        self.pause_button.toggled.connect(self._on_pause_toggled)
        self.extra = QHBoxLayout()
        self.extra.setSpacing(6)
        layout.addLayout(self.extra)
        layout.addStretch(1)
        layout.addWidget(self.range_box)
        layout.addWidget(self.pause_button)

    def _on_pause_toggled(self, paused: bool) -> None:
        self.pause_button.setText("Resume" if paused else "Pause")
        self.pausedChanged.emit(paused)

    def set_range(self, seconds: int) -> None:
        self.range_box.setCurrentIndex(RANGES_S.index(seconds))


class QtChartPanel(QWidget):
    """A toolbar over one chart and its legend, redrawn by a timer when the data changed."""

    def __init__(self, chart: QtTimeChart, parent=None, legend_label=None):
        super().__init__(parent)
        self.chart = chart
        self.toolbar = QtChartToolbar()
        self.legend = QtChartLegendWidget(chart, legend_label)
        self.paused = False
        self._dirty = True
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(chart)
        self.splitter.addWidget(self.legend)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 0)
        self.splitter.setCollapsible(0, False)
        self.splitter.setHandleWidth(3)
        self._legend_placed = False  # True once the user has dragged the splitter
        self.splitter.splitterMoved.connect(self._on_splitter_moved)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.toolbar)
        layout.addWidget(self.splitter, 1)
        chart.lineVisibilityChanged.connect(self.mark_dirty)
        self.toolbar.rangeChanged.connect(self._on_range_changed)
        self.toolbar.pausedChanged.connect(self._on_paused_changed)
        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self._on_tick)
        self._timer.start()

    def mark_dirty(self, *_args) -> None:
        self._dirty = True

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if not self._legend_placed:  # a share of the width, until the user sets one
            width = self.splitter.width() - self.splitter.handleWidth()
            legend = min(LEGEND_MAX, max(LEGEND_MIN, round(width * LEGEND_SHARE)))
            self.splitter.setSizes([max(0, width - legend), legend])

    def _on_splitter_moved(self, *_args) -> None:
        self._legend_placed = True

    def _on_range_changed(self, seconds: int) -> None:
        self.chart.window_s = seconds
        self.refresh_now()

    def _on_paused_changed(self, paused: bool) -> None:
        self.paused = paused
        if paused:
            self.chart.freeze()
        else:
            self.refresh_now()

    def _on_tick(self) -> None:
        if self._dirty and not self.paused and self.isVisible():
            self.refresh_now()

    def refresh_now(self) -> None:
        self._dirty = False
        self.chart.refresh()


class QtThroughputWidget(QtChartPanel):
    """Records/s out of every node of the run. Model: the RunController."""

    def __init__(self, controller, parent=None):
        super().__init__(QtTimeChart("records out", "/s"), parent)
        self.controller = controller
        self.chart.set_series(controller.throughput)
        controller.metricsReceived.connect(self._on_metrics)
        controller.statusChanged.connect(self._on_status_changed)

    def _on_metrics(self, _snapshot: dict) -> None:
        self.mark_dirty()

    def _on_status_changed(self, status: str, _reason: str) -> None:
        if status == RunStatus.STARTING:  # a new run: new lines
            self.chart.set_series(self.controller.throughput)
            self.mark_dirty()


class QtLagStatusBadge(QLabel):
    """OK / WARN / STALL in its colour; the reason in the tooltip."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.status, self.reason = "", ""
        self.set_status("", "no data yet")

    def set_status(self, status: str, reason: str) -> None:
        self.status, self.reason = status, reason
        colour = qt_style.STATUS_COLOURS.get(status, "#6c7483")
        self.setText(status or "—")
        self.setToolTip(reason)
        self.setStyleSheet(
            f"QLabel {{ background: {colour}; color: #101215; font-weight: bold;"
            f" border-radius: 4px; padding: 2px 8px; }}"
        )


class QtLagWidget(QtChartPanel):
    """Lag per partition of one consumer group, in records or seconds behind.
    Model: a GroupLagPoller (its ``history`` holds the data)."""

    def __init__(self, poller, parent=None):
        super().__init__(QtTimeChart("lag", "records"), parent, legend_label=self._partition_label)
        self.poller = poller
        self.unit = "records"
        self.group_label = QtElidedLabel()
        self.group_label.setStyleSheet("color: #c9ced8;")
        self.badge = QtLagStatusBadge()
        self.records_button = QToolButton()
        self.records_button.setText("Records")
        self.records_button.setToolTip("Lag in records")
        self.seconds_button = QToolButton()
        self.seconds_button.setText("Seconds")
        self.seconds_button.setToolTip("Lag in seconds behind the newest record")
        units = QButtonGroup(self)
        for button in (self.records_button, self.seconds_button):
            button.setCheckable(True)
            units.addButton(button)
        self.records_button.setChecked(True)
        self.records_button.toggled.connect(lambda on: on and self.set_unit("records"))
        self.seconds_button.toggled.connect(lambda on: on and self.set_unit("seconds"))
        for widget in (self.badge, self.group_label, self.records_button, self.seconds_button):
            self.toolbar.extra.addWidget(widget)
        self.chart.set_series(poller.history.records)
        poller.updated.connect(self._on_updated)
        poller.statusChanged.connect(self._on_status_changed)
        poller.failed.connect(self._on_failed)
        self._on_updated(poller.group)

    def _partition_label(self, name: str) -> str:
        """A partition's name without the group's prefix: Kafka Streams names its internal
        topics after the application id, which is the group."""
        prefix = f"{self.poller.group}-"
        return name[len(prefix) :] if self.poller.group and name.startswith(prefix) else name

    def set_unit(self, unit: str) -> None:
        if unit == self.unit:
            return
        self.unit = unit
        history = self.poller.history
        if unit == "seconds":
            self.chart.getPlotItem().setLabel("left", "behind", units="s")
            self.chart.set_series(history.seconds)
        else:
            self.chart.getPlotItem().setLabel("left", "lag", units="records")
            self.chart.set_series(history.records)
        (self.seconds_button if unit == "seconds" else self.records_button).setChecked(True)
        self.refresh_now()

    def _on_updated(self, group: str) -> None:
        history = self.poller.history
        if not history.partitions:
            self.group_label.setText(f"group {group}" if group else "no consumer group")
        else:
            self.group_label.setText(f"group {group} · {history.total_lag():,} records behind")
        if history.updated_at is None:  # a new group: new lines
            self.chart.set_series(history.seconds if self.unit == "seconds" else history.records)
            self.badge.set_status("", "no data yet")
        self.mark_dirty()

    def _on_status_changed(self, _group: str, status: str, reason: str) -> None:
        self.badge.set_status(status, reason)

    def _on_failed(self, message: str) -> None:
        self.group_label.setText(f"group {self.poller.group}: {message}")
