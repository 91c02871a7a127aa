"""The Kafka runtime: executes a compiled topology with confluent-kafka.

One consumer in the consumer group named after the application reads every source
and repartition topic in batches; the compiled closures process each batch; one
producer writes sinks, repartition, changelog and dead-letter topics.

``KafkaRun`` is the loop; everything else is done by the collaborators in
``engine.runtime.kafka`` (records produced by the ``RecordCollector``, state by the
``StateManager`` and restored by the ``ChangelogReader``, commits and transactions by the
``Committer``, partitions by the ``AssignmentHandler``, topics by the ``TopicManager``,
figures by ``RunMetrics``), each given what it needs when constructed; the clients they
share (``RunClients``) are opened before the loop. The operators' context
(``engine.runtime.context.RunContext``) is built from the collaborators, apart from the
loop, when the topology is compiled (``context``).

At-least-once (the default), as Kafka Streams does it: every commit interval the
producer is flushed, so every record derived from the consumed offsets has been
acknowledged by the broker, and only then are those offsets committed. exactly_once
wraps each interval in a Kafka transaction and sends the offsets in it. State of
stateful nodes lives in stores per input partition, each change written to the node's
compacted changelog topic, restored from it before a partition's first record.
"""

from __future__ import annotations

import time

from confluent_kafka import KafkaException

from engine.model.durations import parse_duration
from engine.model.status import RunStatus
from engine.model.topology import Topology
from engine.runtime.compiler import CompiledTopology, compile_topology
from engine.runtime.context import RunContext
from engine.runtime.dashboard import DashboardSet
from engine.runtime.kafka import clients
from engine.runtime.kafka.assignment import AssignmentHandler
from engine.runtime.kafka.collection import collecting_less
from engine.runtime.kafka.collector import RecordCollector
from engine.runtime.kafka.committer import Committer
from engine.runtime.kafka.config import RunConfig, RunResult
from engine.runtime.kafka.connection import ConnectionWatch
from engine.runtime.kafka.errors import (
    BrokerUnreachableError,
    RegistryUnreachableError,
    RunFailedError,
)
from engine.runtime.kafka.files import OpenFiles
from engine.runtime.kafka.flow import FlowControl
from engine.runtime.kafka.generators import GeneratorPool
from engine.runtime.kafka.idle import IdleClock, IdleWatch, unread
from engine.runtime.kafka.lifecycle import STOP_GRACE_S, RunState
from engine.runtime.kafka.live_keeper import LiveKeeper
from engine.runtime.kafka.local_checkpoints import LocalCheckpoints
from engine.runtime.kafka.local_routes import LocalRoutes
from engine.runtime.kafka.metrics import RunMetrics, unread_note
from engine.runtime.kafka.observers import RunObserver, notify
from engine.runtime.kafka.ordering import by_timestamp, dispatcher
from engine.runtime.kafka.registry import connect_registry
from engine.runtime.kafka.restore import ChangelogReader, RestoreStatus
from engine.runtime.kafka.samples import Samples
from engine.runtime.kafka.slots import InstanceSlot, claim_slot, transactional_id
from engine.runtime.kafka.state_manager import StateManager
from engine.runtime.kafka.topics import TopicManager
from engine.runtime.operators.base import NodeMetrics
from engine.runtime.serde import message_max_bytes

__all__ = [
    "STOP_GRACE_S",
    "BrokerUnreachableError",
    "KafkaRun",
    "RegistryUnreachableError",
    "RunConfig",
    "RunFailedError",
    "RunObserver",
    "RunResult",
    "by_timestamp",
]

BATCH_SIZE = 5000


