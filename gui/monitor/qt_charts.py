"""Live charts of a run: throughput per node and consumer lag per partition.

Cheap by design: data lives in numpy ring buffers (``series``); a chart redraws at
most four times a second, only when something changed, only while visible and not
paused, and hands pyqtgraph just the visible slice.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QTimer, Signal
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


class QtTimeChart(pg.PlotWidget):
    """Lines over wall-clock time from a SeriesSet, one per name, with a legend."""

    def __init__(self, y_label: str, y_units: str = "", parent=None):
        qt_style.configure()
        super().__init__(parent=parent, axisItems={"bottom": pg.DateAxisItem(orientation="bottom")})
        self.series: SeriesSet | None = None
        self.window_s = RANGES_S[0]
        self.curves: dict[str, pg.PlotDataItem] = {}
        item = self.getPlotItem()
        item.showGrid(x=True, y=True, alpha=qt_style.GRID_ALPHA)
        item.setLabel("left", y_label, units=y_units)
        item.setLabel("bottom", "local time")
        for name in ("left", "bottom"):
            axis = item.getAxis(name)
            axis.setStyle(tickFont=qt_style.axis_font())
            axis.setPen(pg.mkPen("#3a404c"))
            axis.setTextPen(pg.mkPen(qt_style.FOREGROUND))
        item.getAxis("left").enableAutoSIPrefix(False)
        item.setMenuEnabled(False)
        item.hideButtons()
        self.setMouseEnabled(x=False, y=False)
        item.disableAutoRange()  # ranges are set once per refresh, not per setData
        self.legend = item.addLegend(offset=(8, 6), labelTextColor="#c9ced8", labelTextSize="8pt",
                                     brush=pg.mkBrush(23, 26, 32, 150), pen=pg.mkPen("#2f3440"))
        self.legend.setColumnCount(1)
        self.setMinimumHeight(140)
        item.setYRange(0, 1)

    def set_series(self, series: SeriesSet) -> None:
        self.series = series
        for curve in self.curves.values():
            self.removeItem(curve)
        self.curves.clear()
        self.legend.clear()

    def refresh(self) -> None:
        series = self.series
        if series is None:
            return
        for name in series.names():
            if name not in self.curves:
                pen = pg.mkPen(qt_style.colour(len(self.curves)), width=1.6)
                self.curves[name] = self.plot([], [], pen=pen, name=name, connect="finite")
                self.legend.setColumnCount(1 + len(self.curves) // 7)  # keep the legend short
        if not series.lines:
            for curve in self.curves.values():
                curve.setData([], [])
            return
        now = series.latest_time
        since = now - self.window_s
        top = 0.0
        for name, curve in self.curves.items():
            line = series.lines.get(name)
            if line is None:
                curve.setData([], [])
                continue
            t, v = line.window(since)
            curve.setData(t, v, connect="finite", skipFiniteCheck=True)
            finite = v[np.isfinite(v)]
            if finite.size:
                top = max(top, float(finite.max()))
        self.setXRange(since, now, padding=0)
        self.setYRange(0, _nice_top(top), padding=0)

    def visible_data(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """What each line shows now (for tests)."""
        return {name: curve.getData() for name, curve in self.curves.items()}


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
        if not paused:
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
