"""Polls one consumer group's lag every few seconds, off the GUI thread."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Signal

from engine.cluster.admin import ClusterClient
from gui.monitor.lag_history import GroupLagHistory
from gui.monitor.qt_tasks import BackgroundCall

POLL_INTERVAL_MS = 2000


class GroupLagPoller(QObject):
    """Feeds ``history`` with ``ClusterClient.group_lag(group)``; one look-up in flight at
    a time, so a slow cluster never piles up threads."""

    updated = Signal(str)  # group
    failed = Signal(str)  # what went wrong, in plain words
    statusChanged = Signal(str, str, str)  # group, OK/WARN/STALL, reason

    def __init__(
        self,
        client_provider: Callable[[], ClusterClient | None],
        history: GroupLagHistory | None = None,
        interval_ms: int = POLL_INTERVAL_MS,
        parent=None,
    ):
        super().__init__(parent)
        self.client_provider = client_provider
        self.history = history or GroupLagHistory()
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.poll)
        self._call: BackgroundCall | None = None
        self._generation = 0
        self._last_status = (None, None)

    @property
    def group(self) -> str:
        return self.history.group

    def watch(self, group: str) -> None:
        """Start following ``group`` (forgetting what was seen of the previous one)."""
        self._generation += 1
        self.history.clear(group)
        self._last_status = (None, None)
        self.updated.emit(group)
        if group:
            self._timer.start()
            self.poll()
        else:
            self._timer.stop()

    def stop(self) -> None:
        self._timer.stop()
        self._generation += 1

    def active(self) -> bool:
        return self._timer.isActive()

    def poll(self) -> None:
        group = self.history.group
        if not group or (self._call is not None and self._call.running()):
            return
        client = self.client_provider()
        if client is None:
            return
        generation = self._generation
        self._call = BackgroundCall(
            lambda: client.group_lag(group),
            lambda offsets: self._on_result(generation, offsets),
            lambda exc: self._on_error(generation, exc),
            name="lag-poll",
        )
        self._call.start()

    def _on_result(self, generation: int, offsets) -> None:
        if generation != self._generation:
            return
        self.history.observe(offsets)
        self.updated.emit(self.history.group)
        status = (self.history.status, self.history.reason)
        if status != self._last_status:
            self._last_status = status
            self.statusChanged.emit(self.history.group, *status)

    def _on_error(self, generation: int, exc: BaseException) -> None:
        if generation == self._generation:
            self.failed.emit(str(exc) or type(exc).__name__)

    def join(self, timeout: float = 5.0) -> None:
        if self._call is not None:
            self._call.join(timeout)
