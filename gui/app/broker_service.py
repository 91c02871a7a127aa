"""The app's one local sandbox broker, started in the background so the window never
waits for it.

The run controller (``gui.monitor.qt_run_controller.RunController``) owns the sandbox
broker: runs, the cluster view and the field-name look-ups all use that one, and it
stops when the app closes. This service only asks for it early — at launch, so the app
opens on a broker that is already up — and tells the status bar where it listens or
why it could not start.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from gui.monitor.qt_tasks import BackgroundCall


class SandboxBrokerService(QObject):
    started = Signal(str)  # bootstrap address
    failed = Signal(str)  # what went wrong and what to do

    def __init__(self, controller, parent=None):
        super().__init__(parent)
        self.controller = controller
        self._call: BackgroundCall | None = None
        self._stopped = False

    @property
    def bootstrap(self) -> str | None:
        return self.controller.bootstrap() if self.controller.profile.uses_sandbox else None

    def starting(self) -> bool:
        return self._call is not None and self._call.running()

    def start(self) -> bool:
        """Start the sandbox broker (when the connection is the sandbox); False when
        there is nothing to start."""
        c = self.controller
        if self._stopped or not c.profile.uses_sandbox:
            return False
        if self.starting():
            return True
        self._call = BackgroundCall(
            c.ensure_bootstrap, self._on_started, self._on_failed, name="sandbox-start"
        ).start()
        return True

    def _on_started(self, bootstrap: str) -> None:
        if self._stopped:
            return
        # The cluster view and the look-ups follow the address the controller announces.
        self.controller.bootstrapChanged.emit(bootstrap)
        self.started.emit(bootstrap)

    def _on_failed(self, exc: BaseException) -> None:
        if not self._stopped:
            self.failed.emit(
                f"Sandbox broker unavailable: {exc}. Choose Run ▸ Connection… to use "
                "your own Kafka cluster."
            )

    def stop(self, timeout: float = 15.0) -> None:
        """No more signals; wait for a start in flight (the controller's shutdown stops
        the broker itself)."""
        self._stopped = True
        if self._call is not None:
            self._call.join(timeout)
