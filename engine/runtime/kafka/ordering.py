"""How a consumed batch reaches the entries of its topics (``dispatcher``), and timestamp
order across partitions, for topologies with joins: as Kafka Streams picks the partition
whose next record is oldest (here within each consumed batch)."""

from __future__ import annotations

import heapq
from collections.abc import Callable


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


def dispatcher(entries: dict, on_error) -> Callable[[list], None]:
    """What hands a batch's messages to the entries of their topics (``on_error`` takes
    those that are errors). A run reading one topic looks its entry up once a batch, not
    each message's topic (a new string, hashed for the lookup). Entries change between
    batches only (checkpoints.Skips: a gate while restored partitions are skipped)."""
    if len(entries) == 1:
        (topic,) = entries

        def one_topic(msgs: list) -> None:
            entry = entries[topic]
            for msg in msgs:
                if msg.error() is None:
                    entry(msg)
                else:
                    on_error(msg.error())

        return one_topic

    def by_topic(msgs: list) -> None:
        for msg in msgs:
            if msg.error() is None:
                entries[msg.topic()](msg)
            else:
                on_error(msg.error())

    return by_topic
