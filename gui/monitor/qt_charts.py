"""Live charts of a run: throughput per node and consumer lag per partition, each a time
chart (``qt_time_chart``) with its legend (``qt_chart_legend``), a toolbar (time range,
pause) and a title.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from engine.model.status import RunStatus
from gui.monitor import qt_style
from gui.monitor.qt_chart_legend import LEGEND_MAX, LEGEND_MIN, LEGEND_SHARE, QtChartLegendWidget
from gui.monitor.qt_time_chart import RANGES_S, REFRESH_MS, QtTimeChart
from gui.style import theme


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
        theme.style_widget(self.group_label, "color: @bar_text@;")
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
