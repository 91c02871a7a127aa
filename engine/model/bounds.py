"""How large a value leaving each node can be, known before the first record.

Values read from Kafka are trees no larger than a message (``INPUT_STEPS``, in the steps
of ``engine.model.guards``). An expression can only make a value larger than its inputs
by referring to them several times (``[value, value]`` holds two references to one
object), or through guarded operations, whose result is charged to its budget. So the
logical size of every value is bounded statically; where the bound is small, sinks encode
without looking, and only where a topology could build something huge (a chain of maps
each doubling its input) do they measure a value before encoding it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from engine.model.expressions import JOIN_NAMES, RECORD_NAMES, ExpressionError, compile_expression
from engine.model.guards import MAX_STEPS
from engine.model.topology import Topology

INPUT_STEPS = 1_000_000  # a 1 MB message decodes to at most about this many steps
SAFE_STEPS = 20_000_000  # values up to this logical size are encoded without measuring them
_PASS_THROUGH = frozenset(
    {"filter", "branch", "merge", "kafka_sink", "console_sink", "file_sink", "dashboard_sink"}
)
_JOIN = "join"


def _expressions(params: Any) -> Iterator[tuple[str, tuple[str, ...] | None]]:
    """Every expression text in a node's params (the names are chosen by the caller)."""
    if not isinstance(params, dict):
        return
    for key in ("expr", "group_by", "timestamp"):
        if isinstance(params.get(key), str) and params[key] != "record":
            yield params[key], None
    fields = params.get("fields")
    if isinstance(fields, dict):
        for expr in fields.values():
            if isinstance(expr, str):
                yield expr, None
    for key in ("aggregations", "branches"):
        items = params.get(key)
        if isinstance(items, list):
            for item in items:
                if isinstance(item, dict) and isinstance(item.get("expr"), str):
                    yield item["expr"], None


def value_bounds(topology: Topology) -> dict[str, int]:
    """Per node id, an upper bound of the logical size (steps) of the keys and values it emits."""
    bounds: dict[str, int] = {}
    incoming: dict[str, list[str]] = {n: [] for n in topology.nodes}
    outgoing: dict[str, list[str]] = {n: [] for n in topology.nodes}
    for e in topology.edges:
        if e.source in incoming and e.target in incoming:
            incoming[e.target].append(e.source)
            outgoing[e.source].append(e.target)
    pending = {n: len(v) for n, v in incoming.items()}
    ready = [n for n, c in pending.items() if c == 0]
    while ready:
        node_id = ready.pop()
        node = topology.nodes[node_id]
        upstream = max((bounds[s] for s in incoming[node_id]), default=INPUT_STEPS)
        if node.type in _PASS_THROUGH:
            bound = upstream
        else:
            names = JOIN_NAMES if node.type == _JOIN else RECORD_NAMES
            bound = upstream
            for text, _ in _expressions(node.params):
                try:
                    expr = compile_expression(text, names)
                except ExpressionError:
                    continue
                if expr.budgeted:
                    bound += MAX_STEPS + 64 * upstream
                else:
                    bound += expr.references * upstream + len(text)
        bounds[node_id] = bound
        for target in outgoing[node_id]:
            pending[target] -= 1
            if pending[target] == 0:
                ready.append(target)
    for node_id in topology.nodes:  # in a cycle (refused by validation): assume the worst
        bounds.setdefault(node_id, 1 << 62)
    return bounds
