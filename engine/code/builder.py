"""A Kafka-Streams-like builder: the engine's front door in Python.

    builder = StreamsBuilder("ecommerce-dashboard")
    orders = builder.generator("orders", topic="orders", profile="orders", rate=50)
    paid = orders.filter("value['status'] == 'paid'", name="paid")
    (paid.group_by("value['category']", name="revenue")
         .window(TumblingWindow("1m", grace="0s"))
         .aggregate([Aggregation("revenue", "sum", "value['amount']")], emit="final")
         .to("revenue-by-category", name="out"))
    topology = builder.build()

Every call adds one node of the catalogue to the same topology model the canvas
edits; keyword arguments are the node's params, named as in the topology file.
Exported scripts are written with this API, and imported back by reading it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from engine.model.problems import TopologyError
from engine.model.topology import Edge, Node, Topology
from engine.model.validation import errors, validate


def _params(**kwargs: Any) -> dict:
    return {k: v for k, v in kwargs.items() if v is not None}


@dataclass(frozen=True)
class TumblingWindow:
    size: str
    grace: str | None = None

    def to_param(self) -> dict:
        return _params(type="tumbling", size=self.size, grace=self.grace)


@dataclass(frozen=True)
class HoppingWindow:
    size: str
    advance: str
    grace: str | None = None

    def to_param(self) -> dict:
        return _params(type="hopping", size=self.size, advance=self.advance, grace=self.grace)


@dataclass(frozen=True)
class SessionWindow:
    gap: str
    grace: str | None = None

    def to_param(self) -> dict:
        return _params(type="session", gap=self.gap, grace=self.grace)


@dataclass(frozen=True)
class SlidingWindow:
    """Kafka Streams' ``SlidingWindows.ofTimeDifferenceAndGrace(size, grace)``."""

    size: str
    grace: str | None = None

    def to_param(self) -> dict:
        return _params(type="sliding", size=self.size, grace=self.grace)


@dataclass(frozen=True)
class Aggregation:
    """One aggregation: ``Aggregation("revenue", "sum", "value['amount']")``; a reduce folds
    the values with ``expr`` over ``agg`` and ``value``, from ``init`` when given:
    ``Aggregation("joined", "reduce", "agg + '+' + value", init="'0'")``; in a table aggregate
    a reduce also says how a row's old value is taken back: ``subtract="agg - value"``."""

    name: str
    fn: str
    expr: str | None = None
    init: str | None = None
    subtract: str | None = None

    def to_param(self) -> dict:
        return _params(
            name=self.name, fn=self.fn, expr=self.expr, init=self.init, subtract=self.subtract
        )


@dataclass(frozen=True)
class Branch:
    name: str
    expr: str

    def to_param(self) -> dict:
        return {"name": self.name, "expr": self.expr}


def window_from_param(window: dict | None):
    """The builder object for a window param (None for no window)."""
    if not window or window.get("type", "none") == "none":
        return None
    kind = window["type"]
    if kind == "tumbling":
        return TumblingWindow(window["size"], window.get("grace"))
    if kind == "hopping":
        return HoppingWindow(window["size"], window["advance"], window.get("grace"))
    if kind == "session":
        return SessionWindow(window["gap"], window.get("grace"))
    if kind == "sliding":
        return SlidingWindow(window["size"], window.get("grace"))
    raise ValueError(f"unknown window type {kind!r}")


def _window_param(window) -> dict | None:
    if window is None or isinstance(window, dict):
        return window
    if isinstance(window, (TumblingWindow, HoppingWindow, SessionWindow, SlidingWindow)):
        return window.to_param()
    raise TypeError(
        f"a window must be TumblingWindow(...), HoppingWindow(...), SessionWindow(...), "
        f"SlidingWindow(...), "
        f"a dict or None, not {window!r}"
    )


def _branch_param(branch) -> dict:
    if isinstance(branch, Branch):
        return branch.to_param()
    if isinstance(branch, dict) and isinstance(branch.get("name"), str) and "expr" in branch:
        return dict(branch)
    raise ValueError(
        f"a branch must be Branch(name, expr) or a dict with 'name' and 'expr', not {branch!r}"
    )


