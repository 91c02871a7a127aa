"""What happens when the consumer group assigns, revokes or loses partitions.

On assignment: the committed offsets are remembered (sources that start at ``latest``
and have none start at the end), the stores fed by the partitions are restored from
their changelogs, and only then are the partitions assigned, so no record is processed
before its state is back. On revocation: everything acknowledged is committed first.
On loss: nothing can be committed any more; the stores are dropped."""

from __future__ import annotations

import time

from confluent_kafka import OFFSET_END, KafkaException, TopicPartition

from engine.runtime.kafka.committer import Committer
from engine.runtime.kafka.errors import RunFailedError
from engine.runtime.kafka.idle import IdleClock
from engine.runtime.kafka.lifecycle import STOP_GRACE_S, RunState
from engine.runtime.kafka.state_manager import StateManager


class AssignmentHandler:
    """The consumer's ``on_assign``, ``on_revoke`` and ``on_lost`` callbacks."""

    def __init__(self, state: RunState, committer: Committer, stores: StateManager,
                 idle: IdleClock, latest_topics: set[str]):
        self.state = state
        self.committer = committer
        self.stores = stores
        self.idle = idle
        self.latest_topics = latest_topics

    def on_assign(self, consumer, partitions: list[TopicPartition]) -> None:
        self.idle.assigned(time.monotonic())
        try:
            committed = consumer.committed(partitions, timeout=10)
        except KafkaException:
            committed = partitions
        for tp in committed:
            if tp.offset >= 0:
                self.committer.committed[(tp.topic, tp.partition)] = tp.offset
            elif tp.topic in self.latest_topics:
                tp.offset = OFFSET_END
        self.stores.restore(partitions)
        consumer.assign(committed)

    def on_revoke(self, consumer, partitions: list[TopicPartition]) -> None:
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
        self.drop(consumer, partitions)

    def drop(self, consumer, partitions: list[TopicPartition]) -> None:
        self.stores.drop({(tp.topic, tp.partition) for tp in partitions})
        self.committer.forget(partitions)
        consumer.unassign()
