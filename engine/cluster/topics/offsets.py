"""Resetting a consumer group's committed offsets (reference §9.12), with a preview.

``plan`` works out, per partition, the committed offset now and the new one (earliest,
latest, an offset clamped into the log, or the first record at or after a time) and so the
records the group would read again (new < current) or skip (new > current). ``apply``
commits the plan, and refuses while the group is not empty, judged by its state as Kafka's
own kafka-consumer-groups tool does (only an Empty or Dead group is reset): a broker may
describe an active group as Stable with no members listed, and it is still active.

End offsets and time look-ups are those of the topic reader (``reader.end_offsets``,
``reader.offsets_for_time``); a time the broker answers with an earlier offset than asked
is found by reading the record timestamps from there.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from confluent_kafka import (
    ConsumerGroupState,
    ConsumerGroupTopicPartitions,
    KafkaException,
    TopicPartition,
)
from confluent_kafka.admin import AdminClient

from engine.cluster import rotation
from engine.cluster.admin import ConnectionProblem, explain
from engine.cluster.groups import CommittedOffsets, describe_group, with_own_admin
from engine.cluster.topics.positions import Start, StartKind
from engine.cluster.topics.reader import TopicReader
from engine.cluster.topics.watermarks import end_offsets, offsets_for_time

ACTIVE_STATES = frozenset(
    {
        ConsumerGroupState.STABLE,
        ConsumerGroupState.PREPARING_REBALANCING,
        ConsumerGroupState.COMPLETING_REBALANCING,
    }
)


class ResetError(RuntimeError):
    """A reset that cannot be planned or applied; the message says why and what to do."""


@dataclass(frozen=True)
class PartitionReset:
    topic: str
    partition: int
    current: int | None  # the committed offset; None: the group has none here
    new: int

    @property
    def replayed(self) -> int:
        return max(0, self.current - self.new) if self.current is not None else 0

    @property
    def skipped(self) -> int:
        return max(0, self.new - self.current) if self.current is not None else 0

    def as_dict(self) -> dict:
        return {
            "topic": self.topic,
            "partition": self.partition,
            "current": self.current,
            "new": self.new,
            "replayed": self.replayed,
            "skipped": self.skipped,
        }


@dataclass
class ResetPlan:
    group: str
    state: str  # the group's state as the broker describes it, e.g. EMPTY, STABLE
    members: int
    partitions: list[PartitionReset]
    notes: list[str] = field(default_factory=list)  # sentences about the position asked for

    @property
    def active(self) -> bool:
        return self.state in {s.name for s in ACTIVE_STATES} or self.members > 0


class OffsetResetter:
    """Plans and applies resets on one cluster."""

    def __init__(self, reader: TopicReader):
        self.reader = reader
        self._bounds: dict[tuple[str, int], tuple[int, int]] = {}
        self._first_at_start: dict[tuple[str, int], int] = {}  # timestamps of first records

    def describe(self, group: str) -> tuple[str, int]:
        """(state name, number of members) of ``group``."""
        try:
            found = describe_group(dict(self.reader.config), group)
        except KafkaException as exc:
            err = exc.args[0]
            if "GROUP_ID_NOT_FOUND" in err.name() or "not found" in err.str().lower():
                return "DEAD", 0
            raise ConnectionProblem(explain(err, self.reader.bootstrap)) from None
        state = found.state.name if found.state is not None else "UNKNOWN"
        return state, len(found.members or [])

    def committed(self, group: str) -> dict[tuple[str, int], int]:
        offsets = CommittedOffsets(dict(self.reader.config))
        try:
            return offsets.read(group)
        except KafkaException as exc:
            raise ConnectionProblem(explain(exc.args[0], self.reader.bootstrap)) from None
        finally:
            offsets.close()

    def plan(self, group: str, to: Start, topic: str | None = None) -> ResetPlan:
        self._first_at_start.clear()
        state, members = self.describe(group)
        committed = self.committed(group)
        consumer = self.reader.consumer()
        followed: list[str] = []  # not rotated under this consumer (engine.cluster.rotation)
        try:
            if topic is not None:
                partitions = [(topic, p) for p in self.reader.partitions_of(consumer, topic)]
            else:
                partitions = sorted(committed)
                if not partitions:
                    raise ResetError(
                        f"the group '{group}' has no committed offsets: name the topic to "
                        "reset with --topic"
                    )
            topics = sorted({t for t, _ in partitions})
            news: dict[tuple[str, int], int] = {}
            for name in topics:
                rotation.follow([name])
                followed.append(name)
                numbers = [p for t, p in partitions if t == name]
                news.update(
                    {(name, p): o for p, o in self._new(consumer, name, numbers, to).items()}
                )
        finally:
            consumer.close()
            rotation.unfollow(followed)
        plan = ResetPlan(
            group,
            state,
            members,
            [PartitionReset(t, p, committed.get((t, p)), news[(t, p)]) for t, p in partitions],
        )
        if to.kind is StartKind.TIME:
            plan.notes = self._time_notes(plan, to)
        return plan

    def _time_notes(self, plan: ResetPlan, to: Start) -> list[str]:
        """A time after every record, or before every record, is said."""
        bounds = self._bounds
        filled = [
            r
            for r in plan.partitions
            if bounds[(r.topic, r.partition)][1] > bounds[(r.topic, r.partition)][0]
        ]
        if not filled:
            return []
        if all(r.new == self._bounds[(r.topic, r.partition)][1] for r in filled):
            return [
                (
                    f"no record is at or after {to.describe()}: the time is after the end of "
                    "every partition, so the group would start at their ends"
                )
            ]
        if all(r.new == self._bounds[(r.topic, r.partition)][0] for r in filled) and all(
            self._first_at_start.get((r.topic, r.partition), -1) > to.value for r in filled
        ):
            return [
                (
                    f"{to.describe()} is before the first record of every partition: the group "
                    "would start at their beginnings"
                )
            ]
        return []

    def _new(self, consumer, topic: str, partitions: list[int], to: Start) -> dict[int, int]:
        ends = end_offsets(consumer, topic, partitions)
        self._bounds.update({(topic, p): ends[p] for p in partitions})
        if to.kind is StartKind.EARLIEST:
            return {p: ends[p][0] for p in partitions}
        if to.kind is StartKind.LATEST:
            return {p: ends[p][1] for p in partitions}
        if to.kind is StartKind.OFFSET:
            return {p: min(max(to.value, ends[p][0]), ends[p][1]) for p in partitions}
        found = offsets_for_time(consumer, topic, partitions, to.value)
        out = {}
        for p in partitions:
            low, end = ends[p]
            offset = found.get(p, -1)
            if offset < 0:
                out[p] = end  # no record at or after the time: as Kafka's tool, the end
            else:
                out[p], stamp = first_at_or_after(
                    consumer, topic, p, max(offset, low), end, to.value
                )
                if out[p] == low < end and stamp is not None:
                    self._first_at_start[(topic, p)] = stamp
        return out

    def apply(self, plan: ResetPlan) -> None:
        """Commit ``plan``; ResetError when the group is active or the broker refuses."""
        state, members = self.describe(plan.group)
        if state in {s.name for s in ACTIVE_STATES} or members:
            raise ResetError(
                f"the group '{plan.group}' is not empty (state {state}"
                f"{f', {members} members' if members else ''}): stop its consumers, then reset; "
                "--dry-run shows the reset without applying it"
            )
        request = ConsumerGroupTopicPartitions(
            plan.group, [TopicPartition(r.topic, r.partition, r.new) for r in plan.partitions]
        )

        def work(admin: AdminClient) -> ConsumerGroupTopicPartitions:
            futures = admin.alter_consumer_group_offsets([request], request_timeout=15)
            return futures[plan.group].result(timeout=17)

        try:
            result = with_own_admin(dict(self.reader.config), work)
        except KafkaException as exc:
            raise ConnectionProblem(explain(exc.args[0], self.reader.bootstrap)) from None
        for tp in result.topic_partitions or []:
            if tp.error is not None:
                raise ResetError(
                    f"the broker refused the reset of {tp.topic} [{tp.partition}]: {tp.error.str()}"
                )


def first_at_or_after(
    consumer, topic: str, partition: int, start: int, end: int, when: int
) -> tuple[int, int | None]:
    """The first offset from ``start`` whose record is at or after ``when`` (ms), with that
    record's timestamp; ``(end, None)`` when none is."""
    if start >= end:
        return end, None
    consumer.assign([TopicPartition(topic, partition, start)])
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            messages = consumer.consume(1000, timeout=0.5)
            for m in messages:
                if m.error() is not None:
                    continue
                if m.offset() >= end:
                    return end, None
                if m.timestamp()[1] >= when:
                    return m.offset(), m.timestamp()[1]
            if not messages:
                position = consumer.position([TopicPartition(topic, partition)])[0].offset
                if position >= end:
                    return end, None
    finally:
        consumer.unassign()
    return end, None
