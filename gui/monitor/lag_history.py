"""Consumer lag of one group over time: per partition, in records and in seconds
behind, with the group's OK/WARN/STALL status judged by ``engine.lag.LagTracker``.

Qt-free. Fed with (committed, high) per partition from any source: the cluster's
committed offsets (``ClusterClient.group_lag``) for any group, including the app's own.
"""

from __future__ import annotations

import math
import time

from engine.cluster.lag import OK, LagTracker, PartitionLag
from gui.monitor.series import SeriesSet


def partition_label(topic: str, partition: int) -> str:
    return f"{topic}[{partition}]"


class GroupLagHistory:
    def __init__(self, group: str = "", capacity: int = 4096, window: int = 10):
        self.group = group
        self.tracker = LagTracker(window=window)
        self.records = SeriesSet(capacity)
        self.seconds = SeriesSet(capacity)
        self.partitions: list[PartitionLag] = []
        self.status, self.reason = OK, "no data yet"
        self.updated_at: float | None = None

    def observe(
        self,
        offsets: dict[tuple[str, int], tuple[int, int]],
        now: float | None = None,
        wall: float | None = None,
    ) -> None:
        """One observation of the whole group: {(topic, partition): (committed, high)}.
        ``now`` is a monotonic clock for rates; ``wall`` the epoch time for the charts."""
        now = time.monotonic() if now is None else now
        wall = time.time() if wall is None else wall
        for (topic, partition), (committed, high) in offsets.items():
            self.tracker.observe(self.group, topic, partition, committed, high, now)
        self.partitions = [
            p for p in self.tracker.partitions(self.group) if (p.topic, p.partition) in offsets
        ]
        self.records.append(
            wall, {partition_label(p.topic, p.partition): float(p.lag) for p in self.partitions}
        )
        # Infinite seconds behind (nothing moves) is drawn as a gap rather than a spike.
        self.seconds.append(
            wall,
            {
                partition_label(p.topic, p.partition): (
                    p.seconds_behind if math.isfinite(p.seconds_behind) else math.nan
                )
                for p in self.partitions
            },
        )
        self.status, self.reason = self.tracker.group_status(self.group)
        self.updated_at = wall

    def total_lag(self) -> int:
        return sum(p.lag for p in self.partitions)

    def clear(self, group: str | None = None) -> None:
        self.tracker.forget(self.group)
        if group is not None:
            self.group = group
        self.records.clear()
        self.seconds.clear()
        self.partitions = []
        self.status, self.reason = OK, "no data yet"
        self.updated_at = None
