"""Test runs and record lineage, in-process and without a broker (SPEC §10).

One driver for ``topology-studio test``, ``topology-studio trace`` and the app's Test Run:
``run_trace(topology, inputs)`` feeds sample records to the source nodes of a topology,
in timestamp order across sources (input order among equal timestamps), on one partition,
through the in-process runner (``engine.runtime.local``), and returns a ``Trace``.

The compiler's ``trace`` hook wraps every node's outputs and inputs, so the driver sees
each record leaving each node (a ``TraceRecord``: id, node, key, value, timestamp, parents)
and each record entering each node (a ``Visit``: what it became there: records, nothing,
an error, a late drop, state written). Processing is depth-first, so "the record being
delivered" and "the node's current input" are two cursors saved and restored around each
call: a node's output names its current input as parent. Records that went through a
repartition topic are found again by the message that carried them. An aggregate's
emission names the input that caused it (also for ``emit: final``, the record whose stream
time closed the window). A join's output names both sides: the other side is the writer of
the state entry the join read for it (the table row of a stream-table join, the buffered
record of a stream-stream join); a left record emitted unmatched when its window closed
names only itself.

As in Kafka Streams' TopologyTestDriver, windows still open when the inputs end are not
flushed: what they hold is in the state stores (``Trace.stores``), for browsing.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from engine.model.catalogue import NODE_TYPES
from engine.model.durations import parse_duration
from engine.model.topology import Topology
from engine.runtime.compiler import SOURCE_TYPES, CompiledTopology, compile_topology
from engine.runtime.local import LocalRun
from engine.runtime.serde import ENCODERS, SerdeError, to_json_text
from engine.runtime.state import MemoryStore

RECORD_FIELDS = ("key", "value", "timestamp", "headers")


class InputError(ValueError):
    """Sample records that cannot be used, as one sentence naming where."""


def _kind(obj: Any) -> str:
    return {list: "a list", str: "text", bool: "true or false", type(None): "null"}.get(
        type(obj), "a number" if isinstance(obj, (int, float)) else type(obj).__name__)


# -- input records --------------------------------------------------------------------


@dataclass(frozen=True)
class InputRecord:
    """One sample record as written in RECORDS.jsonl or a case's inputs."""

    value: Any
    key: Any = None
    timestamp: int = 0
    headers: dict = field(default_factory=dict)

    def as_json(self) -> dict:
        out: dict = {"key": self.key, "value": self.value, "timestamp": self.timestamp}
        if self.headers:
            out["headers"] = dict(self.headers)
        return out


def parse_record(obj: Any, where: str) -> InputRecord:
    """A record object ``{"key", "value", "timestamp", "headers"}``; ``where`` names it in
    the sentence of an ``InputError`` (e.g. ``records.jsonl line 3``)."""
    if not isinstance(obj, dict):
        raise InputError(f"{where}: a record must be an object with a value "
                         f"(and optionally key, timestamp, headers), not {_kind(obj)}")
    unknown = [k for k in obj if k not in RECORD_FIELDS]
    if unknown:
        raise InputError(f"{where}: unknown field '{unknown[0]}' (a record has "
                         f"{', '.join(RECORD_FIELDS)})")
    if "value" not in obj:
        raise InputError(f"{where}: the record has no value")
    ts = obj.get("timestamp", 0)
    if ts is None:
        ts = 0
    if isinstance(ts, bool) or not isinstance(ts, int) or ts < 0:
        raise InputError(f"{where}: timestamp must be milliseconds (a whole number ≥ 0), "
                         f"not {json.dumps(ts)}")
    headers = obj.get("headers") or {}
    if not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values()):
        raise InputError(f"{where}: headers must be an object of text values")
    return InputRecord(obj["value"], obj.get("key"), ts, dict(headers))


def read_jsonl(path: str) -> list[InputRecord]:
    """The records of a JSON-lines file; blank lines are skipped."""
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot be read ({exc})") from None
    records = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except ValueError as exc:
            raise InputError(f"{path} line {number}: not JSON ({exc})") from None
        records.append(parse_record(obj, f"{path} line {number}"))
    return records


