"""Dashboard rows (reference §11): what a ``dashboard_sink`` keeps, Qt-free.

A row is identified by (record key as text, ``window_start`` of the value or None); a
later record for the same row replaces it, a tombstone removes it. Past ``max_rows``
the rows of the oldest window go first (the least recently updated of that window
first), then, when only rows without a window are left, the least recently updated.

The same ``DashboardTable`` serves three readers:

- the run's final metrics (``--metrics-out``: ``rows_for_metrics``, sorted by key then
  window_start);
- the app's worker, which takes the changes since its last look (``take_changes``) at
  most twice a second: the latest value of each changed row and the rows that went,
  never one message per record;
- the app, whose mirror applies those changes (``apply_changes``) and keeps, for rows
  without a window, a short history of their values as they arrived (sparklines and
  lines have nothing else to draw over), and for windowed rows when each value arrived
  (``value_at``: what a window held at a point of its time, to compare a window still
  open with the same part of the one before).

Every row's value is a dict: a value that is not an object is kept as ``{"value": v}``.
"""

from __future__ import annotations

import bisect
import math
import time
from collections import OrderedDict, deque
from typing import Any

DEFAULT_MAX_ROWS = 1000
VIEWS = ("kpi", "bars", "line", "table")
IDENTITY_FIELDS = ("key", "window_start", "window_end")  # never a measure by default
HISTORY_POINTS = 120  # values kept per unwindowed row in the app's mirror

RowId = tuple  # (key text, window_start or None)


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def numeric_fields(value: dict) -> list[str]:
    """The fields a dashboard shows when its ``fields`` param is empty: every numeric
    field, in the value's order, except the row's identity (key and window bounds)."""
    return [name for name, v in value.items() if name not in IDENTITY_FIELDS and is_number(v)]


def as_row_value(value: Any) -> dict:
    return value if isinstance(value, dict) else {"value": value}


def scalars(value: dict) -> dict:
    """The parts of a value a panel can draw (numbers, text, booleans, null): what the
    worker sends to the app. Lists and objects inside a value stay in the worker."""
    return {k: v for k, v in value.items() if v is None or isinstance(v, (str, int, float, bool))}


def _order(ws: int | None) -> float:
    return -math.inf if ws is None else ws


