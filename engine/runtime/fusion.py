"""Fused chains: consecutive filter, map, set_fields and rekey nodes as one function.

A chain is a run of those nodes where each has one input and one output, wired to the
next and to nothing else. Its function carries the record's key, value, timestamp and
headers in local variables from node to node, with no call and no Record per node: a
Record is made once, for what follows the chain (the record it received, as it is,
when no node changed it). The compiler fuses only when no trace and no tap watch the
nodes in between; each node still behaves as its own executor would (engine/runtime/
operators): a failing expression dead-letters the record as it entered that node,
under that node's id.

Counters: every record that enters a chain leaves it in exactly one way (dropped by a
filter, failed at a node, or passed through), so the chain counts only that, when it
happens, and each node's ``in`` and ``out`` are sums of those (``ChainMetrics``):
exact whenever the run reads them between records, as it does.

A chain also offers ``parts(key, value, timestamp, headers, partition, origin, json)``
as an attribute of its executor: a source calls that instead of making a Record the
chain would only read (engine/runtime/operators/kafka_source.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from engine.model.expressions import compile_expression
from engine.runtime.operators.base import Record
from engine.runtime.operators.set_fields import NotAnObjectError

FUSABLE = ("filter", "map", "set_fields", "rekey")


class ChainCounter:
    __slots__ = ("nodes", "passed")

    def __init__(self) -> None:
        self.passed = 0
        self.nodes: list[ChainMetrics] = []


class ChainMetrics:
    """A fused node's counters (the interface of NodeMetrics): ``errors`` and ``dropped``
    are its own; ``in`` and ``out`` follow from the chain's and the later nodes'."""

    __slots__ = (
        "base_errors",
        "base_in",
        "base_out",
        "chain",
        "dropped",
        "errors",
        "index",
        "late",
    )

    def __init__(self, chain: ChainCounter, index: int, before: Any) -> None:
        self.chain, self.index = chain, index
        self.errors, self.late, self.dropped = before.errors, before.late, 0
        self.base_in, self.base_out, self.base_errors = before.in_, before.out, before.errors

    def _out_since(self) -> int:
        return self.chain.passed + sum(
            m.errors - m.base_errors + m.dropped for m in self.chain.nodes[self.index + 1 :]
        )

    @property
    def out(self) -> int:
        return self.base_out + self._out_since()

    @property
    def in_(self) -> int:
        return self.base_in + self._out_since() + self.errors - self.base_errors + self.dropped

    def as_dict(self) -> dict:
        return {"in": self.in_, "out": self.out, "errors": self.errors, "late": self.late}


def fuse(nodes: list, ctx, tail: Callable[[Record], None]) -> Callable[[Record], None]:
    """One executor for ``nodes`` (in order), calling ``tail`` with what leaves the last."""
    chain = ChainCounter()
    env: dict[str, Any] = {
        "Record": Record,
        "NotAnObjectError": NotAnObjectError,
        "tail": tail,
        "chain": chain,
        "dead_letter": ctx.dead_letter,
        "NOT_AN_OBJECT": "set_fields needs a JSON object value, got ",
    }
    body: list[str] = []
    changed = False
    for i, node in enumerate(nodes):
        metrics = ChainMetrics(chain, i, ctx.metrics[node.id])
        chain.nodes.append(metrics)
        ctx.metrics[node.id] = metrics
        env[f"m{i}"], env[f"id{i}"] = metrics, node.id
        entering = "ENTERING_CHANGED" if changed else "ENTERING"
        fail = [
            "    except Exception as exc:  # noqa: BLE001",
            f"        m{i}.errors += 1",
            f"        dead_letter({entering}, id{i}, exc)",
            "        return",
        ]
        if node.type == "set_fields":
            body += [
                "    try:",
                "        if not isinstance(value, dict):",
                "            raise NotAnObjectError(NOT_AN_OBJECT + type(value).__name__)",
                "        out = dict(value)",
            ]
            for j, (name, expr) in enumerate(node.params["fields"].items()):
                env[f"f{i}_{j}"], env[f"n{i}_{j}"] = compile_expression(expr).fn, name
                body.append(f"        out[n{i}_{j}] = f{i}_{j}(key, value, ts, headers)")
            body += fail + ["    value = out"]
            changed = True
            continue
        env[f"f{i}"] = compile_expression(node.params["expr"]).fn
        target = {"filter": "keep", "map": "value", "rekey": "key"}[node.type]
        body += ["    try:", f"        {target} = f{i}(key, value, ts, headers)"] + fail
        if node.type == "filter":
            body += ["    if not keep:", f"        m{i}.dropped += 1", "        return"]
        else:
            changed = True
    # What follows the chain takes the record's parts when it can (no Record at all).
    env["tail_parts"] = getattr(tail, "parts", None)
    if env["tail_parts"] is not None:
        leaving = "tail_parts(key, value, ts, headers, @PARTITION@, @ORIGIN@, @JSON@)"
    else:
        leaving = "tail(ENTERING_CHANGED)" if changed else "tail(ENTERING)"
    body += ["    chain.passed += 1", f"    {leaving}"]
    text = "\n".join(body)
    json_out = "None" if changed else "@JSON@"
    source = (
        "def process(record):\n"
        "    key, value, ts, headers = record.key, record.value, record.timestamp, record.headers\n"
        + text.replace(
            "ENTERING_CHANGED", "Record(key, value, ts, headers, record.partition, record.origin)"
        )
        .replace("ENTERING", "record")
        .replace("@JSON@", json_out)
        .replace("@JSON@", "record.json")
        .replace("@PARTITION@", "record.partition")
        .replace("@ORIGIN@", "record.origin")
        + "\n\ndef parts(key, value, ts, headers, partition, origin, json):\n"
        + text.replace("ENTERING_CHANGED", "Record(key, value, ts, headers, partition, origin)")
        .replace("ENTERING", "Record(key, value, ts, headers, partition, origin, json)")
        .replace("@JSON@", json_out)
        .replace("@JSON@", "json")
        .replace("@PARTITION@", "partition")
        .replace("@ORIGIN@", "origin")
        + "\n"
    )
    exec(compile(source, f"<chain {' > '.join(n.id for n in nodes)}>", "exec"), env)  # noqa: S102
    process = env["process"]
    process.parts = env["parts"]
    return process
