"""Running a topology in a worker process, supervised from a background thread.

The app never runs the engine in its own process: a busy pipeline would stall the
interface (measured: an engine thread inside the GUI process makes a chart update
10x slower). The worker sends events — status, metrics (at least once a second),
console lines, dead letters, preview samples — through a pipe; the supervisor's
thread turns them into ``on_event(kind, payload)`` calls (the kinds and payloads:
``engine.runtime.worker.protocol``). The worker dies with its
parent (PR_SET_PDEATHSIG), so closing or killing the app leaves no orphan.
"""

from __future__ import annotations

import multiprocessing
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from engine.cluster.background import yield_to_interface
from engine.cluster.broker import in_launcher_thread
from engine.model import fileformat
from engine.model.status import RunStatus
from engine.model.topology import Topology
from engine.runtime.worker.protocol import AppRequest, WorkerEvent

MAX_LINES_PER_BATCH = 500
DASHBOARD_INTERVAL_S = 0.5  # dashboards change at most twice a second, whatever the input rate


class RunSupervisor:
    """Start, watch and stop one run of a topology in a child process."""

    def __init__(
        self,
        topology: Topology,
        bootstrap: str,
        on_event: Callable[[str, Any], None],
        *,
        group_id: str | None = None,
        client_config: dict | None = None,
        metrics_interval_s: float = 0.5,
        sample_size: int = 50,
        schema_registry_url: str | None = None,
    ):
        """``schema_registry_url``: the registry of the schema formats (the sandbox's, or the
        one the user named); None: settings.schema_registry, else $SCHEMA_REGISTRY_URL."""
        self.topology_text = fileformat.dumps(topology)
        self.options = {
            "bootstrap": bootstrap,
            "group_id": group_id,
            "client_config": dict(client_config or {}),
            "metrics_interval_s": metrics_interval_s,
            "sample_size": sample_size,
            "schema_registry_url": schema_registry_url,
            "folder": topology.folder,  # sinks' schema files are relative to it
        }
        self.on_event = on_event
        self.process: BaseProcess | None = None
        self._conn: Connection | None = None
        self._thread: threading.Thread | None = None
        self._finished = threading.Event()
        self._send_lock = threading.Lock()

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def running(self) -> bool:
        return self.process is not None and self.process.is_alive()

    def start(self) -> None:
        ctx = multiprocessing.get_context("spawn")
        parent_conn, child_conn = ctx.Pipe(duplex=True)
        self.process = process = ctx.Process(
            target=worker_main,
            name="topology-run",
            args=(self.topology_text, self.options, child_conn),
            daemon=True,
        )
        # Forked from the launcher thread: the worker's parent-death signal must not fire
        # when the thread that asked for the run ends (see engine.broker).
        in_launcher_thread(process.start)
        child_conn.close()
        self._conn = parent_conn
        self._thread = threading.Thread(
            target=self._pump, args=(parent_conn, process), name="run-supervisor", daemon=True
        )
        self._thread.start()

    def _send(self, message: tuple) -> None:
        conn = self._conn
        if conn is None:
            return  # not started
        with self._send_lock:
            try:
                conn.send(message)
            except (OSError, ValueError, BrokenPipeError):
                pass

    def preview(self, node_id: str | None) -> None:
        """Ask for samples of the records passing ``node_id`` (None: no preview)."""
        if self._conn is not None:
            self._send((AppRequest.PREVIEW, node_id))

    def request_state(self, request: dict) -> None:
        """Ask for a page of a stateful node's state (engine.runtime.testing.state_view.state_reply);
        the answer comes back as a "state" event, the run going on meanwhile."""
        if self._conn is not None:
            self._send((AppRequest.STATE, dict(request)))

    def stop(self, timeout: float = 15.0) -> None:
        """Ask the run to stop cleanly (flush and commit); kill it if it does not in time."""
        process = self.process
        if process is None:
            return
        if process.is_alive():
            self._send((AppRequest.STOP,))
            process.join(timeout)
        if process.is_alive():
            process.terminate()
            process.join(3)
        if process.is_alive():
            process.kill()
            process.join(3)
        if self._thread is not None:
            self._thread.join(5)

    def _pump(self, conn: Connection, process: BaseProcess) -> None:
        while True:
            try:
                if not conn.poll(0.25):
                    if not process.is_alive() and not conn.poll(0):
                        break
                    continue
                kind, payload = conn.recv()
            except (EOFError, OSError):
                break
            if kind == WorkerEvent.FINISHED:
                self._finished.set()
            self.on_event(kind, payload)
        process.join(5)
        if not self._finished.is_set():
            code = process.exitcode
            self.on_event(
                WorkerEvent.STATUS,
                (
                    RunStatus.FAILED,
                    (
                        "the run's worker process ended unexpectedly "
                        f"(exit code {code}){_signal_hint(code)}"
                    ),
                ),
            )
            self.on_event(WorkerEvent.FINISHED, None)
        try:
            conn.close()
        except OSError:
            pass


def _signal_hint(code: int | None) -> str:
    """Why a worker killed by a signal most likely died, in words."""
    import signal

    if code is None or code >= 0:
        return ""
    try:
        name = signal.Signals(-code).name
    except ValueError:
        return ""
    if name == "SIGKILL":
        return (
            ": killed (SIGKILL), often by the system when memory ran out; the setting "
            "worker_memory_limit makes such a run fail with a reason instead"
        )
    if name in ("SIGABRT", "SIGSEGV", "SIGBUS"):
        return f": it crashed ({name}), possibly out of memory under worker_memory_limit"
    return f": {name}"


