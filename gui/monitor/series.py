"""Time series for the monitor's charts: fixed-size numpy ring buffers, one per line.

Qt-free. Appending is O(1). Every point is stored twice, at ``i`` and ``i + capacity``,
so the newest ``n`` points are always one contiguous stretch of memory: ``window(since)``
returns the visible slice as two numpy views (time, value) in time order, without
copying or concatenating. A view stays valid until the ring overwrites its oldest
point — at least ``capacity - len(view)`` appends later; copy it to keep it longer.
"""

from __future__ import annotations

import numpy as np

DEFAULT_CAPACITY = 4096  # 15 minutes at 4 samples a second, with room to spare


class RingSeries:
    """One line of a chart: (time_s, value) pairs, the oldest dropped when full."""

    __slots__ = ("_cap", "_size", "_start", "_t", "_v", "version")

    def __init__(self, capacity: int = DEFAULT_CAPACITY):
        self._cap = capacity
        self._t = np.zeros(2 * capacity, dtype=np.float64)
        self._v = np.zeros(2 * capacity, dtype=np.float64)
        self._start = 0
        self._size = 0
        self.version = 0  # bumped by every change: a chart redraws a line only when it moved

    @property
    def capacity(self) -> int:
        return self._cap

    def __len__(self) -> int:
        return self._size

    def append(self, t: float, value: float) -> None:
        cap = self._cap
        i = (self._start + self._size) % cap
        self._t[i] = self._t[i + cap] = t
        self._v[i] = self._v[i + cap] = value
        if self._size < cap:
            self._size += 1
        else:
            self._start = (self._start + 1) % cap
        self.version += 1

    def last(self) -> tuple[float, float] | None:
        if not self._size:
            return None
        i = self._start + self._size - 1
        return float(self._t[i]), float(self._v[i])

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """Everything, oldest first (copies)."""
        end = self._start + self._size
        return self._t[self._start : end].copy(), self._v[self._start : end].copy()

    def window(self, since: float) -> tuple[np.ndarray, np.ndarray]:
        """Views of the points with time >= ``since``, oldest first; one earlier point is
        kept so the line reaches the left edge."""
        start, end = self._start, self._start + self._size
        t = self._t[start:end]  # times are appended in order: binary search
        k = start + max(0, int(np.searchsorted(t, since)) - 1)
        return self._t[k:end], self._v[k:end]

    def clear(self) -> None:
        self._start = self._size = 0
        self.version += 1


class SeriesSet:
    """Named lines sharing one clock, e.g. throughput per node or lag per partition."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY):
        self.capacity = capacity
        self.lines: dict[str, RingSeries] = {}
        self.latest_time = 0.0

    def append(self, t: float, values: dict[str, float]) -> list[str]:
        """Add one point per named value; returns names seen for the first time."""
        new = []
        for name, value in values.items():
            line = self.lines.get(name)
            if line is None:
                line = self.lines[name] = RingSeries(self.capacity)
                new.append(name)
            line.append(t, value)
        self.latest_time = max(self.latest_time, t)
        return new

    def names(self) -> list[str]:
        return list(self.lines)

    def window(self, name: str, seconds: float) -> tuple[np.ndarray, np.ndarray]:
        return self.lines[name].window(self.latest_time - seconds)

    def clear(self) -> None:
        self.lines.clear()
        self.latest_time = 0.0