def write_jsonl(path: str, records: Iterable[InputRecord]) -> None:
    with open(path, "w", encoding="utf-8") as f:
        f.writelines(to_json_text(record.as_json()) + "\n" for record in records)


def source_nodes(topology: Topology) -> list[str]:
    return [n.id for n in topology.nodes.values() if n.type in SOURCE_TYPES]


def sink_nodes(topology: Topology) -> list[str]:
    return [n.id for n in topology.nodes.values()
            if n.type in NODE_TYPES and not NODE_TYPES[n.type].outputs]


def check_inputs(topology: Topology, inputs: dict[str, Any], where: str = "inputs") -> None:
    """Raises ``InputError`` when an input names a node that is not a source."""
    for node_id in inputs:
        node = topology.nodes.get(node_id)
        if node is None:
            raise InputError(f"{where}: there is no node '{node_id}' in the topology "
                             f"(sources: {', '.join(source_nodes(topology)) or 'none'})")
        if node.type not in SOURCE_TYPES:
            raise InputError(f"{where}: '{node_id}' is a {node.type}, not a source; inputs go to "
                             f"sources ({', '.join(source_nodes(topology)) or 'none'})")


# -- what the driver records ----------------------------------------------------------


class TraceRecord:
    """A record leaving a node (entering it, for sinks), or failing at it (``error``).
    ``n`` is its number in processing order, from 1; ``id`` its text id."""

    __slots__ = ("error", "key", "n", "node", "parents", "port", "timestamp", "value")

    def __init__(self, n: int, node: str, port: str | None, key: Any, value: Any, timestamp: int,
                 parents: tuple, error: str | None = None):
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
        out = {"id": self.id, "node": self.node, "key": self.key, "value": self.value,
               "timestamp": self.timestamp, "parents": [f"r{p}" for p in self.parents]}
        if self.error is not None:
            out["error"] = self.error
        return out

    def __repr__(self) -> str:
        return (f"TraceRecord(r{self.n}, {self.node}, key={self.key!r}, value={self.value!r}, "
                f"parents={self.parents}{', error=' + repr(self.error) if self.error else ''})")


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


class _Cursor:
    __slots__ = ("delivering", "sending", "visit")

    def __init__(self) -> None:
        self.visit: Visit | None = None  # the node input being processed
        self.delivering: int | None = None  # the record being handed to a node's children
        self.sending: InputRecord | None = None  # the input record being fed to a source


class TracedStore(MemoryStore):
    """A state store that notes, for the record being processed, which keys it wrote and
    (for joins) which entries it read and who wrote them."""

    def __init__(self, cursor: _Cursor, join: bool):
        super().__init__()
        self._cursor = cursor
        self._join = join
        self._writers: dict[str, int | None] = {}

    def get(self, key: str, default: Any = None) -> Any:
        value = self._data.get(key, default)
        if self._join and value is not None:
            visit = self._cursor.visit
            if visit is not None:
                if visit.reads is None:
                    visit.reads = []
                visit.reads.append((key, self._writers.get(key), value))
        return value

    def put(self, key: str, value: Any) -> None:
        self._data[key] = value
        visit = self._cursor.visit
        if visit is not None and key[0] != "#":
            if visit.writes is None:
                visit.writes = []
            visit.writes.append(key)
            # A join's buffered record keeps its writer when its "matched" flag changes;
            # a table row is written anew by each right record.
            if self._join and (key[0] == "t" or key not in self._writers):
                self._writers[key] = visit.input

    def delete(self, key: str) -> None:
        self._data.pop(key, None)
        self._writers.pop(key, None)


# -- the driver -----------------------------------------------------------------------


