"""Live charts of a run: throughput per node and consumer lag per partition.

Cheap by design, because they redraw while a pipeline competes for the CPU: data lives
in numpy ring buffers (``series``); a chart redraws at most four times a second, only
when something changed, only while visible and not paused. A redraw hands pyqtgraph
views of the visible slice, only for the lines that moved, peak-decimated when there
are more points than pixels; the axes' ranges are set explicitly (no auto-range pass),
and only when they change. The grid is drawn in solid colours under the data: Qt's
raster engine draws translucent lines about 30x slower than opaque ones, which made
the grid most of a chart's repaint.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QColor, QPen
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from gui.monitor import qt_style
from gui.monitor.series import SeriesSet

RANGES_S = (60, 300, 900)
REFRESH_MS = 250
LINE_WIDTH = 1.6
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
            back, a = QColor(qt_style.BACKGROUND), alpha / 255.0
            solid = QPen(pen)
            solid.setColor(QColor(round(back.red() + (colour.red() - back.red()) * a),
                                  round(back.green() + (colour.green() - back.green()) * a),
                                  round(back.blue() + (colour.blue() - back.blue()) * a)))
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
    """Lines over wall-clock time from a SeriesSet, one per name, with a legend."""

    def __init__(self, y_label: str, y_units: str = "", parent=None):
        qt_style.configure()
        super().__init__(parent=parent, axisItems={
            "bottom": QtSolidGridDateAxisItem(orientation="bottom"),
            "left": QtSolidGridAxisItem(orientation="left")})
        self.series: SeriesSet | None = None
        self.window_s = RANGES_S[0]
        self.curves: dict[str, QtChartCurveItem] = {}
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
        self.legend = item.addLegend(offset=(8, 6), labelTextColor="#c9ced8", labelTextSize="8pt",
                                     brush=pg.mkBrush(23, 26, 32, 150), pen=pg.mkPen("#2f3440"))
        self.legend.setColumnCount(1)
        self.setMinimumHeight(140)
        self._set_y_top(1.0)

    def set_series(self, series: SeriesSet) -> None:
        self.series = series
        for curve in self.curves.values():
            self.removeItem(curve)
        self.curves.clear()
        self._shown.clear()
        self._tops.clear()
        self.legend.clear()

    def _add_curve(self, name: str) -> QtChartCurveItem:
        pen = pg.mkPen(qt_style.colour(len(self.curves)), width=LINE_WIDTH)
        curve = QtChartCurveItem(pen=pen, name=name, connect="finite", skipFiniteCheck=True,
                                 antialias=False)
        self.addItem(curve)  # named: the legend gets an entry
        self.curves[name] = curve
        columns = 1 + len(self.curves) // 7  # keep the legend short
        if columns != self.legend.columnCount:
            self.legend.setColumnCount(columns)
        return curve

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
        for name, curve in self.curves.items():
            line = lines.get(name)
            key = None if line is None else (line, line.version, self.window_s)
            if key == self._shown.get(name, ()):
                continue  # this line has not moved since it was drawn
            self._shown[name] = key
            if line is None:
                curve.setData(np.empty(0), np.empty(0))
                self._tops.pop(name, None)
                continue
            t, v = line.window(since)
            if len(t) >= 3 * buckets:
                t, v = _peak_decimate(t, v, buckets)
            curve.setData(t, v)
            top = np.nanmax(v) if len(v) and not np.isnan(v).all() else 0.0
            self._tops[name] = float(top) if math.isfinite(top) else 0.0
        if lines:
            x_range = (since, now)
            if x_range != self._x_range:
                self._x_range = x_range
                self.setXRange(since, now, padding=0)
        self._set_y_top(_nice_top(max(self._tops.values(), default=0.0)))

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
            lambda i: self.rangeChanged.emit(int(self.range_box.itemData(i))))
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
    """A toolbar over one chart, redrawn by a timer when the data changed."""

    def __init__(self, chart: QtTimeChart, parent=None):
        super().__init__(parent)
        self.chart = chart
        self.toolbar = QtChartToolbar()
        self.paused = False
        self._dirty = True
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.toolbar)
        layout.addWidget(chart, 1)
        self.toolbar.rangeChanged.connect(self._on_range_changed)
        self.toolbar.pausedChanged.connect(self._on_paused_changed)
        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self._on_tick)
        self._timer.start()

    def mark_dirty(self, *_args) -> None:
        self._dirty = True

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
        if status == "starting":  # a new run: new lines
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
        self.setStyleSheet(f"QLabel {{ background: {colour}; color: #101215; font-weight: bold;"
                           f" border-radius: 4px; padding: 2px 8px; }}")


class QtLagWidget(QtChartPanel):
    """Lag per partition of one consumer group, in records or seconds behind.
    Model: a GroupLagPoller (its ``history`` holds the data)."""

    def __init__(self, poller, parent=None):
        super().__init__(QtTimeChart("lag", "records"), parent)
        self.poller = poller
        self.unit = "records"
        self.group_label = QLabel()
        self.group_label.setStyleSheet("color: #c9ced8;")
        self.badge = QtLagStatusBadge()
        self.records_button = QToolButton()
        self.records_button.setText("Records")
        self.seconds_button = QToolButton()
        self.seconds_button.setText("Seconds behind")
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
