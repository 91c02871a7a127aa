"""Test runs and record lineage, in-process and without a broker (reference §13).

One driver for ``topology-studio test``, ``topology-studio trace`` and the app's Test Run:
``run_trace(topology, inputs)`` feeds sample records (``engine.runtime.testing.sample_records``)
to the source nodes of a topology, in timestamp order across sources (input order among
equal timestamps), on one partition, through the in-process runner
(``engine.runtime.local``), and returns a ``Trace`` (``engine.runtime.testing.lineage``).

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

import gc
import itertools
from typing import Any

from engine.model.catalogue import NODE_TYPES
from engine.model.durations import parse_duration
from engine.model.topology import Topology
from engine.runtime.compiler import CompiledTopology
from engine.runtime.local import LocalRun
from engine.runtime.schemas import SchemaFormats, in_process_format
from engine.runtime.serde import ENCODERS, SerdeError, to_json_text
from engine.runtime.state import MemoryStore
from engine.runtime.testing.lineage import Trace, TraceRecord, Visit
from engine.runtime.testing.sample_records import (
    InputError,
    InputRecord,
    check_inputs,
    order_inputs,
    parse_record,
    read_jsonl,
    sink_nodes,
    source_nodes,
    write_jsonl,
)

__all__ = [
    "InputError",
    "InputRecord",
    "Trace",
    "TraceRecord",
    "TracingRun",
    "Visit",
    "check_inputs",
    "parse_record",
    "read_jsonl",
    "run_trace",
    "sink_nodes",
    "source_nodes",
    "write_jsonl",
]

# -- what the driver records ----------------------------------------------------------


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
            # a table row (t: of a stream-table join, l: and r: of a table join) is written
            # anew by each record of its side.
            if self._join and (key[0] in "tlr" or key not in self._writers):
                self._writers[key] = visit.input

    def delete(self, key: str) -> None:
        self._data.pop(key, None)
        self._writers.pop(key, None)


# -- the driver -----------------------------------------------------------------------


class TracingRun(LocalRun):
    """``LocalRun`` compiled with the lineage hooks; ``feed`` sends sample records."""

    def __post_init__(self) -> None:
        from collections import deque

        if self.schemas is None:
            self.schemas = SchemaFormats(folder=self.topology.folder)
        self.application_id = self.application_id or self.topology.name
        self._queue = deque()
        self._round = 0
        self.undelivered = 0
        self.cursor = _Cursor()
        self.trace_records: list[TraceRecord] = []
        self.visits: list[Visit] = []
        self._next = itertools.count(1).__next__
        self._carried: dict[int, int | None] = {}  # id(repartition message) -> record number
        self.compiled: CompiledTopology = self._compile(trace=self)
        self._fed_back = set(self.compiled.entries)

    # -- the context's services (overrides) --------------------------------------------

    def produce(self, topic, key, value, headers=None, partition=None, timestamp=None) -> None:
        super().produce(topic, key, value, headers, partition, timestamp)
        if topic in self._fed_back:
            cursor = self.cursor
            visit = cursor.visit
            if visit is not None and visit.record is not None:  # a sink writes what entered it
                self._carried[id(self.topics[topic][-1])] = visit.record.n
            else:
                self._carried[id(self.topics[topic][-1])] = cursor.delivering

    def store(self, node_id, partition):
        key = (node_id, partition)
        store = self.stores.get(key)
        if store is None:
            store = self.stores[key] = TracedStore(
                self.cursor,
                node_id in self.topology.nodes
                and self.topology.nodes[node_id].type in ("join", "table_join"),
            )
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
                visit.record = self._add(
                    node_id,
                    visit.port,
                    record.key,
                    record.value,
                    record.timestamp,
                    _parents(visit.input),
                    text,
                )
            visit.error = text
            return
        parent = cursor.delivering  # failed on its way in (a repartition's group_by)
        key, value = record.key, record.value
        if parent is None and cursor.sending is not None:  # a source could not decode it
            key, value = cursor.sending.key, cursor.sending.value
        failed = Visit(node_id, "in", parent)
        failed.error = text
        failed.record = self._add(
            node_id, None, key, value, record.timestamp, _parents(parent), text
        )
        self.visits.append(failed)

    def _add(self, node, port, key, value, timestamp, parents, error=None) -> TraceRecord:
        rec = TraceRecord(self._next(), node, port, key, value, timestamp, parents, error)
        self.trace_records.append(rec)
        return rec

    # -- the compiler's trace hook ----------------------------------------------------

    def output(self, node_id: str, port: str, children):
        cursor, records, next_n = self.cursor, self.trace_records, self._next
        carried = self._carried
        node = self.topology.nodes[node_id]
        join_parents = (
            _join_parents(node, records)
            if node.type == "join"
            else _table_join_parents
            if node.type == "table_join"
            else None
        )

        def emitted(record) -> None:
            visit = cursor.visit
            n = next_n()
            parents: tuple[int, ...]
            if visit is None:  # a source: fed back from a sink of this topology, or an input
                parents = _parents(carried.get(id(record.origin)))
            elif join_parents is not None:
                parents = join_parents(visit, record)
            else:
                parents = () if visit.input is None else (visit.input,)
            records.append(
                TraceRecord(n, node_id, port, record.key, record.value, record.timestamp, parents)
            )
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
                visit.record = add(
                    node_id,
                    port,
                    record.key,
                    record.value,
                    record.timestamp,
                    () if parent is None else (parent,),
                )
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
        if node.type in ("kafka_source", "table_source"):
            key_format = params.get("key_format", "string")
            value_format = params.get("value_format", "json")
        else:
            key_format, value_format = "string", "json"
        headers = [(k, str(v).encode("utf-8")) for k, v in record.headers.items()] or None
        self.cursor.sending = record
        try:
            self.send_raw(
                params["topic"],
                _encode(record.key, key_format),
                _encode(record.value, value_format),
                record.timestamp,
                None,
                headers,
            )
        finally:
            self.cursor.sending = None


def _parents(n: int | None) -> tuple:
    return () if n is None else (n,)


def _encode(value: Any, fmt: str) -> bytes | None:
    """A sample value as the bytes its source reads: in the source's format where it has one
    (text for string and bytes sources; JSON for the schema formats, whose records test runs
    are given decoded), else as JSON text."""
    if value is None:
        return None
    try:
        return ENCODERS[in_process_format(fmt)](value)
    except SerdeError:
        return to_json_text(value).encode("utf-8")


def _table_join_parents(visit: Visit, record) -> tuple:
    """A table join output's parents: its input and the writer of the other side's row."""
    own = _parents(visit.input)
    other = "r:" if visit.port == "left" else "l:"
    for key, writer, _value in visit.reads or ():
        if key.startswith(other) and writer is not None:
            return own + (writer,)
    return own


def _join_parents(node, records: list[TraceRecord]):
    """A join output's parents: its input and the other side's record it was joined with."""
    params = node.params
    window = params.get("window")
    table = window in (None, "")
    size = 0 if table else parse_duration(window)
    before = parse_duration(params["before"]) if params.get("before") is not None else size
    after = parse_duration(params["after"]) if params.get("after") is not None else size

    def parents(visit: Visit, record) -> tuple:
        own = _parents(visit.input)
        reads = visit.reads or ()
        if table:
            for key, writer, _value in reads:
                if key[0] == "t" and writer is not None:
                    return own + (writer,)
            return own
        if record.origin is None:  # a record emitted unmatched when its window closed
            for key, writer, value in reversed(reads):
                if (
                    key[0] in "LR"
                    and value.get("t") == record.timestamp
                    and value.get("k") == record.key
                    and writer is not None
                ):
                    return (writer,)
            return own
        if visit.input is None:
            return own
        ts = records[visit.input - 1].timestamp
        other = "R" if visit.port == "left" else "L"
        # the other side's timestamps joined: -before <= right - left <= after
        low, high = (-before, after) if visit.port == "left" else (-after, before)
        i = visit.consumed
        while i < len(reads):
            key, writer, value = reads[i]
            i += 1
            if key[0] == other and low <= value.get("t", ts) - ts <= high:
                visit.consumed = i
                return own + _parents(writer)
        visit.consumed = i
        return own

    return parents


def run_trace(
    topology: Topology, inputs: dict[str, list[InputRecord]], *, freeze: bool = True
) -> Trace:
    """The one test driver: feed ``inputs`` (per source node id) and trace what happens.
    The topology must be valid; ``check_inputs`` first for a sentence on bad node ids.
    ``freeze`` (default): move what the run made out of the collector's sight (``gc.freeze``;
    the records are still freed when the trace is dropped, they form no cycles): else the
    first full collection after the run scans hundreds of thousands of records, a pause of
    up to a second in whatever runs next (the app's views, the next case)."""
    check_inputs(topology, inputs)
    run = TracingRun(topology, partitions=1)
    # A trace keeps every record it makes: the cyclic collector, scanning them again and
    # again as they pile up, took a third of a test run's time. They form no cycles.
    collecting = gc.isenabled()
    gc.disable()
    try:
        for node_id, record in order_inputs(inputs):
            run.feed(node_id, record)
        trace = Trace(topology, run, inputs)
    finally:
        if freeze:
            gc.freeze()
        if collecting:
            gc.enable()
    return trace
