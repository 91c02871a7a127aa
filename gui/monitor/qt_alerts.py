"""Alerts in the app: the topology's rules evaluated over the run the app watches, an
Alerts dock (firing and resolved, with time, node, value and rule), the nodes marked on
the canvas while a rule fires, and a desktop notification when one fires and clears.

``AlertMonitor`` is the Qt side of ``engine.runtime.watch.alerts.AlertEvaluator``: it feeds it
the worker's metrics snapshots (twice a second) and the consumer group's offsets from the
lag poller (the same Burrow judgement the lag dock and the source badges show), evaluates
once a second on the GUI thread (a few dict look-ups), posts notified transitions to the
topology's webhook (``engine.runtime.watch.webhook``, its own thread) and emits the rest.
``install_alerts(window)`` wires it all into the main window.
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QModelIndex, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QSystemTrayIcon,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from engine.runtime.watch.alerts import FIRING, AlertEvaluator, Transition
from engine.runtime.watch.webhook import WebhookSender
from gui.canvas.alert_mark import mark_alerts
from gui.monitor.qt_records import FixedColumnsModel, monospace
from gui.monitor.qt_run_controller import DISCONNECTED, FAILED, RUNNING, STARTING, STOPPED
from gui.style import icons, theme

EVALUATE_MS = 1000
MAX_ROWS = 1000
COLUMNS = ("State", "Time", "Rule", "Node", "Value", "Condition")


class AlertMonitor(QObject):
    """Evaluates the rules of the topology being run (taken when the run starts)."""

    transitioned = Signal(object)  # Transition
    firingChanged = Signal(dict)  # {node id: [rule names]} of the rules firing now

    def __init__(self, controller, parent=None, *, evaluate_ms: int = EVALUATE_MS):
        super().__init__(parent)
        self.controller = controller
        self.evaluator: AlertEvaluator | None = None
        self.webhook: WebhookSender | None = None
        self.application_id = ""
        self._firing_nodes: dict[str, list[str]] = {}
        self._timer = QTimer(self)
        self._timer.setInterval(evaluate_ms)
        self._timer.timeout.connect(self.evaluate)
        controller.statusChanged.connect(self._on_status_changed)
        controller.metricsReceived.connect(self._on_metrics)
        controller.lag_poller.updated.connect(self._on_lag)

    def start(self, topology) -> None:
        """Begin evaluating ``topology``'s rules (called when a run starts)."""
        self.stop()
        self.evaluator = AlertEvaluator(topology)
        self.application_id = topology.name
        url = (
            topology.settings.get("alert_webhook") if isinstance(topology.settings, dict) else None
        )
        self.webhook = WebhookSender(url) if url else None
        if self.evaluator.rules:
            self._timer.start()

    def stop(self) -> None:
        """The run is over: stop evaluating; no node stays marked."""
        self._timer.stop()
        self.evaluator = None
        if self.webhook is not None:
            self.webhook.close(0)  # queued posts still go out from the sender's thread
            self.webhook = None
        self._set_firing({})

    def _on_status_changed(self, status: str, _reason: str) -> None:
        if status == STARTING:
            topology = self.controller.topology_provider()
            if topology is not None:
                self.start(topology)
        elif status in (STOPPED, FAILED):
            self.stop()

    def _on_metrics(self, snapshot: dict) -> None:
        if self.evaluator is not None and snapshot.get("status") in (RUNNING, DISCONNECTED):
            self.evaluator.observe_snapshot(snapshot, lag=False)

    def _on_lag(self, group: str) -> None:
        history = self.controller.lag_poller.history
        if (
            self.evaluator is None
            or group != self.controller.group_id
            or history.updated_at is None
        ):
            return
        self.evaluator.observe_lag(
            {(p.topic, p.partition): (p.committed, p.high) for p in history.partitions}
        )

    def observe_fleet(self, summary: dict) -> None:
        """The run's instances as the fleet watcher reads them (``status --json``'s shape)."""
        if self.evaluator is not None and summary.get("application_id") == self.application_id:
            self.evaluator.observe_instances(list(summary.get("instances") or []))

    def evaluate(self, now: float | None = None) -> list[Transition]:
        if self.evaluator is None:
            return []
        transitions = self.evaluator.evaluate(now)
        for t in transitions:
            if t.notify and self.webhook is not None:
                self.webhook.send(t.as_event(self.application_id))
            self.transitioned.emit(t)
        if transitions:
            firing: dict[str, list[str]] = {}
            for t in self.evaluator.firing():
                if t.node:
                    firing.setdefault(t.node, []).append(t.rule)
            self._set_firing(firing)
        return transitions

    def _set_firing(self, firing: dict[str, list[str]]) -> None:
        if firing != self._firing_nodes:
            self._firing_nodes = firing
            self.firingChanged.emit(firing)

    def firing_nodes(self) -> dict[str, list[str]]:
        return dict(self._firing_nodes)