class RunReadout:
    """What callers read of a run (and ask of it), from any thread, at any time: the
    figures, samples and state of ``KafkaRun``'s collaborators."""

    state: RunState
    topics: TopicManager
    routes: LocalRoutes
    changelogs: ChangelogReader
    previews: Samples
    run_metrics: RunMetrics
    dashboards: DashboardSet

    status = property(lambda self: self.state.status)
    reason = property(lambda self: self.state.reason)
    cluster_id = property(lambda self: self.topics.cluster_id)
    restored = property(lambda self: self.changelogs.restored)  # changelog entries replayed
    handoff = property(lambda self: self.routes.handoff)  # None: every record through the topics

    def samples(self, node_id: str) -> list[dict]:
        """The latest records that passed ``node_id`` (oldest first), as plain data."""
        return self.previews.of(node_id)

    def snapshot(self) -> dict:
        return self.run_metrics.snapshot()

    def lag(self) -> dict[str, dict[str, int]]:
        return self.run_metrics.lag()

    def offsets(self) -> dict:
        return self.run_metrics.offsets()

    def final_metrics(self) -> dict:
        final = self.run_metrics.final()
        if self.dashboards:  # the topology has dashboard sinks
            final["dashboards"] = self.dashboards.as_metrics()
        return final

    def stop(self) -> None:
        """Ask the run to stop: it flushes, commits and returns from run(). Records the
        brokers have not acknowledged within STOP_GRACE_S are not waited for: their input
        offsets stay uncommitted, so the next run reads them again."""
        self.state.stop(STOP_GRACE_S)

    def check_reachable(self, timeout: float = 8.0):
        return self.topics.check_reachable(timeout)


class RunOutputs:
    """What a run tells its caller as it goes: console lines, metrics reports, and its
    observers (``RunConfig``'s callbacks)."""

    config: RunConfig

    def console(self, node_id: str, text: str) -> None:
        if self.config.console is not None:
            self.config.console(node_id, text)
        else:
            print(f"[{node_id}] {text}", flush=False)

    def _report(self, snapshot: dict) -> None:
        if self.config.on_metrics is not None:
            self.config.on_metrics(snapshot)
        self._notify("on_tick", snapshot)

    def _notify(self, event: str, arg) -> None:
        notify(self.config.observers, event, arg, self.console)


