"""Run, stop and watch a topology from the app: the Qt side of ``engine.supervisor``.

``RunSupervisor`` calls back from its own thread; every event is handed to the GUI
thread through a queued signal before anything Qt sees it. The controller also owns
what a run needs around it: the local sandbox broker and its schema registry (started on
first use, stopped at shutdown; or the registry named in the connection), a cluster client
for look-ups, and the lag of the run's consumer group.
Slow calls (stopping a worker, starting a broker, deleting state) run off the GUI thread.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal, Slot

from engine.cluster.admin import ClusterClient
from engine.cluster.broker import BrokerError, SandboxBroker
from engine.model.status import RunStatus
from engine.model.topology import Topology
from engine.model.validation import errors, validate
from engine.runtime.kafka.keeper import DEFAULT_LIMIT, SandboxKeeper
from engine.runtime.schemas import RegistryConfig, resolve_registry
from engine.runtime.worker.instances import InstanceGroup
from engine.runtime.worker.protocol import WorkerEvent
from engine.runtime.worker.supervisor import RunSupervisor
from gui.monitor.connection import ConnectionProfile, default_profile
from gui.monitor.lag_history import GroupLagHistory
from gui.monitor.qt_lag_poller import GroupLagPoller
from gui.monitor.qt_tasks import BackgroundCall
from gui.monitor.schema_info import RegistryLookup
from gui.monitor.series import SeriesSet

IDLE, STARTING, RUNNING, DISCONNECTED, STOPPING, STOPPED, FAILED = (
    RunStatus.IDLE,
    RunStatus.STARTING,
    RunStatus.RUNNING,
    RunStatus.DISCONNECTED,
    RunStatus.STOPPING,
    RunStatus.STOPPED,
    RunStatus.FAILED,
)
ACTIVE_STATES = (STARTING, RUNNING, DISCONNECTED, STOPPING)


class RunController(QObject):
    """One run at a time of the topology the provider returns."""

    statusChanged = Signal(str, str)  # status, reason
    metricsReceived = Signal(dict)  # the engine's snapshot
    nodeMetrics = Signal(dict)  # {node_id: {in_rate, out_rate, in, out, errors, late}}
    consoleReceived = Signal(list)  # [(node_id, text)]
    deadLettersReceived = Signal(list)  # [{node, error, topic, partition, offset, key, value}]
    samplesReceived = Signal(str, list)  # node_id, records
    dashboardsReceived = Signal(dict)  # {node_id: changes} (engine.runtime.dashboard), at most 2/s
    stateReceived = Signal(
        dict
    )  # a page of a node's state (engine.runtime.testing.state_view.state_reply)
    runFinished = Signal(object)  # final metrics or None
    groupStatus = Signal(str, str, str)  # group, OK/WARN/STALL, reason
    resetFinished = Signal(list)  # problems as sentences (empty: done)
    connectionChanged = Signal(object)  # ConnectionProfile
    bootstrapChanged = Signal(str)  # "" while unknown
    message = Signal(str, str)  # kind ("status"/"error"), text: for the log

    _eventArrived = Signal(int, str, object)

    def __init__(
        self,
        profile: ConnectionProfile | None = None,
        parent=None,
        *,
        metrics_interval_s: float = 0.5,
        sample_size: int = 50,
    ):
        super().__init__(parent)
        self.profile = profile or default_profile()
        self.metrics_interval_s = metrics_interval_s
        self.sample_size = sample_size
        self.topology_provider: Callable[[], Topology | None] = lambda: None
        self.status, self.reason = IDLE, ""
        self.supervisor: RunSupervisor | None = None
        self.group_id = ""
        self.preview_node: str | None = None
        self.instances = 1  # worker processes per run (1-16)
        self.keeper_limit = DEFAULT_LIMIT  # records a sandbox topic holds before a run bounds it
        self.throughput = SeriesSet()  # records/s out per node, epoch seconds on x
        self.last_snapshot: dict | None = None
        self.lag = GroupLagHistory()
        self.lag_poller = GroupLagPoller(self.cluster_client, self.lag, parent=self)
        self.lag_poller.statusChanged.connect(self.groupStatus)
        self._serial = 0
        self._sandbox: SandboxBroker | None = None
        self._sandbox_lock = threading.Lock()
        self._sandbox_owner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sandbox-owner")
        self._client: ClusterClient | None = None
        self._registry: tuple[RegistryConfig, RegistryLookup] | None = None
        self._client_lock = threading.Lock()
        self._keeping = False  # the sandbox keeper runs (engine.runtime.kafka.keeper)
        # One keeper at a time: after a run on the sandbox stops, its topics are bounded at
        # once, while its results are looked at, and a Run meanwhile waits for that.
        self._keeper_lock = threading.Lock()
        self._ran: tuple[str, Topology] | None = None  # (bootstrap, topology) of the last run
        self._tasks: list[BackgroundCall] = []
        self._shut = False
        self._eventArrived.connect(self._on_event_arrived, Qt.ConnectionType.QueuedConnection)

    # -- connection ----------------------------------------------------------------

    def set_topology_provider(self, provider: Callable[[], Topology | None]) -> None:
        self.topology_provider = provider

    def set_profile(self, profile: ConnectionProfile) -> None:
        if self.is_active():
            raise RuntimeError("stop the run before changing the connection")
        self.profile = profile
        self._drop_client()
        if not profile.uses_sandbox:
            self._stop_sandbox_async()
        self.connectionChanged.emit(profile)
        self.bootstrapChanged.emit(self.bootstrap() or "")

    def bootstrap(self) -> str | None:
        """The address clients use now; None while the sandbox broker is not up."""
        if self.profile.uses_sandbox:
            sandbox = self._sandbox
            return sandbox.bootstrap if sandbox is not None and sandbox.running() else None
        return self.profile.bootstrap.strip()

    def client_config(self) -> dict:
        return self.profile.client_config()

    def ensure_bootstrap(self) -> str:
        """Blocking (call it off the GUI thread): the address, starting the sandbox if needed."""
        if not self.profile.uses_sandbox:
            return self.profile.bootstrap.strip()
        with self._sandbox_lock:
            if self._shut:
                raise BrokerError("the app is closing")
            if self._sandbox is None or not self._sandbox.running():
                # Started from a thread that lives as long as the controller: the broker
                # dies with the thread that forked it (PR_SET_PDEATHSIG), not only the process.
                self._sandbox = self._sandbox_owner.submit(
                    SandboxBroker(background=True).start
                ).result()
            return self._sandbox.bootstrap

    def sandbox_registry_url(self) -> str | None:
        """The sandbox's schema registry while the sandbox broker runs (else None)."""
        sandbox = self._sandbox
        if not self.profile.uses_sandbox or sandbox is None or not sandbox.running():
            return None
        return sandbox.registry_url

    def ensure_sandbox_registry(self) -> str | None:
        """Blocking (off the GUI thread): the sandbox's registry, starting the sandbox if
        needed; None when the connection is not the sandbox."""
        if not self.profile.uses_sandbox:
            return None
        self.ensure_bootstrap()
        return self.sandbox_registry_url()

    def registry_url(self) -> str | None:
        """The schema registry runs use now: the one named in the connection, else the
        sandbox's while it runs; None leaves it to the topology's settings.schema_registry
        and $SCHEMA_REGISTRY_URL."""
        return self.profile.registry_setting().get("url") or self.sandbox_registry_url()

    def run_topology(self, topology: Topology) -> Topology:
        """What a run is given: ``topology``, or a copy whose settings.schema_registry is the
        connection's registry (its credentials and CA file too; auto_register as the
        topology says)."""
        setting = self.profile.registry_setting()
        if not setting:
            return topology
        run = topology.copy()
        own = topology.settings.get("schema_registry")
        if isinstance(own, dict) and "auto_register" in own:
            setting["auto_register"] = own["auto_register"]
        run.settings["schema_registry"] = setting
        return run

    def registry_lookup(self) -> RegistryLookup | None:
        """Blocking (off the GUI thread): look-ups in the schema registry runs use — the
        connection's, else the sandbox's (started if need be), else the topology's
        settings.schema_registry or $SCHEMA_REGISTRY_URL; None when there is none. Raises
        RegistryConfigError with a sentence (a ${NAME} that is not set)."""
        if self.profile.uses_sandbox and not self.profile.registry_setting():
            self.ensure_bootstrap()
        topology = self.topology_provider()
        settings = self.run_topology(topology).settings if topology is not None else {}
        config = resolve_registry(settings, self.registry_url())
        if config is None:
            return None
        with self._client_lock:
            if self._registry is None or self._registry[0] != config:
                self._registry = (config, RegistryLookup(config.client(), config.shown_url))
            return self._registry[1]

    def cluster_client(self) -> ClusterClient | None:
        """A shared client for look-ups (thread-safe); None while there is no address."""
        bootstrap = self.bootstrap()
        if not bootstrap:
            return None
        with self._client_lock:
            if self._keeping:
                return None  # the sandbox keeper is rotating topics (see _prepare)
            if self._client is None or self._client.bootstrap != bootstrap:
                old, self._client = self._client, ClusterClient(bootstrap, self.client_config())
                if old is not None:
                    self._background(old.close, name="close-client")
            return self._client

    def _drop_client(self) -> None:
        with self._client_lock:
            old, self._client = self._client, None
        if old is not None:
            self._background(old.close, name="close-client")

    def prepare_connection(self) -> None:
        """Start the sandbox broker now (if that is the profile), so the cluster view has
        something to show before the first run."""
        if self.profile.uses_sandbox and self.bootstrap() is None:
            self._background(
                self.ensure_bootstrap,
                lambda b: self.bootstrapChanged.emit(b),
                lambda exc: self.message.emit("error", f"sandbox broker: {exc}"),
                name="sandbox-start",
            )

    # -- run / stop ----------------------------------------------------------------

    def is_active(self) -> bool:
        return self.status in ACTIVE_STATES

    def run(self) -> bool:
        """Start a run of the provider's topology; False (with a failed status) if it cannot."""
        if self.is_active():
            return False
        topology = self.topology_provider()
        if topology is None:
            self._set_status(FAILED, "there is no topology to run")
            return False
        bad = errors(validate(topology))
        if bad:
            more = f" (and {len(bad) - 1} more problems)" if len(bad) > 1 else ""
            self._set_status(FAILED, f"the topology has problems: {bad[0]}{more}")
            return False
        self._serial += 1
        serial = self._serial
        self.throughput.clear()
        self.last_snapshot = None
        self.group_id = topology.name
        self.lag_poller.stop()
        self.lag.clear(self.group_id)
        waiting = (
            " (starting the sandbox broker)"
            if self.profile.uses_sandbox and not self.bootstrap()
            else ""
        )
        self._set_status(STARTING, f"connecting to {self.profile.describe()}{waiting}")
        self._background(
            lambda: self._prepare(topology),
            lambda prepared: self._launch(serial, topology, *prepared),
            lambda exc: (
                serial == self._serial
                and self._set_status(FAILED, f"cannot start the sandbox broker: {exc}")
            ),
            name="run-start",
        )
        return True

    def _prepare(self, topology: Topology) -> tuple[str, list[str]]:
        """Blocking (off the GUI thread): the address, starting the sandbox if needed; on the
        sandbox, the topology's topics bounded first (reference §16), with what was done."""
        bootstrap = self.ensure_bootstrap()
        if not self.profile.uses_sandbox:
            return bootstrap, []
        return bootstrap, self._bound(bootstrap, self.run_topology(topology))

    def _bound(self, bootstrap: str, topology: Topology) -> list[str]:
        """Blocking: the sandbox keeper over ``topology``'s topics; what it did, as sentences
        for the run log. Done before a run starts, and again as soon as one stops, so that
        the next Run seldom finds anything to bound."""
        with self._keeper_lock:
            with self._client_lock:
                # The shared client's probe must not follow a topic the keeper deletes (it
                # would crash the app); no new client until the keeper is done.
                self._keeping = True
                old, self._client = self._client, None
            try:
                if old is not None:
                    old.close()
                keeper = SandboxKeeper(bootstrap, self.client_config(), limit=self.keeper_limit)
                return keeper.bound(topology, topology.name)
            except Exception as exc:  # noqa: BLE001 - the run starts all the same
                return [f"sandbox: the topics were not bounded: {exc}"]
            finally:
                with self._client_lock:
                    self._keeping = False

    def _launch(
        self, serial: int, topology: Topology, bootstrap: str, notes: list[str] | None = None
    ) -> None:
        for note in notes or []:
            self.message.emit("status", note)
        if serial != self._serial or self.status != STARTING or self._shut:
            return
        self.bootstrapChanged.emit(bootstrap)

        def on_event(kind: str, payload: Any) -> None:  # the supervisor's thread
            self._eventArrived.emit(serial, kind, payload)

        options = {
            "client_config": self.client_config(),
            "metrics_interval_s": self.metrics_interval_s,
            "sample_size": self.sample_size,
            "schema_registry_url": self.registry_url(),
        }
        topology = self.run_topology(topology)
        self._ran = (bootstrap, topology) if self.profile.uses_sandbox else None
        if (
            self.instances > 1
        ):  # worker processes in one consumer group (engine.runtime.worker.instances)
            self.supervisor = InstanceGroup(
                topology, bootstrap, on_event, instances=self.instances, **options
            )
        else:
            self.supervisor = RunSupervisor(topology, bootstrap, on_event, **options)
        try:
            self.supervisor.start()
        except Exception as exc:  # noqa: BLE001 - no worker process (out of processes, files, memory)
            started, self.supervisor = self.supervisor, None
            self._background(started.stop, name="run-stop")  # the instances that did start
            self._set_status(FAILED, f"cannot start the run's worker process: {exc}")
            return
        if self.preview_node:
            self.supervisor.preview(self.preview_node)
        self.lag_poller.watch(self.group_id)

    def stop(self) -> None:
        """Ask the run to stop (flush and commit); returns at once."""
        sup = self.supervisor
        if sup is None:
            if self.status == STARTING:  # still waiting for the broker: just forget it
                self._serial += 1
                self._set_status(STOPPED, "")
            return
        if self.status in (STOPPED, FAILED):
            return
        self._set_status(STOPPING, "flushing and committing")
        self._background(sup.stop, name="run-stop")

    def request_state(self, request: dict) -> int:
        """Ask the run's workers for a page of a node's state; each answers with
        ``stateReceived`` (several instances: one page each, of their partitions). Returns
        how many workers were asked."""
        sup = self.supervisor
        if sup is None or self.status in (STOPPED, FAILED):
            return 0
        workers = getattr(sup, "supervisors", None) or [sup]
        for worker in workers:
            worker.request_state(request)
        return len(workers)

    def set_preview_node(self, node_id: str | None) -> None:
        self.preview_node = node_id or None
        if self.supervisor is not None:
            self.supervisor.preview(self.preview_node)

    # -- reset ---------------------------------------------------------------------

    def reset_application_state(self) -> bool:
        """Delete the consumer group offsets and internal topics of the topology (off the
        GUI thread); ``resetFinished`` tells how it went. The caller asks first."""
        if self.is_active():
            return False
        topology = self.topology_provider()
        if topology is None:
            return False
        app_id = topology.name

        def work() -> list[str]:
            bootstrap = self.ensure_bootstrap()
            client = ClusterClient(bootstrap, self.client_config())
            try:
                return client.delete_application_state(app_id)
            finally:
                client.close()

        def failed(exc: BaseException) -> None:
            self.resetFinished.emit([str(exc) or type(exc).__name__])

        self._background(work, self.resetFinished.emit, failed, name="reset")
        return True

    # -- events from the worker ----------------------------------------------------

    @Slot(int, str, object)
    def _on_event_arrived(self, serial: int, kind: str, payload: Any) -> None:
        if serial == self._serial:
            self.handle_event(kind, payload)

    def handle_event(self, kind: str, payload: Any) -> None:
        """One event of the run, on the GUI thread (tests call it directly)."""
        if kind == WorkerEvent.STATUS:
            status, reason = payload
            if self.status == STOPPING and status in (RUNNING, DISCONNECTED):
                return  # the worker has not heard the stop yet
            self._set_status(status, reason)
        elif kind == WorkerEvent.METRICS:
            self._on_metrics(payload)
        elif kind == WorkerEvent.CONSOLE:
            self.consoleReceived.emit(list(payload))
        elif kind == WorkerEvent.DEAD_LETTER:
            self.deadLettersReceived.emit(list(payload))
        elif kind == WorkerEvent.DASHBOARDS:
            self.dashboardsReceived.emit(dict(payload))
        elif kind == WorkerEvent.STATE:
            self.stateReceived.emit(dict(payload))
        elif kind == WorkerEvent.SAMPLES:
            node_id, records = payload
            if node_id == self.preview_node:
                self.samplesReceived.emit(node_id, list(records))
        elif kind == WorkerEvent.FINISHED:
            self.lag_poller.stop()
            sup, serial = self.supervisor, self._serial
            if sup is None:
                self._on_worker_gone(serial, payload)
            else:  # the worker is exiting: reap it off the GUI thread, then say so
                self._background(
                    lambda: sup.stop(timeout=10),
                    lambda _r: self._on_worker_gone(serial, payload),
                    name="run-reap",
                )

    def _on_worker_gone(self, serial: int, final_metrics) -> None:
        if serial != self._serial:
            return
        self.supervisor = None
        if self.status not in (STOPPED, FAILED):
            self._set_status(STOPPED, "")
        self.runFinished.emit(final_metrics)
        ran, self._ran = self._ran, None
        if ran is not None and not self._shut:
            self._background(
                lambda: self._bound(*ran),
                lambda notes: [self.message.emit("status", note) for note in notes],
                name="sandbox-keeper",
            )

    def _on_metrics(self, snapshot: dict) -> None:
        self.last_snapshot = snapshot
        now = time.time()
        rates = snapshot.get("rates", {})
        self.throughput.append(now, {node: float(r.get("out", 0.0)) for node, r in rates.items()})
        per_node = {}
        for node_id, counts in snapshot.get("nodes", {}).items():
            rate = rates.get(node_id, {})
            per_node[node_id] = {
                "in_rate": float(rate.get("in", 0.0)),
                "out_rate": float(rate.get("out", 0.0)),
                "in": counts.get("in", 0),
                "out": counts.get("out", 0),
                "errors": counts.get("errors", 0),
                "late": counts.get("late", 0),
            }
        status = snapshot.get("status")
        if (
            status in (RUNNING, DISCONNECTED)
            and self.status in (STARTING, RUNNING, DISCONNECTED)
            and status != self.status
        ):
            self._set_status(status, snapshot.get("reason", ""))
        self.metricsReceived.emit(snapshot)
        self.nodeMetrics.emit(per_node)

    def _set_status(self, status: str, reason: str = "") -> None:
        if (status, reason) == (self.status, self.reason):
            return
        self.status, self.reason = status, reason
        self.statusChanged.emit(status, reason)

    # -- background work and shutdown ---------------------------------------------

    def _background(self, fn, on_done=None, on_error=None, name="background") -> BackgroundCall:
        self._tasks = [t for t in self._tasks if t.running()]
        call = BackgroundCall(
            fn, on_done, on_error or (lambda exc: self.message.emit("error", str(exc))), name=name
        )
        self._tasks.append(call)
        return call.start()

    def _stop_sandbox_async(self) -> None:
        def work():
            with self._sandbox_lock:
                sandbox, self._sandbox = self._sandbox, None
            if sandbox is not None:
                sandbox.stop()

        self._background(work, name="sandbox-stop")

    def shutdown(self, timeout: float = 20.0) -> None:
        """Stop everything this controller started — the worker, the sandbox broker —
        and wait for it (the app is closing)."""
        self._shut = True
        self._serial += 1
        self.lag_poller.stop()
        sup, self.supervisor = self.supervisor, None
        if sup is not None:
            sup.stop(timeout=min(timeout, 15.0))
        deadline = time.monotonic() + timeout
        for task in list(self._tasks):
            task.join(max(0.1, deadline - time.monotonic()))
        self.lag_poller.join(max(0.1, deadline - time.monotonic()))
        with self._client_lock:
            client, self._client = self._client, None
            registry, self._registry = self._registry, None
        if client is not None:
            client.close()
        if registry is not None:
            registry[1].client.close()
        with self._sandbox_lock:
            sandbox, self._sandbox = self._sandbox, None
        if sandbox is not None:
            sandbox.stop()
        self._sandbox_owner.shutdown(wait=False)
        if self.status in ACTIVE_STATES:
            self._set_status(STOPPED, "")
