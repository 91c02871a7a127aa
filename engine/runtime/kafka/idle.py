"""How long a run has had nothing to read, for ``--until-idle``.

Idle time counts only while the run could read: connected, assigned and restored. Time
spent restoring state, waiting for an assignment, or with the brokers away does not
count (it used to: a restarted run stopped before reading its input, and one whose
broker was paused stopped with its input unread). Before the run stops for idleness,
the brokers are asked whether anything is left to read (``Idleness.confirm``)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from collections.abc import Set as AbstractSet

from confluent_kafka import KafkaException, TopicPartition


class IdleClock:
    """``input(now)`` on every consumed batch; ``tick(now, ready)`` every loop turn."""

    def __init__(self) -> None:
        self.assigned = False  # assigned and restored
        self.idle_s = 0.0
        self.last_input = 0.0  # when a record came last (or the run was assigned)
        self._last: float | None = None

    def input(self, now: float) -> None:
        self.idle_s = 0.0
        self.last_input = self._last = now

    def tick(self, now: float, ready: bool) -> float:
        """Counts the time since the last tick if the run could read all along; else starts
        again from zero. Returns the idle seconds."""
        if ready and self.assigned and self._last is not None:
            self.idle_s += now - self._last
        else:
            self.idle_s = 0.0
        self._last = now
        return self.idle_s


class IdleWatch:
    """Decides when a run with ``--until-idle`` is done: idle long enough while ``ready()``
    (connected, nothing waiting for acknowledgement), then ``left()`` asked of the brokers
    says nothing is left to read (None: they did not answer, or input is still being
    generated), else the idle time starts again."""

    def __init__(self, clock: IdleClock, ready: Callable[[], bool], left: Callable[[], int | None]):
        self.clock = clock
        self.ready = ready
        self.left = left

    def done(self, now: float, until_idle: float) -> bool:
        if self.clock.tick(now, self.ready()) < until_idle:
            return False
        if self.left() == 0:
            return True
        self.clock.input(time.monotonic())
        return False


def unread(
    consumer,
    committed: dict[tuple[str, int], int],
    topics: Iterable[str] = (),
    latest_topics: AbstractSet[str] = frozenset(),
    timeout: float = 2.0,
) -> int | None:
    """Records the brokers hold beyond the group's positions in every partition of
    ``topics``, asked of the brokers themselves (not the cached watermarks); None when they
    do not answer within ``timeout``.

    A partition assigned to the run counts from the consumer's position, or its committed
    offset before it has read any. A partition the run does not hold now counts from the
    group's committed offset: another instance reads it, or nobody does yet (a member the
    brokers have not yet dropped after a pause can hold partitions for a session timeout,
    and a run that stopped then left them unread). With no committed offset a partition
    counts from its start, except in sources read from ``latest``: nothing."""
    try:
        assignment = consumer.assignment()
        positions = consumer.position(assignment) if assignment else []
        held = {(tp.topic, tp.partition) for tp in positions}
        others = [
            TopicPartition(topic, partition)
            for topic in topics
            for partition in _partitions(consumer, topic, timeout)
            if (topic, partition) not in held
        ]
        if others:
            positions = [*positions, *consumer.committed(others, timeout=timeout)]
    except (KafkaException, RuntimeError, LookupError):
        return None
    total = 0
    for tp in positions:
        try:
            low, high = consumer.get_watermark_offsets(
                TopicPartition(tp.topic, tp.partition), timeout=timeout, cached=False
            )
            # Some brokers (the sandbox) answer offset queries with a mark below the one
            # their fetch responses carry: the higher of the two is the end of the log.
            _, fetched = consumer.get_watermark_offsets(tp, cached=True)
            high = max(high, fetched if fetched is not None else -1)
        except (KafkaException, RuntimeError):
            return None
        at = tp.offset if tp.offset >= 0 else committed.get((tp.topic, tp.partition))
        if at is None and tp.topic not in latest_topics:
            at = low
        if at is not None and high > at:
            total += high - at
    return total


def _partitions(consumer, topic: str, timeout: float) -> list[int]:
    """The partition numbers of ``topic`` as the brokers know them (LookupError if they
    do not know it)."""
    metadata = consumer.list_topics(topic, timeout=timeout).topics[topic]
    if metadata.error is not None:
        raise LookupError(topic)
    return sorted(metadata.partitions)