class TracingRun(LocalRun):
    """``LocalRun`` compiled with the lineage hooks; ``feed`` sends sample records."""

    def __post_init__(self) -> None:
        from collections import deque

        self.application_id = self.application_id or self.topology.name
        self._queue = deque()
        self.cursor = _Cursor()
        self.trace_records: list[TraceRecord] = []
        self.visits: list[Visit] = []
        self._next = itertools.count(1).__next__
        self._carried: dict[int, int | None] = {}  # id(repartition message) -> record number
        self.compiled: CompiledTopology = compile_topology(
            self.topology, self, self.application_id, trace=self)
        self._internal = {t.name for t in self.compiled.internal_topics if t.kind == "repartition"}

    # -- Context (overrides) ----------------------------------------------------------

    def produce(self, topic, key, value, headers=None, partition=None, timestamp=None) -> None:
        super().produce(topic, key, value, headers, partition, timestamp)
        if topic in self._internal:
            self._carried[id(self.topics[topic][-1])] = self.cursor.delivering

    def store(self, node_id, partition):
        key = (node_id, partition)
        store = self.stores.get(key)
        if store is None:
            store = self.stores[key] = TracedStore(self.cursor,
                                                   self.topology.nodes[node_id].type == "join")
        return store

    def dead_letter(self, record, node_id, error) -> None:
        super().dead_letter(record, node_id, error)
        cursor = self.cursor
        text = f"{type(error).__name__}: {error}"
        visit = cursor.visit
        if visit is not None and visit.node == node_id:
            if visit.record is not None:  # a sink that could not write what entered it
                visit.record.error = text
            else:
                visit.record = self._add(node_id, visit.port, record.key, record.value,
                                         record.timestamp, _parents(visit.input), text)
            visit.error = text
            return
        parent = cursor.delivering  # failed on its way in (a repartition's group_by)
        key, value = record.key, record.value
        if parent is None and cursor.sending is not None:  # a source could not decode it
            key, value = cursor.sending.key, cursor.sending.value
        failed = Visit(node_id, "in", parent)
        failed.error = text
        failed.record = self._add(node_id, None, key, value, record.timestamp, _parents(parent), text)
        self.visits.append(failed)

    def _add(self, node, port, key, value, timestamp, parents, error=None) -> TraceRecord:
        rec = TraceRecord(self._next(), node, port, key, value, timestamp, parents, error)
        self.trace_records.append(rec)
        return rec

    # -- the compiler's trace hook ----------------------------------------------------

    def output(self, node_id: str, port: str, children):
        cursor, records, next_n = self.cursor, self.trace_records, self._next
        node = self.topology.nodes[node_id]
        join_parents = _join_parents(node, records) if node.type == "join" else None

        def emitted(record) -> None:
            visit = cursor.visit
            n = next_n()
            if visit is None:
                parents = ()
            elif join_parents is not None:
                parents = join_parents(visit, record)
            else:
                parents = () if visit.input is None else (visit.input,)
            records.append(TraceRecord(n, node_id, port, record.key, record.value,
                                       record.timestamp, parents))
            if visit is not None:
                visit.outputs.append(n)
            saved = cursor.delivering
            cursor.delivering = n
            try:
                children(record)
            finally:
                cursor.delivering = saved

        return emitted

    def input(self, node_id: str, port: str, executor):
        cursor, visits, carried = self.cursor, self.visits, self._carried
        metrics = self.metrics[node_id]
        ntype = NODE_TYPES[self.topology.nodes[node_id].type]
        add = self._add if not ntype.outputs else None  # sinks: the record entering is traced

        def entered(record) -> None:
            parent = cursor.delivering
            if parent is None:
                parent = carried.get(id(record.origin))
            visit = Visit(node_id, port, parent)
            visits.append(visit)
            if add is not None:
                visit.record = add(node_id, port, record.key, record.value, record.timestamp,
                                   () if parent is None else (parent,))
            late, out = metrics.late, metrics.out
            saved_visit, saved_delivering = cursor.visit, cursor.delivering
            cursor.visit, cursor.delivering = visit, None
            try:
                executor(record)
            finally:
                cursor.visit, cursor.delivering = saved_visit, saved_delivering
            if metrics.late != late:
                visit.late = True
            if add is not None and metrics.out != out:
                visit.written = True

        return entered

    # -- feeding ----------------------------------------------------------------------

    def feed(self, node_id: str, record: InputRecord) -> None:
        node = self.topology.nodes[node_id]
        params = node.params
        if node.type == "kafka_source":
            key_format = params.get("key_format", "string")
            value_format = params.get("value_format", "json")
        else:
            key_format, value_format = "string", "json"
        headers = [(k, str(v).encode("utf-8")) for k, v in record.headers.items()] or None
        self.cursor.sending = record
        try:
            self.send_raw(params["topic"], _encode(record.key, key_format),
                          _encode(record.value, value_format), record.timestamp, None, headers)
        finally:
            self.cursor.sending = None


