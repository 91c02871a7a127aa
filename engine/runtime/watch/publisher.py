"""Publishing a run's state to the cluster, so runs anywhere can be watched (reference §12).

``RunPublisher`` is a run observer: at start it writes the topology file to
``<application id>-topology`` (compacted, key = its hash), then about once a second
and once at stop a ``topology-studio-metrics/1`` record to ``<application id>-metrics``
(one partition, key = the instance id). The topology setting ``publish_metrics: false``
turns it off.

It never fails the run and slows only its start: the two topics are created, and the
answer awaited (at most TOPIC_WAIT_S), before the first write, so ``-topology`` is compacted
as asked rather than created by that write with the broker's defaults. After that its own
small producer (not idempotent, not transactional, a bounded queue) is only ever asked to
``produce()`` and ``poll(0)``; a record that finds the queue full is dropped (the next one
says it all again, counts being cumulative); a broker that refuses a topic gets one warning
on the run's console.
"""

from __future__ import annotations

import json
import os
import socket
import time
import uuid

from confluent_kafka import KafkaError, KafkaException, Producer
from confluent_kafka.admin import AdminClient, NewTopic

from engine.cluster.fleet import FORMAT, metrics_topic, topology_sha256, topology_topic
from engine.cluster.kafka_log import with_logger
from engine.model import fileformat
from engine.model.status import ENDED, RunStatus
from engine.runtime.kafka.run import KafkaRun, RunObserver
from engine.runtime.watch.alert_observer import alerts_of

STOP_FLUSH_S = 1.0  # the final record is waited for this long at most
MAX_PUBLISHED_ALERTS = 50  # transitions carried by each published record, newest last
TOPIC_WAIT_S = 5.0  # how long the start waits for the topics to be created
PUBLISH_INTERVAL_S = 0.9  # runs that report more often (the app's worker) publish once a second


def publishing(topology) -> bool:
    return topology.settings.get("publish_metrics") is not False


def new_instance_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


