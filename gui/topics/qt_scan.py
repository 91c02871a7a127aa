"""Running a TopicScan off the GUI thread: pages and progress come back as queued signals,
tagged with the scan's serial so a window ignores what an older, cancelled scan still sends.

The scan's progress callback runs on the scan's thread after every fetch; it yields the GIL
briefly there (``YIELD_S``) and passes progress on at most every 100 ms, so a fast scan
neither starves nor floods the window's event loop."""

from __future__ import annotations

import threading
import time

import shiboken6
from PySide6.QtCore import QObject, Signal

from engine.cluster.topics.reader import ScanProgress, TopicReader, TopicScan

PROGRESS_EVERY_S = 0.1
# The scan decodes and filters in Python: a thread that would keep the GIL between fetches
# and make every call the window makes into Python (a cell to paint, a timer) wait for it.
# Sleeping this long after each fetch gives the window its turn (bench/bench_topic_browser.py,
# 1,000,000 records: lateness p95 47 → 26 ms, max 140 → 65 ms; 87,000 → 66,000 records/s).
YIELD_S = 0.004


class ScanRunner(QObject):
    """``start(reader, request)`` cancels the scan running, if any, and starts another.
    Signals: ``page(serial, records)``, ``progress(serial, scanned, total, matched)``,
    ``finished(serial, notices, error)`` (error: a sentence, or "")."""

    page = Signal(int, list)
    progress = Signal(int, int, int, int)
    finished = Signal(int, list, str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.serial = 0
        self.scan: TopicScan | None = None
        self.thread: threading.Thread | None = None

    def start(self, reader: TopicReader, request) -> int:
        """The new scan's serial; ScanError (a bad filter) is raised here, at once."""
        self.cancel()
        scan = TopicScan(reader, request)
        self.serial += 1
        serial = self.serial
        last = [0.0]

        def on_progress(p: ScanProgress) -> None:
            time.sleep(YIELD_S)  # after every fetch: the window's thread gets the GIL
            now = time.monotonic()
            if p.done or now - last[0] >= PROGRESS_EVERY_S:
                last[0] = now
                self._emit("progress", serial, p.scanned, p.total, p.matched)

        scan.on_progress = on_progress
        self.scan = scan
        self.thread = threading.Thread(
            target=self._run, args=(serial, scan), name="topic-scan", daemon=True
        )
        self.thread.start()
        return serial

    def _run(self, serial: int, scan: TopicScan) -> None:
        error = ""
        try:
            for page in scan.pages():
                if not self._emit("page", serial, page):
                    scan.cancel()  # the window is gone: nobody to show the rest to
        except Exception as exc:  # noqa: BLE001 - ScanError, ConnectionProblem: a sentence
            error = str(exc) or type(exc).__name__
        p = scan.progress
        self._emit("progress", serial, p.scanned, p.total, p.matched)
        self._emit("finished", serial, list(scan.notices), error)

    def _emit(self, name: str, *args) -> bool:
        """Emit from the scan's thread; False when the runner was deleted with its window."""
        if not shiboken6.isValid(self):
            return False
        try:
            getattr(self, name).emit(*args)
        except RuntimeError:  # deleted between the check and the emit
            return False
        return True

    def cancel(self) -> None:
        if self.scan is not None:
            self.scan.cancel()

    def running(self) -> bool:
        return self.thread is not None and self.thread.is_alive()

    def join(self, timeout: float | None = None) -> None:
        if self.thread is not None:
            self.thread.join(timeout)
