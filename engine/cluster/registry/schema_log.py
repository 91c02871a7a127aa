"""The ``_schemas`` topic: the registry's storage, as Confluent's registry and Karapace
keep it. A compacted topic of one partition whose records have JSON keys and values as
Confluent writes them::

    {"keytype":"SCHEMA","subject":"orders-value","version":1,"magic":1}
        -> {"subject":..., "version":..., "id":..., "schemaType":..., "schema":...,
            "references":[...], "deleted":false}        (null: deleted permanently)
    {"keytype":"CONFIG","subject":"orders-value","magic":0}  (subject null: global)
        -> {"compatibilityLevel":"FULL"}                  (null: back to the default)
    {"keytype":"DELETE_SUBJECT","subject":"orders-value","magic":0}
        -> {"subject":"orders-value","version":3}         (versions up to 3 deleted)
    {"keytype":"NOOP","magic":0}                           (a marker, as Confluent's)

One thread reads the topic from its start for as long as the log is open and hands every
record to ``apply``; a write is produced, its delivery awaited, and returns once the
reader has applied it, so what a request wrote is what the next request reads, and a
registry started again on the same broker reads back every schema and id. At start a
NOOP marker is written and read back: the log is caught up when its own marker arrives
(some Kafka-compatible brokers answer end-offset queries inexactly).
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable

from confluent_kafka import (
    OFFSET_BEGINNING,
    Consumer,
    KafkaError,
    KafkaException,
    Producer,
    TopicPartition,
)
from confluent_kafka.admin import AdminClient, NewTopic

from engine.cluster.kafka_log import with_logger

TOPIC = "_schemas"
START_TIMEOUT_S = 5.0
WRITE_TIMEOUT_S = 10.0
# A record holds a whole schema (at most formats.MAX_SCHEMA_CHARS characters, which JSON
# escaping may double): above the clients' and brokers' 1 MB default.
MAX_RECORD_BYTES = 8 * 2**20

Apply = Callable[[dict, dict | None], None]


class SchemaLogError(RuntimeError):
    """The topic cannot be created, read or written; the message says why."""


def encode_key(key: dict) -> bytes:
    # Always the same bytes for one key: compaction keeps the last record per key bytes.
    return json.dumps(key, separators=(",", ":")).encode()


class SchemaLog:
    """The ``_schemas`` topic on the cluster at ``bootstrap``, read into ``apply``."""

    def __init__(self, bootstrap: str, apply: Apply, topic: str = TOPIC):
        self.bootstrap = bootstrap
        self.topic = topic
        self._apply = apply
        self._applied = -1  # offset of the last record applied
        self._progress = threading.Condition()
        self._stopping = threading.Event()
        self._reader: threading.Thread | None = None
        self._producer: Producer | None = None
        self._read_error: str | None = None

    def _config(self) -> dict:
        return with_logger({"bootstrap.servers": self.bootstrap})

    def start(self, timeout: float = START_TIMEOUT_S) -> None:
        """Create the topic if absent, read it to its end, and keep reading."""
        self._create_topic(timeout)
        consumer = Consumer(
            {
                **self._config(),
                "group.id": f"topology-studio-registry-{uuid.uuid4().hex[:8]}",
                "enable.auto.commit": False,
                "enable.partition.eof": False,
            }
        )
        consumer.assign([TopicPartition(self.topic, 0, OFFSET_BEGINNING)])
        self._producer = Producer(
            {
                **self._config(),
                "acks": "all",
                "linger.ms": 0,
                "message.max.bytes": MAX_RECORD_BYTES,
            }
        )
        self._reader = threading.Thread(
            target=self._read, args=(consumer,), name="schema-registry-log", daemon=True
        )
        self._reader.start()
        self.write({"keytype": "NOOP", "magic": 0}, None, timeout)

    def _create_topic(self, timeout: float) -> None:
        admin = AdminClient(self._config())
        topic = NewTopic(
            self.topic,
            num_partitions=1,
            replication_factor=1,
            config={"cleanup.policy": "compact", "max.message.bytes": str(MAX_RECORD_BYTES)},
        )
        try:
            admin.create_topics([topic], operation_timeout=timeout)[self.topic].result(timeout)
        except KafkaException as exc:
            err = exc.args[0] if exc.args else None
            if isinstance(err, KafkaError) and err.code() == KafkaError.TOPIC_ALREADY_EXISTS:
                return
            reason = err.str() if isinstance(err, KafkaError) else str(exc)
            raise SchemaLogError(
                f"the topic {self.topic} cannot be created on {self.bootstrap}: {reason}"
            ) from None
        except Exception:  # noqa: BLE001 - a timeout of the future
            raise SchemaLogError(
                f"no broker answered at {self.bootstrap}, where the schemas are kept in the "
                f"topic {self.topic}: check that the broker is up"
            ) from None

    def _read(self, consumer: Consumer) -> None:
        try:
            while not self._stopping.is_set():
                msg = consumer.poll(0.1)
                if msg is None:
                    continue
                error = msg.error()
                if error is not None:
                    if error.fatal():
                        self._read_error = error.str()
                    continue
                self._apply_record(msg.key(), msg.value())
                with self._progress:
                    self._applied = msg.offset() or 0
                    self._progress.notify_all()
        finally:
            consumer.close()

    def _apply_record(self, key: bytes | None, value: bytes | None) -> None:
        try:
            key_json = json.loads(key) if key else None
            value_json = json.loads(value) if value else None
        except ValueError:
            return  # not a record of a schema registry: skipped, as Confluent's does
        if isinstance(key_json, dict) and (value_json is None or isinstance(value_json, dict)):
            self._apply(key_json, value_json)

    def write(self, key: dict, value: dict | None, timeout: float = WRITE_TIMEOUT_S) -> None:
        """Produce one record, and return once the reader has applied it."""
        producer = self._producer
        if producer is None:
            raise SchemaLogError("the schemas topic is not open")
        delivered: dict = {}

        def on_delivery(err, msg) -> None:
            delivered["error"] = err
            delivered["offset"] = None if err else msg.offset()

        try:
            producer.produce(
                self.topic,
                key=encode_key(key),
                value=None if value is None else json.dumps(value).encode(),
                partition=0,
                on_delivery=on_delivery,
            )
        except (KafkaException, BufferError) as exc:
            raise SchemaLogError(f"the schemas topic cannot be written: {exc}") from None
        producer.flush(timeout)
        if "offset" not in delivered:
            raise SchemaLogError(
                f"the broker at {self.bootstrap} did not confirm the write within {timeout:.0f} s"
            )
        if delivered["error"] is not None:
            raise SchemaLogError(f"the schemas topic cannot be written: {delivered['error'].str()}")
        offset = delivered["offset"]
        with self._progress:
            if not self._progress.wait_for(lambda: self._applied >= offset, timeout):
                reason = f": {self._read_error}" if self._read_error else ""
                raise SchemaLogError(
                    f"the schemas topic was not read back within {timeout:.0f} s{reason}"
                )

    def stop(self) -> None:
        self._stopping.set()
        if self._reader is not None:
            self._reader.join(timeout=5)
            self._reader = None
        if self._producer is not None:
            self._producer.flush(1)
            self._producer = None