class AlertTableModel(FixedColumnsModel):
    """Transitions, newest first; a firing row stays red while its rule still fires."""

    columns = COLUMNS

    def __init__(self, parent=None):
        super().__init__(parent)
        self.rows: list[Transition] = []
        self.firing: set[str] = set()  # rules firing now

    def row_count(self) -> int:
        return len(self.rows)

    def add(self, t: Transition) -> None:
        if t.state == FIRING:
            self.firing.add(t.rule)
        else:
            self.firing.discard(t.rule)
        self.beginInsertRows(QModelIndex(), 0, 0)
        self.rows.insert(0, t)
        self.endInsertRows()
        if len(self.rows) > MAX_ROWS:
            self.beginRemoveRows(QModelIndex(), MAX_ROWS, len(self.rows) - 1)
            del self.rows[MAX_ROWS:]
            self.endRemoveRows()
        self._repaint()

    def clear_firing(self) -> None:
        """The run ended: nothing fires any more (the rows stay)."""
        self.firing.clear()
        self._repaint()

    def clear(self) -> None:
        self.beginResetModel()
        self.rows.clear()
        self.firing.clear()
        self.endResetModel()

    def _repaint(self) -> None:
        if self.rows:
            self.dataChanged.emit(
                self.index(0, 0), self.index(len(self.rows) - 1, len(COLUMNS) - 1)
            )

    def is_live(self, row: int) -> bool:
        """Whether ``row`` is the firing of a rule that fires now."""
        t = self.rows[row]
        if t.state != FIRING or t.rule not in self.firing:
            return False
        return next(r for r in self.rows if r.rule == t.rule) is t

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        t = self.rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (
                self._state_text(index.row()),
                datetime.fromtimestamp(t.time_ms / 1000).strftime("%H:%M:%S"),
                t.rule,
                t.node or "",
                format_value(t.value),
                t.description,
            )[column]
        if role == Qt.ItemDataRole.ForegroundRole:
            if column == 0:
                return theme.ERROR if t.state == FIRING else theme.OK
            if not self.is_live(index.row()):
                return theme.MUTED_TEXT
        if role == Qt.ItemDataRole.BackgroundRole and self.is_live(index.row()):
            return QColor(224, 93, 93, 38)
        if role == Qt.ItemDataRole.ToolTipRole:
            told = (
                ""
                if t.notify
                else "\n(not notified: this rule already notified in the last minute)"
            )
            return (
                f"{t.rule}: {t.description}\n{t.state} at {datetime.fromtimestamp(t.time_ms / 1000)}"
                f", value {format_value(t.value)}{told}"
            )
        if role == Qt.ItemDataRole.UserRole:
            return t.node
        return None

    def _state_text(self, row: int) -> str:
        t = self.rows[row]
        if t.state == FIRING:
            return "● firing" if self.is_live(row) else "○ fired"
        return "✔ resolved"


def format_value(value) -> str:
    if value is None:
        return "∞"
    if isinstance(value, float):
        return f"{value:,.1f}".removesuffix(".0")
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


class QtAlertsWidget(QWidget):
    """The Alerts dock's content. Model: an ``AlertMonitor``."""

    nodeActivated = Signal(str)

    def __init__(self, monitor: AlertMonitor, parent=None):
        super().__init__(parent)
        self.setObjectName("alertsPanel")
        self.monitor = monitor
        self.model = AlertTableModel(self)
        self.summary = QLabel()
        self.summary.setObjectName("alertsSummary")
        # Elided by its width rather than widening the bottom dock area (and the window).
        self.summary.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        clear = QToolButton()
        clear.setText("Clear")
        clear.setToolTip("Forget the resolved alerts shown here")
        clear.clicked.connect(self.clear)
        bar = QHBoxLayout()
        bar.setContentsMargins(8, 4, 6, 2)
        bar.addWidget(self.summary, 1)
        bar.addWidget(clear)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setFont(monospace())
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setWordWrap(False)
        self.table.setShowGrid(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(20)
        header = self.table.horizontalHeader()
        header.setStretchLastSection(True)
        for column, width in enumerate((96, 70, 150, 100, 70)):
            header.resizeSection(column, width)
        self.table.doubleClicked.connect(self._on_double_clicked)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)
        monitor.transitioned.connect(self._on_transition)
        monitor.controller.statusChanged.connect(self._on_status_changed)
        self._update_summary()

    def _on_transition(self, t: Transition) -> None:
        self.model.add(t)
        self._update_summary()

    def _on_status_changed(self, status: str, _reason: str) -> None:
        if status in (STOPPED, FAILED):
            self.model.clear_firing()
            self._update_summary()
        elif status == STARTING:
            self._update_summary()

    def clear(self) -> None:
        self.model.clear()
        self._update_summary()

    def _on_double_clicked(self, index: QModelIndex) -> None:
        node = self.model.data(index, Qt.ItemDataRole.UserRole)
        if node:
            self.nodeActivated.emit(node)

    def firing_count(self) -> int:
        return len(self.model.firing)

    def _update_summary(self) -> None:
        n = self.firing_count()
        evaluator = self.monitor.evaluator
        rules = len(evaluator.rules) if evaluator is not None else None
        if n:
            names = ", ".join(sorted(self.model.firing))
            text = (
                f"<span style='color:{theme.ERROR.name()}; font-weight:bold'>● {n} firing</span> "
                f"<span style='color:{theme.TEXT.name()}'>{names}</span>"
            )
        elif rules is None:
            text = (
                f"<span style='color:{theme.MUTED_TEXT.name()}'>Alerts are evaluated while a run is watched. Edit the "
                "rules in the inspector with nothing selected.</span>"
            )
        elif rules == 0:
            text = (
                f"<span style='color:{theme.MUTED_TEXT.name()}'>This topology has no alert rules; add some in the "
                "inspector with nothing selected.</span>"
            )
        else:
            text = (
                f"<span style='color:{theme.OK.name()}'>✔ nothing firing</span> "
                f"<span style='color:{theme.MUTED_TEXT.name()}'>({rules} rule{'s' if rules != 1 else ''} watched)</span>"
            )
        self.summary.setText(text)
        self.summary.setToolTip(", ".join(sorted(self.model.firing)) if n else "")


