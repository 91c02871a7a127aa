"""The fleet: runs anywhere publish their state to the cluster; this reads it (reference §12).

Every run writes a ``topology-studio-metrics/1`` record about once a second to
``<application id>-metrics`` (one partition, key = instance id) and its topology file
to ``<application id>-topology`` (compacted, key = the topology's hash). ``Fleet``
folds those records into instances, per-node totals and rates, and lag; it touches no
broker (``engine.cluster.fleet_reader`` reads the topics into it). ``topology-studio
status`` and the app's attach view both use these, so they always agree.

Records that are not JSON, or not of our format, are skipped and counted: a metrics
topic is a shared place and may hold anything.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field

from engine.model import fileformat
from engine.model.status import ENDED, RunStatus
from engine.model.topology import Topology

FORMAT = "topology-studio-metrics/1"
ALIVE_MS = 5_000  # an instance whose last record is older than this is lost (silent)
TAIL_RECORDS = 5_000  # records read back from the end of a metrics topic: ~5 instance-minutes


def metrics_topic(application_id: str) -> str:
    return f"{application_id}-metrics"


def topology_topic(application_id: str) -> str:
    return f"{application_id}-topology"


def topology_sha256(topology: Topology) -> str:
    """The hash that names a topology: its file without node positions (the layout is not
    what runs), nodes and edges in a canonical order, as compact sorted JSON."""
    data = fileformat.to_dict(topology)
    nodes = []
    for node in data["nodes"]:
        node = dict(node)
        node.pop("position", None)
        nodes.append(node)
    data["nodes"] = sorted(nodes, key=lambda n: n["id"])
    data["edges"] = sorted(
        data["edges"],
        key=lambda e: (e["from"], e.get("from_port", ""), e["to"], e.get("to_port", "")),
    )
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def parse_record(value: bytes | None) -> dict | None:
    """A metrics record as plain data, or None when it is not one of ours."""
    if not value:
        return None
    try:
        data = json.loads(value)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        return None
    if not isinstance(data.get("instance"), str) or not data["instance"]:
        return None
    time_ms = data.get("time_ms")
    if isinstance(time_ms, bool) or not isinstance(time_ms, (int, float)):
        return None
    nodes = data.get("nodes")
    if not isinstance(nodes, dict) or not all(
        isinstance(c, dict) and all(isinstance(c.get(k, 0), (int, float)) for k in _COUNTS)
        for c in nodes.values()
    ):
        return None
    for name in ("partitions", "lag"):
        if not isinstance(data.get(name, {}), dict):
            return None
    return data


_COUNTS = ("in", "out", "errors", "late")


@dataclass
class Instance:
    """One process running the application, as its latest record describes it."""

    instance: str
    host: str = ""
    pid: int | None = None
    started_ms: int = 0
    last_seen_ms: int = 0
    status: str = RunStatus.STARTING
    reason: str = ""
    topology_sha256: str = ""
    partitions: dict[str, list[int]] = field(default_factory=dict)
    nodes: dict[str, dict[str, int]] = field(default_factory=dict)
    lag: dict[str, dict[str, int]] = field(default_factory=dict)
    rates: dict[str, dict[str, float]] = field(default_factory=dict)  # node: {"in", "out"} per s
    lost: bool = False  # told as lost (silent) already

    def alive(self, now_ms: float) -> bool:
        return self.status not in ENDED and now_ms - self.last_seen_ms <= ALIVE_MS

    def as_dict(self, now_ms: float) -> dict:
        return {
            "instance": self.instance,
            "host": self.host,
            "pid": self.pid,
            "status": self.status,
            "alive": self.alive(now_ms),
            "partitions": self.partitions,
            "last_seen_ms": self.last_seen_ms,
        }


@dataclass(frozen=True)
class FleetEvent:
    """An instance ``joined``, ``left`` (stopped or failed: ``reason``) or went ``lost`` (silent)."""

    kind: str
    instance: Instance
    reason: str = ""

    def sentence(self) -> str:
        who = f"instance {self.instance.instance} ({self.instance.host}, pid {self.instance.pid})"
        if self.kind == "joined":
            return f"{who} joined"
        if self.kind == "lost":
            return f"{who} is lost: nothing heard for {ALIVE_MS // 1000} s"
        return f"{who} left: {self.instance.status}{': ' + self.reason if self.reason else ''}"


class Fleet:
    """What the records of one application's metrics topic say, folded together."""

    def __init__(self, application_id: str):
        self.application_id = application_id
        self.instances: dict[str, Instance] = {}
        self.skipped = 0  # records that were not ours (foreign or malformed)

    def add(self, value: bytes | None, now_ms: float | None = None) -> list[FleetEvent]:
        """Fold one record in; returns what it changed about the instances."""
        data = parse_record(value)
        if data is None or data.get("application_id", self.application_id) != self.application_id:
            self.skipped += 1
            return []
        now_ms = time.time() * 1000 if now_ms is None else now_ms
        key = data["instance"]
        inst = self.instances.get(key)
        events: list[FleetEvent] = []
        time_ms = int(data["time_ms"])
        if inst is not None and time_ms < inst.last_seen_ms:
            return []  # an older record than what we know (e.g. a retried send)
        was_alive = inst is not None and inst.alive(now_ms) and not inst.lost
        if inst is None:
            inst = self.instances[key] = Instance(key)
        nodes = {
            node_id: {k: int(c.get(k, 0)) for k in _COUNTS} for node_id, c in data["nodes"].items()
        }
        span = (time_ms - inst.last_seen_ms) / 1000
        if inst.nodes and span > 0:
            inst.rates = {
                node_id: {
                    k: round(max(0, c[k] - inst.nodes.get(node_id, c)[k]) / span, 2)
                    for k in ("in", "out")
                }
                for node_id, c in nodes.items()
            }
        inst.host = str(data.get("host", ""))
        pid = data.get("pid")
        inst.pid = pid if isinstance(pid, int) and not isinstance(pid, bool) else None
        inst.started_ms = (
            int(data.get("started_ms") or 0)
            if isinstance(data.get("started_ms"), (int, float))
            else 0
        )
        inst.last_seen_ms = time_ms
        status = data.get("status")
        inst.status = RunStatus.read(status, RunStatus.RUNNING)
        inst.reason = str(data.get("reason") or "")
        inst.topology_sha256 = str(data.get("topology_sha256") or "")
        inst.partitions = {
            str(t): sorted(int(p) for p in ps if isinstance(p, int))
            for t, ps in data.get("partitions", {}).items()
            if isinstance(ps, list)
        }
        inst.nodes = nodes
        inst.lag = {
            str(t): {str(p): int(n) for p, n in parts.items() if isinstance(n, (int, float))}
            for t, parts in data.get("lag", {}).items()
            if isinstance(parts, dict)
        }
        alive = inst.alive(now_ms)
        if alive and not was_alive:
            inst.lost = False
            events.append(FleetEvent("joined", inst))
        elif was_alive and inst.status in ENDED:
            events.append(FleetEvent("left", inst, inst.reason))
        return events

    def check(self, now_ms: float | None = None) -> list[FleetEvent]:
        """Instances that went silent since the last check."""
        now_ms = time.time() * 1000 if now_ms is None else now_ms
        events = []
        for inst in self.instances.values():
            if not inst.lost and inst.status not in ENDED and not inst.alive(now_ms):
                inst.lost = True
                events.append(FleetEvent("lost", inst))
        return events

    def live(self, now_ms: float | None = None) -> list[Instance]:
        now_ms = time.time() * 1000 if now_ms is None else now_ms
        return [i for i in self.instances.values() if i.alive(now_ms)]

    def last_seen_ms(self) -> int:
        return max((i.last_seen_ms for i in self.instances.values()), default=0)

    def topology_hashes(self, now_ms: float | None = None) -> list[str]:
        """Hashes of the topologies run, live instances first, then the most recent."""
        ordered = sorted(
            self.instances.values(),
            key=lambda i: (
                i.alive(time.time() * 1000 if now_ms is None else now_ms),
                i.last_seen_ms,
            ),
            reverse=True,
        )
        out: list[str] = []
        for inst in ordered:
            if inst.topology_sha256 and inst.topology_sha256 not in out:
                out.append(inst.topology_sha256)
        return out

    def nodes(self, now_ms: float | None = None) -> dict[str, dict[str, float]]:
        """Per node: counts summed over every instance seen (each cumulative since it
        started), rates summed over live ones."""
        now_ms = time.time() * 1000 if now_ms is None else now_ms
        out: dict[str, dict[str, float]] = {}
        for inst in self.instances.values():
            alive = inst.alive(now_ms)
            for node_id, counts in inst.nodes.items():
                entry = out.setdefault(
                    node_id,
                    {"in": 0, "out": 0, "errors": 0, "late": 0, "rate_in": 0.0, "rate_out": 0.0},
                )
                for k in _COUNTS:
                    entry[k] += counts[k]
                if alive:
                    rates = inst.rates.get(node_id, {})
                    entry["rate_in"] = round(entry["rate_in"] + rates.get("in", 0.0), 2)
                    entry["rate_out"] = round(entry["rate_out"] + rates.get("out", 0.0), 2)
        return out

    def lag(self, now_ms: float | None = None) -> dict[str, dict[str, int]]:
        """Lag per partition as reported by live instances (the newest report wins)."""
        out: dict[str, dict[str, int]] = {}
        for inst in sorted(self.live(now_ms), key=lambda i: i.last_seen_ms):
            for topic, parts in inst.lag.items():
                out.setdefault(topic, {}).update(parts)
        return out

    def summary(self, now_ms: float | None = None) -> dict:
        """What ``topology-studio status --json`` prints."""
        now_ms = time.time() * 1000 if now_ms is None else now_ms
        instances = sorted(
            self.instances.values(), key=lambda i: (not i.alive(now_ms), -i.last_seen_ms)
        )
        return {
            "application_id": self.application_id,
            "instances": [i.as_dict(now_ms) for i in instances],
            "nodes": self.nodes(now_ms),
            "lag": self.lag(now_ms),
            "skipped": self.skipped,
        }
