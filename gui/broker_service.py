"""The local sandbox broker, started in the background so the window never waits for it."""

from __future__ import annotations

import threading

from PySide6.QtCore import QObject, Signal

from engine.broker import BrokerError, SandboxBroker


class SandboxBrokerService(QObject):
    started = Signal(str)  # bootstrap address
    failed = Signal(str)  # what went wrong and what to do

    def __init__(self, parent=None):
        super().__init__(parent)
        self.broker: SandboxBroker | None = None
        self.bootstrap: str | None = None
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._lock = threading.Lock()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="sandbox-broker", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        broker = SandboxBroker()
        try:
            broker.start()
        except (BrokerError, OSError) as exc:
            self.failed.emit(f"Sandbox broker unavailable: {exc}")
            return
        with self._lock:
            if self._stopping:
                broker.stop()
                return
            self.broker = broker
            self.bootstrap = broker.bootstrap
        self.started.emit(broker.bootstrap)

    def stop(self) -> None:
        with self._lock:
            self._stopping = True
            broker, self.broker = self.broker, None
        if broker is not None:
            broker.stop()