class RunPublisher(RunObserver):
    """Publishes one run's state; register one per run in ``RunConfig.observers``."""

    def __init__(self, instance_id: str | None = None):
        self.instance = instance_id or new_instance_id()
        self.host = socket.gethostname()
        self.pid = os.getpid()
        self.started_ms = int(time.time() * 1000)
        self.sent = 0
        self.dropped = 0
        self._producer: Producer | None = None
        self._run: KafkaRun | None = None
        self._warned: set[str] = set()
        self._pending_topics: dict = {}
        self._base: dict = {}
        self._next_publish = 0.0
        self._admin: AdminClient | None = None  # kept until the topics are answered for

    # -- the observer ---------------------------------------------------------------------

    def on_start(self, run) -> None:
        if not publishing(run.topology):
            return
        self._run = run
        self._alerts = alerts_of(run.config.observers)
        self.application_id = app_id = run.application_id
        self.metrics_topic = metrics_topic(app_id)
        self.sha256 = topology_sha256(run.topology)
        config = run.config
        self._base = with_logger({"bootstrap.servers": config.bootstrap, **config.client_config})
        self._producer = Producer(
            {
                **self._base,
                "enable.idempotence": False,
                "acks": 1,
                "linger.ms": 20,
                "queue.buffering.max.messages": 1000,
                "message.timeout.ms": 15_000,
                "on_delivery": self._on_delivery,
                "delivery.report.only.error": True,
                "topic.metadata.refresh.interval.ms": 10_000,
            }
        )
        self._create_topics(app_id)
        self._await_topics(TOPIC_WAIT_S)
        self._send(
            topology_topic(app_id), self.sha256, fileformat.dumps(run.topology).encode("utf-8")
        )
        self._publish(
            {"status": RunStatus.STARTING, "reason": "", "nodes": {}, "offsets": {}, "lag": {}}
        )

    def on_tick(self, snapshot: dict) -> None:
        now = time.monotonic()
        if self._producer is None or now < self._next_publish:
            return
        self._next_publish = now + PUBLISH_INTERVAL_S
        self._check_topics()
        self._publish(snapshot)

    def on_stop(self, snapshot: dict) -> None:
        producer = self._producer
        if producer is None:
            return
        self._publish(snapshot)
        producer.flush(STOP_FLUSH_S)
        self._producer = None
        self._run = None

    # -- what is sent --------------------------------------------------------------------

    def record(self, snapshot: dict) -> dict:
        partitions: dict[str, list[int]] = {}
        for topic, parts in (snapshot.get("offsets") or {}).items():
            partitions[topic] = sorted(int(p) for p in parts)
        status = snapshot.get("status", RunStatus.RUNNING)
        return {
            "format": FORMAT,
            "application_id": self.application_id,
            "instance": self.instance,
            "host": self.host,
            "pid": self.pid,
            "started_ms": self.started_ms,
            "time_ms": int(time.time() * 1000),
            "status": status,
            "reason": snapshot.get("reason", ""),
            "topology_sha256": self.sha256,
            "partitions": {} if status in ENDED else partitions,
            "nodes": snapshot.get("nodes") or {},
            "lag": snapshot.get("lag") or {},
            **self._alert_state(),
        }

    def _alert_state(self) -> dict:
        """The run's alert transitions (the latest ones), when it evaluates alert rules."""
        alerts = getattr(self, "_alerts", None)
        if alerts is None or not alerts.active:
            return {}
        return {"alerts": alerts.alerts()[-MAX_PUBLISHED_ALERTS:]}

    def _publish(self, snapshot: dict) -> None:
        self._send(
            self.metrics_topic,
            self.instance,
            json.dumps(self.record(snapshot), separators=(",", ":")).encode("utf-8"),
            partition=0,
        )

    def _send(self, topic: str, key: str, value: bytes, partition: int | None = None) -> None:
        producer = self._producer
        if producer is None:
            return  # stopped
        try:
            if partition is None:
                producer.produce(topic, value, key.encode("utf-8"))
            else:
                producer.produce(topic, value, key.encode("utf-8"), partition=partition)
            self.sent += 1
        except BufferError:
            self.dropped += 1  # the brokers are away: the next record carries the same news
        except KafkaException as exc:
            self._warn(topic, exc.args[0].str() if exc.args else str(exc))
        producer.poll(0)

    # -- topics and failures -------------------------------------------------------------

    def _create_topics(self, app_id: str) -> None:
        try:
            admin = AdminClient(self._base)
            futures = admin.create_topics(
                [
                    NewTopic(metrics_topic(app_id), num_partitions=1, replication_factor=-1),
                    NewTopic(
                        topology_topic(app_id),
                        num_partitions=1,
                        replication_factor=-1,
                        config={"cleanup.policy": "compact"},
                    ),
                ],
                operation_timeout=10,
            )
        except (KafkaException, ValueError) as exc:
            self._warn("topics", str(exc))
            return
        self._pending_topics = futures
        self._admin = admin  # kept until the answers are read

    def _await_topics(self, timeout: float) -> None:
        """Wait for the brokers' answer to the creation (each topic's ``future``), then
        read it as ``_check_topics`` does; an answer that does not come in time is read
        later, at a tick."""
        deadline = time.monotonic() + timeout
        for future in list(self._pending_topics.values()):
            try:
                future.exception(timeout=max(0.0, deadline - time.monotonic()))
            except Exception:  # noqa: BLE001 - timed out or cancelled: read at a tick
                pass
        self._check_topics()

    def _check_topics(self) -> None:
        for topic, future in list(self._pending_topics.items()):
            if not future.done():
                continue
            del self._pending_topics[topic]
            try:
                future.result(timeout=0)
            except KafkaException as exc:
                err = exc.args[0] if exc.args else None
                if err is None or err.code() != KafkaError.TOPIC_ALREADY_EXISTS:
                    self._warn(topic, err.str() if err is not None else str(exc))
            except Exception as exc:  # noqa: BLE001 - an answer we cannot read: say so once
                self._warn(topic, str(exc))
        if not self._pending_topics:
            self._admin = None

    def _on_delivery(self, err, msg) -> None:
        if err is not None:
            self._warn(msg.topic(), err.str())

    def _warn(self, topic: str, reason: str) -> None:
        if self._warned:
            return  # one warning says publishing does not work; more would only be noise
        self._warned.add(topic)
        text = (
            f"warning: run state is not published to {topic}: {reason}. The run goes on; "
            "set publish_metrics to false to stop trying."
        )
        run = self._run
        if run is not None:
            run.console("run", text)
        else:
            print(text, flush=True)
