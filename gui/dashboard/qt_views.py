"""The views of a dashboard panel: KPI tiles, bars, lines over window time, a table.

Each paints what ``gui.dashboard.board`` computes from the mirror table, and only when
asked (``show_rows``): the dashboard widget refreshes a panel after its rows changed (at
most twice a second), never per record. KPI tiles and bars are painted by hand (a handful
of rectangles and texts); the line view is a pyqtgraph chart with the throughput chart's
axes, grid and legend (``gui.monitor.qt_charts``); the table is a plain table widget.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetrics, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from engine.runtime.dashboard import DashboardTable
from gui.dashboard import board as b
from gui.monitor import qt_style
from gui.monitor.qt_chart_legend import QtChartLegendWidget
from gui.monitor.qt_time_chart import QtTimeChart, blend, compact, nice_top
from gui.style import theme

MAX_BARS = 12
FEW_POINTS = 3


def _font(size: float, bold: bool = False) -> QFont:
    font = QFont()
    font.setPointSizeF(size)
    font.setBold(bold)
    return font


class QtDashboardView(QWidget):
    """A view of one dashboard: ``show(spec, table)`` then it paints."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.spec: b.DashboardSpec | None = None
        self.table: DashboardTable | None = None
        self.setMinimumSize(160, 90)

    def show_rows(self, spec: b.DashboardSpec, table: DashboardTable) -> None:
        self.spec, self.table = spec, table
        self.update()

    def _empty(self, painter: QPainter, text: str = "waiting for records…") -> None:
        painter.setPen(theme.NODE_MUTED_TEXT)
        painter.setFont(_font(9))
        painter.drawText(QRectF(self.rect()), Qt.AlignmentFlag.AlignCenter, text)


