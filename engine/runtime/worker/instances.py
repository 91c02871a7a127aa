"""Several instances of one topology run from the app: worker processes in one consumer group.

``InstanceGroup`` starts N ``RunSupervisor`` workers and speaks to the app as one run:
statuses are combined (running while any instance runs), metrics snapshots are summed
(counts and rates per node, lag and offsets merged) once per round of reports, each
instance's dashboard changes are tagged with its index (the app merges them per instance),
and the run is finished when every instance is. Each instance publishes its own state to the
cluster (see ``engine.runtime.watch.publisher``); that is where the Instances panel reads
which partitions each one holds. ``stop_instance(pid)`` stops one: the consumer group
hands its partitions to the others.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import partial
from typing import Any

from engine.model.status import ENDED, RunStatus
from engine.model.topology import Topology
from engine.runtime.worker.protocol import WorkerEvent
from engine.runtime.worker.supervisor import RunSupervisor

MAX_INSTANCES = 16
# The group's status is its instances' first in this order, else failed if any failed.
_PRECEDENCE = (RunStatus.RUNNING, RunStatus.DISCONNECTED, RunStatus.STARTING, RunStatus.STOPPING)


def combined_status(statuses: list[str]) -> RunStatus:
    for status in _PRECEDENCE:
        if status in statuses:
            return status
    return RunStatus.FAILED if RunStatus.FAILED in statuses else RunStatus.STOPPED


def sum_snapshots(snapshots: list[dict]) -> dict:
    """One snapshot for the whole group: per-node counts and rates added up."""
    nodes: dict[str, dict[str, int]] = {}
    rates: dict[str, dict[str, float]] = {}
    lag: dict[str, dict[str, int]] = {}
    offsets: dict[str, dict] = {}
    for snap in snapshots:
        for node_id, counts in snap.get("nodes", {}).items():
            total = nodes.setdefault(node_id, {})
            for k, v in counts.items():
                total[k] = total.get(k, 0) + v
        for node_id, rate in snap.get("rates", {}).items():
            summed = rates.setdefault(node_id, {"in": 0.0, "out": 0.0})
            for k in ("in", "out"):
                summed[k] = round(summed[k] + float(rate.get(k, 0.0)), 2)
        for topic, parts in snap.get("lag", {}).items():
            lag.setdefault(topic, {}).update(parts)
        for topic, parts in snap.get("offsets", {}).items():
            offsets.setdefault(topic, {}).update(parts)
    first = snapshots[0] if snapshots else {}
    return {
        "status": combined_status([s.get("status", RunStatus.RUNNING) for s in snapshots]),
        "reason": first.get("reason", ""),
        "nodes": nodes,
        "rates": rates,
        "lag": lag,
        "offsets": offsets,
        "elapsed_s": max((s.get("elapsed_s", 0.0) for s in snapshots), default=0.0),
        "group_id": first.get("group_id"),
        "instances": len(snapshots),
    }


def sum_final(metrics: list[dict]) -> dict | None:
    metrics = [m for m in metrics if isinstance(m, dict)]
    if not metrics:
        return None
    out = sum_snapshots(metrics)
    return {
        "nodes": out["nodes"],
        "lag": out["lag"],
        "records_per_second": {
            n: round(sum(m.get("records_per_second", {}).get(n, 0.0) for m in metrics), 2)
            for n in out["nodes"]
        },
        "elapsed_s": out["elapsed_s"],
    }


class InstanceGroup:
    """N workers of one topology, seen by the app as one run (RunSupervisor's interface)."""

    def __init__(
        self,
        topology: Topology,
        bootstrap: str,
        on_event: Callable[[str, Any], None],
        *,
        instances: int = 1,
        **options,
    ):
        if not 1 <= instances <= MAX_INSTANCES:
            raise ValueError(f"instances must be 1 to {MAX_INSTANCES}, not {instances}")
        self.on_event = on_event
        self._lock = threading.Lock()
        self._status: list[str] = [RunStatus.STARTING] * instances
        self._snapshots: list[dict | None] = [None] * instances
        self._finals: list[Any] = [None] * instances
        self._finished = [False] * instances
        self._reported: str = RunStatus.STARTING
        self.supervisors = [
            RunSupervisor(
                topology,
                bootstrap,
                partial(self._on_event, i),
                **options,
            )
            for i in range(instances)
        ]

    @property
    def pid(self) -> int | None:
        return self.supervisors[0].pid

    def pids(self) -> list[int | None]:
        return [s.pid for s in self.supervisors]

    def running(self) -> bool:
        return any(s.running() for s in self.supervisors)

    def start(self) -> None:
        for sup in self.supervisors:
            sup.start()

    def preview(self, node_id: str | None) -> None:
        for sup in self.supervisors:
            sup.preview(node_id)

    def stop(self, timeout: float = 15.0) -> None:
        threads = [
            threading.Thread(target=sup.stop, args=(timeout,), daemon=True)
            for sup in self.supervisors
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout + 10)

    def stop_instance(self, pid: int, timeout: float = 15.0) -> bool:
        """Stop the instance with this process id (blocking); False when it is not ours."""
        for sup in self.supervisors:
            if sup.pid == pid:
                sup.stop(timeout)
                return True
        return False

    # -- combining the workers' events (each from its own supervisor thread) --------------

    def _live(self) -> list[int]:
        return [i for i, done in enumerate(self._finished) if not done]

    def _on_event(self, i: int, kind: str, payload: Any) -> None:
        emit: list[tuple[str, Any]] = []
        with self._lock:
            many = len(self.supervisors) > 1
            if kind == WorkerEvent.STATUS:
                status, reason = payload
                self._status[i] = status
                if many and status in (RunStatus.STOPPED, RunStatus.FAILED, RunStatus.DISCONNECTED):
                    pid = self.supervisors[i].pid
                    told = f"instance {i + 1} (pid {pid}) {status}" + (
                        f": {reason}" if reason else ""
                    )
                    emit.append((WorkerEvent.CONSOLE, [("", told)]))
                overall = combined_status(self._status)
                if overall != self._reported or not many:
                    self._reported = overall
                    emit.append(
                        (WorkerEvent.STATUS, (overall, reason if overall == status else ""))
                    )
            elif kind == WorkerEvent.METRICS:
                self._snapshots[i] = payload
                live = self._live()
                # One combined snapshot per round: when the first live instance reports.
                if not live or i == live[0]:
                    snaps = [
                        s
                        for j, s in enumerate(self._snapshots)
                        if s is not None and (j in live or not live)
                    ]
                    emit.append((WorkerEvent.METRICS, sum_snapshots(snaps) if many else payload))
            elif kind == WorkerEvent.SAMPLES:
                live = self._live()
                if not live or i == live[0]:
                    emit.append((kind, payload))
            elif kind == WorkerEvent.FINISHED:
                self._finished[i] = True
                self._finals[i] = payload
                if self._status[i] not in ENDED:
                    self._status[i] = RunStatus.STOPPED
                if all(self._finished):
                    overall = combined_status(self._status)
                    if overall != self._reported:
                        self._reported = overall
                        emit.append((WorkerEvent.STATUS, (overall, "")))
                    emit.append(
                        (WorkerEvent.FINISHED, sum_final(self._finals) if many else payload)
                    )
                elif many:
                    overall = combined_status(self._status)
                    if overall != self._reported:
                        self._reported = overall
                        emit.append((WorkerEvent.STATUS, (overall, "")))
            elif kind == WorkerEvent.DASHBOARDS and many:
                # Each instance's own rows: tagged, so a whole-table resend from one
                # replaces only its rows in the app (gui.dashboard.board).
                emit.append(
                    (
                        kind,
                        {node_id: {**change, "instance": i} for node_id, change in payload.items()},
                    )
                )
            else:  # console, dead letters, one instance's dashboards: as they came
                emit.append((kind, payload))
        for event, data in emit:
            self.on_event(event, data)
