"""The run's status and its stop request, shared by the run and its collaborators."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from engine.model.status import RunStatus

STOP_GRACE_S = 5.0


class RunState:
    """``status`` is a ``RunStatus`` (starting, running, disconnected, failed, stopped); ``reason`` says
    why. ``stop()`` may come from any thread; it also starts the grace period within which
    records the brokers have not acknowledged are still waited for."""

    def __init__(self, on_status: Callable[[RunStatus, str], None] | None = None):
        self.status = RunStatus.STARTING
        self.reason = ""
        self.stop_note = ""  # said with the final "stopped"
        self.stop_event = threading.Event()
        self.stop_deadline = float("inf")
        self._on_status = on_status

    def set(self, status: RunStatus, reason: str = "") -> None:
        if status == self.status and reason == self.reason:
            return
        self.status, self.reason = status, reason
        if self._on_status is not None:
            self._on_status(status, reason)

    def stop(self, grace_s: float = STOP_GRACE_S) -> None:
        self.stop_deadline = min(self.stop_deadline, time.monotonic() + grace_s)
        self.stop_event.set()

    def fail(self, reason: str) -> None:
        self.set(RunStatus.FAILED, reason)
        self.stop_event.set()

    @property
    def stopping(self) -> bool:
        return self.stop_event.is_set()

    def grace_left(self, cap: float = 5.0) -> float:
        """What remains of the stop grace period, at most ``cap`` seconds."""
        return max(0.0, min(cap, self.stop_deadline - time.monotonic()))