class DashboardTable:
    """The rows of one dashboard, bounded by ``max_rows``."""

    def __init__(
        self,
        max_rows: int = DEFAULT_MAX_ROWS,
        *,
        track_changes: bool = False,
        history: bool = False,
    ):
        self.max_rows = max(1, int(max_rows))
        self._windows: dict[int | None, OrderedDict[str, dict]] = {}  # ws -> key -> value
        self._starts: list[int] = []  # the windows held, oldest first (None not included)
        self._size = 0
        self.version = 0  # bumped by every change
        self.updated_at = 0.0
        self._track = track_changes
        self._changed: dict[RowId, dict] = {}
        self._removed: set[RowId] = set()
        self._reset = False
        self._history: dict[str, deque] | None = {} if history else None
        self._arrivals: dict[RowId, deque] | None = {} if history else None

    # -- writing ---------------------------------------------------------------------

    def put(self, key: str, window_start: int | None, value: Any) -> None:
        value = as_row_value(value)
        rows = self._windows.get(window_start)
        if rows is None:
            rows = self._windows[window_start] = OrderedDict()
            if window_start is not None:
                bisect.insort(self._starts, window_start)
        if key in rows:
            rows.move_to_end(key)
        else:
            self._size += 1
        rows[key] = value
        if self._arrivals is not None and window_start is not None:
            arrived = self._arrivals.get((key, window_start))
            if arrived is None:
                arrived = self._arrivals[(key, window_start)] = deque(maxlen=HISTORY_POINTS)
            arrived.append((time.time() * 1000, value))
        if self._history is not None and window_start is None:
            points = self._history.get(key)
            if points is None:
                points = self._history[key] = deque(maxlen=HISTORY_POINTS)
            points.append((time.time(), value))
        if self._track:
            rid = (key, window_start)
            self._changed.pop(rid, None)  # re-inserted last: the changes keep update order
            self._changed[rid] = value
            self._removed.discard(rid)
        while self._size > self.max_rows:
            self._evict()
        self.version += 1

    def remove(self, key: str, window_start: int | None) -> bool:
        rows = self._windows.get(window_start)
        if rows is None or key not in rows:
            return False
        del rows[key]
        self._dropped(key, window_start, rows)
        self.version += 1
        return True

    def clear(self) -> None:
        self._windows.clear()
        self._starts.clear()
        self._size = 0
        self._changed.clear()
        self._removed.clear()
        self._reset = self._track
        if self._history is not None:
            self._history.clear()
        if self._arrivals is not None:
            self._arrivals.clear()
        self.version += 1

    def _evict(self) -> None:
        ws = self._starts[0] if self._starts else None
        rows = self._windows[ws]
        key, _ = rows.popitem(last=False)
        self._dropped(key, ws, rows)

    def _dropped(self, key: str, ws: int | None, rows: OrderedDict) -> None:
        self._size -= 1
        if not rows:
            del self._windows[ws]
            if ws is not None:
                del self._starts[bisect.bisect_left(self._starts, ws)]
        if self._history is not None and ws is None:
            self._history.pop(key, None)
        if self._arrivals is not None:
            self._arrivals.pop((key, ws), None)
        if self._track:
            rid = (key, ws)
            self._changed.pop(rid, None)
            self._removed.add(rid)
            if len(self._removed) > 2 * self.max_rows:
                # Far more rows went than are kept (a stream of ever new keys): the next
                # look sends the whole table instead of every row that passed through.
                self._reset = True
                self._removed.clear()

    # -- reading ---------------------------------------------------------------------

    def __len__(self) -> int:
        return self._size

    def get(self, key: str, window_start: int | None = None) -> dict | None:
        rows = self._windows.get(window_start)
        return None if rows is None else rows.get(key)

    def windows(self) -> list[int]:
        """The window starts held, oldest first."""
        return list(self._starts)

    def windowed(self) -> bool:
        return bool(self._starts)

    def newest_window(self) -> int | None:
        return self._starts[-1] if self._starts else None

    def window_rows(self, window_start: int | None) -> list[tuple[str, dict]]:
        """(key, value) of one window, least recently updated first."""
        return list(self._windows.get(window_start, {}).items())

    def rows(self) -> list[tuple[str, int | None, dict]]:
        """Every row, in eviction order (oldest window first, least recently updated first)."""
        out = []
        for ws in self._eviction_order():
            out += [(key, ws, value) for key, value in self._windows[ws].items()]
        return out

    def _eviction_order(self) -> list[int | None]:
        return [*self._starts, *([None] if None in self._windows else [])]

    def latest(self) -> tuple[str, int | None, dict] | None:
        """The newest row: of the newest window (the last updated there), else the last
        updated row without a window."""
        ws = self.newest_window()
        if ws is None and None not in self._windows:
            return None
        rows = self._windows[ws]
        key = next(reversed(rows))
        return key, ws, rows[key]

    def series(self, key: str) -> list[tuple[float, dict]]:
        """A key's values over time: (window_start in s, value) of its windowed rows, oldest
        first; for a key without windows the values as they arrived (the app's mirror)."""
        points = [
            (ws / 1000.0, self._windows[ws][key]) for ws in self._starts if key in self._windows[ws]
        ]
        if not points and self._history is not None:
            points = list(self._history.get(key, ()))
        return points

    def value_at(self, key: str, window_start: int, at_ms: float) -> dict | None:
        """The value the row held at ``at_ms`` (epoch ms) as this mirror saw it arrive;
        None when none had arrived by then, or arrivals are not kept."""
        arrived = self._arrivals.get((key, window_start)) if self._arrivals is not None else None
        held = None
        for when, value in arrived or ():
            if when > at_ms:
                break
            held = value
        return held

    def row_keys(self) -> list[str]:
        seen: dict[str, None] = {}
        for ws in self._eviction_order():
            for key in self._windows[ws]:
                seen[key] = None
        return list(seen)

    def rows_for_metrics(self) -> list[dict]:
        """reference §10: every row kept, sorted by key then window_start (null first)."""
        rows = self.rows()
        rows.sort(key=lambda r: (r[0], _order(r[1])))
        return [{"key": key, "window_start": ws, "value": value} for key, ws, value in rows]

    # -- changes between the worker and the app --------------------------------------

    def take_changes(self) -> dict | None:
        """What changed since the last call, as plain data (None: nothing): the latest
        value of every changed row, in update order, and the rows that went; the whole
        table (``reset``) when far more rows went than are kept."""
        if self._reset:
            self._reset = False
            self._changed.clear()
            self._removed.clear()
            return {
                "reset": True,
                "rows": [(k, ws, scalars(v)) for k, ws, v in self.rows()],
                "removed": [],
            }
        if not self._changed and not self._removed:
            return None
        changes = {
            "reset": False,
            "rows": [(k, ws, scalars(v)) for (k, ws), v in self._changed.items()],
            "removed": list(self._removed),
        }
        self._changed.clear()
        self._removed.clear()
        return changes

    def apply_changes(self, changes: dict) -> None:
        if changes.get("reset"):
            self.clear()
        for key, ws in changes.get("removed", ()):
            self.remove(key, ws)
        for key, ws, value in changes.get("rows", ()):
            self.put(key, ws, value)
        self.updated_at = time.time()


class DashboardSet:
    """The dashboards of one run, by node id. A run's context holds one as
    ``dashboards``; the dashboard_sink operator asks it for its table."""

    def __init__(self, *, track_changes: bool = False):
        self.tables: dict[str, DashboardTable] = {}
        self.track_changes = track_changes

    def table(self, node_id: str, max_rows: int = DEFAULT_MAX_ROWS) -> DashboardTable:
        table = self.tables.get(node_id)
        if table is None:
            table = self.tables[node_id] = DashboardTable(
                max_rows, track_changes=self.track_changes
            )
        return table

    def take_changes(self) -> dict[str, dict]:
        """{node_id: changes} of the dashboards that changed since the last call."""
        out = {}
        for node_id, table in self.tables.items():
            changes = table.take_changes()
            if changes is not None:
                out[node_id] = changes
        return out

    def as_metrics(self) -> dict[str, list[dict]]:
        return {node_id: table.rows_for_metrics() for node_id, table in self.tables.items()}

    def __bool__(self) -> bool:
        return bool(self.tables)


def window_start_of(value: Any, headers: dict | None = None) -> int | None:
    """A row's window: the value's ``window_start``, or for a tombstone the
    ``ts.window_start`` header of a retracted session (reference §6.2)."""
    if isinstance(value, dict):
        ws = value.get("window_start")
        return ws if isinstance(ws, int) and not isinstance(ws, bool) else None
    if value is None and headers:
        raw = headers.get("ts.window_start")
        if isinstance(raw, bytes):
            raw = raw.decode("utf-8", "replace")
        try:
            return int(raw) if raw is not None else None
        except (TypeError, ValueError):
            return None
    return None