class StreamsBuilder:
    """Builds a Topology node by node; ``build()`` validates and returns it."""

    def __init__(self, name: str, **settings: Any):
        self.topology = Topology(name, _params(**settings))

    def _add(
        self,
        node_type: str,
        name: str | None,
        params: dict,
        inputs: Sequence[tuple[KStream, str]] = (),
    ) -> KStream:
        node_id = name or self.topology.unique_id(node_type)
        self.topology.add_node(Node(node_id, node_type, params))
        for upstream, port in inputs:
            self.topology.add_edge(Edge(upstream.node_id, node_id, upstream.port, port))
        return KStream(self, node_id)

    def stream(
        self,
        topic: str,
        *,
        name: str | None = None,
        key_format: str | None = None,
        value_format: str | None = None,
        start: str | None = None,
        timestamp: str | None = None,
    ) -> KStream:
        """A kafka_source node reading ``topic``."""
        return self._source("kafka_source", topic, name, key_format, value_format, start, timestamp)

    def table(
        self,
        topic: str,
        *,
        name: str | None = None,
        key_format: str | None = None,
        value_format: str | None = None,
        start: str | None = None,
        timestamp: str | None = None,
    ) -> KStream:
        """A table_source node: ``topic`` read as a table, the latest value per key (a
        null value deletes the key and is handed on as a tombstone)."""
        return self._source("table_source", topic, name, key_format, value_format, start, timestamp)

    def _source(self, type_name: str, topic: str, name, key_format, value_format, start, timestamp):
        """A source node of ``type_name`` reading ``topic`` (kafka_source and table_source
        take the same params)."""
        return self._add(
            type_name,
            name,
            _params(
                topic=topic,
                key_format=key_format,
                value_format=value_format,
                start=start,
                timestamp=timestamp,
            ),
        )

    def generator(
        self,
        topic: str,
        *,
        name: str | None = None,
        profile: str | None = None,
        rate: float | None = None,
        seed: int | None = None,
        limit: int | None = None,
        value_format: str | None = None,
        value_schema: str | None = None,
    ) -> KStream:
        """A generator_source node: synthetic e-commerce events written to ``topic``
        (``value_format`` avro, protobuf or json_schema: with ``value_schema``)."""
        return self._add(
            "generator_source",
            name,
            _params(
                topic=topic,
                profile=profile,
                rate=rate,
                seed=seed,
                limit=limit,
                value_format=value_format,
                value_schema=value_schema,
            ),
        )

    def layout(self, positions: dict[str, tuple[float, float]]) -> None:
        """Canvas positions of nodes, by id (a hint for the designer; no effect on a run)."""
        for node_id, (x, y) in positions.items():
            self.topology.node(node_id).position = (float(x), float(y))

    def build(self, *, check: bool = True) -> Topology:
        if check:
            bad = errors(validate(self.topology))
            if bad:
                raise TopologyError(bad)
        return self.topology


