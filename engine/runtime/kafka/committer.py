"""Committing what the run has done (Kafka Streams' commit, Quix Streams' Checkpoint).

At-least-once: the producer is flushed, so every record derived from the consumed
offsets has been acknowledged by the brokers, and only then are those offsets
committed. A delivery that failed for good fails the run before its offsets are
committed, so the records are read again. Between the two, once the flush is complete,
the stores' changelogs get a checkpoint naming those offsets (``checkpoints``), flushed
in turn. Exactly-once: each interval is a Kafka transaction that carries the consumed
offsets (and the checkpoints).

A commit that finds records not yet acknowledged (the brokers are slow or away) leaves
the committer ``behind``: the run then stops reading new records and tries again every
loop turn, so what was acknowledged is committed as soon as the brokers answer again,
before a rebalance can take the partitions away (whatever is not committed then is read
twice)."""

from __future__ import annotations

import time
from collections.abc import Callable

from confluent_kafka import KafkaException, TopicPartition

from engine.runtime.kafka.clients import RunClients
from engine.runtime.kafka.collector import RecordCollector
from engine.runtime.kafka.errors import RunFailedError
from engine.runtime.kafka.lifecycle import RunState


class Committer:
    """``committed`` holds the last offset committed per assigned (topic, partition).

        ``before_commit`` runs first on every commit (the file sinks' flush); ``while_waiting``
        runs between flush attempts (metrics keep flowing while the brokers are away);
        ``resend`` tries once more to send records whose topic went missing, on the final
        commit; ``on_committed`` is told that the brokers answered; ``checkpoint(positions)``
        writes the stores' checkpoints and returns how many (the StateManager's); ``fill(positions)``
        completes the consumer's positions with the run's own where it has none (partitions whose
        records reach their stores in-process: ``local_routes``). The producer and
    consumer are read from ``clients`` when needed (opened by the run before its loop)."""

    def __init__(
        self,
        state: RunState,
        clients: RunClients,
        collector: RecordCollector,
        *,
        exactly_once: bool,
        before_commit: Callable[[], None] = lambda: None,
        while_waiting: Callable[[], None] = lambda: None,
        resend: Callable[[], None] = lambda: None,
        on_committed: Callable[[], None] = lambda: None,
        checkpoint: Callable[[list[TopicPartition]], int] = lambda positions: 0,
        fill: Callable[[list[TopicPartition]], list[TopicPartition]] = lambda positions: positions,
    ):
        self.state = state
        self.collector = collector
        self.exactly_once = exactly_once
        self.before_commit = before_commit
        self.while_waiting = while_waiting
        self.resend = resend
        self.on_committed = on_committed
        self.checkpoint = checkpoint
        self.fill = fill
        self.clients = clients
        self.committed: dict[tuple[str, int], int] = {}
        self.in_transaction = False
        self.behind = False  # the last commit could not be made: retry at once

    producer = property(lambda self: self.clients.producer)
    consumer = property(lambda self: self.clients.consumer)

    # -- offsets -----------------------------------------------------------------

    def positions(self, every: list[TopicPartition] | None = None) -> list[TopicPartition]:
        """The consumer's positions (``every``, when given) that differ from what was last
        committed."""
        positions = self.every_position() if every is None else every
        return [
            tp
            for tp in positions
            if tp.offset >= 0 and self.committed.get((tp.topic, tp.partition)) != tp.offset
        ]

    def every_position(self) -> list[TopicPartition]:
        try:
            return self.fill(self.consumer.position(self.consumer.assignment()))
        except KafkaException:
            return []

    def remember(self, partitions: list[TopicPartition]) -> None:
        for tp in partitions:
            self.committed[(tp.topic, tp.partition)] = tp.offset

    def forget(self, partitions: list[TopicPartition]) -> None:
        for tp in partitions:
            self.committed.pop((tp.topic, tp.partition), None)

    # -- commit ------------------------------------------------------------------

    def commit(self, *, final: bool = False, wait_until: float = 0.0) -> bool:
        """Flush, then commit the consumed positions (or commit the transaction).

        Returns False when the brokers have not acknowledged every record yet: nothing is
        committed then, and the next interval tries again. ``final`` waits for them until
        the stop deadline, ``wait_until`` until then.
        """
        state = self.state
        if final:
            wait_until = state.stop_deadline
        self.before_commit()
        if self.exactly_once:
            self.commit_transaction()
            return True
        if not self._acknowledged(final, wait_until):
            return False
        every = self.every_position()
        offsets = self.positions(every)
        if offsets and self.checkpoint(every) and not self._acknowledged(final, wait_until):
            return False  # the checkpoints again next time: they name the same positions
        if offsets:
            try:
                self.consumer.commit(offsets=offsets, asynchronous=False)
            except KafkaException as exc:
                error = exc.args[0]
                if error.fatal():
                    raise
                if final:
                    # Stopping while the coordinator is away (the brokers went, a rebalance):
                    # every record is acknowledged, so the run stops; only the input since
                    # the last commit is read again, as after any at-least-once stop.
                    note = (
                        f"the last offsets could not be committed ({error.str()}); "
                        "their input will be read again on the next run"
                    )
                    state.stop_note = f"{state.stop_note}; {note}" if state.stop_note else note
                    self.behind = True
                    return False
                self.behind = False  # acknowledged; the group was busy: next interval
                return False  # e.g. a rebalance or the coordinator away
            self.remember(offsets)
            self.on_committed()
        self.behind = False
        return True

    def _acknowledged(self, final: bool, wait_until: float) -> bool:
        """Flushes until every record is acknowledged (True) or ``wait_until`` passes: then
        the committer is ``behind`` (False). Raises RunFailedError on a failed delivery."""
        state, producer = self.state, self.producer
        remaining = producer.flush(0.5)
        while remaining and time.monotonic() < min(wait_until, state.stop_deadline):
            self.while_waiting()
            remaining = producer.flush(0.5)
        collector = self.collector
        if final and collector.resend:
            self.resend()
            remaining = producer.flush(state.grace_left())
        remaining += len(collector.resend)  # records waiting to be sent again
        if remaining:
            if final:
                state.stop_note = (
                    f"{remaining} records were not acknowledged before stopping; "
                    "their input will be read again on the next run"
                )
            self.behind = True
            return False
        errors = collector.take_errors()
        if errors:
            raise RunFailedError(
                f"{len(errors)} records could not be delivered ({errors[0]}); "
                "their input will be read again on the next run"
            )
        return True

    def acknowledged(self, wait_s: float = 5.0) -> bool:
        """True once every record written so far has been acknowledged, none failed and
        none waits to be sent again (waits up to ``wait_s``)."""
        if self.producer is None or self.producer.flush(wait_s):
            return False
        return not self.collector.resend and not self.collector.errors

    # -- transactions (exactly_once) ---------------------------------------------

    def begin(self) -> None:
        self.producer.init_transactions(30)
        self.producer.begin_transaction()
        self.in_transaction = True

    def commit_transaction(self) -> None:
        producer = self.producer
        if not self.in_transaction:
            return
        every = self.every_position()
        positions = self.positions(every)
        try:
            if positions:
                self.checkpoint(every)
                producer.send_offsets_to_transaction(
                    positions, self.consumer.consumer_group_metadata(), 30
                )
            producer.commit_transaction(60)
        except KafkaException as exc:
            err = exc.args[0]
            self.abort()
            raise RunFailedError(
                f"the transaction failed and was aborted ({err.str()}); "
                "its input will be read again on the next run"
            ) from None
        self.remember(positions)
        producer.begin_transaction()
        self.in_transaction = True

    def abort(self, timeout: float = 30) -> None:
        if not self.in_transaction:
            return
        try:
            self.producer.abort_transaction(timeout)
        except KafkaException:
            pass
        self.in_transaction = False
