"""The run's log: console output, status changes, errors and dead letters, bounded.

Qt-free. The log panel (``qt_log``) shows it through a table model.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass

from engine.model.status import RunStatus

CONSOLE, STATUS, ERROR, DEAD_LETTER = "console", "status", "error", "dead letter"
KINDS = (CONSOLE, STATUS, ERROR, DEAD_LETTER)
MAX_ENTRIES = 5000


@dataclass(frozen=True, slots=True)
class LogEntry:
    time: float  # seconds since the epoch
    kind: str
    source: str  # node id, or "" for the run as a whole
    text: str
    detail: str = ""


class LogBook:
    """At most ``limit`` entries, the oldest dropped first."""

    def __init__(self, limit: int = MAX_ENTRIES):
        self.limit = limit
        self.entries: deque[LogEntry] = deque()

    def add(self, entries: list[LogEntry]) -> int:
        """Append; returns how many of the oldest entries were dropped to stay bounded."""
        if len(entries) > self.limit:
            entries = entries[-self.limit :]
        self.entries.extend(entries)
        dropped = max(0, len(self.entries) - self.limit)
        for _ in range(dropped):
            self.entries.popleft()
        return dropped

    def clear(self) -> None:
        self.entries.clear()

    def __len__(self) -> int:
        return len(self.entries)


def console_entries(lines: list[tuple[str, str]], now: float | None = None) -> list[LogEntry]:
    now = time.time() if now is None else now
    return [LogEntry(now, CONSOLE, node, text) for node, text in lines]


def status_entry(status: str, reason: str, now: float | None = None) -> LogEntry:
    now = time.time() if now is None else now
    kind = ERROR if status in (RunStatus.FAILED, RunStatus.DISCONNECTED) else STATUS
    return LogEntry(now, kind, "", f"{status}{': ' + reason if reason else ''}")


def dead_letter_entries(items: list[dict], now: float | None = None) -> list[LogEntry]:
    now = time.time() if now is None else now
    out = []
    for item in items:
        where = f"{item.get('topic')}[{item.get('partition')}]@{item.get('offset')}"
        detail = f"key: {item.get('key')!r}\nvalue: {item.get('value')!r}"
        out.append(
            LogEntry(
                now,
                DEAD_LETTER,
                str(item.get("node") or ""),
                f"{item.get('error')} — {where}",
                detail,
            )
        )
    return out
