"""Reading the fleet off the cluster (reference §12): ``applications()`` lists what a
cluster runs, a ``FleetReader`` follows one application's metrics topic from its recent
tail into a ``Fleet`` (``engine.cluster.fleet``, which folds the records), and
``read_topology()`` fetches a topology a run published under its hash. Every reader is a
consumer of its own (no group offsets committed) that reads to the end and stops."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition

from engine.cluster import rotation
from engine.cluster.admin import ConnectionProblem, explain
from engine.cluster.fleet import TAIL_RECORDS, Fleet, FleetEvent, metrics_topic, topology_topic
from engine.cluster.kafka_log import with_logger
from engine.model import fileformat
from engine.model.topology import Topology


def _consumer(bootstrap: str, client_config: dict | None) -> tuple[Consumer, list[KafkaError]]:
    errors: list[KafkaError] = []
    consumer = Consumer(
        with_logger(
            {
                "bootstrap.servers": bootstrap,
                **(client_config or {}),
                "group.id": f"topology-studio-fleet-{uuid.uuid4().hex[:8]}",
                "enable.auto.commit": False,
                "auto.offset.reset": "earliest",
                "socket.connection.setup.timeout.ms": 5000,
                "fetch.wait.max.ms": 100,
                "error_cb": errors.append,
            }
        )
    )
    return consumer, errors


def _list_topics(consumer: Consumer, errors: list, bootstrap: str, timeout: float) -> dict:
    try:
        meta = consumer.list_topics(timeout=timeout)
    except KafkaException as exc:
        raise ConnectionProblem(
            explain(errors[-1] if errors else (exc.args[0] if exc.args else None), bootstrap)
        ) from None
    return {name: t for name, t in meta.topics.items() if not t.error}


def _tail_start(consumer: Consumer, tp: TopicPartition, tail: int, timeout: float) -> int:
    try:
        low, high = consumer.get_watermark_offsets(tp, timeout=timeout)
    except KafkaException:
        return 0
    return max(low, high - tail) if high >= 0 else 0


def _read_to_end(
    consumer: Consumer, assigned: list[TopicPartition], timeout: float, on_message
) -> None:
    """Reads what was assigned until every partition is at its end (per the high
    watermarks of fetch responses) or nothing came for half a second.

    The half second counts only once the brokers have answered: from the first message, or
    once every partition's end is known from a fetch response. On a busy broker the first
    fetch alone can take longer than that, and stopping then read nothing at all."""
    deadline = time.monotonic() + timeout
    quiet: float | None = None  # since when nothing came, once the brokers have answered
    while time.monotonic() < deadline:
        msgs = consumer.consume(1000, timeout=0.1)
        for msg in msgs:
            if msg.error() is None:
                on_message(msg)
        done = True
        known = 0
        try:
            positions = consumer.position(
                [TopicPartition(tp.topic, tp.partition) for tp in assigned]
            )
        except KafkaException:
            positions = []
        for tp in positions:
            _, high = consumer.get_watermark_offsets(tp, cached=True)
            if high is not None and high >= 0:
                known += 1
            if high is None or high < 0 or tp.offset < 0 or tp.offset < high:
                done = False
        if done and positions:
            break
        now = time.monotonic()
        if msgs or (quiet is None and positions and known == len(positions)):
            quiet = now
        elif quiet is not None and now - quiet > 0.5:
            break


@dataclass
class Application:
    """One application found on a cluster: what the attach dialog lists."""

    application_id: str
    live: int
    instances: int
    last_seen_ms: int
    skipped: int = 0


def applications(
    bootstrap: str, client_config: dict | None = None, *, tail: int = 200, timeout: float = 8.0
) -> list[Application]:
    """Applications publishing to this cluster (a ``*-metrics`` topic holding our records),
    most recently seen first. Raises ConnectionProblem when the cluster cannot be reached."""
    consumer, errors = _consumer(bootstrap, client_config)
    try:
        topics = _list_topics(consumer, errors, bootstrap, timeout)
        candidates = sorted(
            name
            for name, t in topics.items()
            if name.endswith("-metrics") and len(t.partitions) >= 1
        )
        fleets = {name: Fleet(name[: -len("-metrics")]) for name in candidates}
        assigned = []
        for name in candidates:
            for p in topics[name].partitions:
                tp = TopicPartition(name, p)
                start = _tail_start(consumer, tp, tail, timeout)
                assigned.append(TopicPartition(name, p, start))
        if assigned:
            consumer.assign(assigned)
            now = time.time() * 1000
            _read_to_end(
                consumer, assigned, timeout, lambda msg: fleets[msg.topic()].add(msg.value(), now)
            )
        now = time.time() * 1000
        found = [
            Application(
                f.application_id, len(f.live(now)), len(f.instances), f.last_seen_ms(), f.skipped
            )
            for f in fleets.values()
            if f.instances
        ]
        return sorted(found, key=lambda a: (-a.live, -a.last_seen_ms, a.application_id))
    finally:
        consumer.close()


class FleetReader:
    """Follows one application's metrics topic: ``catch_up()`` reads its recent tail,
    ``poll()`` then folds in what arrived since. Not thread-safe: one thread polls."""

    def __init__(
        self,
        bootstrap: str,
        application_id: str,
        client_config: dict | None = None,
        *,
        tail: int = TAIL_RECORDS,
    ):
        self.bootstrap = bootstrap
        self.fleet = Fleet(application_id)
        self.topic = metrics_topic(application_id)
        self.client_config = dict(client_config or {})
        self.tail = tail
        self._consumer: Consumer | None = None
        self._assigned: list[TopicPartition] = []
        self._errors: list[KafkaError] = []
        self._following = False  # told engine.cluster.rotation it reads the topic

    @property
    def found(self) -> bool:
        """Whether the metrics topic exists (after ``catch_up``)."""
        return bool(self._assigned)

    def catch_up(self, timeout: float = 8.0) -> list[FleetEvent]:
        """Reads the topic's recent tail. Raises ConnectionProblem when the cluster
        cannot be reached; a missing topic leaves the fleet empty (see ``found``)."""
        if not self._following:  # before its consumer meets the topic at all
            rotation.follow([self.topic])
            self._following = True
        if self._consumer is None:
            self._consumer, self._errors = _consumer(self.bootstrap, self.client_config)
        consumer = self._consumer
        topics = _list_topics(consumer, self._errors, self.bootstrap, timeout)
        meta = topics.get(self.topic)
        if meta is None:
            return []
        self._assigned = []
        for p in meta.partitions:
            tp = TopicPartition(self.topic, p)
            self._assigned.append(
                TopicPartition(self.topic, p, _tail_start(consumer, tp, self.tail, timeout))
            )
        consumer.assign(self._assigned)
        events: list[FleetEvent] = []
        now = time.time() * 1000
        _read_to_end(
            consumer,
            self._assigned,
            timeout,
            lambda msg: events.extend(self.fleet.add(msg.value(), now)),
        )
        return events + self.fleet.check(now)

    def poll(self, timeout: float = 0.0) -> list[FleetEvent]:
        """Folds in the records that arrived, then tells which instances went silent."""
        consumer = self._consumer
        if consumer is None:
            return self.catch_up()
        if not self._assigned:
            return self._retry_find()
        events: list[FleetEvent] = []
        while True:
            msgs = consumer.consume(1000, timeout=timeout)
            now = time.time() * 1000
            for msg in msgs:
                if msg.error() is None:
                    events += self.fleet.add(msg.value(), now)
            if len(msgs) < 1000:
                break
            timeout = 0.0
        return events + self.fleet.check()

    def _retry_find(self) -> list[FleetEvent]:
        try:
            return self.catch_up(timeout=2.0)
        except ConnectionProblem:
            return []

    def close(self) -> None:
        if self._consumer is not None:
            self._consumer.close()
            self._consumer = None
        if self._following:
            rotation.unfollow([self.topic])
            self._following = False


def read_topology(
    bootstrap: str,
    application_id: str,
    sha256: str,
    client_config: dict | None = None,
    timeout: float = 8.0,
) -> Topology | None:
    """The topology published under ``sha256`` (None when it is not there or unreadable)."""
    topic = topology_topic(application_id)
    consumer, errors = _consumer(bootstrap, client_config)
    found: dict[str, bytes] = {}
    try:
        meta = _list_topics(consumer, errors, bootstrap, timeout).get(topic)
        if meta is None:
            return None
        assigned = [TopicPartition(topic, p, 0) for p in meta.partitions]
        consumer.assign(assigned)

        def keep(msg) -> None:
            if msg.key() == sha256.encode() and msg.value():
                found["text"] = msg.value()

        _read_to_end(consumer, assigned, timeout, keep)
    finally:
        consumer.close()
    if "text" not in found:
        return None
    try:
        topology, problems = fileformat.loads(found["text"].decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    return topology if not any(p.severity == "error" for p in problems) and topology.nodes else None
