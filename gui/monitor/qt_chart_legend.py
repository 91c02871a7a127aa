"""A chart's legend: a list beside the plot, not over it (one row per node or partition
would cover the data). Rows are added as lines appear, their latest values set by the
chart's refresh; a row toggles its line and picks it out on hover.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor, QFontMetrics, QIcon, QPainter, QPen, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QMenu,
    QSizePolicy,
    QTreeWidget,
    QTreeWidgetItem,
)

from gui.monitor.qt_time_chart import QtTimeChart, blend, compact
from gui.style import theme

LEGEND_SHARE, LEGEND_MIN, LEGEND_MAX = 0.3, 140, 220  # of the panel's width, in px


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
        theme.style_widget(
            self,
            "QTreeWidget { background: @chart_bg@; color: @bar_text@;"
            " border: none; border-left: 1px solid @row_border@; }"
            " QTreeWidget::item { padding: 0px 2px; }",
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
        chart.lineRecoloured.connect(self._on_line_recoloured)
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

    def _on_line_recoloured(self, name: str, colour: QColor) -> None:
        item = self.rows.get(name)
        if item is not None:
            self._colours[name] = colour
            self._style(item, name, self.chart.is_line_visible(name))

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
                item.setText(self.VALUE, compact(value))

    def _style(self, item: QTreeWidgetItem, name: str, visible: bool) -> None:
        colour = self._colours[name]
        item.setIcon(self.NAME, swatch(colour, visible))
        text = theme.current.colour("bar_text" if visible else "legend_hidden")
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


def swatch(colour: QColor, filled: bool) -> QIcon:
    """A short thick line in the line's colour; an outline for a hidden line."""
    pixmap = QPixmap(12, 8)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    if filled:
        painter.fillRect(0, 2, 12, 4, colour)
    else:
        painter.setPen(QPen(blend(colour, 0.6), 1))
        painter.drawRect(0, 2, 11, 3)
    painter.end()
    return QIcon(pixmap)
