"""The time chart under every live chart of a run (throughput, lag, dashboards).

Cheap by design, because it redraws while a pipeline competes for the CPU: data lives
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
import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtGui import QColor, QPen

from gui.monitor import qt_style
from gui.monitor.series import SeriesSet

RANGES_S = (60, 300, 900)
REFRESH_MS = 250
LINE_WIDTH = 1.6
HIGHLIGHT_WIDTH = 2.8
DIM = 0.3  # other lines while one is picked out: this much of their colour over the background
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
            solid.setColor(blend(colour, alpha / 255.0))
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
    lineRecoloured = Signal(str, QColor)  # the palette changed (``apply_theme``)
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
            axis.setPen(pg.mkPen(qt_style.AXIS))
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
        # Before any point, the window ending now: clock times on the axis, as once points
        # come (pyqtgraph's default range, 0 to 1, reads "00.250" on a time axis).
        now = time.time()
        self.setXRange(now - self.window_s, now, padding=0)

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
                self._tops[name] = top_of(v)
        else:
            self._hidden.add(name)
            self._tops.pop(name, None)
            if curve is not None:
                curve.setVisible(False)
        self._set_y_top(nice_top(max(self._tops.values(), default=0.0)))
        self.lineVisibilityChanged.emit(name, visible)

    def apply_theme(self) -> None:
        """Each line in its colour of the palette now in use (gui/app/appearance.py calls
        it when the theme changes)."""
        highlighted, self._highlighted = self._highlighted, None
        for index, (name, pen) in enumerate(self._pens.items()):
            colour = qt_style.colour(index)
            pen.setColor(colour)
            self.curves[name].setPen(pen)
            self._recoloured(name, colour)
            self.lineRecoloured.emit(name, colour)
        self.highlight_line(highlighted)

    def _recoloured(self, name: str, colour: QColor) -> None:
        """What a subclass paints in a line's colour besides its pen."""

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
                curve.setPen(pg.mkPen(blend(pen.color(), DIM), width=1))
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
                t, v = peak_decimate(t, v, buckets)
            curve.setData(t, v)
            self._tops[name] = top_of(v)
        if lines:
            x_range = (since, now)
            if x_range != self._x_range:
                self._x_range = x_range
                self.setXRange(since, now, padding=0)
        self._set_y_top(nice_top(max(self._tops.values(), default=0.0)))
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


def top_of(v: np.ndarray) -> float:
    """The highest finite value of a line, 0 for none."""
    if v is None or not len(v) or np.isnan(v).all():
        return 0.0
    top = float(np.nanmax(v))
    return top if math.isfinite(top) else 0.0


def blend(colour: QColor, amount: float) -> QColor:
    """``colour`` at ``amount`` opacity over the chart's background, as an opaque colour."""
    back = QColor(qt_style.BACKGROUND)
    return QColor(
        round(back.red() + (colour.red() - back.red()) * amount),
        round(back.green() + (colour.green() - back.green()) * amount),
        round(back.blue() + (colour.blue() - back.blue()) * amount),
    )


def compact(value: float) -> str:
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


def peak_decimate(t: np.ndarray, v: np.ndarray, buckets: int) -> tuple[np.ndarray, np.ndarray]:
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


def nice_top(value: float) -> float:
    """A round upper bound a little above ``value``, so the axis does not jitter."""
    if value <= 0 or not math.isfinite(value):
        return 1.0
    value *= 1.1
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude
