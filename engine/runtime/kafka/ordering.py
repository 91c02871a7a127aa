"""Timestamp order across partitions, for topologies with joins: as Kafka Streams picks the
partition whose next record is oldest (here within each consumed batch)."""

from __future__ import annotations

import heapq


def by_timestamp(msgs: list) -> list:
    """Messages merged across partitions by timestamp, each partition's order kept."""
    groups: dict[tuple[str, int], list] = {}
    for msg in msgs:
        groups.setdefault((msg.topic(), msg.partition()), []).append(msg)
    if len(groups) < 2:
        return msgs
    return list(heapq.merge(*groups.values(), key=_timestamp_of))


def _timestamp_of(msg) -> int:
    return msg.timestamp()[1]
