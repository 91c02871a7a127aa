"""The final commit of a stop: a coordinator that cannot be reached ends the run stopped
with a note (its input is read again, as after any at-least-once stop); a fatal error still
fails it. The real-broker case is tests/engine/runtime/kafka/test_resilience.py."""

from __future__ import annotations

import pytest
from confluent_kafka import KafkaError, KafkaException, TopicPartition

from engine.runtime.kafka import clients
from engine.runtime.kafka.collector import RecordCollector
from engine.runtime.kafka.committer import Committer
from engine.runtime.kafka.lifecycle import RunState


class _Producer:
    def flush(self, timeout=None):
        return 0  # every record acknowledged


class _Consumer:
    def __init__(self, error: KafkaError):
        self.error = error

    def assignment(self):
        return [TopicPartition("orders", 0)]

    def position(self, tps):
        return [TopicPartition(tp.topic, tp.partition, 5) for tp in tps]

    def commit(self, offsets=None, asynchronous=True):
        raise KafkaException(self.error)


def _committer(error: KafkaError) -> tuple[Committer, RunState]:
    run_clients = clients.RunClients()
    run_clients.producer, run_clients.consumer = _Producer(), _Consumer(error)
    state = RunState()
    committer = Committer(
        state, run_clients, RecordCollector(run_clients, "dlq"), exactly_once=False
    )
    committer.remember([TopicPartition("orders", 0, 1)])
    state.stop(1.0)
    return committer, state


def test_a_final_commit_without_a_coordinator_stops_with_a_note():
    committer, state = _committer(KafkaError(KafkaError._WAIT_COORD, "Waiting for coordinator"))
    assert committer.commit(final=True) is False
    assert "the last offsets could not be committed" in state.stop_note
    assert "read again on the next run" in state.stop_note
    assert committer.behind


def test_a_fatal_error_on_the_final_commit_still_fails_the_run():
    committer, _ = _committer(KafkaError(KafkaError._FATAL, "fenced", fatal=True))
    with pytest.raises(KafkaException):
        committer.commit(final=True)