class QtKpiView(QtDashboardView):
    """Big numbers: one tile per field, the change against the previous window under it,
    a sparkline of the key's values along the bottom."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.tiles: list[b.Kpi] = []

    def show_rows(self, spec, table) -> None:
        self.tiles = b.kpis(spec, table)
        super().show_rows(spec, table)

    def texts(self) -> list[tuple[str, str, str]]:
        """(field, value, change) of each tile, as painted (for tests)."""
        return [(t.field, b.format_value(t.value), b.format_change(t.change)) for t in self.tiles]

    def paintEvent(self, _event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), QColor(qt_style.BACKGROUND))
        if not self.tiles:
            self._empty(
                painter,
                "no numeric field yet"
                if self.table is not None and len(self.table)
                else "waiting for records…",
            )
            painter.end()
            return
        width = self.width() / len(self.tiles)
        for i, tile in enumerate(self.tiles):
            self._paint_tile(
                painter, QRectF(i * width, 0, width, self.height()).adjusted(10, 6, -10, -6), tile
            )
            if i:
                painter.setPen(theme.PANEL_BORDER)
                painter.drawLine(QPointF(i * width, 10), QPointF(i * width, self.height() - 10))
        painter.end()

    def _paint_tile(self, painter: QPainter, rect: QRectF, tile: b.Kpi) -> None:
        label = tile.field.replace("_", " ")
        if tile.window_start is not None:
            label += f"  ·  window {b.window_label(tile.window_start)}"
        painter.setPen(theme.NODE_MUTED_TEXT)
        painter.setFont(_font(8.5))
        painter.drawText(
            QRectF(rect.left(), rect.top(), rect.width(), 16),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            label,
        )
        text = b.format_value(tile.value)
        size = max(12.0, min(64.0, rect.height() * 0.2, rect.width() * 0.16))
        font = _font(size, True)
        while size > 10 and QFontMetrics(font).horizontalAdvance(text) > rect.width():
            size -= 2
            font = _font(size, True)
        number_h = QFontMetrics(font).height()
        number_rect = QRectF(rect.left(), rect.top() + 18, rect.width(), number_h)
        painter.setFont(font)
        painter.setPen(theme.TEXT if tile.value is not None else theme.NODE_MUTED_TEXT)
        painter.drawText(
            number_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, text
        )
        change = tile.change
        change_rect = QRectF(rect.left(), number_rect.bottom(), rect.width(), 18)
        if change is not None:
            arrow = f"{b.format_change(change)}  "
            painter.setFont(_font(8.5, True))
            painter.setPen(
                theme.OK if change > 0 else theme.ERROR if change < 0 else theme.NODE_MUTED_TEXT
            )
            painter.drawText(
                change_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, arrow
            )
            offset = QFontMetrics(_font(8.5, True)).horizontalAdvance(arrow)
            painter.setPen(theme.NODE_MUTED_TEXT)
            painter.setFont(_font(8.5))
            painter.drawText(
                change_rect.adjusted(offset, 0, 0, 0),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                "vs previous window",
            )
        spark_top = max(change_rect.bottom() + 6, rect.bottom() - rect.height() * 0.4)
        if rect.bottom() - spark_top >= 12:
            self._paint_spark(
                painter,
                QRectF(rect.left(), spark_top, rect.width(), rect.bottom() - spark_top),
                tile.spark,
            )

    @staticmethod
    def _paint_spark(painter: QPainter, rect: QRectF, points: list[tuple[float, float]]) -> None:
        if len(points) < 2:
            return
        xs = [p[0] for p in points]
        ys = [p[1] for p in points]
        x0, x1 = min(xs), max(xs)
        y0, y1 = min(min(ys), 0.0), max(ys)
        dx, dy = (x1 - x0) or 1.0, (y1 - y0) or 1.0
        path = QPainterPath()
        for i, (x, y) in enumerate(points):
            p = QPointF(
                rect.left() + (x - x0) / dx * rect.width(),
                rect.bottom() - (y - y0) / dy * rect.height(),
            )
            path.moveTo(p) if i == 0 else path.lineTo(p)
        colour = qt_style.colour(0)
        fill = QPainterPath(path)
        fill.lineTo(rect.right(), rect.bottom())
        fill.lineTo(rect.left(), rect.bottom())
        fill.closeSubpath()
        # Opaque, pre-blended over the background: a translucent fill of this size costs
        # most of a KPI panel's repaint on the raster engine.
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        painter.fillPath(fill, blend(colour, 0.18))
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setPen(QPen(colour, 1.6))
        painter.drawPath(path)


class QtBarsView(QtDashboardView):
    """One horizontal bar per key, largest first, its value at its end."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.field, self.values, self.window_start = "", [], None

    def show_rows(self, spec, table) -> None:
        self.field, self.values, self.window_start = b.bars(spec, table)
        super().show_rows(spec, table)

    def texts(self) -> list[tuple[str, str]]:
        return [(key, b.format_value(v)) for key, v in self.values]

    def paintEvent(self, _event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), QColor(qt_style.BACKGROUND))
        if not self.values:
            self._empty(painter)
            painter.end()
            return
        rect = QRectF(self.rect()).adjusted(10, 6, -10, -6)
        caption = self.field.replace("_", " ")
        if self.window_start is not None:
            caption += f"  ·  window {b.window_label(self.window_start)}"
        painter.setFont(_font(8.5))
        painter.setPen(theme.NODE_MUTED_TEXT)
        painter.drawText(
            QRectF(rect.left(), rect.top(), rect.width(), 16),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            caption,
        )
        area = rect.adjusted(0, 20, 0, 0)
        fit = max(1, int(area.height() // 18))
        shown = self.values[: min(fit, MAX_BARS)]
        if len(self.values) > len(shown) and len(shown) == fit and len(shown) > 1:
            shown = shown[:-1]  # room for "+ n more"
        more = len(self.values) - len(shown)
        row_h = min(26.0, area.height() / max(1, len(shown) + (1 if more else 0)))
        fm = QFontMetrics(_font(8.5))
        label_w = min(area.width() * 0.38, max(fm.horizontalAdvance(k) for k, _ in shown) + 8)
        value_w = max(fm.horizontalAdvance(b.format_value(v)) for _, v in shown) + 8
        top = max((v for _, v in shown if v is not None), default=0.0)
        bar_w = max(10.0, area.width() - label_w - value_w)
        for i, (key, value) in enumerate(shown):
            y = area.top() + i * row_h
            painter.setPen(theme.TEXT)
            painter.setFont(_font(8.5))
            painter.drawText(
                QRectF(area.left(), y, label_w - 6, row_h),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                fm.elidedText(key, Qt.TextElideMode.ElideMiddle, int(label_w - 6)),
            )
            length = 0.0 if value is None or top <= 0 else max(0.0, value / top) * bar_w
            bar = QRectF(area.left() + label_w, y + row_h * 0.18, max(length, 1.0), row_h * 0.64)
            painter.fillRect(bar, qt_style.colour(0) if value is not None else theme.PANEL_BORDER)
            painter.setPen(theme.TEXT if value is not None else theme.NODE_MUTED_TEXT)
            painter.drawText(
                QRectF(bar.right() + 4, y, value_w, row_h),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                b.format_value(value),
            )
        if more:
            painter.setPen(theme.NODE_MUTED_TEXT)
            painter.drawText(
                QRectF(area.left() + label_w, area.top() + len(shown) * row_h, bar_w, row_h),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                f"+ {more} more key{'s' if more != 1 else ''}",
            )
        painter.end()


class QtWindowLineChart(QtTimeChart):
    """Lines over window time, one per key, with the throughput chart's look and legend
    signals; the points of short lines marked, since windows are minutes apart."""

    def __init__(self, parent=None):
        super().__init__("", "", parent)
        self.getPlotItem().setLabel("bottom", "window start")
        self.getPlotItem().setLabel("left", "")
        # Values such as revenue run into the hundreds of thousands: 250k, not 250000.
        self.getPlotItem().getAxis("left").tickStrings = lambda values, _scale, _spacing: [
            compact(v) for v in values
        ]
        self.setMinimumHeight(90)
        self.data: dict[str, tuple[list[float], list[float]]] = {}

    def _add_curve(self, name: str):
        colour = qt_style.colour(len(self.curves))
        pen = pg.mkPen(colour, width=1.8)
        curve = pg.PlotDataItem(
            pen=pen,
            name=name,
            symbol="o",
            symbolSize=5,
            symbolPen=None,
            symbolBrush=QBrush(colour),
            connect="finite",
        )
        curve.setVisible(name not in self._hidden)
        self.addItem(curve)
        self.curves[name] = curve
        self._pens[name] = pen
        self.lineAdded.emit(name, colour)
        return curve

    def _recoloured(self, name: str, colour: QColor) -> None:
        self.curves[name].setSymbolBrush(QBrush(colour))

    def set_lines(self, data: dict[str, tuple[list[float], list[float]]]) -> None:
        self.data = data
        for name in list(self.curves):
            if name not in data:  # a key whose rows all went
                self.removeItem(self.curves.pop(name))
                self._pens.pop(name, None)
                self._tops.pop(name, None)
        if len(self.curves) < len(data) and any(name not in data for name in self._shown):
            self._shown.clear()
        values, lo, hi = {}, math.inf, -math.inf
        for name, (xs, ys) in data.items():
            curve = self.curves.get(name) or self._add_curve(name)
            x, y = np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)
            # A line of one window is a point: marked while a line has few points (markers
            # cost four times the line's own drawing).
            symbol = "o" if len(x) <= FEW_POINTS else None
            if curve.opts["symbol"] != symbol:
                curve.setSymbol(symbol)
            curve.setData(x, y)
            finite = y[np.isfinite(y)]
            values[name] = float(finite[-1]) if len(finite) else math.nan
            if name not in self._hidden:
                self._tops[name] = float(finite.max()) if len(finite) else 0.0
            if len(x):
                lo, hi = min(lo, float(x[0])), max(hi, float(x[-1]))
        if math.isfinite(lo):
            pad = max(30.0, (hi - lo) * 0.04)
            x_range = (lo - pad, hi + pad)
            if x_range != self._x_range:
                self._x_range = x_range
                self.setXRange(*x_range, padding=0)
        self._set_y_top(nice_top(max(self._tops.values(), default=0.0)))
        if values:
            self.valuesChanged.emit(values)

    def refresh(self) -> None:  # the data comes from set_lines, not a SeriesSet
        return None


class QtLineView(QtDashboardView):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.chart = QtWindowLineChart()
        self.legend = QtChartLegendWidget(self.chart)
        self.legend.setMaximumWidth(130)
        self.field = ""
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.chart, 1)
        layout.addWidget(self.legend)

    def show_rows(self, spec, table) -> None:
        self.field, data = b.lines(spec, table)
        self.chart.getPlotItem().setLabel("left", self.field.replace("_", " "))
        self.chart.set_lines(data)
        super().show_rows(spec, table)


