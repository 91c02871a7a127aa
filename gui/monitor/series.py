"""Time series for the monitor's charts: fixed-size numpy ring buffers, one per line.

Qt-free. Appending is O(1); ``window(seconds)`` returns the visible slice as two
arrays (time, value) in time order, copying only what is visible.
"""

from __future__ import annotations

import numpy as np

DEFAULT_CAPACITY = 4096  # 15 minutes at 4 samples a second, with room to spare


class RingSeries:
    """One line of a chart: (time_s, value) pairs, the oldest dropped when full."""

    __slots__ = ("_size", "_start", "_t", "_v")

    def __init__(self, capacity: int = DEFAULT_CAPACITY):
        self._t = np.zeros(capacity, dtype=np.float64)
        self._v = np.zeros(capacity, dtype=np.float64)
        self._start = 0
        self._size = 0

    @property
    def capacity(self) -> int:
        return len(self._t)

    def __len__(self) -> int:
        return self._size

    def append(self, t: float, value: float) -> None:
        cap = len(self._t)
        i = (self._start + self._size) % cap
        self._t[i] = t
        self._v[i] = value
        if self._size < cap:
            self._size += 1
        else:
            self._start = (self._start + 1) % cap

    def last(self) -> tuple[float, float] | None:
        if not self._size:
            return None
        i = (self._start + self._size - 1) % len(self._t)
        return float(self._t[i]), float(self._v[i])

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """Everything, oldest first (copies)."""
        idx = (self._start + np.arange(self._size)) % len(self._t)
        return self._t[idx], self._v[idx]

    def window(self, since: float) -> tuple[np.ndarray, np.ndarray]:
        """The points with time >= ``since``, oldest first; one earlier point is kept so
        the line reaches the left edge."""
        if not self._size:
            return self._t[:0].copy(), self._v[:0].copy()
        cap = len(self._t)
        end = self._start + self._size
        # Times are appended in order: binary search the two contiguous halves as one.
        if end <= cap:
            t, v = self._t[self._start:end], self._v[self._start:end]
            k = max(0, int(np.searchsorted(t, since)) - 1)
            return t[k:].copy(), v[k:].copy()
        head_t, tail_t = self._t[self._start:], self._t[:end - cap]
        h = len(head_t)
        if head_t[-1] >= since:
            first = int(np.searchsorted(head_t, since))
        else:
            first = h + int(np.searchsorted(tail_t, since))
        k = max(0, first - 1)
        if k >= h:
            return tail_t[k - h:].copy(), self._v[k - h:end - cap].copy()
        return (np.concatenate((head_t[k:], tail_t)),
                np.concatenate((self._v[self._start + k:], self._v[:end - cap])))

    def clear(self) -> None:
        self._start = self._size = 0


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