class KafkaRun(RunReadout, RunOutputs):
    """One instance of a topology running against a cluster.

    ``run()`` blocks until stopped (``stop()`` from any thread or a signal handler),
    idle, or timed out; metrics are readable at any time with ``snapshot()``."""

    def __init__(self, topology: Topology, config: RunConfig):
        self.topology = topology
        self.config = config
        self.application_id = app_id = config.group_id or topology.name
        settings = topology.settings
        self.guarantee = settings.get("processing_guarantee", "at_least_once")
        self.dead_letter_topic = settings.get("dead_letter_topic") or f"{topology.name}.dlq"
        self.commit_interval_s = parse_duration(settings.get("commit_interval", "1s")) / 1000
        self.metrics: dict[str, NodeMetrics] = {
            node_id: NodeMetrics() for node_id in topology.nodes
        }
        self.compiled: CompiledTopology | None = None
        self.clients = run_clients = clients.RunClients()  # opened by _prepare
        base = clients.base_config(config.bootstrap, config.client_config)
        self.state = RunState(config.on_status)
        self.connection = ConnectionWatch(self.state, config.bootstrap)
        self.topics = TopicManager(
            base, config.bootstrap, int(settings.get("topic_partitions", 3)), self.dead_letter_topic
        )
        self.collector = RecordCollector(run_clients, self.dead_letter_topic, config.on_dead_letter)
        self.stores = StateManager(
            app_id,
            settings.get("state_store", "memory"),
            settings.get("state_dir"),
            self.collector.produce,
            base,
            dead_letter=self.collector.dead_letter,
        )
        # The app's runs keep their stores locally at a clean stop (local_checkpoints).
        self.local = LocalCheckpoints.of_run(
            config, self.guarantee, settings.get("state_dir"), app_id, self.topics
        )
        self.files = OpenFiles()
        # Repartitioned records handed to their aggregates in-process (at least once only)
        self.routes = LocalRoutes(
            config.hand_over and self.guarantee != "exactly_once",
            say=lambda text: None if self.state.stopping else self.console("run", text),
        )
        self.committer = Committer(
            self.state,
            run_clients,
            self.collector,
            exactly_once=self.guarantee == "exactly_once",
            before_commit=self._flush_for_commit,
            while_waiting=lambda: self.run_metrics.tick(),
            resend=self._send_again,
            on_committed=self.connection.connected,
            checkpoint=self.stores.checkpoint,
            fill=self.routes.fill,
        )
        self.run_metrics = RunMetrics(
            self.metrics,
            self.state,
            app_id,
            self.committer.committed,
            run_clients,
            interval_s=config.metrics_interval_s,
            report=self._report,
            restore=lambda: self.changelogs.progress,
            listening=lambda: config.on_metrics is not None or bool(config.observers),
        )
        self.changelogs = ChangelogReader(
            self.stores, base, RestoreStatus(self.state, self.run_metrics.tick), self.local
        )
        self.idle = IdleClock()
        self.slot: InstanceSlot | None = None  # exactly_once: the slot behind the transactional id
        self.assignment: AssignmentHandler | None = None  # set by run()
        self.generators = GeneratorPool(base, self.connection.on_client_error)
        self.previews = Samples(config.sample_size)
        # the rows of dashboard_sink nodes (reference §11)
        self.dashboards = config.dashboards if config.dashboards is not None else DashboardSet()
        self._base = base

    def context(self, kafka_produce=None) -> RunContext:
        """The operators' context, captured once by the compiler: the collaborators' methods,
        the producer's own produce() (``kafka_produce``), the schema registry's formats."""
        return RunContext(
            application_id=self.application_id,
            metrics=self.metrics,
            produce=self.collector.produce,
            kafka_produce=kafka_produce,
            dead_letter=self.collector.dead_letter,
            console=self.console,
            store=self.stores.store,
            open_file=self.files.open,
            before_flush=self.stores.before_flush,
            dashboards=self.dashboards,
            topology=self.topology,
            max_message_bytes=message_max_bytes(self.config.client_config),
            schemas=connect_registry(self.topology, self.config.schema_registry_url, self.state),
            handoff=self.routes.handoff,
        )

    # -- the loop ----------------------------------------------------------------

    def run(self, until_idle: float | None = None, max_seconds: float | None = None) -> RunResult:
        state, committer, connection = self.state, self.committer, self.connection
        flow = FlowControl()
        compiled, producer, consumer = self._prepare()
        LiveKeeper.start(self, compiled)  # bounds the sandbox's written topics after commits
        self.generators.start(compiled.generators)
        latest = {t for t, start in compiled.source_starts.items() if start == "latest"}
        routes = self.routes.attach(compiled.topics, committer.committed)  # None: no routes
        self.assignment = assignment = AssignmentHandler(
            state,
            committer,
            self.stores,
            self.changelogs,
            self.idle,
            latest,
            keep_progress=self.guarantee != "exactly_once",
            acknowledged=committer.acknowledged,
            on_assigned=flow.on_assigned,
            on_rebalance=routes.leave if routes is not None else None,
        )
        consumer.subscribe(
            compiled.topics,
            on_assign=assignment.on_assign,
            on_revoke=assignment.on_revoke,
            on_lost=assignment.on_lost,
        )
        state.set(RunStatus.RUNNING)
        self._notify("on_start", self)
        dispatch = dispatcher(compiled.entries, connection.on_consume_error)
        # Joins see their inputs in timestamp order (within each batch).
        time_ordered = any(n.type == "join" for n in self.topology.nodes.values())
        started = self.run_metrics.started
        pace = self.previews.pace if self.config.sample_size > 0 else None
        deadline = started + max_seconds if max_seconds else float("inf")
        next_commit = time.monotonic() + self.commit_interval_s
        self.run_metrics.next_report = time.monotonic() + self.config.metrics_interval_s
        next_probe = 0.0
        idle = IdleWatch(
            self.idle,
            lambda: not connection.disconnected and not committer.behind,
            lambda: (
                unread(consumer, committer.committed, compiled.topics, latest)
                if self.generators.done()
                else None
            ),
        )
        failure: str | None = None
        try:
            with collecting_less():  # (collection.py)
                while not state.stopping:
                    msgs = consumer.consume(BATCH_SIZE, timeout=0.1)
                    now = time.monotonic()
                    if msgs:
                        self.idle.input(now)
                        if pace is not None:
                            pace(len(msgs))
                        if time_ordered:
                            msgs = by_timestamp(msgs)
                        dispatch(msgs)
                        producer.poll(0)
                        connection.connected()
                    else:
                        producer.poll(0)
                    # (a drain of the repartition topics holds every other partition)
                    if routes is None or not routes.turn(consumer, producer, now, flow.paused):
                        flow.throttle(consumer, len(producer), committer.behind)
                    if now >= next_probe and connection.check(
                        now, self.idle.last_input, self.topics, compiled
                    ):
                        next_probe = now + 1.0
                    if self.collector.resend and now >= next_probe:
                        next_probe = now + 1.0
                        self._send_again()
                    if now >= next_commit or committer.behind:  # behind: at once when acknowledged
                        committer.commit()
                        next_commit = now + self.commit_interval_s
                    self.run_metrics.tick()
                    if now >= deadline:
                        break
                    if until_idle is not None and idle.done(now, until_idle):
                        break
        except RunFailedError as exc:
            failure = str(exc)
        except KafkaException as exc:
            failure = f"Kafka error: {exc.args[0].str() if exc.args else exc}"
        finally:
            failure = self._finish(failure)
        if failure or state.status == RunStatus.FAILED:
            state.set(RunStatus.FAILED, failure or state.reason)
        else:
            state.set(RunStatus.STOPPED, state.stop_note)
        if self.config.observers:
            self._notify("on_stop", self.snapshot())
        return RunResult(
            state.status, time.monotonic() - started, self.final_metrics(), state.reason
        )

    def _prepare(self):
        """Everything before the loop. The producer comes first: operators capture its own
        ``produce`` (``kafka_produce``) when the topology is compiled."""
        self.topics.check_reachable()
        exactly_once = self.guarantee == "exactly_once"
        txn_id = None
        if exactly_once:
            self.slot = claim_slot(
                self.application_id,
                self.topology.settings.get("state_dir"),
                self.config.instance_slot,
            )
            txn_id = transactional_id(self.application_id, self.slot.number)
        producer = self.clients.producer = clients.Producer(
            clients.producer_config(
                self._base,
                on_delivery=self.collector.on_delivery,
                idempotence=clients.idempotence(
                    self.guarantee, self.config.idempotence, self.topics.cluster_id
                ),
                on_error=self.connection.on_client_error,
                transactional_id=txn_id,
            )
        )
        try:
            self.compiled = compiled = compile_topology(
                self.topology,
                self.generators.sharing(self.context(producer.produce)),
                self.application_id,
                preview=self.previews if self.config.sample_size > 0 else None,
            )
            self.stores.attach(compiled)  # its stores and entries
            self.topics.ensure(compiled)
            consumer = self.clients.consumer = clients.Consumer(
                clients.consumer_config(
                    self._base,
                    group_id=self.application_id,
                    session_timeout_ms=clients.session_timeout(
                        self.config.session_timeout_ms, self.topics.cluster_id
                    ),
                    on_error=self.connection.on_client_error,
                    read_committed=exactly_once,
                )
            )
        except BaseException:
            clients.close_producer(producer)
            self.clients.producer = None
            if self.slot is not None:
                self.slot.release()
            raise
        if exactly_once:
            self.committer.begin()
        return compiled, producer, consumer

    def _flush_for_commit(self) -> None:
        self.stores.flush()
        self.files.flush()

    def _send_again(self) -> None:
        """Re-create missing topics, then send the records that found none."""
        try:
            self.topics.ensure(self.compiled)
        except (RunFailedError, KafkaException):
            return
        self.collector.send_again()

    def _finish(self, failure: str | None) -> str | None:
        """The last commit (or the abort), the final lag, and the clients closed."""
        state = self.state
        state.stop(STOP_GRACE_S)
        self.generators.stop()
        if failure is None and state.status != RunStatus.FAILED:
            try:
                self.committer.commit(final=True)
            except (RunFailedError, KafkaException) as exc:
                failure = str(exc.args[0].str() if isinstance(exc, KafkaException) else exc)
            if failure is None and self.local is not None:
                self.stores.save_local(self.local, clients.end_offsets(self.clients.consumer))
        elif self.guarantee == "exactly_once":
            self.committer.abort(10)
        assignment = self.assignment
        assert assignment is not None  # run() made it before the loop
        lag = self.run_metrics.final_lag = self.run_metrics.measure_final_lag(
            assignment.lost, assignment.latest_topics
        )
        note = unread_note(lag)
        if note:
            state.stop_note = f"{state.stop_note}; {note}" if state.stop_note else note
        self._close()
        return failure

    def _close(self) -> None:
        self.generators.close(self.state.grace_left)
        self.clients.close(self.state.grace_left, (self.files.close, self.stores.close))
        if self.slot is not None:
            self.slot.release()
