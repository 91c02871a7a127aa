"""Consumer lag and its evaluation, in the manner of Burrow.

Lag per partition = high watermark − committed offset. A partition's status is
judged over a sliding window of recent observations, not from one number:

1. any observation in the window with zero lag: OK;
2. the committed offset did not move over the window while lag stayed or grew: STALL
   (the consumer is stuck, or has stopped committing);
3. the committed offset moves but lag grew between every pair of observations: WARN
   (the consumer is falling behind);
4. otherwise OK.

A group's status is its worst partition's. Seconds behind = lag ÷ the recent consume
rate (committed offsets per second over the window); infinite when nothing moves.
"""

from __future__ import annotations

import itertools
import math
from collections import deque
from dataclasses import dataclass

OK, WARN, STALL = "OK", "WARN", "STALL"
_RANK = {OK: 0, WARN: 1, STALL: 2}


@dataclass(frozen=True)
class Observation:
    time_s: float
    committed: int
    high: int

    @property
    def lag(self) -> int:
        return max(0, self.high - self.committed)


@dataclass(frozen=True)
class PartitionLag:
    topic: str
    partition: int
    committed: int
    high: int
    lag: int
    rate: float  # committed offsets per second, recently
    seconds_behind: float
    status: str
    reason: str


class LagTracker:
    """Keeps a window of observations per (group, topic, partition) and judges them."""

    def __init__(self, window: int = 10, min_observations: int = 3):
        self.window = window
        self.min_observations = min_observations
        self._history: dict[tuple[str, str, int], deque[Observation]] = {}

    def observe(
        self, group: str, topic: str, partition: int, committed: int, high: int, now: float
    ) -> None:
        key = (group, topic, partition)
        history = self._history.get(key)
        if history is None:
            history = self._history[key] = deque(maxlen=self.window)
        committed = max(committed, 0)
        history.append(Observation(now, committed, max(high, committed)))

    def forget(self, group: str) -> None:
        for key in [k for k in self._history if k[0] == group]:
            del self._history[key]

    def partitions(self, group: str) -> list[PartitionLag]:
        out = []
        for (g, topic, partition), history in sorted(self._history.items()):
            if g != group or not history:
                continue
            last = history[-1]
            rate = consume_rate(history)
            status, reason = evaluate(history, self.min_observations)
            out.append(
                PartitionLag(
                    topic,
                    partition,
                    last.committed,
                    last.high,
                    last.lag,
                    rate,
                    seconds_behind(last.lag, rate),
                    status,
                    reason,
                )
            )
        return out

    def group_status(self, group: str) -> tuple[str, str]:
        """The worst partition status of ``group`` with its reason (OK when unknown)."""
        worst, reason = OK, "all partitions keep up"
        for p in self.partitions(group):
            if _RANK[p.status] > _RANK[worst]:
                worst, reason = p.status, f"{p.topic}[{p.partition}]: {p.reason}"
        return worst, reason


def consume_rate(history) -> float:
    if len(history) < 2:
        return 0.0
    first, last = history[0], history[-1]
    span = last.time_s - first.time_s
    return max(0.0, (last.committed - first.committed) / span) if span > 0 else 0.0


def seconds_behind(lag: int, rate: float) -> float:
    if lag <= 0:
        return 0.0
    return lag / rate if rate > 0 else math.inf


def evaluate(history, min_observations: int = 3) -> tuple[str, str]:
    """Burrow's rules over one partition's window of observations."""
    items = list(history)
    if not items:
        return OK, "no data yet"
    if any(o.lag == 0 for o in items):
        return OK, "caught up"
    if len(items) < min_observations:
        return OK, "evaluating"
    lags = [o.lag for o in items]
    if items[-1].committed == items[0].committed:
        reason = (
            f"no progress: offset {items[-1].committed} unchanged while {items[-1].lag} "
            "records wait"
        )
        return STALL, reason
    if all(b >= a for a, b in itertools.pairwise(lags)) and lags[-1] > lags[0]:
        return WARN, f"falling behind: lag grew from {lags[0]} to {lags[-1]}"
    return OK, "consuming"
