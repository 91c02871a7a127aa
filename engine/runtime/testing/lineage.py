"""Record lineage of a test run (reference §13.3): the records in processing order, where each
went, and the questions the app and the command line ask of them (``Trace``).

Built by the test driver, ``engine.runtime.testing.trace``.
"""

from __future__ import annotations

import json
from typing import Any

from engine.model.topology import Topology
from engine.runtime.serde import to_json_text
from engine.runtime.testing.sample_records import InputRecord, sink_nodes


class TraceRecord:
    """A record leaving a node (entering it, for sinks), or failing at it (``error``).
    ``n`` is its number in processing order, from 1; ``id`` its text id."""

    __slots__ = ("error", "key", "n", "node", "parents", "port", "timestamp", "value")

    def __init__(
        self,
        n: int,
        node: str,
        port: str | None,
        key: Any,
        value: Any,
        timestamp: int,
        parents: tuple,
        error: str | None = None,
    ):
        self.n = n
        self.node = node
        self.port = port
        self.key = key
        self.value = value
        self.timestamp = timestamp
        self.parents = parents
        self.error = error

    @property
    def id(self) -> str:
        return f"r{self.n}"

    def as_json(self) -> dict:
        out = {
            "id": self.id,
            "node": self.node,
            "key": self.key,
            "value": self.value,
            "timestamp": self.timestamp,
            "parents": [f"r{p}" for p in self.parents],
        }
        if self.error is not None:
            out["error"] = self.error
        return out

    def __repr__(self) -> str:
        return (
            f"TraceRecord(r{self.n}, {self.node}, key={self.key!r}, value={self.value!r}, "
            f"parents={self.parents}{', error=' + repr(self.error) if self.error else ''})"
        )


class Visit:
    """A record (``input``, the number of a TraceRecord) entering ``node`` on ``port``, and
    what it became there: ``outputs`` (numbers), ``record`` (the sink's or the error's
    TraceRecord), ``written`` (a sink wrote it: a console past its limit does not),
    ``error``, ``late``, the state keys it wrote (``writes``)."""

    __slots__ = (
        "consumed",
        "error",
        "input",
        "late",
        "node",
        "outputs",
        "port",
        "reads",
        "record",
        "writes",
        "written",
    )

    def __init__(self, node: str, port: str, input_n: int | None):
        self.node = node
        self.port = port
        self.input = input_n
        self.outputs: list[int] = []
        self.record: TraceRecord | None = None
        self.written = False
        self.error: str | None = None
        self.late = False
        self.writes: list[str] | None = None
        self.reads: list[tuple] | None = None  # joins: (store key, writer, value) read
        self.consumed = 0


# -- the result -----------------------------------------------------------------------


class Trace:
    """What a test run did: every record in processing order, every node visit, the
    nodes' counts, the dead letters and the state left in the stores."""

    def __init__(self, topology: Topology, run, inputs: dict[str, list[InputRecord]]):
        self.topology = topology
        self.inputs = inputs
        self.records: list[TraceRecord] = run.trace_records
        self.visits: list[Visit] = run.visits
        self.metrics: dict[str, dict] = {
            node_id: run.metrics[node_id].as_dict() for node_id in topology.nodes
        }
        self.dead_letters = len(run.dead_letters)
        self.console_lines = run.console_lines
        self.stores = run.stores
        self._children: dict[int, list[int]] | None = None
        self._visits_of: dict[int, list[Visit]] | None = None
        self._by_node: tuple[dict, dict] | None = None

    def record(self, n: int) -> TraceRecord:
        return self.records[n - 1]

    # -- reference §13 views ----------------------------------------------------------

    def as_json(self) -> dict:
        return {"records": [r.as_json() for r in self.records]}

    def dumps(self) -> str:
        return json.dumps(
            _jsonable(self.as_json()), ensure_ascii=False, indent=None, separators=(",", ":")
        )

    def outputs(self) -> dict[str, list[dict]]:
        """Per sink node, the records that entered it and were written, as ``{"key", "value"}``
        (JSON values, so they compare with a CASES.json)."""
        out: dict[str, list[dict]] = {node_id: [] for node_id in sink_nodes(self.topology)}
        for visit in self.visits:
            rec = visit.record
            if visit.written and visit.node in out and rec is not None:
                out[visit.node].append({"key": _jsonable(rec.key), "value": _jsonable(rec.value)})
        return out

    # -- lineage ----------------------------------------------------------------------

    def children(self, n: int) -> list[int]:
        if self._children is None:
            children: dict[int, list[int]] = {}
            for rec in self.records:
                for p in rec.parents:
                    children.setdefault(p, []).append(rec.n)
            self._children = children
        return self._children.get(n, [])

    def visits_of(self, n: int) -> list[Visit]:
        """Where record ``n`` went: one visit per node input it entered."""
        if self._visits_of is None:
            index: dict[int, list[Visit]] = {}
            for visit in self.visits:
                if visit.input is not None:
                    index.setdefault(visit.input, []).append(visit)
            self._visits_of = index
        return self._visits_of.get(n, [])

    def ancestors(self, n: int) -> list[int]:
        seen, stack, out = set(), [n], []
        while stack:
            for p in self.record(stack.pop()).parents:
                if p not in seen:
                    seen.add(p)
                    out.append(p)
                    stack.append(p)
        return sorted(out)

    def descendants(self, n: int) -> list[int]:
        seen, stack, out = set(), [n], []
        while stack:
            for c in self.children(stack.pop()):
                if c not in seen:
                    seen.add(c)
                    out.append(c)
                    stack.append(c)
        return sorted(out)

    def node_records(self, node_id: str) -> tuple[list[Visit], list[TraceRecord]]:
        """The visits of a node (its inputs) and the records it emitted (or, for a sink,
        the records that entered it)."""
        if self._by_node is None:
            visits: dict[str, list[Visit]] = {}
            emitted: dict[str, list[TraceRecord]] = {}
            for v in self.visits:
                visits.setdefault(v.node, []).append(v)
            for r in self.records:
                if r.error is None:
                    emitted.setdefault(r.node, []).append(r)
            self._by_node = (visits, emitted)
        return self._by_node[0].get(node_id, []), self._by_node[1].get(node_id, [])

    def outcome(self, visit: Visit) -> str:
        """What a record became at a node, in a few words."""
        node = self.topology.nodes[visit.node]
        if visit.error is not None:
            return f"dead-lettered: {visit.error}"
        if visit.late:
            return "dropped as late (its window had closed)"
        if visit.record is not None:
            return "written" if visit.written else "not written (past the sink's limit)"
        if visit.outputs:
            return f"became {len(visit.outputs)} record{'s' if len(visit.outputs) != 1 else ''}"
        if node.type == "aggregate":
            return "folded into " + (_describe_writes(visit.writes) or "the aggregate")
        if node.type == "join":
            if visit.port == "right" and node.params.get("window") in (None, ""):
                return "stored in the join's table"
            return "buffered, waiting for a match"
        if node.type == "filter":
            return "filtered out"
        return "nothing came out"


def _describe_writes(writes: list[str] | None) -> str:
    if not writes:
        return ""
    parts = []
    for key in dict.fromkeys(writes):
        if key.startswith("w:"):
            start = key.split(":", 2)[1]
            parts.append(f"window from {start}")
        elif key.startswith("s:"):
            parts.append(f"session from {key.rsplit(':', 1)[1]}")
        elif key.startswith("k:"):
            parts.append(f"key {key[2:]}")
    return ", ".join(parts)


def _jsonable(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return json.loads(to_json_text(value))
