"""Producing the run's records: sinks, repartition, changelog and dead-letter topics.

Delivery reports come only for failures. A record whose topic went missing for a
moment (a broker that came back empty, before the run re-creates its topics) is kept
and sent again once the topics exist; any other failure is kept until the next commit,
which then fails the run before its offsets are committed, so the input is read again."""

from __future__ import annotations

from collections.abc import Callable

from confluent_kafka import KafkaError

from engine.runtime.kafka.clients import RunClients
from engine.runtime.kafka.samples import preview
from engine.runtime.operators.base import Record
from engine.runtime.serde import ENCODERS

# Records kept to send again after their topic went missing, at most at once and per run.
MAX_PENDING_RESENDS = 200_000
MAX_REDELIVERIES = 1_000_000
_TOPIC_MISSING = (KafkaError.UNKNOWN_TOPIC_OR_PART, KafkaError.UNKNOWN)


class RecordCollector:
    """``produce`` is what operators call per record (captured once by the compiler):
    it must stay a single method call on the producer."""

    def __init__(
        self,
        clients: RunClients,
        dead_letter_topic: str,
        on_dead_letter: Callable[[dict], None] | None = None,
    ):
        self.clients = clients  # the producer, once the run has opened it
        self.dead_letter_topic = dead_letter_topic
        self.on_dead_letter = on_dead_letter
        self.errors: list[str] = []
        self.resend: list[tuple] = []
        self.resent = 0

    def produce(self, topic, key, value, headers=None, partition=None, timestamp=None) -> None:
        producer = self.clients.producer
        if producer is None:
            raise RuntimeError("a record was produced before the run made its producer")
        if partition is None:
            partition = -1  # librdkafka's partitioner chooses
        while True:
            try:
                # Positional arguments (topic, value, key, partition, callback, on_delivery,
                # timestamp, headers): keywords cost the client ~0.4 us more per record.
                producer.produce(topic, value, key, partition, None, None, timestamp or 0, headers)
                return
            except BufferError:
                # The local queue is full: let deliveries drain, then retry.
                producer.poll(0.05)

    def dead_letter(self, record: Record, node_id: str, error: BaseException) -> None:
        """The record's original bytes to the dead-letter topic, with why and where from."""
        origin = record.origin
        reason = f"{type(error).__name__}: {error}"
        headers = list(origin.headers() or []) if origin is not None else []
        if origin is not None:
            src = (origin.topic(), origin.partition(), origin.offset())
            key, value = origin.key(), origin.value()
        else:
            src = ("", -1, -1)
            key, value = ENCODERS["string"](record.key), ENCODERS["json"](record.value)
        # backslashreplace: an error may quote input text holding a lone surrogate
        headers += [
            ("ts.error", reason.encode(errors="backslashreplace")),
            ("ts.node", node_id.encode()),
            ("ts.source.topic", src[0].encode()),
            ("ts.source.partition", str(src[1]).encode()),
            ("ts.source.offset", str(src[2]).encode()),
        ]
        self.produce(self.dead_letter_topic, key, value, headers, None, record.timestamp)
        if self.on_dead_letter is not None:
            self.on_dead_letter(
                {
                    "node": node_id,
                    "error": reason,
                    "topic": src[0],
                    "partition": src[1],
                    "offset": src[2],
                    "key": preview(key),
                    "value": preview(value),
                }
            )

    def on_delivery(self, err, msg) -> None:
        """The producer's delivery callback (failures only)."""
        if err is None:
            return
        if (
            err.code() in _TOPIC_MISSING
            and len(self.resend) < MAX_PENDING_RESENDS
            and self.resent < MAX_REDELIVERIES
        ):
            self.resend.append(
                (msg.topic(), msg.key(), msg.value(), msg.headers(), msg.timestamp()[1])
            )
            return
        self.errors.append(f"{msg.topic()}: {err.str()}")

    def send_again(self) -> None:
        """Sends the records that found their topic missing (call once it exists again)."""
        batch, self.resend = self.resend, []
        self.resent += len(batch)
        for topic, key, value, headers, ts in batch:
            self.produce(topic, key, value, headers, None, ts)

    def take_errors(self) -> list[str]:
        errors, self.errors = self.errors, []
        return errors
