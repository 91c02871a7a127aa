"""The librdkafka settings of a run's clients, and where they are made.

The run's consumer and producer, the generators' producer, the restore reader and the
admin client all start from ``base_config``; the choices that matter for correctness
(acks, no give-up while the brokers are away, read_committed under exactly-once) are
made here, once."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient

from engine.cluster.broker import SANDBOX_CLUSTER_ID
from engine.cluster.kafka_log import with_logger

__all__ = [
    "AdminClient",
    "Consumer",
    "Producer",
    "RunClients",
    "attached",
    "base_config",
    "close_producer",
    "consumer_config",
    "idempotence",
    "producer_config",
]


class RunClients:
    """The run's producer and consumer. Collaborators that use them (the record collector,
    the committer, the metrics) receive this when constructed and read the client when they
    need it, as Quix Streams' RowProducer makes its client on first use: constructing them
    never touches the network. The run opens the clients before its loop and closes them
    after (None before and after)."""

    __slots__ = ("consumer", "producer")

    def __init__(self) -> None:
        self.producer: Producer | None = None
        self.consumer: Consumer | None = None

    def close(self, grace_left: Callable[[], float], meanwhile: tuple[Callable, ...] = ()) -> None:
        """After the run: the consumer closed (it leaves its group), the producer flushed for
        what is left of the grace, ``meanwhile`` called (the run's files and stores closed),
        then the producer ended (``close_producer``); both are None again."""
        try:
            attached(self.consumer).close()
        except (KafkaException, RuntimeError):
            pass
        producer = attached(self.producer)
        producer.flush(grace_left())
        for step in meanwhile:
            step()
        close_producer(producer)
        self.consumer = self.producer = None


def close_producer(producer) -> None:
    """Ends the producer's threads and connections now: the compiled operators hold its own
    produce(), so it is not garbage while the run is. What is still unacknowledged is not
    waited for. confluent-kafka before 2.13 has no close(): there they end when it is."""
    if hasattr(producer, "close"):
        producer.purge()
        producer.close()


Client = TypeVar("Client")


def attached(client: Client | None) -> Client:
    """``client``, which the run opens before a collaborator uses it (None: a bug)."""
    if client is None:
        raise RuntimeError("a Kafka client was used before the run made it")
    return client


def base_config(bootstrap: str, client_config: dict) -> dict:
    return with_logger({"bootstrap.servers": bootstrap, **client_config})


def idempotence(guarantee: str, configured: bool | None, cluster_id: str | None) -> bool:
    """The idempotent producer keeps retries from duplicating records: on, except against
    the sandbox broker, which forgets producer ids when it restarts (in memory only) and
    would then refuse the run's records; exactly_once always (transactions need it)."""
    if guarantee == "exactly_once":
        return True
    if configured is not None:
        return configured
    return cluster_id != SANDBOX_CLUSTER_ID


def session_timeout(configured: int | None, cluster_id: str | None) -> int:
    """The consumer's session timeout: as configured, else 6 s (a member that stops
    heartbeating loses its partitions after that), 3 s on the sandbox broker, which has a
    new or re-formed group wait about half the session timeout before it answers (3 s at a
    Run with 6 s, 2 s with 3 s: measured), and where the run shares one machine with it."""
    if configured is not None:
        return configured
    return 3000 if cluster_id == SANDBOX_CLUSTER_ID else 6000


def producer_config(
    base: dict,
    *,
    idempotence: bool,
    on_delivery: Callable,
    on_error: Callable,
    transactional_id: str | None = None,
) -> dict:
    config = {
        **base,
        "linger.ms": 5,
        "partitioner": "murmur2_random",
        "acks": "all",
        "enable.idempotence": idempotence,
        "on_delivery": on_delivery,
        # Delivery reports only for failures: a Python call per acknowledged record
        # costs 15% of the throughput and tells nothing flush() does not.
        "delivery.report.only.error": True,
        "error_cb": on_error,
        "queue.buffering.max.messages": 500_000,
        # Never give up on a record while the brokers are away: the run reports
        # "disconnected" and resumes when they are back.
        "message.timeout.ms": 0,
    }
    if transactional_id is not None:
        config["transactional.id"] = transactional_id
        config["transaction.timeout.ms"] = 60_000
        config["message.timeout.ms"] = 60_000
    return config


def consumer_config(
    base: dict, *, group_id: str, session_timeout_ms: int, on_error: Callable, read_committed: bool
) -> dict:
    config = {
        **base,
        "group.id": group_id,
        "enable.auto.commit": False,
        "enable.auto.offset.store": False,
        "auto.offset.reset": "earliest",
        "partition.assignment.strategy": "range",
        "session.timeout.ms": session_timeout_ms,
        "heartbeat.interval.ms": max(500, session_timeout_ms // 3),
        "error_cb": on_error,
        "fetch.wait.max.ms": 100,
    }
    if read_committed:
        config["isolation.level"] = "read_committed"
    return config


def end_offsets(consumer) -> Callable[[str, int], int | None]:
    """``end(topic, partition)``: the partition's end offset as ``consumer`` reads it from the
    brokers now, or None when they do not answer."""

    def end(topic: str, partition: int) -> int | None:
        try:
            return attached(consumer).get_watermark_offsets(
                TopicPartition(topic, partition), timeout=5
            )[1]
        except KafkaException:
            return None

    return end
