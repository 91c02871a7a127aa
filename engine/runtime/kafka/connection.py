"""Noticing that the brokers went away and that they are back.

librdkafka reports lost connections through its error callback; the run then says
"disconnected" and probes once a second. A broker that stops answering but keeps its
connections open (a paused process, a hung machine) is not reported by librdkafka until
its socket timeout (60 s): so when no record has come for QUIET_S, the run asks for
metadata itself and says "disconnected" when none comes. Evidence that the brokers answer
(records fetched, offsets committed, metadata returned) makes it "running" again; a
broker that came back empty gets the run's topics again first."""

from __future__ import annotations

import sys

from confluent_kafka import KafkaError, KafkaException

from engine.model.status import RunStatus
from engine.runtime.kafka.errors import RunFailedError
from engine.runtime.kafka.lifecycle import RunState

QUIET_S = 2.0  # no input for this long: check that the brokers still answer
_CONNECTION_LOST = (KafkaError._ALL_BROKERS_DOWN, KafkaError._TRANSPORT, KafkaError._RESOLVE)


class ConnectionWatch:
    def __init__(self, state: RunState, bootstrap: str):
        self.state = state
        self.bootstrap = bootstrap
        self._next_check = 0.0

    def check(self, now: float, last_input: float, topics, compiled) -> bool:
        """Called every loop turn until it returns True (then again a second later): probes
        while disconnected, else, after QUIET_S without input, asks whether the brokers
        still answer."""
        if self.disconnected:
            self.probe(topics, compiled)
            return True
        if now - last_input < QUIET_S or now < self._next_check:
            return False
        self._next_check = now + QUIET_S
        if not topics.answers(QUIET_S) and self.state.status in (
            RunStatus.RUNNING,
            RunStatus.STARTING,
        ):
            self.state.set(
                RunStatus.DISCONNECTED, f"the brokers at {self.bootstrap} do not answer; retrying"
            )
        return True

    @property
    def disconnected(self) -> bool:
        return self.state.status == RunStatus.DISCONNECTED

    def on_client_error(self, err: KafkaError) -> None:
        """The clients' ``error_cb``."""
        if err.code() in _CONNECTION_LOST and self.state.status in (
            RunStatus.RUNNING,
            RunStatus.STARTING,
        ):
            self.state.set(
                RunStatus.DISCONNECTED, f"lost the connection to {self.bootstrap}; retrying"
            )

    def on_consume_error(self, err: KafkaError) -> None:
        """An error the consumer returned in place of a record."""
        if err.code() == KafkaError._PARTITION_EOF:
            return
        if err.code() in (KafkaError._ALL_BROKERS_DOWN, KafkaError._TRANSPORT):
            self.on_client_error(err)
            return
        if err.fatal():
            raise RunFailedError(f"Kafka error: {err.str()}")
        print(f"warning: {err.str()}", file=sys.stderr)

    def connected(self) -> None:
        """Called on evidence that the brokers answer."""
        if self.state.status == RunStatus.DISCONNECTED:
            self.state.set(RunStatus.RUNNING)

    def probe(self, topics, compiled) -> None:
        """While disconnected: ask for metadata; once the brokers answer, make sure the
        run's topics exist (a sandbox broker restarted empty) and report running again."""
        if not topics.answers(0.5):
            return
        try:
            topics.ensure(compiled)
        except (RunFailedError, KafkaException):
            return
        self.connected()