class KStream:
    """A stream: one output port of one node."""

    def __init__(self, builder: StreamsBuilder, node_id: str, port: str = "out"):
        self.builder = builder
        self.node_id = node_id
        self.port = port

    def _then(self, node_type: str, name: str | None, params: dict, port: str = "in") -> KStream:
        return self.builder._add(node_type, name, params, [(self, port)])

    def filter(self, expr: str, *, name: str | None = None) -> KStream:
        return self._then("filter", name, {"expr": expr})

    def map(self, expr: str, *, name: str | None = None) -> KStream:
        return self._then("map", name, {"expr": expr})

    def set_fields(self, fields: dict[str, str], *, name: str | None = None) -> KStream:
        return self._then("set_fields", name, {"fields": dict(fields)})

    def flat_map(self, expr: str, *, name: str | None = None) -> KStream:
        return self._then("flat_map", name, {"expr": expr})

    def rekey(self, expr: str, *, name: str | None = None) -> KStream:
        return self._then("rekey", name, {"expr": expr})

    select_key = rekey

    def branch(
        self, branches: list[Branch | dict], *, name: str | None = None
    ) -> dict[str, KStream]:
        """Routes records to the first matching branch; returns a stream per branch and 'else'."""
        params = {"branches": [_branch_param(b) for b in branches]}
        node = self._then("branch", name, params)
        ports = [b["name"] for b in params["branches"]] + ["else"]
        return {port: KStream(self.builder, node.node_id, port) for port in ports}

    def merge(self, *others: KStream, name: str | None = None) -> KStream:
        return self.builder._add("merge", name, {}, [(s, "in") for s in (self, *others)])

    def to_table(self, *, name: str | None = None) -> KStream:
        """A to_table node: this stream read as a table, the latest value per key."""
        return self._then("to_table", name, {})

    def group_by(self, expr: str | None = None, *, name: str | None = None) -> GroupedStream:
        return GroupedStream(self, expr, name)

    def group_by_key(self, *, name: str | None = None) -> GroupedStream:
        return GroupedStream(self, None, name)

    def aggregate(
        self,
        aggregations: list[Aggregation | dict],
        *,
        name: str | None = None,
        group_by: str | None = None,
        window: Any = None,
        emit: str | None = None,
    ) -> KStream:
        """An aggregate node in one call (``group_by(...).window(...).aggregate(...)`` reads better)."""
        window = _window_param(window)
        aggs = [a.to_param() if isinstance(a, Aggregation) else dict(a) for a in aggregations]
        return self._then(
            "aggregate",
            name,
            _params(group_by=group_by, window=window, aggregations=aggs, emit=emit),
        )

    def join(
        self,
        table: KStream,
        expr: str,
        *,
        name: str | None = None,
        mode: str | None = None,
        window: str | None = None,
        before: str | None = None,
        after: str | None = None,
        grace: str | None = None,
    ) -> KStream:
        """Join this stream (left) with ``table`` (right): a table join, or a stream-stream join
        within ``window`` (a right record at most ``before`` earlier or ``after`` later than
        the left one, both ``window`` when not given; late records join until ``grace`` after
        it). ``expr`` builds the output value from ``left`` and ``right``."""
        return self.builder._add(
            "join",
            name,
            _params(mode=mode, window=window, before=before, after=after, grace=grace, expr=expr),
            [(self, "left"), (table, "right")],
        )

    def outer_join(
        self,
        other: KStream,
        expr: str,
        *,
        window: str,
        name: str | None = None,
        before: str | None = None,
        after: str | None = None,
        grace: str | None = None,
    ) -> KStream:
        """A stream-stream join that also emits the unmatched records of either side, with
        the other side None, once their window has passed."""
        return self.join(
            other,
            expr,
            name=name,
            mode="outer",
            window=window,
            before=before,
            after=after,
            grace=grace,
        )

    def left_join(
        self,
        table: KStream,
        expr: str,
        *,
        name: str | None = None,
        window: str | None = None,
        before: str | None = None,
        after: str | None = None,
        grace: str | None = None,
    ) -> KStream:
        return self.join(
            table,
            expr,
            name=name,
            mode="left",
            window=window,
            before=before,
            after=after,
            grace=grace,
        )

    def table_aggregate(
        self,
        aggregations: list[Aggregation | dict],
        *,
        group_by: str,
        name: str | None = None,
    ) -> KStream:
        """A table_aggregate node: this table regrouped by ``group_by`` and aggregated, each
        change retracting the row's old value before adding its new one."""
        aggs = [a.to_param() if isinstance(a, Aggregation) else dict(a) for a in aggregations]
        return self._then("table_aggregate", name, {"group_by": group_by, "aggregations": aggs})

    def table_join(
        self, other: KStream, expr: str, *, name: str | None = None, mode: str | None = None
    ) -> KStream:
        """A table_join node: this table (left) joined with ``other`` (right) on the key,
        emitting on changes of either side; ``mode`` inner, left or outer."""
        return self.builder._add(
            "table_join", name, _params(mode=mode, expr=expr), [(self, "left"), (other, "right")]
        )

    def to(
        self,
        topic: str,
        *,
        name: str | None = None,
        key_format: str | None = None,
        value_format: str | None = None,
        value_schema: str | None = None,
        key_schema: str | None = None,
        subject_strategy: str | None = None,
    ) -> None:
        """A kafka_sink node writing to ``topic``. With the avro, protobuf and json_schema
        formats, ``value_schema`` / ``key_schema`` is the schema text, a file (.avsc, .proto,
        .json) or ``subject:<name>[:<version>]``; ``subject_strategy`` topic, record or
        topic_record names the subject it is registered under."""
        self._then(
            "kafka_sink",
            name,
            _params(
                topic=topic,
                key_format=key_format,
                value_format=value_format,
                value_schema=value_schema,
                key_schema=key_schema,
                subject_strategy=subject_strategy,
            ),
        )

    def to_console(self, *, name: str | None = None, limit: int | None = None) -> None:
        self._then("console_sink", name, _params(limit=limit))

    def to_file(self, path: str, *, name: str | None = None, format: str | None = None) -> None:
        self._then("file_sink", name, _params(path=path, format=format))

    def to_dashboard(
        self,
        title: str,
        *,
        name: str | None = None,
        view: str | None = None,
        fields: list[str] | None = None,
        max_rows: int | None = None,
    ) -> None:
        """A dashboard_sink: the latest value per key (and window), shown live in the app
        and written to ``--metrics-out`` under ``dashboards``."""
        self._then(
            "dashboard_sink",
            name,
            _params(
                title=title,
                view=view,
                fields=list(fields) if isinstance(fields, (list, tuple)) else fields,
                max_rows=max_rows,
            ),
        )


class GroupedStream:
    def __init__(self, stream: KStream, expr: str | None, name: str | None):
        self.stream, self.expr, self.name = stream, expr, name
        self.window_param: dict | None = None

    def window(
        self,
        window: TumblingWindow | HoppingWindow | SessionWindow | SlidingWindow | dict | None,
    ) -> GroupedStream:
        """Window the aggregation (None: no window)."""
        self.window_param = _window_param(window)
        return self

    windowed_by = window

    def aggregate(
        self,
        aggregations: list[Aggregation | dict],
        *,
        emit: str | None = None,
        name: str | None = None,
    ) -> KStream:
        return self.stream.aggregate(
            aggregations,
            name=name or self.name,
            group_by=self.expr,
            window=self.window_param,
            emit=emit,
        )

    def count(self, *, emit: str | None = None, name: str | None = None) -> KStream:
        return self.aggregate([Aggregation("count", "count")], emit=emit, name=name)
