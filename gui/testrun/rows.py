"""What the test-run views show, computed from a ``Trace`` without Qt: the rows of a node's
side-by-side view, the fields that changed between a record and what it became, and the
tree of a followed record."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from engine.model.catalogue import NODE_TYPES
from engine.runtime.testing.lineage import Trace, TraceRecord, Visit
from gui.style.display import tidy

SOURCE_TYPES = ("kafka_source", "generator_source")

# outcome kinds, for colours
PASSED, FILTERED, ERROR, LATE, FOLDED, WRITTEN, UNWRITTEN = (
    "passed",
    "filtered",
    "error",
    "late",
    "folded",
    "written",
    "unwritten",
)


@dataclass(slots=True)
class Row:
    """One line of the side-by-side view: a record entering the node (``input``) and one
    record it became (``output``), or what happened instead (``outcome``)."""

    number: int  # the input's position among the node's inputs, from 1
    input: TraceRecord | None
    output: TraceRecord | None
    outcome: str = ""
    kind: str = PASSED
    port: str = ""
    first: bool = True  # the first row of its input (a flat_map gives several)


def outcome_kind(trace: Trace, visit: Visit) -> str:
    if visit.error is not None:
        return ERROR
    if visit.late:
        return LATE
    if visit.record is not None:
        return WRITTEN if visit.written else UNWRITTEN
    if visit.outputs:
        return PASSED
    node = trace.topology.nodes[visit.node]
    spec = NODE_TYPES.get(node.type)
    return FOLDED if spec is not None and spec.stateful else FILTERED


def node_rows(trace: Trace, node_id: str) -> list[Row]:
    """The side-by-side rows of ``node_id``, in processing order."""
    node = trace.topology.nodes.get(node_id)
    if node is None:
        return []
    record = trace.record
    visits, emitted = trace.node_records(node_id)
    if node.type in SOURCE_TYPES:
        return [
            Row(i, r, r, "", PASSED, r.port or "")
            for i, r in enumerate((r for r in emitted if not r.parents), 1)
        ]
    rows: list[Row] = []
    for number, visit in enumerate(visits, 1):
        source = record(visit.input) if visit.input is not None else None
        if visit.outputs:
            for i, n in enumerate(visit.outputs):
                out = record(n)
                rows.append(Row(number, source, out, "", PASSED, out.port or "", i == 0))
        else:
            kind = outcome_kind(trace, visit)
            rows.append(Row(number, source, None, trace.outcome(visit), kind))
    return rows


def changed_fields(before: Any, after: Any) -> dict[str, str]:
    """Top-level fields of a JSON object value: {name: "added" | "removed" | "changed"};
    a value that is not an object on either side: {"": "changed"} when it differs."""
    if isinstance(before, dict) and isinstance(after, dict):
        out = {}
        for name, value in after.items():
            if name not in before:
                out[str(name)] = "added"
            elif before[name] != value:
                out[str(name)] = "changed"
        for name in before:
            if name not in after:
                out[str(name)] = "removed"
        return out
    return {} if before == after else {"": "changed"}


def flat_fields(value: Any, prefix: str = "") -> dict[str, Any]:
    """A JSON value as {dotted path: leaf}, for the field-by-field comparison."""
    if isinstance(value, dict) and value:
        out: dict[str, Any] = {}
        for k, v in value.items():
            out.update(flat_fields(v, f"{prefix}.{k}" if prefix else str(k)))
        return out
    return {prefix or "(value)": value}


@dataclass
class FollowNode:
    """A node of a followed record's tree: a record, or a visit of a record to a node."""

    text: str
    kind: str
    record: TraceRecord | None = None
    visit: Visit | None = None
    children: list[FollowNode] = field(default_factory=list)


@dataclass
class Followed:
    """A record followed through the graph: its tree, the nodes it reached with what it
    became there, and the edges it travelled."""

    root: FollowNode
    nodes: dict[str, tuple[str, str]]  # node id -> (short text, kind)
    edges: set[tuple[str, str, str, str]]  # (source, source port, target, target port)
    records: set[int]  # every record number in the tree


def root_of(trace: Trace, n: int) -> int:
    """The input record ``n`` comes from (the first parent at each step)."""
    rec = trace.record(n)
    while rec.parents:
        rec = trace.record(rec.parents[0])
    return rec.n


SHORT = {
    PASSED: "→",
    FILTERED: "filtered out",
    ERROR: "dead letter",
    LATE: "late",
    FOLDED: "folded in",
    WRITTEN: "written",
    UNWRITTEN: "not written",
}


def follow(trace: Trace, n: int, limit: int = 2000) -> Followed:
    """The tree of everything record ``n``'s input record became (at most ``limit`` tree
    nodes)."""
    start = trace.record(root_of(trace, n))
    nodes: dict[str, tuple[str, str]] = {}
    edges: set[tuple[str, str, str, str]] = set()
    records: set[int] = set()
    budget = [limit]

    def record_node(rec: TraceRecord) -> FollowNode:
        records.add(rec.n)
        budget[0] -= 1
        item = FollowNode(f"{rec.node}  {describe(rec)}", ERROR if rec.error else PASSED, rec)
        if rec.node not in nodes:
            nodes[rec.node] = (
                ("input", PASSED) if not rec.parents else nodes.get(rec.node, ("→", PASSED))
            )
        for visit in trace.visits_of(rec.n):
            if budget[0] <= 0:
                item.children.append(FollowNode("… (more)", FILTERED))
                break
            edges.add((rec.node, rec.port or "out", visit.node, visit.port))
            item.children.append(visit_node(visit))
        return item

    def visit_node(visit: Visit) -> FollowNode:
        budget[0] -= 1
        kind = outcome_kind(trace, visit)
        outputs = visit.outputs
        text = trace.outcome(visit)
        short = (
            SHORT[kind]
            if kind != PASSED
            else (f"→ {len(outputs)} records" if len(outputs) != 1 else "→ 1 record")
        )
        if visit.record is not None and visit.error is None:
            records.add(visit.record.n)
        _note(nodes, visit.node, short, kind)
        item = FollowNode(f"{visit.node}: {text}", kind, visit.record, visit)
        for out in outputs:
            if budget[0] <= 0:
                item.children.append(FollowNode("… (more)", FILTERED))
                break
            item.children.append(record_node(trace.record(out)))
        return item

    root = record_node(start)
    nodes[start.node] = ("input", PASSED)
    return Followed(root, nodes, edges, records)


_RANK = {ERROR: 5, LATE: 4, PASSED: 3, WRITTEN: 3, FOLDED: 2, UNWRITTEN: 1, FILTERED: 1}


def _note(nodes: dict, node_id: str, short: str, kind: str) -> None:
    """Where a record reached a node several times (a flat_map's elements), the most telling
    outcome is shown."""
    old = nodes.get(node_id)
    if old is None or _RANK.get(kind, 0) > _RANK.get(old[1], 0):
        nodes[node_id] = (short, kind)


def compact(value: Any, limit: int = 300) -> str:
    """A value on one line: text as itself, anything else as JSON."""
    if isinstance(value, str):
        text = value
    else:
        try:
            text = json.dumps(tidy(value), ensure_ascii=False, separators=(", ", ": "))
        except (TypeError, ValueError):
            text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe(rec: TraceRecord, limit: int = 160) -> str:
    text = f"key {compact(rec.key)} · {compact(rec.value)}"
    return text if len(text) <= limit else text[: limit - 1] + "…"
