"""The main window's default arrangement of docks: where the monitor's docks go beside the
designer's, their default sizes, and panels that scroll sideways rather than widen the
window. View → Reset Layout comes back to it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QScrollArea

if TYPE_CHECKING:
    from gui.app.main_window import MainWindow

NARROW_DOCK = 320  # wider panels scroll sideways rather than widen the window


def place_monitor_docks(window: MainWindow) -> None:
    """Along the bottom: Problems, Data preview and Run log as tabs; the throughput
    chart; Consumer lag and Cluster as tabs (Alerts and Instances join them)."""
    bottom = Qt.DockWidgetArea.BottomDockWidgetArea
    for dock in window.monitor.docks():
        let_shrink(dock)
        window.addDockWidget(bottom, dock)
    window.splitDockWidget(
        window.validation_dock, window.throughput_dock, Qt.Orientation.Horizontal
    )
    window.splitDockWidget(window.throughput_dock, window.lag_dock, Qt.Orientation.Horizontal)
    window.tabifyDockWidget(window.validation_dock, window.preview_dock)
    window.tabifyDockWidget(window.preview_dock, window.run_log_dock)
    window.tabifyDockWidget(window.lag_dock, window.cluster_dock)
    window.validation_dock.raise_()
    window.lag_dock.raise_()
    size_docks(window)


def size_docks(window: MainWindow) -> None:
    """The docks' default sizes."""
    window.resizeDocks(
        [window.palette_dock, window.inspector_dock], [270, 360], Qt.Orientation.Horizontal
    )
    window.resizeDocks(
        [window.validation_dock, window.throughput_dock, window.lag_dock],
        [400, 420, 600],
        Qt.Orientation.Horizontal,
    )
    window.resizeDocks([window.validation_dock], [270], Qt.Orientation.Vertical)


def let_shrink(dock: QDockWidget) -> None:
    """Side by side, the panels' toolbars would add up to a window wider than many
    screens: a panel wider than NARROW_DOCK scrolls sideways when squeezed instead."""
    widget = dock.widget()
    if widget.minimumSizeHint().width() <= NARROW_DOCK:
        return
    area = QScrollArea(dock)
    area.setObjectName(f"{dock.objectName()}Scroll")
    area.setFrameShape(QScrollArea.Shape.NoFrame)
    area.setWidgetResizable(True)
    area.setWidget(widget)
    area.setMinimumWidth(NARROW_DOCK // 2)
    dock.setWidget(area)