class QtTableView(QtDashboardView):
    """Every row: key, window, the fields."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.grid = QTableWidget(self)
        self.grid.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.grid.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.grid.verticalHeader().setVisible(False)
        self.grid.verticalHeader().setDefaultSectionSize(20)
        self.grid.setShowGrid(False)
        self.grid.setAlternatingRowColors(True)
        self.grid.horizontalHeader().setStretchLastSection(True)
        self.grid.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        theme.style_widget(
            self.grid,
            "QTableWidget { background: @chart_bg@; alternate-background-color:"
            " @chart_alt@; color: @text@; border: none; font-size: 8.5pt; }"
            " QHeaderView::section { background: @window@; color: @muted_text@; border: none;"
            " padding: 2px 6px; }",
        )
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.grid)
        self._columns: list[str] = []

    def show_rows(self, spec, table) -> None:
        fields, rows = b.table_rows(spec, table)
        windowed = any(ws is not None for _, ws, _ in rows)
        columns = ["key", *(["window"] if windowed else []), *fields]
        grid = self.grid
        grid.setUpdatesEnabled(False)
        if columns != self._columns:
            self._columns = columns
            grid.setColumnCount(len(columns))
            grid.setHorizontalHeaderLabels([c.replace("_", " ") for c in columns])
        grid.setRowCount(len(rows))
        right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        for r, (key, ws, value) in enumerate(rows):
            cells = [
                key,
                *([b.window_label(ws)] if windowed else []),
                *(b.format_cell(value.get(f)) for f in fields),
            ]
            for c, text in enumerate(cells):
                item = grid.item(r, c)
                if item is None:
                    item = QTableWidgetItem()
                    grid.setItem(r, c, item)
                item.setText(text)
                if c >= len(columns) - len(fields):
                    item.setTextAlignment(right)
        grid.setUpdatesEnabled(True)
        super().show_rows(spec, table)

    def texts(self) -> list[list[str]]:
        g = self.grid
        return [[g.item(r, c).text() for c in range(g.columnCount())] for r in range(g.rowCount())]