def worker_main(topology_text: str, options: dict, conn) -> None:
    """The worker process: run the topology, report through ``conn``."""
    import signal

    from engine.runtime.dashboard import DashboardSet
    from engine.runtime.kafka.run import BrokerUnreachableError, KafkaRun, RunConfig, RunFailedError
    from engine.runtime.watch.publisher import RunPublisher
    from engine.runtime.worker.memory import apply_memory_limit, out_of_memory_reason

    try:
        _set_parent_death_signal()
    except OSError:
        pass
    signal.signal(
        signal.SIGINT, signal.SIG_IGN
    )  # Ctrl+C in a terminal goes to the app, which stops us
    # A pipeline at full speed takes every cycle it gets; the interface comes first.
    yield_to_interface()

    lock = threading.Lock()
    lines: list[tuple[str, str]] = []
    dead: list[dict] = []
    dropped = {"lines": 0}
    state: dict[str, str | None] = {"preview": None}

    def send(kind: str, payload: Any) -> None:
        with lock:
            try:
                conn.send((kind, payload))
            except (OSError, ValueError):
                pass

    def console(node_id: str, text: str) -> None:
        if len(lines) < MAX_LINES_PER_BATCH:
            lines.append((node_id, text))
        else:
            dropped["lines"] += 1

    def on_dead_letter(info: dict) -> None:
        if len(dead) < MAX_LINES_PER_BATCH:
            dead.append(info)

    def flush_batches() -> None:
        if lines:
            batch = lines[:]
            lines.clear()
            if dropped["lines"]:
                batch.append(("", f"… {dropped['lines']} more lines not shown"))
                dropped["lines"] = 0
            send(WorkerEvent.CONSOLE, batch)
        if dead:
            letters = dead[:]
            dead.clear()
            send(WorkerEvent.DEAD_LETTER, letters)

    topology, _problems = fileformat.loads(topology_text)
    topology.folder = options.get("folder")  # schema files named by sinks are relative to it
    memory_mb = apply_memory_limit(
        topology.settings
    )  # the worst case: this run fails, not the machine
    # The run's dashboards note which rows changed; the app gets the latest value of each,
    # with the metrics, never a message per record.
    dashboards = DashboardSet(track_changes=True)
    sent = {"dashboards": 0.0}

    def flush_dashboards(final: bool = False) -> None:
        now = time.monotonic()
        if not final and now - sent["dashboards"] < DASHBOARD_INTERVAL_S:
            return
        changes = dashboards.take_changes()
        if changes:
            sent["dashboards"] = now
            send(WorkerEvent.DASHBOARDS, changes)

    def on_metrics(snapshot: dict) -> None:
        flush_batches()
        send(WorkerEvent.METRICS, snapshot)
        flush_dashboards()
        node_id = state["preview"]
        if node_id:
            send(WorkerEvent.SAMPLES, (node_id, run.samples(node_id)))

    run = KafkaRun(
        topology,
        RunConfig(
            bootstrap=options["bootstrap"],
            group_id=options.get("group_id"),
            client_config=options.get("client_config") or {},
            console=console,
            on_status=lambda status, reason: send(WorkerEvent.STATUS, (status, reason)),
            on_metrics=on_metrics,
            on_dead_letter=on_dead_letter,
            metrics_interval_s=options.get("metrics_interval_s", 0.5),
            sample_size=options.get("sample_size", 50),
            observers=[RunPublisher()],
            dashboards=dashboards,
            schema_registry_url=options.get("schema_registry_url"),
            local_checkpoints=True,
        ),
    )

    def control() -> None:
        while True:
            try:
                message = conn.recv()
            except (EOFError, OSError):
                run.stop()
                return
            if message[0] == AppRequest.STOP:
                run.stop()
            elif message[0] == AppRequest.PREVIEW:
                state["preview"] = message[1]
            elif message[0] == AppRequest.STATE:  # read here, beside the run's thread: no pause
                from engine.runtime.testing.state_view import state_reply

                send(WorkerEvent.STATE, state_reply(topology, run.stores.stores, message[1]))

    threading.Thread(target=control, name="control", daemon=True).start()
    result_metrics = None
    try:
        result = run.run()
        result_metrics = result.metrics
    except BrokerUnreachableError as exc:
        send(
            WorkerEvent.STATUS,
            (
                RunStatus.FAILED,
                f"{exc}. Check the connection settings and that the brokers are up.",
            ),
        )
    except RunFailedError as exc:
        send(WorkerEvent.STATUS, (RunStatus.FAILED, str(exc)))
    except MemoryError:
        send(WorkerEvent.STATUS, (RunStatus.FAILED, out_of_memory_reason(memory_mb)))
    except Exception as exc:  # noqa: BLE001 - report anything else to the app rather than vanish
        send(WorkerEvent.STATUS, (RunStatus.FAILED, f"{type(exc).__name__}: {exc}"))
    flush_batches()
    flush_dashboards(final=True)
    send(WorkerEvent.FINISHED, result_metrics)
    time.sleep(0.05)
    conn.close()


def _set_parent_death_signal() -> None:
    import ctypes
    import ctypes.util
    import signal
    import sys

    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