def _parents(n: int | None) -> tuple:
    return () if n is None else (n,)


def _encode(value: Any, fmt: str) -> bytes | None:
    """A sample value as the bytes its source reads: in the source's format where it has one
    (text for string and bytes sources), else as JSON text."""
    if value is None:
        return None
    try:
        return ENCODERS[fmt](value)
    except SerdeError:
        return to_json_text(value).encode("utf-8")


def _join_parents(node, records: list[TraceRecord]):
    """A join output's parents: its input and the other side's record it was joined with."""
    window = node.params.get("window")
    table = window in (None, "")
    size = 0 if table else parse_duration(window)

    def parents(visit: Visit, record) -> tuple:
        own = _parents(visit.input)
        reads = visit.reads or ()
        if table:
            for key, writer, _value in reads:
                if key[0] == "t" and writer is not None:
                    return own + (writer,)
            return own
        if record.origin is None:  # a left record emitted unmatched when its window closed
            for key, writer, value in reversed(reads):
                if key[0] == "L" and value.get("t") == record.timestamp \
                        and value.get("k") == record.key and writer is not None:
                    return (writer,)
            return own
        if visit.input is None:
            return own
        ts = records[visit.input - 1].timestamp
        other = "R" if visit.port == "left" else "L"
        i = visit.consumed
        while i < len(reads):
            key, writer, value = reads[i]
            i += 1
            if key[0] == other and abs(value.get("t", ts) - ts) <= size:
                visit.consumed = i
                return own + _parents(writer)
        visit.consumed = i
        return own

    return parents


# -- the result -----------------------------------------------------------------------


class Trace:
    """What a test run did: every record in processing order, every node visit, the
    nodes' counts, the dead letters and the state left in the stores."""

    def __init__(self, topology: Topology, run: TracingRun, inputs: dict[str, list[InputRecord]]):
        self.topology = topology
        self.inputs = inputs
        self.records: list[TraceRecord] = run.trace_records
        self.visits: list[Visit] = run.visits
        self.metrics: dict[str, dict] = {node_id: run.metrics[node_id].as_dict()
                                         for node_id in topology.nodes}
        self.dead_letters = len(run.dead_letters)
        self.console_lines = run.console_lines
        self.stores = run.stores
        self._children: dict[int, list[int]] | None = None
        self._visits_of: dict[int, list[Visit]] | None = None

    def record(self, n: int) -> TraceRecord:
        return self.records[n - 1]

    # -- SPEC §10 views ---------------------------------------------------------------

    def as_json(self) -> dict:
        return {"records": [r.as_json() for r in self.records]}

    def dumps(self) -> str:
        return json.dumps(_jsonable(self.as_json()), ensure_ascii=False, indent=None,
                          separators=(",", ":"))

    def outputs(self) -> dict[str, list[dict]]:
        """Per sink node, the records that entered it and were written, as ``{"key", "value"}``
        (JSON values, so they compare with a CASES.json)."""
        out: dict[str, list[dict]] = {node_id: [] for node_id in sink_nodes(self.topology)}
        for visit in self.visits:
            rec = visit.record
            if visit.written and visit.node in out:
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
        visits = [v for v in self.visits if v.node == node_id]
        emitted = [r for r in self.records if r.node == node_id and r.error is None]
        return visits, emitted

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


def order_inputs(inputs: dict[str, list[InputRecord]]) -> list[tuple[str, InputRecord]]:
    """All inputs in timestamp order across sources, input order among equal timestamps."""
    flat = [(node_id, record) for node_id, records in inputs.items() for record in records]
    return sorted(flat, key=lambda item: item[1].timestamp)  # sorted() is stable


def run_trace(topology: Topology, inputs: dict[str, list[InputRecord]]) -> Trace:
    """The one test driver: feed ``inputs`` (per source node id) and trace what happens.
    The topology must be valid; ``check_inputs`` first for a sentence on bad node ids."""
    check_inputs(topology, inputs)
    run = TracingRun(topology, partitions=1)
    for node_id, record in order_inputs(inputs):
        run.feed(node_id, record)
    return Trace(topology, run, inputs)
