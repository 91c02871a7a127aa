"""Where the dashboards sit in the main window: under the canvas, in the same splitter,
so the results show beside the pipeline that makes them.

The area opens by itself when the open topology has dashboards (and when a run of it
starts, unless the user closed it), and folds away when it has none. View → Dashboard
toggles it; its Open in Window button shows the same dashboards in a window of their
own (a wall display), live from the same run.
"""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QSplitter, QWidget

from engine.model.status import RunStatus
from gui.dashboard.qt_dashboard import QtDashboardBoard, QtDashboardWidget, QtDashboardWindow

DASHBOARD_SHARE = 0.55  # of the area's height, when the dashboard opens


class QtDashboardArea(QSplitter):
    """The canvas above, the dashboard below."""

    def __init__(self, canvas: QWidget, parent=None):
        super().__init__(Qt.Orientation.Vertical, parent)
        self.setObjectName("dashboardArea")
        self.setChildrenCollapsible(False)
        self.setHandleWidth(4)
        self.addWidget(canvas)
        self.setStretchFactor(0, 1)
        self.model: QtDashboardBoard | None = None
        self.dashboard: QtDashboardWidget | None = None
        self.windows: list[QtDashboardWindow] = []
        self.settings: QSettings | None = None
        self._user_hidden = False
        self._share_pending = False
        self.toggle_action = QAction("&Dashboard", self)
        self.toggle_action.setObjectName("toggle_dashboard")
        self.toggle_action.setCheckable(True)
        self.toggle_action.setStatusTip("Show or hide the dashboards under the canvas")
        self.toggle_action.triggered.connect(self._on_toggled_by_user)

    def attach(self, controller, document, settings: QSettings | None = None) -> QtDashboardWidget:
        """Follow ``document``'s topology and the runs of ``controller``."""
        self.settings = settings
        self.model = QtDashboardBoard(controller, self)
        self.model.set_topology(document.topology)
        self.dashboard = QtDashboardWidget(self.model, settings)
        self.dashboard.detachRequested.connect(self.open_window)
        self.addWidget(self.dashboard)
        self.setStretchFactor(1, 0)
        self.dashboard.setVisible(False)
        document.topology_replaced.connect(self._on_topology_replaced)
        self.model.specsChanged.connect(self._on_specs_changed)
        controller.statusChanged.connect(self._on_run_status)
        self._on_specs_changed()
        return self.dashboard

    def _on_topology_replaced(self, topology) -> None:
        self._user_hidden = False
        self.model.set_topology(topology)
        self._on_specs_changed()

    def _on_specs_changed(self) -> None:
        if not self.model.specs:
            self.set_dashboard_visible(False)
        elif not self._user_hidden:
            self.set_dashboard_visible(True)

    def _on_run_status(self, status: str, _reason: str) -> None:
        if status == RunStatus.STARTING and self.model.specs and not self._user_hidden:
            self.set_dashboard_visible(True)

    def _on_toggled_by_user(self, checked: bool) -> None:
        self._user_hidden = not checked
        self.set_dashboard_visible(checked)

    def set_dashboard_visible(self, visible: bool) -> None:
        if self.dashboard is None:
            return
        self.toggle_action.setChecked(visible)
        if visible == self.dashboard.isVisibleTo(self):
            return
        self.dashboard.setVisible(visible)
        if visible:
            self._share_pending = True
            self._give_share()

    def _give_share(self) -> None:
        """The dashboard's share of the height, once the area has one (not before it is laid out)."""
        height = self.height()
        if not self._share_pending or height < 200:
            return
        self._share_pending = False
        share = round(height * DASHBOARD_SHARE)
        self.setSizes([height - share, share])

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._give_share()

    def open_window(self) -> QtDashboardWindow:
        """The dashboards in a window of their own (closed with the main window)."""
        window = QtDashboardWindow(self.model, self.settings, self.window())
        self.windows.append(window)
        window.destroyed.connect(self._forget_closed_windows)
        window.show()
        window.raise_()
        return window

    def _forget_closed_windows(self, *_args) -> None:
        self.windows = [w for w in self.windows if shiboken6.isValid(w) and w.isVisible()]
