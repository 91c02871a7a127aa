"""Changelog checkpoints: at-least-once state that stays exact when a run is killed.

At each commit the changelogs get the stores' changes, the producer is flushed, then
each store partition's changelog gets one checkpoint record naming the input offsets up
to which the store has applied records (the consumer's positions then), the producer is
flushed again, and only then are the input offsets committed. A kill between the two
leaves the changelog ahead of the committed offsets; the checkpoint says by how much.

A restore applies a changelog up to its last checkpoint. What follows it was written in
an interval whose flush may not have completed, so it is dropped and those records are
processed again; unless another store of the same partition holds a later checkpoint
(the kill landed between checkpoint acknowledgements, so the flush before them had
completed), or the run got the partition back with its progress kept. Input records
below the checkpoint are then skipped as a whole: their state is in the store and their
outputs were acknowledged before the checkpoint was written. Changelogs without a
checkpoint (written before checkpoints existed) are applied whole, as before.

The checkpoint's record key is not UTF-8, so no store key (a str, written in UTF-8)
can collide with it, and compaction keeps one checkpoint per changelog partition.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

CHECKPOINT_KEY = b"\xff\xfecheckpoint"  # never the UTF-8 of a str


def encode(offsets: dict[str, int]) -> bytes:
    return json.dumps({"offsets": offsets}, separators=(",", ":")).encode("utf-8")


def decode(raw: bytes | None) -> dict[str, int]:
    if raw is None:
        return {}
    try:
        offsets = json.loads(raw)["offsets"]
        return {str(t): int(o) for t, o in offsets.items()}
    except (TypeError, ValueError, KeyError, AttributeError):
        return {}


def split(entries: list[tuple[Any, Any]]) -> tuple[list, list, dict[str, int] | None]:
    """``entries`` as read (checkpoints are ``(None, offsets)``): the entries up to the
    last checkpoint, those after it, and its offsets (None: no checkpoint, all are done)."""
    last, offsets = -1, None
    for i, (key, value) in enumerate(entries):
        if key is None:
            last, offsets = i, value
    if offsets is None:
        return entries, [], None
    done = [e for e in entries[:last] if e[0] is not None]
    return done, entries[last + 1 :], offsets


def latest(checkpoints: list[dict[str, int]]) -> dict[str, int]:
    """The highest offset of each topic among the checkpoints of one partition."""
    out: dict[str, int] = {}
    for offsets in checkpoints:
        for topic, offset in offsets.items():
            if offset > out.get(topic, -1):
                out[topic] = offset
    return out


def behind(offsets: dict[str, int], newest: dict[str, int]) -> bool:
    return any(offset < newest.get(topic, -1) for topic, offset in offsets.items())


class Skips:
    """Input records below a restored checkpoint are not processed again. While a topic
    has partitions to skip, its entry in the compiled ``entries`` is a gate (one lookup
    and one comparison per record); the gate takes itself away once every partition has
    passed its checkpoint, so the usual path pays nothing."""

    def __init__(self) -> None:
        self.entries: dict[str, Callable] = {}
        self.below: dict[str, dict[int, int]] = {}  # topic -> partition -> first offset to run
        self.skipped = 0

    def attach(self, entries: dict[str, Callable]) -> None:
        self.entries = entries

    def add(self, topic: str, partition: int, offset: int) -> None:
        below = self.below.get(topic)
        if below is None:
            run = self.entries.get(topic)
            if run is None:
                return
            below = self.below[topic] = {}
            self.entries[topic] = self._gate(topic, run, below)
        below[partition] = offset

    def floor(self, topic: str, partition: int, position: int) -> int:
        """``position``, or the skipped offset while the partition has not reached it."""
        below = self.below.get(topic)
        skip = below.get(partition, -1) if below else -1
        return max(position, skip)

    def forget(self, topic: str, partition: int) -> None:
        below = self.below.get(topic)
        if below:
            below.pop(partition, None)

    def _gate(self, topic: str, run: Callable, below: dict[int, int]) -> Callable:
        entries, gates = self.entries, self.below

        def gate(msg) -> None:
            offset = below.get(msg.partition())
            if offset is not None:
                if msg.offset() < offset:
                    self.skipped += 1
                    return
                del below[msg.partition()]
            if not below and gates.get(topic) is below:
                entries[topic] = run
                del gates[topic]
            run(msg)

        return gate
