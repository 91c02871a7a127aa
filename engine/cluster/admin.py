"""What is on a cluster: topics, sampled records, consumer groups and their lag.

Works for any consumer group, not only the ones Topology Studio starts. High
watermarks are read from fetch responses of a probe consumer parked at the end of
each partition: exact on every Kafka-compatible broker (some answer offset queries
for "latest" with the start of the last batch instead of the end of the log).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from confluent_kafka import (
    OFFSET_END,
    Consumer,
    KafkaError,
    KafkaException,
    TopicPartition,
)
from confluent_kafka.admin import AdminClient

from engine.cluster import rotation
from engine.cluster.groups import INTERNAL_PREFIXES, CommittedOffsets, with_own_admin
from engine.cluster.kafka_log import with_logger


@dataclass(frozen=True)
class TopicInfo:
    name: str
    partitions: int
    internal: bool
    replicas: int = 0  # the replication factor (of its first partition)
    in_sync: int = 0  # the fewest in-sync replicas of any partition


class TopicAdminError(RuntimeError):
    """A topic the broker would not create, delete or describe: its refusal as a sentence."""


def _topic_info(name: str, meta) -> TopicInfo:
    parts = list(meta.partitions.values())
    replicas = len(parts[0].replicas) if parts else 0
    in_sync = min((len(p.isrs) for p in parts), default=0)
    return TopicInfo(name, len(parts), name.startswith(INTERNAL_PREFIXES), replicas, in_sync)


class ConnectionProblem(RuntimeError):
    """The cluster cannot be used; the message says why in plain words."""


def explain(err: KafkaError | None, bootstrap: str) -> str:
    """A sentence a user can act on, for a client error."""
    if err is None:
        return f"no broker answered at {bootstrap}: check the host and port, and that the brokers are up"
    code = err.code()
    if code == KafkaError._RESOLVE:
        return f"the host name in {bootstrap} cannot be resolved: check the spelling"
    if code == KafkaError._AUTHENTICATION or code == KafkaError.SASL_AUTHENTICATION_FAILED:
        return "authentication failed: check the user name, password and SASL mechanism"
    if code == KafkaError._SSL:
        return "the TLS handshake failed: check the CA certificate and that the port speaks TLS"
    if code in (KafkaError._TRANSPORT, KafkaError._ALL_BROKERS_DOWN, KafkaError._TIMED_OUT):
        return f"no broker answered at {bootstrap}: check the host and port, and that the brokers are up"
    return f"{err.str()}"


class ClusterClient:
    """Admin look-ups for the app's cluster view and lag charts. Thread-safe."""

    def __init__(self, bootstrap: str, client_config: dict | None = None):
        self.bootstrap = bootstrap
        self.config = with_logger({"bootstrap.servers": bootstrap, **(client_config or {})})
        self._last_error: KafkaError | None = None
        self._admin: AdminClient | None = None
        self._probe: Consumer | None = None
        self._probe_assignment: set[tuple[str, int]] = set()
        self._commits = CommittedOffsets(self.config)
        self._lock = threading.RLock()

    def _on_error(self, err: KafkaError) -> None:
        self._last_error = err

    @property
    def admin(self) -> AdminClient:
        if self._admin is None:
            # error_cb takes a callable: AdminClient's stubs allow only scalar settings
            self._admin = AdminClient({**self.config, "error_cb": self._on_error})  # type: ignore[dict-item]
        return self._admin

    def test_connection(self, timeout: float = 6.0) -> str:
        """Raises ConnectionProblem with the reason, else returns a one-line summary."""
        self._last_error = None
        client = AdminClient(
            {
                **self.config,
                "error_cb": self._on_error,  # type: ignore[dict-item]  # (as above)
                "socket.connection.setup.timeout.ms": int(timeout * 1000),
            }
        )
        try:
            meta = client.list_topics(timeout=timeout)
        except KafkaException as exc:
            err = self._last_error or (exc.args[0] if exc.args else None)
            raise ConnectionProblem(explain(err, self.bootstrap)) from None
        brokers = len(meta.brokers)
        topics = len([t for t in meta.topics if not t.startswith(INTERNAL_PREFIXES)])
        return f"connected to {self.bootstrap}: {brokers} broker{'s' * (brokers != 1)}, {topics} topics"

    def topics(self, timeout: float = 10.0) -> list[TopicInfo]:
        with self._lock:
            try:
                meta = self.admin.list_topics(timeout=timeout)
            except KafkaException as exc:
                raise ConnectionProblem(
                    explain(self._last_error or exc.args[0], self.bootstrap)
                ) from None
        return sorted(
            (_topic_info(name, t) for name, t in meta.topics.items() if not t.error),
            key=lambda t: t.name,
        )

    def _admin_result(self, future, what: str, timeout: float) -> Any:
        try:
            return future.result(timeout=timeout + 2)
        except KafkaException as exc:
            err = exc.args[0] if exc.args else None
            if isinstance(err, KafkaError) and err.code() in (
                KafkaError._TRANSPORT,
                KafkaError._ALL_BROKERS_DOWN,
                KafkaError._TIMED_OUT,
            ):
                raise ConnectionProblem(explain(err, self.bootstrap)) from None
            reason = err.str() if isinstance(err, KafkaError) else str(exc)
            raise TopicAdminError(f"the broker refused to {what}: {reason.rstrip('.')}") from None

    def create_topic(
        self,
        name: str,
        partitions: int = 1,
        replication: int = 1,
        config: dict[str, str] | None = None,
        timeout: float = 15.0,
    ) -> None:
        """Create ``name``; TopicAdminError with the broker's refusal (it exists, a bad
        config, more replicas than brokers)."""
        from confluent_kafka.admin import NewTopic

        topic = NewTopic(
            name,
            num_partitions=partitions,
            replication_factor=replication,
            config=dict(config or {}),
        )
        with self._lock:
            futures = self.admin.create_topics([topic], operation_timeout=timeout)
            self._admin_result(futures[name], f"create topic '{name}'", timeout)

    def delete_topic(self, name: str, timeout: float = 15.0) -> None:
        with self._lock:
            futures = self.admin.delete_topics([name], operation_timeout=timeout)
            self._admin_result(futures[name], f"delete topic '{name}'", timeout)

    def topic_config(self, name: str, timeout: float = 15.0) -> dict[str, tuple[str, bool]]:
        """The configuration of ``name``: value and whether it is the broker's default."""
        from confluent_kafka.admin import ConfigResource, ResourceType

        resource = ConfigResource(ResourceType.TOPIC, name)
        with self._lock:
            futures = self.admin.describe_configs([resource], request_timeout=timeout)
            entries = self._admin_result(futures[resource], f"describe topic '{name}'", timeout)
        return {
            key: ("" if entry.value is None else str(entry.value), bool(entry.is_default))
            for key, entry in sorted(entries.items())
        }

    def groups(self, timeout: float = 10.0) -> list[str]:
        with self._lock:
            future = self.admin.list_consumer_groups(request_timeout=timeout)
            try:
                result = future.result(timeout=timeout + 2)
            except KafkaException as exc:
                raise ConnectionProblem(explain(exc.args[0], self.bootstrap)) from None
        return sorted(g.group_id for g in result.valid)

    def committed(self, group: str, timeout: float = 10.0) -> dict[tuple[str, int], int]:
        """Committed offsets of ``group`` per (topic, partition) (see engine.cluster.groups)."""
        with self._lock:
            try:
                return self._commits.read(group, timeout)
            except KafkaException as exc:
                raise ConnectionProblem(explain(exc.args[0], self.bootstrap)) from None

    def high_watermarks(
        self, partitions: list[tuple[str, int]], wait: float = 0.5
    ) -> dict[tuple[str, int], int]:
        """End offsets of ``partitions`` (read from fetch responses, see the module docstring)."""
        wanted = set(partitions)
        with self._lock:
            if self._probe is None:
                self._probe = Consumer(
                    {
                        **self.config,
                        "group.id": f"topology-studio-probe-{uuid.uuid4().hex[:8]}",
                        "enable.auto.commit": False,
                        "fetch.wait.max.ms": 100,
                        "fetch.max.bytes": 1024 * 1024,
                        "error_cb": self._on_error,
                    }
                )
            fresh = wanted - self._probe_assignment
            if fresh:
                # New partitions: the probe needs a first fetch from each before it knows.
                rotation.follow({t for t, _ in fresh} - {t for t, _ in self._probe_assignment})
                self._probe_assignment |= wanted
                self._probe.assign(
                    [TopicPartition(t, p, OFFSET_END) for t, p in sorted(self._probe_assignment)]
                )
                wait = max(wait, 5.0)
            deadline = time.monotonic() + wait
            marks: dict[tuple[str, int], int] = {}
            while True:
                self._probe.consume(10_000, timeout=0.1)
                positions = {
                    (tp.topic, tp.partition): tp.offset
                    for tp in self._probe.position([TopicPartition(t, p) for t, p in wanted])
                }
                for t, p in wanted:
                    _low, high = self._probe.get_watermark_offsets(
                        TopicPartition(t, p), cached=True
                    )
                    # Trust the mark once the probe has fetched up to it.
                    if high is not None and high >= 0 and positions.get((t, p), -1) >= high:
                        marks[(t, p)] = high
                if len(marks) == len(wanted) or time.monotonic() > deadline:
                    break
        return marks

    def group_lag(self, group: str) -> dict[tuple[str, int], tuple[int, int]]:
        """(committed, high watermark) per partition the group has committed to."""
        committed = self.committed(group)
        marks = self.high_watermarks(list(committed)) if committed else {}
        return {tp: (offset, marks.get(tp, offset)) for tp, offset in committed.items()}

    def sample(
        self,
        topic: str,
        count: int = 20,
        timeout: float = 3.0,
        decode_key: Callable[[bytes], Any] | None = None,
        decode_value: Callable[[bytes], Any] | None = None,
    ) -> list[dict]:
        """The latest ``count`` records of ``topic`` (or fewer), newest last. ``decode_key`` /
        ``decode_value``: the topic's own decoders (e.g. a schema-registry format's, from
        ``engine.runtime.schemas``); what they refuse is shown as JSON or text."""
        rotation.follow([topic])  # not rotated under this consumer (engine.cluster.rotation)
        consumer = Consumer(
            {
                **self.config,
                "group.id": f"topology-studio-sample-{uuid.uuid4().hex[:8]}",
                "enable.auto.commit": False,
                "auto.offset.reset": "earliest",
            }
        )
        try:
            meta = consumer.list_topics(topic, timeout=timeout).topics.get(topic)
            if meta is None or meta.error:
                return []
            assignment = []
            for p in meta.partitions:
                low, high = consumer.get_watermark_offsets(
                    TopicPartition(topic, p), timeout=timeout
                )
                if high > low:
                    assignment.append(TopicPartition(topic, p, max(low, high - count)))
            if not assignment:
                return []
            consumer.assign(assignment)
            records: list[dict] = []
            deadline = time.monotonic() + timeout
            quiet = time.monotonic()
            while time.monotonic() < deadline and time.monotonic() - quiet < 0.5:
                msgs = consumer.consume(1000, timeout=0.1)
                for m in msgs:
                    if m.error():
                        continue
                    records.append(
                        {
                            "key": _decoded(m.key(), decode_key, _text),
                            "value": _decoded(m.value(), decode_value, _decode),
                            "partition": m.partition(),
                            "offset": m.offset(),
                            "timestamp": m.timestamp()[1],
                        }
                    )
                if msgs:
                    quiet = time.monotonic()
            records.sort(key=lambda r: r["timestamp"])
            return records[-count:]
        finally:
            consumer.close()
            rotation.unfollow([topic])

    def field_names(self, topic: str, count: int = 20) -> list[str]:
        """Field names seen in JSON object values of ``topic``: completions for expressions."""
        names: set[str] = set()
        for record in self.sample(topic, count):
            value = record["value"]
            if isinstance(value, dict):
                names.update(str(k) for k in value)
        return sorted(names)

    def delete_application_state(self, application_id: str, timeout: float = 15.0) -> list[str]:
        """Delete the application's consumer group offsets and its internal topics.
        Returns what could not be deleted, as sentences."""
        problems = []
        internal = [
            t.name
            for t in self.topics()
            if t.name.startswith(f"{application_id}-")
            and t.name.endswith(("-repartition", "-changelog"))
        ]
        with self._lock:
            if internal:
                for name, future in self.admin.delete_topics(
                    internal, operation_timeout=timeout
                ).items():
                    try:
                        future.result(timeout=timeout + 2)
                    except KafkaException as exc:
                        problems.append(f"topic {name}: {exc.args[0].str()}")

        def delete_group(admin: AdminClient) -> None:  # a coordinator request: groups.py
            future = admin.delete_consumer_groups([application_id], request_timeout=timeout)
            future[application_id].result(timeout=timeout + 2)

        try:
            with_own_admin(self.config, delete_group)
        except KafkaException as exc:
            err = exc.args[0]
            if err.code() != KafkaError.GROUP_ID_NOT_FOUND:
                problems.append(f"consumer group {application_id}: {err.str()}")
        return problems

    def close(self) -> None:
        with self._lock:
            if self._probe is not None:
                self._probe.close()
                self._probe = None
                rotation.unfollow({t for t, _ in self._probe_assignment})
                self._probe_assignment = set()
            self._commits.close()
            self._admin = None


def _decoded(data: bytes | None, decode, fallback):
    if data is None or decode is None:
        return fallback(data)
    try:
        return decode(data)
    except Exception:  # noqa: BLE001 - not in the topic's format: shown as it is
        return fallback(data)


def _text(data: bytes | None):
    if data is None:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.hex()


def _decode(data: bytes | None):
    if data is None:
        return None
    try:
        return json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return _text(data)
