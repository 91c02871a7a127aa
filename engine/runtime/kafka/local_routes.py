"""When repartitioned records may reach their aggregate in-process (``engine.runtime.repartition.handoff``).

The routes become local only when

- the run holds every partition of every topic it reads: it is its consumer group's only
  member, so no other instance writes to the repartition topics or reads from them;
- every record ever written to the repartition topics has been read and processed, so
  nothing written before, by this run, an earlier one or another instance, is overtaken by
  a record handed over in-process. While records flow that is never so at a given moment
  (what was written a moment ago is still on its way back), so the run *drains* them: it pauses every partition but the repartition topics', goes on reading
  those, and when its positions reach their partitions' end offsets (as fetches made after a
  flush report them: every record written has been acknowledged) the routes become local and
  the paused partitions resume. An aggregate read from one repartition topic may write
  to another: the positions must stand still from the flush to the end. A drain
  starts only when what is left to read there looks small (DRAIN_AT_MOST records, by the
  offsets of the latest fetches); one that has not finished within DRAIN_S resumes the
  partitions, and the run tries again CHECK_EVERY_S later.

They stop being local at any rebalance, in the consumer's callbacks, before the next
record is read: the records are then written to the topics again, and whichever instance
gets a partition finds every record before its position processed. Only at-least-once
runs hand records over; exactly-once runs keep each record's trip through the topic in
their transactions.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from confluent_kafka import KafkaException, TopicPartition

from engine.runtime.repartition.handoff import Handoff

CHECK_EVERY_S = 5.0  # after a try, before the next
DRAIN_S = 3.0  # the longest the other partitions stay paused for a drain
DRAIN_AT_MOST = 50_000  # records left in the repartition topics for a drain to start
COUNTS_FOR_S = 30.0  # the topics' partition counts are asked again after this
ASK_S = 1.0  # the longest the loop waits for the broker's metadata
FRESH_S = 0.35  # fetches made in this time after a flush report every record it waited for


class LocalRoutes:
    """Decides when the run's ``Handoff`` routes are local: ``turn`` after each batch
    (``check`` whether a drain may start, at most every CHECK_EVERY_S; ``step`` while
    ``draining``), ``leave`` at any rebalance, ``fill`` the positions the committer reads.
    ``handoff`` is what the compiler gives the writers (None: ``enabled`` is False, every
    record goes through its topic). ``attach`` gives it the topics the run reads (every
    partition of each must be held) and the committer's offsets, for partitions the consumer
    has not read from yet. ``say`` tells the run's console when the routes become local
    and when they stop being so."""

    def __init__(self, enabled: bool = True, say: Callable[[str], None] | None = None):
        self._handoff = Handoff()
        self.say = say
        self.handoff = self._handoff if enabled else None
        self.topics: list[str] = []
        self.committed: dict[tuple[str, int], int] = {}
        self.next_check = 0.0
        self.counts: dict[str, int] = {}
        self.counts_until = 0.0
        self.draining = False
        self.drain_until = 0.0
        self.paused: list[TopicPartition] = []
        self.last: dict[tuple[str, int], int] = {}  # positions at the last step
        self.settled: float | None = None  # flushed with the positions at rest: when to look
        self.reached: dict[tuple[str, int], int] = {}  # where the last drain read them to

    def attach(
        self, topics: list[str], committed: dict[tuple[str, int], int]
    ) -> LocalRoutes | None:
        """Once compiled. None when no writer asked for a route (or handing over is off):
        there is nothing to decide."""
        if self.handoff is None or not self.handoff.routes:
            return None
        self.topics, self.committed = list(topics), committed
        return self

    def leave(self, *_args) -> None:
        """A rebalance: the records go through the topics again (a drain under way ends:
        the partitions it paused are the consumer's no more)."""
        if self._handoff.local:
            self._tell(f"records written to {self._names()} again (the group's partitions move)")
        self._handoff.leave()
        self.draining, self.paused, self.settled = False, [], None
        self.next_check = 0.0  # the next turn may try

    def turn(self, consumer, producer, now: float, flow_paused: bool) -> bool:
        """Every loop turn, after the batch: a step of the drain under way, or a check
        when one is due and the run reads at all (``flow_paused``: the run's flow control
        holds every partition). True while draining: the flow control then waits."""
        if self.draining:
            self.step(consumer, producer, now)
            return self.draining
        if now >= self.next_check and not flow_paused and not self._handoff.local:
            self.check(consumer, now)
        return self.draining

    def check(self, consumer, now: float) -> None:
        """Starts a drain when the run holds every partition and little is left to read in
        the repartition topics (module docstring)."""
        routes = self._handoff.routes
        if self._handoff.local or self.draining or not routes:
            return
        try:
            assignment = consumer.assignment()
            if not assignment:  # not yet, or between rebalances
                return
            self.next_check = now + CHECK_EVERY_S
            counts = self._counts(consumer, now)
            if counts is None or not self._holds_all(assignment, counts):
                return
            if self._left(consumer) > DRAIN_AT_MOST:
                return
            self.paused = [tp for tp in assignment if tp.topic not in routes]
            consumer.pause(self.paused)
        except KafkaException:
            return
        self.draining, self.settled, self.drain_until = True, None, now + DRAIN_S

    def step(self, consumer, producer, now: float) -> None:
        """While draining, after each batch. Once the positions in the repartition topics stop
        moving (records read may have written to another repartition topic), flush: every
        record written is acknowledged, and no new one can be written while they stand
        still. Fetches made FRESH_S after that report end offsets that count them all; when
        the positions, still unmoved, have reached those, the routes become local. Else
        wait, or give up at DRAIN_S."""
        try:
            positions = self._positions(consumer)
            if positions != self.last or self.settled is None:
                self.last = positions
                self.settled = now + FRESH_S if producer.flush(0.1) == 0 else None
            elif now >= self.settled and _reached(positions, self._fetched_ends(consumer)):
                self.reached = positions
                self._handoff.enter({t: self.counts[t] for t in self._handoff.routes})
                self._resume(consumer)
                self._tell(
                    "records handed to the aggregates in-process while this run holds every "
                    f"partition ({self._names()} read to its end)"
                )
                return
        except KafkaException:
            self._resume(consumer)
            return
        if now >= self.drain_until:
            self._resume(consumer)

    def fill(self, positions: list[TopicPartition]) -> list[TopicPartition]:
        """The consumer's ``positions`` with those it has none of in the repartition topics
        (nothing read there since the routes became local) set to where the drain read them
        to: what the stores have applied, for their checkpoints and the commit."""
        if self._handoff.local:
            at = self.reached
            for tp in positions:
                if tp.offset < 0 and (tp.topic, tp.partition) in at:
                    tp.offset = at[(tp.topic, tp.partition)]
        return positions

    def _tell(self, text: str) -> None:
        if self.say is not None:
            self.say(f"repartition: {text}")

    def _names(self) -> str:
        return ", ".join(sorted(self._handoff.routes))

    def _resume(self, consumer) -> None:
        try:
            consumer.resume(self.paused)
        except KafkaException:
            pass
        self.draining, self.paused, self.settled = False, [], None

    def _counts(self, consumer, now: float) -> dict[str, int] | None:
        if now >= self.counts_until or any(t not in self.counts for t in self.topics):
            metadata = consumer.list_topics(timeout=ASK_S).topics
            self.counts = {
                t: len(metadata[t].partitions)
                for t in self.topics
                if t in metadata and metadata[t].error is None
            }
            self.counts_until = now + COUNTS_FOR_S
        if any(t not in self.counts for t in [*self.topics, *self._handoff.routes]):
            return None
        return self.counts

    def _holds_all(self, assignment: list[TopicPartition], counts: dict[str, int]) -> bool:
        held = Counter(tp.topic for tp in assignment)
        return all(held[t] == counts[t] for t in self.topics)

    def _partitions(self) -> list[TopicPartition]:
        return [
            TopicPartition(topic, p)
            for topic in self._handoff.routes
            for p in range(self.counts[topic])
        ]

    def _left(self, consumer) -> int:
        """About how many records are left to read in the repartition topics, by the end
        offsets of the latest fetches (0 where none was made)."""
        left = 0
        for tp in consumer.position(self._partitions()):
            try:
                high = consumer.get_watermark_offsets(tp, cached=True)[1]
            except KafkaException:
                continue
            if tp.offset >= 0 and high > tp.offset:
                left += high - tp.offset
        return left

    def _positions(self, consumer) -> dict[tuple[str, int], int]:
        """Where the run is in each repartition partition: its position, else (it has read
        nothing there yet) the offset last committed, else where it starts reading (the
        first offset the partition holds, as the latest fetch told; -1 before any)."""
        out = {}
        for tp in consumer.position(self._partitions()):
            key = (tp.topic, tp.partition)
            if tp.offset >= 0:
                out[key] = tp.offset
            elif key in self.committed:
                out[key] = self.committed[key]
            else:
                low = consumer.get_watermark_offsets(tp, cached=True)[0]
                out[key] = low if low is not None and low >= 0 else -1
        return out

    def _fetched_ends(self, consumer) -> dict[tuple[str, int], int]:
        """Each repartition partition's end offset as the latest fetch response told it (the
        sandbox's answers to offset queries can lag behind it; fetch responses are exact):
        no answer yet is an end not reached."""
        ends = {}
        for tp in self._partitions():
            high = consumer.get_watermark_offsets(tp, cached=True)[1]
            ends[(tp.topic, tp.partition)] = high if high is not None and high >= 0 else 1 << 62
        return ends


def _reached(positions: dict[tuple[str, int], int], ends: dict[tuple[str, int], int]) -> bool:
    return all(positions[tp] >= end for tp, end in ends.items())