class AlertNotifier(QObject):
    """Desktop notifications (a system tray message) of notified transitions; where there
    is no system tray (offscreen, some desktops), the window's status bar says it."""

    def __init__(self, monitor: AlertMonitor, window=None, parent=None):
        super().__init__(parent)
        self.window = window
        self.tray: QSystemTrayIcon | None = None
        self.shown: list[tuple[str, str]] = []  # (title, text), for tests
        if QSystemTrayIcon.isSystemTrayAvailable():
            self.tray = QSystemTrayIcon(icons.app_icon(), self)
            self.tray.setToolTip("Topology Studio")
            self.tray.messageClicked.connect(self._on_clicked)
        monitor.transitioned.connect(self._on_transition)

    def _on_transition(self, t: Transition) -> None:
        if not t.notify:
            return
        where = f" at {t.node}" if t.node else ""
        if t.state == FIRING:
            title = f"Alert: {t.rule}{where}"
        else:
            title = f"Resolved: {t.rule}{where}"
        text = f"{t.description} — value {format_value(t.value)}"
        self.shown.append((title, text))
        if self.tray is not None:
            if not self.tray.isVisible():
                self.tray.show()
            icon = (
                QSystemTrayIcon.MessageIcon.Warning
                if t.state == FIRING
                else QSystemTrayIcon.MessageIcon.Information
            )
            self.tray.showMessage(title, text, icon, 10_000)
        elif self.window is not None and hasattr(self.window, "statusBar"):
            self.window.statusBar().showMessage(f"{title}: {text}", 10_000)

    def _on_clicked(self) -> None:
        if self.window is not None:
            self.window.showNormal()
            self.window.raise_()
            self.window.activateWindow()


class Alerts(QObject):
    """What ``install_alerts`` made, for the window and tests."""

    def __init__(
        self,
        monitor: AlertMonitor,
        widget: QtAlertsWidget,
        dock: QDockWidget,
        notifier: AlertNotifier,
        parent=None,
    ):
        super().__init__(parent)
        self.monitor, self.widget, self.dock, self.notifier = monitor, widget, dock, notifier


def install_alerts(window) -> Alerts:
    """Add alerts to the main window: the dock (beside consumer lag), canvas marks, the
    desktop notifications, and a View menu entry."""
    controller = window.monitor.controller
    monitor = AlertMonitor(controller, window)
    widget = QtAlertsWidget(monitor)
    dock = QDockWidget("Alerts", window)
    dock.setObjectName("alertsDock")
    dock.setWidget(widget)
    dock.setFeatures(
        QDockWidget.DockWidgetFeature.DockWidgetMovable
        | QDockWidget.DockWidgetFeature.DockWidgetClosable
        | QDockWidget.DockWidgetFeature.DockWidgetFloatable
    )
    window.add_watcher_dock(dock)
    notifier = AlertNotifier(monitor, window, window)
    monitor.firingChanged.connect(lambda firing: mark_alerts(window.scene, firing))
    widget.nodeActivated.connect(window.select_node)

    def on_transition(t: Transition) -> None:
        if t.state == FIRING and t.notify and not dock.isHidden():
            dock.raise_()  # in front of the tabs it shares

    monitor.transitioned.connect(on_transition)
    for action in window.menuBar().actions():
        menu = action.menu()
        if menu is not None and action.text().replace("&", "") == "View":
            menu.addAction(dock.toggleViewAction())
            break

    # The fleet (gui.fleet) is installed after us: follow its watcher for instance_lost.
    def follow_fleet() -> None:
        fleet = getattr(window, "fleet", None)
        if fleet is not None and hasattr(fleet, "watcher"):
            fleet.watcher.updated.connect(monitor.observe_fleet)

    QTimer.singleShot(0, follow_fleet)
    # Node items are made again when the topology is replaced or a node renamed: mark again.
    window.document.topology_replaced.connect(
        lambda _t: QTimer.singleShot(0, lambda: mark_alerts(window.scene, monitor.firing_nodes()))
    )
    return Alerts(monitor, widget, dock, notifier, window)
