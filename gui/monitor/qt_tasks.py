"""Running blocking calls (network look-ups) off the GUI thread, with the result
delivered back on the GUI thread through a queued signal."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, Qt, Signal, Slot

_ALIVE: set = set()  # calls in flight, kept alive until they deliver


class BackgroundCall(QObject):
    """``BackgroundCall(fn, on_done, on_error).start()`` runs ``fn()`` in a daemon thread;
    ``on_done(result)`` or ``on_error(exception)`` then runs on the GUI thread.

    The object keeps itself alive until it has delivered its result.
    """

    _delivered = Signal(bool, object)

    def __init__(
        self,
        fn: Callable[[], Any],
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        name: str = "background",
    ):
        super().__init__()
        self.fn, self.on_done, self.on_error, self.name = fn, on_done, on_error, name
        self.thread: threading.Thread | None = None
        self._delivered.connect(self._deliver, Qt.ConnectionType.QueuedConnection)

    def start(self) -> BackgroundCall:
        _ALIVE.add(self)
        self.thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self.thread.start()
        return self

    def _run(self) -> None:
        try:
            result = self.fn()
        except BaseException as exc:  # noqa: BLE001 - handed to on_error on the GUI thread
            self._delivered.emit(False, exc)
        else:
            self._delivered.emit(True, result)

    @Slot(bool, object)
    def _deliver(self, ok: bool, value: Any) -> None:
        _ALIVE.discard(self)
        callback = self.on_done if ok else self.on_error
        try:
            # The widget that asked may have been closed while the call ran: nobody to tell.
            if callback is not None and not _receiver_gone(callback):
                callback(value)
        finally:
            # No deleteLater: callers may still ask running() or join(); Python frees
            # the object once nobody refers to it.
            self.fn = self.on_done = self.on_error = None

    def running(self) -> bool:
        return self.thread is not None and self.thread.is_alive()

    def join(self, timeout: float | None = None) -> None:
        if self.thread is not None:
            self.thread.join(timeout)


def _receiver_gone(callback: Callable) -> bool:
    """Whether the Qt object a callback belongs to (a bound method's object, or one a
    lambda closes over) has been deleted."""
    owners = [getattr(callback, "__self__", None)]
    for cell in getattr(callback, "__closure__", None) or ():
        try:
            owners.append(cell.cell_contents)
        except ValueError:  # an empty cell
            continue
    return any(isinstance(o, QObject) and not shiboken6.isValid(o) for o in owners)


def run_in_background(fn, on_done=None, on_error=None, name: str = "background") -> BackgroundCall:
    return BackgroundCall(fn, on_done, on_error, name).start()
