"""The Kafka runtime: executes a compiled topology with confluent-kafka.

One consumer in the consumer group named after the application reads every source
and repartition topic in batches; the compiled closures process each batch; one
producer writes sinks, repartition, changelog and dead-letter topics.

At-least-once (the default), as Kafka Streams does it: every commit interval the
producer is flushed, so every record derived from the consumed offsets has been
acknowledged by the broker, and only then are those offsets committed. A delivery
that fails for good stops the run before its offsets are committed, so the records
are read again. exactly_once wraps each interval in a Kafka transaction and sends
the offsets in it.

State of stateful nodes lives in stores per input partition, each change written
to the node's compacted changelog topic; when a partition is assigned, its stores
are restored from the changelog before the first record is processed.
"""

from __future__ import annotations

import gc
import heapq
import os
import sys
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable

from confluent_kafka import (
    OFFSET_BEGINNING,
    OFFSET_END,
    Consumer,
    KafkaError,
    KafkaException,
    Producer,
    TopicPartition,
)
from confluent_kafka.admin import AdminClient, NewTopic

from engine.cluster.broker import SANDBOX_CLUSTER_ID
from engine.cluster.kafka_log import with_logger
from engine.model.durations import parse_duration
from engine.model.topology import Topology
from engine.runtime import state
from engine.runtime.compiler import CompiledTopology, changelog_topic, compile_topology
from engine.runtime.generator import Generator
from engine.runtime.operators.base import NodeMetrics, Record
from engine.runtime.serde import DECODERS, ENCODERS

BATCH_SIZE = 5000
STOP_GRACE_S = 5.0
# Consumption pauses while this many records wait for the brokers' acknowledgement
# (e.g. while they are away), and resumes below the low mark: the loop never blocks.
PAUSE_OUTSTANDING, RESUME_OUTSTANDING = 200_000, 50_000
MAX_REDELIVERIES = 1_000_000  # records sent again after their topic went missing, per run
_TOPIC_MISSING = (KafkaError.UNKNOWN_TOPIC_OR_PART, KafkaError.UNKNOWN)
_json = ENCODERS["json"]
_unjson = DECODERS["json"]


class BrokerUnreachableError(RuntimeError):
    """The brokers could not be reached when the run started."""


class RunFailedError(RuntimeError):
    """The run cannot go on (e.g. a record could not be delivered)."""


@dataclass
class RunResult:
    status: str
    elapsed_s: float
    metrics: dict
    reason: str = ""


@dataclass
class RunConfig:
    bootstrap: str
    group_id: str | None = None
    client_config: dict = field(default_factory=dict)  # extra librdkafka settings (SASL, SSL, ...)
    console: Callable[[str, str], None] | None = None
    on_status: Callable[[str, str], None] | None = None
    on_metrics: Callable[[dict], None] | None = None
    on_dead_letter: Callable[[dict], None] | None = None
    on_sample: Callable[[str, dict], None] | None = None
    metrics_interval_s: float = 1.0
    session_timeout_ms: int = 6000
    sample_size: int = 0  # > 0: keep the latest records that passed each node (data preview)
    # The idempotent producer keeps retries from duplicating records. None: on, except
    # against the sandbox broker, which forgets producer ids when it restarts (in memory
    # only) and would then refuse the run's records; at-least-once holds either way.
    idempotence: bool | None = None
    # Collaborators told of the run's life (see RunObserver): publishing run state,
    # alerts, dashboards. Called from the run's own thread; they must not block.
    observers: list = field(default_factory=list)


class RunObserver:
    """Told of a run's life from the run's thread; every method must return quickly.

    ``on_start`` once the clients exist and the run is about to read; ``on_tick`` with
    ``snapshot()`` every metrics interval (about once a second); ``on_stop`` with the
    final snapshot after the last commit. An observer that raises is reported once
    on the console and then left alone: observing never fails a run."""

    def on_start(self, run: "KafkaRun") -> None:
        pass

    def on_tick(self, snapshot: dict) -> None:
        pass

    def on_stop(self, snapshot: dict) -> None:
        pass


