"""What happens when the consumer group assigns, revokes or loses partitions.

On assignment: the committed offsets are remembered (sources that start at ``latest``
and have none start at the end), the stores fed by the partitions are restored from
their changelogs, and only then are the partitions assigned, so no record is processed
before its state is back; the idle clock starts after that. On revocation: everything
acknowledged is committed first. On loss: nothing can be committed any more; the stores
are dropped, and the partitions are remembered in ``lost`` so that a run stopping
before it gets them back still reports what it left unread.

A partition lost while the brokers were away (the session timed out) often comes back
to the same instance once they answer. If nobody committed it in between and every
record the run wrote for it has been acknowledged since, the run keeps its progress:
it goes on from where it was and commits that position at once, rather than read again
(and write twice) everything since its last commit. At-least-once only; exactly-once
runs leave it to their transactions."""

from __future__ import annotations

import time
from collections.abc import Callable

from confluent_kafka import OFFSET_END, KafkaException, TopicPartition

from engine.runtime.kafka.committer import Committer
from engine.runtime.kafka.errors import RunFailedError
from engine.runtime.kafka.idle import IdleClock
from engine.runtime.kafka.lifecycle import STOP_GRACE_S, RunState
from engine.runtime.kafka.restore import ChangelogReader
from engine.runtime.kafka.state_manager import StateManager


class AssignmentHandler:
    """The consumer's ``on_assign``, ``on_revoke`` and ``on_lost`` callbacks."""

    def __init__(
        self,
        state: RunState,
        committer: Committer,
        stores: StateManager,
        changelogs: ChangelogReader,
        idle: IdleClock,
        latest_topics: set[str],
        *,
        keep_progress: bool = True,
        acknowledged: Callable[[], bool] = lambda: False,
        on_assigned: Callable[[object, list], None] = lambda consumer, tps: None,
        on_rebalance: Callable[[], None] | None = None,
    ):
        self.state = state
        self.committer = committer
        self.stores = stores
        self.changelogs = changelogs
        self.idle = idle
        self.latest_topics = latest_topics
        self.lost: set[tuple[str, int]] = set()
        self.keep_progress = keep_progress
        self.acknowledged = acknowledged
        self.on_assigned = on_assigned
        # First thing in every callback: repartitioned records go through their topics
        # again (engine.runtime.kafka.local_routes).
        self.on_rebalance = on_rebalance or (lambda: None)
        # Lost partitions: (position when lost, offset committed then or None).
        self.orphans: dict[tuple[str, int], tuple[int, int | None]] = {}
        self.kept = 0  # records not read again thanks to kept progress

    def on_assign(self, consumer, partitions: list[TopicPartition]) -> None:
        self.on_rebalance()
        self.idle.assigned = False
        try:
            committed = consumer.committed(partitions, timeout=10)
        except KafkaException:
            committed = partitions
        kept = self.take_back(committed)
        for tp in committed:
            if (tp.topic, tp.partition) in kept:
                continue
            if tp.offset >= 0:
                self.committer.committed[(tp.topic, tp.partition)] = tp.offset
            elif tp.topic in self.latest_topics:
                tp.offset = OFFSET_END
        self.changelogs.restore(partitions, kept)
        consumer.assign(committed)
        if kept:
            offsets = [TopicPartition(t, p, offset) for (t, p), offset in kept.items()]
            try:
                consumer.commit(offsets=offsets, asynchronous=False)
                self.committer.remember(offsets)
            except KafkaException:
                pass  # committed with the next interval; the outputs are acknowledged anyway
        self.on_assigned(consumer, committed)
        self.lost -= {(tp.topic, tp.partition) for tp in partitions}
        self.idle.assigned = True
        self.idle.input(time.monotonic())  # restoring was not idleness

    def on_revoke(self, consumer, partitions: list[TopicPartition]) -> None:
        self.on_rebalance()
        try:
            if self.state.stopping:  # shutting down: the final commit already waited
                self.committer.commit(final=True)
            else:
                self.committer.commit(wait_until=time.monotonic() + STOP_GRACE_S)
        except RunFailedError as exc:
            self.state.fail(str(exc))
        self.drop(consumer, partitions)

    def on_lost(self, consumer, partitions: list[TopicPartition]) -> None:
        """The group moved on without us (e.g. the brokers were away longer than the
        session timeout): the partitions are gone, so nothing can be committed for them.
        Their stores are dropped; whoever gets them restores them from the changelog."""
        self.on_rebalance()
        self.lost |= {(tp.topic, tp.partition) for tp in partitions}
        if self.keep_progress:
            try:
                positions = consumer.position(partitions)
            except KafkaException:
                positions = []
            for tp in positions:
                if tp.offset >= 0:
                    key = (tp.topic, tp.partition)
                    self.orphans[key] = (tp.offset, self.committer.committed.get(key))
        self.drop(consumer, partitions)

    def take_back(self, committed: list[TopicPartition]) -> dict[tuple[str, int], int]:
        """Partitions given back whose progress the run keeps: position -> ``tp.offset``."""
        back = [tp for tp in committed if (tp.topic, tp.partition) in self.orphans]
        if not back or not self.acknowledged():
            return {}
        kept = {}
        for tp in back:
            position, last = self.orphans.pop((tp.topic, tp.partition))
            group_offset = tp.offset if tp.offset >= 0 else None
            if group_offset == last and position > (group_offset or 0):
                self.kept += position - (group_offset or 0)
                tp.offset = position
                kept[(tp.topic, tp.partition)] = position
        return kept

    def drop(self, consumer, partitions: list[TopicPartition]) -> None:
        self.idle.assigned = False
        self.stores.drop({(tp.topic, tp.partition) for tp in partitions})
        self.committer.forget(partitions)
        consumer.unassign()
