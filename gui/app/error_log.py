"""Unexpected errors of the app: each is written with its traceback to a log file and said
in one line in the status bar; the app goes on. A user launching the app from a menu never
sees its stderr, so an error printed there alone is an action that silently did nothing."""

from __future__ import annotations

import os
import sys
import threading
import time
import traceback
from pathlib import Path

from PySide6.QtCore import QObject, QStandardPaths, Signal

MAX_BYTES = 1_000_000  # then the log moves to errors.log.1, replacing the one before


def default_path() -> Path:
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    return Path(base or Path.home() / ".topology-studio") / "logs" / "errors.log"


class ErrorLog(QObject):
    """Installs itself as ``sys.excepthook`` and ``threading.excepthook``; ``said`` carries
    the one-line message, delivered on the GUI thread whichever thread failed."""

    said = Signal(str)

    def __init__(self, path: Path | None = None, parent=None):
        super().__init__(parent)
        self.path = Path(path) if path is not None else default_path()
        self.count = 0
        self._lock = threading.Lock()
        self._previous = None

    def install(self) -> ErrorLog:
        self._previous = sys.excepthook, threading.excepthook
        sys.excepthook = self._on_exception
        threading.excepthook = lambda args: self._on_exception(
            args.exc_type, args.exc_value, args.exc_traceback, args.thread
        )
        return self

    def uninstall(self) -> None:
        if self._previous is not None:
            sys.excepthook, threading.excepthook = self._previous
            self._previous = None

    def _on_exception(self, exc_type, exc, tb, thread=None) -> None:
        if issubclass(exc_type, KeyboardInterrupt | SystemExit):
            if self._previous is not None:
                self._previous[0](exc_type, exc, tb)
            return
        self.record(exc_type, exc, tb, thread)

    def record(self, exc_type, exc, tb, thread=None) -> None:
        where = f" in thread {thread.name}" if thread is not None else ""
        text = "".join(traceback.format_exception(exc_type, exc, tb))
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        kept = self._write(f"{stamp} unexpected error{where}\n{text}\n")
        summary = f"{exc_type.__name__}: {exc}" if str(exc) else exc_type.__name__
        if len(summary) > 160:
            summary = summary[:157] + "..."
        details = f" (details in {self.path})" if kept else ""
        self.count += 1
        self.said.emit(
            f"Unexpected error: {summary}{details}. The app goes on; "
            "save your work if something looks wrong."
        )

    def _write(self, entry: str) -> bool:
        with self._lock:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                if self.path.exists() and self.path.stat().st_size > MAX_BYTES:
                    os.replace(self.path, self.path.with_name(self.path.name + ".1"))
                with open(self.path, "a", encoding="utf-8") as f:
                    f.write(entry)
                return True
            except OSError:
                if sys.__stderr__ is not None:  # nowhere else to keep it
                    sys.__stderr__.write(entry)
                return False