class KafkaRun:
    """One instance of a topology running against a cluster.

    ``run()`` blocks until stopped (``stop()`` from any thread or a signal handler),
    idle, or timed out; metrics are readable at any time with ``snapshot()``.
    """

    def __init__(self, topology: Topology, config: RunConfig):
        self.topology = topology
        self.config = config
        self.application_id = config.group_id or topology.name
        settings = topology.settings
        self.guarantee = settings.get("processing_guarantee", "at_least_once")
        self.dead_letter_topic = settings.get("dead_letter_topic") or f"{topology.name}.dlq"
        self.commit_interval_s = parse_duration(settings.get("commit_interval", "1s")) / 1000
        self.partitions = int(settings.get("topic_partitions", 3))
        self.store_kind = settings.get("state_store", "memory")
        self.state_dir = settings.get("state_dir")
        self.metrics: dict[str, NodeMetrics] = {node_id: NodeMetrics() for node_id in topology.nodes}
        self.status = "starting"
        self.reason = ""
        self._stop = threading.Event()
        self._delivery_errors: list[str] = []
        self._committed: dict[tuple[str, int], int] = {}
        self._stores: dict[tuple[str, int], Any] = {}
        self._files: dict[str, Any] = {}
        self._generators: list[Generator] = []
        self._started = time.monotonic()
        self._last_input = self._started
        self._assigned_at: float | None = None
        self._lock = threading.Lock()
        self._consumer: Consumer | None = None
        self._gen_producer: Producer | None = None
        self._producer: Producer | None = None
        self._in_txn = False
        self._rate_window: list[tuple[float, dict]] = []
        self._stop_deadline = float("inf")
        self._stop_note = ""
        self._next_metrics = 0.0
        self._admin: AdminClient | None = None
        self._redeliver: list[tuple] = []
        self._redelivered = 0
        self.cluster_id: str | None = None
        self.compiled: CompiledTopology | None = None
        self._samples: dict[str, deque] = {}
        self.restored = 0  # changelog entries replayed into stores

    # -- Context (what operators call) -------------------------------------------

    def produce(self, topic, key, value, headers=None, partition=None, timestamp=None) -> None:
        producer = self._producer
        while True:
            try:
                if partition is None:
                    producer.produce(topic, value, key, headers=headers, timestamp=timestamp or 0)
                else:
                    producer.produce(topic, value, key, partition=partition, headers=headers,
                                     timestamp=timestamp or 0)
                return
            except BufferError:
                # The local queue is full: let deliveries drain, then retry.
                producer.poll(0.05)

    def dead_letter(self, record: Record, node_id: str, error: BaseException) -> None:
        origin = record.origin
        reason = f"{type(error).__name__}: {error}"
        headers = list(origin.headers() or []) if origin is not None else []
        if origin is not None:
            src = (origin.topic(), origin.partition(), origin.offset())
            key, value = origin.key(), origin.value()
        else:
            src = ("", -1, -1)
            key, value = ENCODERS["string"](record.key), ENCODERS["json"](record.value)
        headers += [("ts.error", reason.encode()), ("ts.node", node_id.encode()),
                    ("ts.source.topic", src[0].encode()),
                    ("ts.source.partition", str(src[1]).encode()),
                    ("ts.source.offset", str(src[2]).encode())]
        self.produce(self.dead_letter_topic, key, value, headers, None, record.timestamp)
        if self.config.on_dead_letter is not None:
            self.config.on_dead_letter({"node": node_id, "error": reason, "topic": src[0],
                                        "partition": src[1], "offset": src[2],
                                        "key": _preview(key), "value": _preview(value)})

    def console(self, node_id: str, text: str) -> None:
        if self.config.console is not None:
            self.config.console(node_id, text)
        else:
            print(f"[{node_id}] {text}", flush=False)

    def store(self, node_id: str, partition: int):
        key = (node_id, partition)
        store = self._stores.get(key)
        if store is None:
            store = self._open_store(node_id, partition)
        return store

    def open_file(self, path: str):
        handle = self._files.get(path)
        if handle is None:
            directory = os.path.dirname(os.path.abspath(path))
            os.makedirs(directory, exist_ok=True)
            handle = self._files[path] = open(path, "a", encoding="utf-8")  # noqa: SIM115
        return handle

    def _tap(self, node_id: str):
        ring = self._samples[node_id] = deque(maxlen=self.config.sample_size)
        return ring.append

    def samples(self, node_id: str) -> list[dict]:
        """The latest records that passed ``node_id`` (oldest first), as plain data."""
        out = []
        for record in list(self._samples.get(node_id, ())):
            origin = record.origin
            out.append({"key": _plain(record.key), "value": _plain(record.value),
                        "timestamp": record.timestamp, "partition": record.partition,
                        "topic": origin.topic() if origin is not None else None,
                        "offset": origin.offset() if origin is not None else None})
        return out

    # -- stores ------------------------------------------------------------------

    def _open_store(self, node_id: str, partition: int, entries: list | None = None):
        """The store of ``node_id`` for ``partition``: restored from ``entries`` (the
        changelog) when given, then every change logged to the changelog topic."""
        topic = changelog_topic(self.application_id, node_id)
        inner = state.make_store(self.store_kind, self.state_dir, self.application_id, node_id,
                                 partition)
        if entries is not None:
            inner.clear()  # an on-disk store may hold keys whose tombstones were compacted away
            state.restore(inner, entries)
        produce = self.produce

        def log(key: str, value: Any) -> None:
            produce(topic, key.encode("utf-8"), None if value is None else _json(value), None,
                    partition, None)

        store = self._stores[(node_id, partition)] = state.ChangeloggingStore(inner, log)
        return store

    def _restore(self, partitions: list[TopicPartition]) -> None:
        """Rebuild the stores fed by newly assigned partitions from their changelogs."""
        compiled = self.compiled
        wanted: set[tuple[str, int]] = set()
        for tp in partitions:
            for node_id, topics in compiled.store_topics.items():
                if tp.topic in topics and (node_id, tp.partition) not in self._stores:
                    wanted.add((node_id, tp.partition))
        if not wanted:
            return
        reader = Consumer({**self._base_config(), "group.id": f"{self.application_id}-restore",
                           "enable.auto.commit": False, "enable.partition.eof": False,
                           "isolation.level": "read_committed"})
        try:
            for node_id, partition in sorted(wanted):
                entries = self._read_changelog(reader, changelog_topic(self.application_id, node_id),
                                               partition)
                self._open_store(node_id, partition, entries)
                self.restored += len(entries)
        finally:
            reader.close()

    def _read_changelog(self, reader: Consumer, topic: str, partition: int) -> list[tuple[str, Any]]:
        tp = TopicPartition(topic, partition)
        try:
            low, high = reader.get_watermark_offsets(tp, timeout=10)
        except KafkaException:
            return []
        if high <= low:
            return []
        reader.assign([TopicPartition(topic, partition, OFFSET_BEGINNING)])
        entries: list[tuple[str, Any]] = []
        next_offset = low
        deadline = time.monotonic() + 60
        quiet_since = time.monotonic()
        while time.monotonic() < deadline:
            msgs = reader.consume(1000, timeout=0.2)
            for msg in msgs:
                if msg.error():
                    continue
                value = msg.value()
                entries.append((msg.key().decode("utf-8"), None if value is None else _unjson(value)))
                next_offset = msg.offset() + 1
            # The high watermark carried by fetch responses is the true end of the log.
            _, end = reader.get_watermark_offsets(tp, cached=True)
            if msgs:
                quiet_since = time.monotonic()
            if end is not None and end >= 0 and next_offset >= end:
                break
            if not msgs and next_offset >= high and time.monotonic() - quiet_since > 1.0:
                break
        reader.unassign()
        return entries

    # -- lifecycle ---------------------------------------------------------------

    def stop(self) -> None:
        """Ask the run to stop: it flushes, commits and returns from run(). Records the
        brokers have not acknowledged within STOP_GRACE_S are not waited for: their input
        offsets stay uncommitted, so the next run reads them again."""
        self._stop_deadline = min(self._stop_deadline, time.monotonic() + STOP_GRACE_S)
        self._stop.set()

    def _set_status(self, status: str, reason: str = "") -> None:
        if status == self.status and reason == self.reason:
            return
        self.status, self.reason = status, reason
        if self.config.on_status is not None:
            self.config.on_status(status, reason)

    def _base_config(self) -> dict:
        return with_logger({"bootstrap.servers": self.config.bootstrap, **self.config.client_config})

    def _on_client_error(self, err: KafkaError) -> None:
        if err.code() in (KafkaError._ALL_BROKERS_DOWN, KafkaError._TRANSPORT,
                          KafkaError._RESOLVE):
            if self.status in ("running", "starting"):
                self._set_status("disconnected", f"lost the connection to {self.config.bootstrap}; "
                                                 "retrying")

    def _on_delivery(self, err, msg) -> None:
        if err is None:
            return
        # A topic missing for a moment (a broker that came back empty, before the run
        # re-creates its topics) is worth another try; anything else fails the run
        # before its offsets are committed.
        if err.code() in _TOPIC_MISSING and len(self._redeliver) < PAUSE_OUTSTANDING \
                and self._redelivered < MAX_REDELIVERIES:
            self._redeliver.append((msg.topic(), msg.key(), msg.value(), msg.headers(),
                                    msg.timestamp()[1]))
            return
        self._delivery_errors.append(f"{msg.topic()}: {err.str()}")

    def _produce_again(self) -> None:
        """Re-create missing topics, then send the records that found none."""
        try:
            self._ensure_topics(self._admin)
        except (RunFailedError, KafkaException):
            return
        batch, self._redeliver = self._redeliver, []
        self._redelivered += len(batch)
        for topic, key, value, headers, ts in batch:
            self.produce(topic, key, value, headers, None, ts)

    def check_reachable(self, timeout: float = 8.0) -> AdminClient:
        admin = AdminClient({**self._base_config(), "socket.connection.setup.timeout.ms": 5000})
        try:
            self.cluster_id = admin.list_topics(timeout=timeout).cluster_id
        except KafkaException as exc:
            raise BrokerUnreachableError(
                f"cannot reach Kafka at {self.config.bootstrap}: {exc.args[0].str() if exc.args else exc}"
            ) from None
        return admin

    def _idempotence(self) -> bool:
        if self.guarantee == "exactly_once":
            return True  # transactions need it
        if self.config.idempotence is not None:
            return self.config.idempotence
        return self.cluster_id != SANDBOX_CLUSTER_ID

    def _ensure_topics(self, admin: AdminClient) -> None:
        compiled = self.compiled
        meta = admin.list_topics(timeout=10)
        existing = {name: len(t.partitions) for name, t in meta.topics.items() if not t.error}
        wanted: dict[str, NewTopic] = {}

        def want(name: str, partitions: int, config: dict | None = None) -> None:
            if name not in existing and name not in wanted:
                wanted[name] = NewTopic(name, num_partitions=partitions, replication_factor=-1,
                                        config=config or {})

        for topic in compiled.source_starts:
            want(topic, self.partitions)
        for topic in compiled.output_topics:
            want(topic, self.partitions)
        want(self.dead_letter_topic, 1)
        for internal in compiled.internal_topics:
            if internal.kind == "repartition":
                want(internal.name, self.partitions)
        for internal in compiled.internal_topics:
            if internal.kind == "changelog":
                counts = [existing.get(t) or (wanted[t].num_partitions if t in wanted else self.partitions)
                          for t in internal.partitions_like]
                want(internal.name, max(counts or [self.partitions]), {"cleanup.policy": "compact"})
        if not wanted:
            return
        futures = admin.create_topics(list(wanted.values()), request_timeout=15)
        for name, future in futures.items():
            try:
                future.result(timeout=20)
            except KafkaException as exc:
                if exc.args and exc.args[0].code() == KafkaError.TOPIC_ALREADY_EXISTS:
                    continue
                raise RunFailedError(f"cannot create topic '{name}': {exc.args[0].str()}") from None
        # Metadata of new topics reaches every client a moment later.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            topics = admin.list_topics(timeout=5).topics
            if all(name in topics and not topics[name].error for name in wanted):
                break
            time.sleep(0.1)

    def _on_assign(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        self._assigned_at = time.monotonic()
        self._last_input = self._assigned_at
        try:
            committed = consumer.committed(partitions, timeout=10)
        except KafkaException:
            committed = partitions
        latest_topics = {t for t, start in self.compiled.source_starts.items() if start == "latest"}
        for tp in committed:
            if tp.offset >= 0:
                self._committed[(tp.topic, tp.partition)] = tp.offset
            elif tp.topic in latest_topics:
                tp.offset = OFFSET_END
        self._restore(partitions)
        consumer.assign(committed)

    def _on_revoke(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        try:
            if self._stop.is_set():  # shutting down: the final commit already waited
                self._commit(consumer, final=True)
            else:
                self._commit(consumer, wait_until=time.monotonic() + STOP_GRACE_S)
        except RunFailedError as exc:
            self._fail(str(exc))
        self._drop_partitions(consumer, partitions)

    def _drop_partitions(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        gone = {(tp.topic, tp.partition) for tp in partitions}
        for (node_id, partition), store in list(self._stores.items()):
            topics = self.compiled.store_topics.get(node_id, set())
            if any((t, partition) in gone for t in topics):
                # The partition may move to another instance, which restores it from
                # the changelog; keeping a stale copy here would be wrong when it returns.
                getattr(store, "close", lambda: None)()
                del self._stores[(node_id, partition)]
        for tp in partitions:
            self._committed.pop((tp.topic, tp.partition), None)
        consumer.unassign()

    def _on_lost(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        """The group moved on without us (e.g. the brokers were away longer than the
        session timeout): the partitions are gone, so nothing can be committed for them.
        Their stores are dropped; whoever gets them restores them from the changelog."""
        self._drop_partitions(consumer, partitions)

    def _fail(self, reason: str) -> None:
        self._set_status("failed", reason)
        self._stop.set()

    def _commit(self, consumer: Consumer, *, final: bool = False, wait_until: float = 0.0) -> bool:
        """Flush, then commit the consumed positions (or commit the transaction).

        Returns False when the brokers have not acknowledged every record yet: nothing is
        committed then, and the next interval tries again. ``final`` waits for them until
        the stop deadline, ``wait_until`` until then.
        """
        if final:
            wait_until = self._stop_deadline
        producer = self._producer
        for handle in self._files.values():
            handle.flush()
        if self.guarantee == "exactly_once":
            self._commit_transaction(consumer)
            return True
        remaining = producer.flush(0.5)
        while remaining and time.monotonic() < min(wait_until, self._stop_deadline):
            self._report_metrics()
            remaining = producer.flush(0.5)
        if final and self._redeliver:
            self._produce_again()
            remaining = producer.flush(max(0.0, min(5.0, self._stop_deadline - time.monotonic())))
        remaining += len(self._redeliver)  # records waiting to be sent again
        if remaining:
            if final:
                self._stop_note = (f"{remaining} records were not acknowledged before stopping; "
                                   "their input will be read again on the next run")
            return False
        if self._delivery_errors:
            errors, self._delivery_errors = self._delivery_errors, []
            raise RunFailedError(f"{len(errors)} records could not be delivered ({errors[0]}); "
                                 "their input will be read again on the next run")
        offsets = self._positions(consumer)
        if offsets:
            try:
                consumer.commit(offsets=offsets, asynchronous=False)
            except KafkaException as exc:
                if final or exc.args[0].fatal():
                    raise
                return False  # e.g. a rebalance or the coordinator away: next interval
            for tp in offsets:
                self._committed[(tp.topic, tp.partition)] = tp.offset
            self._connected()
        return True

    def _connected(self) -> None:
        """Called on evidence that the brokers answer (records fetched, offsets committed)."""
        if self.status == "disconnected":
            self._set_status("running")

    def _probe_reconnect(self) -> None:
        """While disconnected: ask for metadata; once the brokers answer, make sure the
        run's topics exist (a sandbox broker restarted empty) and report running again."""
        try:
            self._admin.list_topics(timeout=0.5)
        except KafkaException:
            return
        try:
            self._ensure_topics(self._admin)
        except (RunFailedError, KafkaException):
            return
        self._connected()

    def _report_metrics(self) -> None:
        if self.config.on_metrics is None and not self.config.observers:
            return
        now = time.monotonic()
        if now >= self._next_metrics:
            self._next_metrics = now + self.config.metrics_interval_s
            snapshot = self.snapshot()
            if self.config.on_metrics is not None:
                self.config.on_metrics(snapshot)
            self._notify("on_tick", snapshot)

    def _notify(self, event: str, arg) -> None:
        for observer in list(self.config.observers):
            try:
                getattr(observer, event)(arg)
            except Exception as exc:  # noqa: BLE001 - observing never fails a run
                self.config.observers.remove(observer)
                self.console("run", f"warning: {type(observer).__name__} stopped after "
                                    f"{type(exc).__name__}: {exc}")

    def _positions(self, consumer: Consumer) -> list[TopicPartition]:
        try:
            positions = consumer.position(consumer.assignment())
        except KafkaException:
            return []
        return [tp for tp in positions
                if tp.offset >= 0 and self._committed.get((tp.topic, tp.partition)) != tp.offset]

    def _commit_transaction(self, consumer: Consumer) -> None:
        producer = self._producer
        if not self._in_txn:
            return
        positions = self._positions(consumer)
        try:
            if positions:
                producer.send_offsets_to_transaction(positions, consumer.consumer_group_metadata(), 30)
            producer.commit_transaction(60)
        except KafkaException as exc:
            err = exc.args[0]
            try:
                producer.abort_transaction(30)
            except KafkaException:
                pass
            self._in_txn = False
            raise RunFailedError(f"the transaction failed and was aborted ({err.str()}); "
                                 "its input will be read again on the next run") from None
        for tp in positions:
            self._committed[(tp.topic, tp.partition)] = tp.offset
        producer.begin_transaction()
        self._in_txn = True

    # -- metrics -----------------------------------------------------------------

    def snapshot(self) -> dict:
        """Counters, lag per partition and recent rates, as plain data."""
        now = time.monotonic()
        nodes = {node_id: m.as_dict() for node_id, m in self.metrics.items()}
        self._rate_window.append((now, nodes))
        while len(self._rate_window) > 2 and now - self._rate_window[0][0] > 5:
            self._rate_window.pop(0)
        t0, first = self._rate_window[0]
        span = now - t0
        rates = {}
        for node_id, counts in nodes.items():
            before = first.get(node_id, counts)
            rates[node_id] = {
                "in": round((counts["in"] - before["in"]) / span, 2) if span > 0 else 0.0,
                "out": round((counts["out"] - before["out"]) / span, 2) if span > 0 else 0.0,
            }
        offsets = self.offsets()
        lag = {topic: {p: max(0, high - committed) for p, (committed, high) in parts.items()}
               for topic, parts in offsets.items()}
        return {"status": self.status, "reason": self.reason, "nodes": nodes,
                "rates": rates, "lag": lag, "offsets": offsets,
                "elapsed_s": round(now - self._started, 3), "group_id": self.application_id}

    def lag(self) -> dict[str, dict[str, int]]:
        """Lag per partition: high watermark − committed offset."""
        return {topic: {p: max(0, high - committed) for p, (committed, high) in parts.items()}
                for topic, parts in self.offsets().items()}

    def offsets(self) -> dict[str, dict[str, tuple[int, int]]]:
        """(committed offset, high watermark) per assigned partition. High watermarks come
        from fetch responses (exact on every broker), not from offset queries."""
        consumer = self._consumer
        if consumer is None:
            return {}
        out: dict[str, dict[str, tuple[int, int]]] = {}
        try:
            assignment = consumer.assignment()
        except (KafkaException, RuntimeError):
            return {}
        for tp in assignment:
            try:
                _, high = consumer.get_watermark_offsets(tp, cached=True)
            except (KafkaException, RuntimeError):
                continue
            if high is None or high < 0:
                continue
            committed = self._committed.get((tp.topic, tp.partition), 0)
            out.setdefault(tp.topic, {})[str(tp.partition)] = (committed, high)
        return out

    def final_metrics(self) -> dict:
        elapsed = time.monotonic() - self._started
        nodes = {node_id: m.as_dict() for node_id, m in self.metrics.items()}
        return {
            "nodes": nodes,
            "lag": self._final_lag,
            "records_per_second": {node_id: round(c["in"] / elapsed, 2) if elapsed > 0 else 0.0
                                   for node_id, c in nodes.items()},
            "elapsed_s": round(elapsed, 3),
        }

    # -- the loop ----------------------------------------------------------------

    def run(self, until_idle: float | None = None, max_seconds: float | None = None) -> RunResult:
        self._final_lag: dict = {}
        self._admin = admin = self.check_reachable()
        self.compiled = compile_topology(self.topology, self, self.application_id,
                                         tap=self._tap if self.config.sample_size > 0 else None)
        self._ensure_topics(admin)
        del admin
        base = self._base_config()
        producer_config = {
            **base, "linger.ms": 5, "partitioner": "murmur2_random", "acks": "all",
            "enable.idempotence": self._idempotence(), "on_delivery": self._on_delivery,
            # Delivery reports only for failures: a Python call per acknowledged record
            # costs 15% of the throughput and tells nothing flush() does not.
            "delivery.report.only.error": True,
            "error_cb": self._on_client_error, "queue.buffering.max.messages": 500_000,
            # Never give up on a record while the brokers are away: the run reports
            # "disconnected" and resumes when they are back.
            "message.timeout.ms": 0,
        }
        consumer_config = {
            **base, "group.id": self.application_id, "enable.auto.commit": False,
            "enable.auto.offset.store": False, "auto.offset.reset": "earliest",
            "partition.assignment.strategy": "range",
            "session.timeout.ms": self.config.session_timeout_ms,
            "heartbeat.interval.ms": max(500, self.config.session_timeout_ms // 3),
            "error_cb": self._on_client_error, "fetch.wait.max.ms": 100,
        }
        if self.guarantee == "exactly_once":
            producer_config["transactional.id"] = f"{self.application_id}-{uuid.uuid4().hex[:12]}"
            producer_config["transaction.timeout.ms"] = 60_000
            producer_config["message.timeout.ms"] = 60_000
            consumer_config["isolation.level"] = "read_committed"
        self._producer = producer = Producer(producer_config)
        if self.guarantee == "exactly_once":
            producer.init_transactions(30)
            producer.begin_transaction()
            self._in_txn = True
        self._consumer = consumer = Consumer(consumer_config)
        self._start_generators()
        consumer.subscribe(self.compiled.topics, on_assign=self._on_assign, on_revoke=self._on_revoke,
                           on_lost=self._on_lost)
        self._set_status("running")
        self._notify("on_start", self)
        entries = self.compiled.entries
        # Joins see their inputs in timestamp order, as Kafka Streams picks the partition
        # whose next record is oldest (within each batch here).
        time_ordered = any(n.type == "join" for n in self.topology.nodes.values())
        next_commit = time.monotonic() + self.commit_interval_s
        self._next_metrics = time.monotonic() + self.config.metrics_interval_s
        next_probe = 0.0
        paused = False
        deadline = self._started + max_seconds if max_seconds else float("inf")
        failure: str | None = None
        try:
            while not self._stop.is_set():
                msgs = consumer.consume(BATCH_SIZE, timeout=0.1)
                now = time.monotonic()
                if msgs:
                    self._last_input = now
                    if time_ordered:
                        msgs = by_timestamp(msgs)
                    for msg in msgs:
                        if msg.error() is None:
                            entries[msg.topic()](msg)
                        else:
                            self._on_consume_error(msg.error())
                    producer.poll(0)
                    self._connected()
                else:
                    producer.poll(0)
                outstanding = len(producer)
                if not paused and outstanding > PAUSE_OUTSTANDING:
                    consumer.pause(consumer.assignment())
                    paused = True
                elif paused and outstanding < RESUME_OUTSTANDING:
                    consumer.resume(consumer.assignment())
                    paused = False
                if self.status == "disconnected" and now >= next_probe:
                    next_probe = now + 1.0
                    self._probe_reconnect()
                if self._redeliver and now >= next_probe:
                    next_probe = now + 1.0
                    self._produce_again()
                if now >= next_commit:
                    self._commit(consumer)
                    next_commit = now + self.commit_interval_s
                self._report_metrics()
                if now >= deadline:
                    break
                if until_idle is not None and self._assigned_at is not None and \
                        now - self._last_input >= until_idle and self._generators_done():
                    break
        except RunFailedError as exc:
            failure = str(exc)
        except KafkaException as exc:
            failure = f"Kafka error: {exc.args[0].str() if exc.args else exc}"
        finally:
            self._stop_deadline = min(self._stop_deadline, time.monotonic() + STOP_GRACE_S)
            self._stop.set()
            for gen in self._generators:
                gen.stop()
            if failure is None and self.status != "failed":
                try:
                    self._commit(consumer, final=True)
                except (RunFailedError, KafkaException) as exc:
                    failure = str(exc.args[0].str() if isinstance(exc, KafkaException) else exc)
            elif self.guarantee == "exactly_once" and self._in_txn:
                try:
                    producer.abort_transaction(10)
                except KafkaException:
                    pass
            self._final_lag = self.lag()
            self._close(consumer, producer)
        if failure or self.status == "failed":
            self._set_status("failed", failure or self.reason)
        else:
            self._set_status("stopped", self._stop_note)
        if self.config.observers:
            self._notify("on_stop", self.snapshot())
        return RunResult(self.status, time.monotonic() - self._started, self.final_metrics(),
                         self.reason)

    def _on_consume_error(self, err: KafkaError) -> None:
        if err.code() == KafkaError._PARTITION_EOF:
            return
        if err.code() in (KafkaError._ALL_BROKERS_DOWN, KafkaError._TRANSPORT):
            self._on_client_error(err)
            return
        if err.fatal():
            raise RunFailedError(f"Kafka error: {err.str()}")
        print(f"warning: {err.str()}", file=sys.stderr)

    def _generators_done(self) -> bool:
        return all(not g.is_alive() for g in self._generators)

    def _start_generators(self) -> None:
        if not self.compiled.generators:
            return
        gen_producer = Producer({**self._base_config(), "linger.ms": 20, "acks": "all",
                                 "partitioner": "murmur2_random",
                                 "error_cb": self._on_client_error})
        self._gen_producer = gen_producer
        lock = threading.Lock()

        def produce(topic, key, value, ts):
            with lock:
                while True:
                    try:
                        gen_producer.produce(topic, value, key, timestamp=ts)
                        return
                    except BufferError:
                        gen_producer.poll(0.05)

        def poll():
            with lock:
                gen_producer.poll(0)

        for node in self.compiled.generators:
            p = node.params
            gen = Generator(p["topic"], produce, profile=p.get("profile", "orders"),
                            rate=p.get("rate", 50), seed=p.get("seed"), limit=p.get("limit"),
                            poll=poll)
            self._generators.append(gen)
            gen.start()

    def _close(self, consumer: Consumer, producer: Producer) -> None:
        def left() -> float:  # what remains of the stop grace period, at most 5 s
            return max(0.0, min(5.0, self._stop_deadline - time.monotonic()))

        for gen in self._generators:
            gen.join(timeout=2)
        if self._generators:
            self._gen_producer.flush(left())
        try:
            consumer.close()
        except (KafkaException, RuntimeError):
            pass
        producer.flush(left())
        for handle in self._files.values():
            handle.close()
        for store in self._stores.values():
            getattr(store, "close", lambda: None)()
        self._stores.clear()
        # Clients hold our callbacks (a reference cycle): drop them now so their
        # threads end here rather than whenever the garbage collector runs.
        self._consumer = self._producer = self._gen_producer = None
        gc.collect()


def by_timestamp(msgs: list) -> list:
    """Messages merged across partitions by timestamp, each partition's order kept."""
    groups: dict[tuple[str, int], list] = {}
    for msg in msgs:
        groups.setdefault((msg.topic(), msg.partition()), []).append(msg)
    if len(groups) < 2:
        return msgs
    return list(heapq.merge(*groups.values(), key=_timestamp_of))


def _timestamp_of(msg) -> int:
    return msg.timestamp()[1]


def _plain(value: Any) -> Any:
    """A value safe to pickle and show: JSON types as they are, anything else as text."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    try:
        return _unjson(_json(value))
    except Exception:  # noqa: BLE001
        return str(value)


def _preview(data: bytes | None, limit: int = 2000) -> str | None:
    if data is None:
        return None
    text = data[:limit].decode("utf-8", errors="replace")
    return text + ("…" if len(data) > limit else "")
