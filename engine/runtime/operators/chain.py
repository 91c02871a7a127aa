"""Stateless steps and the one function that runs a chain of them.

filter, map, set_fields and rekey each declare their per-record semantics once, as a
``step(node, name, env)``: a few lines of Python over the locals ``key``, ``value``,
``ts`` and ``headers`` (the values it needs put in ``env`` under names starting with
``name``), whether it may drop the record and whether it changes it. ``compose`` writes
the function that runs a list of steps: the node's own executor is a chain of one, and
``engine.runtime.fusion`` composes longer chains from the same steps, so a fused node
behaves as its own executor by construction.

The function carries the record's parts in local variables from step to step, with no
call and no Record per node: a Record is made once, for what follows the chain (the
record it received, as it is, when no step changed it). A failing step dead-letters the
record as it entered that node, under that node's id.

Counters: every record that enters a chain leaves it in exactly one way (dropped by a
filter, failed at a node, or passed through), so the chain counts only that, when it
happens, and each node's ``in`` and ``out`` are sums of those (``ChainMetrics``): exact
whenever the run reads them between records, as it does.

The executor offers ``parts(key, value, timestamp, headers, partition, origin, json)``
(``engine.runtime.operators.base``). With a data preview (a ``Sampler`` and a ring per
node), every ``sampler.every``-th record takes a second version of the same function that
also appends what leaves each node to that node's ring, and what enters the chain to the
rings in ``executor.entering`` (its input's, when the chain is its input's only child), what
leaves it to those in ``executor.leaving`` (a sink's, when the sink is the chain's only
child): the preview costs the other records one countdown per chain.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from engine.model.expressions import compile_expression
from engine.runtime.operators.base import Executor, Record

# In a step's ``on_json`` lines: the JSON text the record's value was read from, or None.
JSON_TEXT = "JSON_TEXT"


class Step(NamedTuple):
    """One node's per-record step: ``lines`` run inside the node's ``try`` (an exception
    dead-letters the record); when ``drop`` (an expression over the locals) is true
    afterwards, the record is dropped; ``changes``: whether it may change the record.
    ``on_json``: lines to run instead while the value is still the one a source read from
    JSON text (no step before changed it), which they name ``JSON_TEXT`` (None when the
    source read no JSON)."""

    lines: tuple[str, ...]
    drop: str | None = None
    changes: bool = True
    on_json: tuple[str, ...] | None = None


StepFn = Callable[[Any, str, dict], Step]


class Sampler:
    """A preview's countdown: the record that brings ``left`` to zero is sampled, and the
    count starts again from ``every`` (which the run sets per batch; see
    ``engine.runtime.kafka.samples``)."""

    __slots__ = ("every", "left")

    def __init__(self) -> None:
        self.every = 1
        self.left = 1


class ChainCounter:
    __slots__ = ("nodes", "passed")

    def __init__(self) -> None:
        self.passed = 0
        self.nodes: list[ChainMetrics] = []


class ChainMetrics:
    """A chained node's counters (the interface of NodeMetrics): ``errors`` and ``dropped``
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


# The record as it entered the node being run, in the function taking a Record and in the
# one taking parts: before any step changed it, and after.
_ENTERING = {
    "process": ("record", "Record(key, value, ts, headers, record.partition, record.origin)"),
    "parts": (
        "Record(key, value, ts, headers, partition, origin, json)",
        "Record(key, value, ts, headers, partition, origin)",
    ),
}
_HERE = "Record(key, value, ts, headers, partition, origin)"


def _body(steps: list[Step], kind: str, tail_parts: bool, sampled: bool) -> list[str]:
    """The lines after the record's parts are in locals: each step in its ``try``, then
    what leaves the chain."""
    unchanged, changed_record = _ENTERING[kind]
    partition, origin = (
        ("record.partition", "record.origin")
        if kind == "process"
        else (
            "partition",
            "origin",
        )
    )
    json = "record.json" if kind == "process" else "json"
    out: list[str] = []
    changed = False
    for i, step in enumerate(steps):
        entering = changed_record if changed else unchanged
        lines = step.lines
        if step.on_json is not None and not changed:
            lines = tuple(line.replace(JSON_TEXT, json) for line in step.on_json)
        out += ["    try:", *(f"        {line}" for line in lines)]
        out += [
            "    except Exception as exc:  # noqa: BLE001",
            f"        m{i}.errors += 1",
            f"        dead_letter({entering}, id{i}, exc)",
            "        return",
        ]
        if step.drop is not None:
            out += [f"    if {step.drop}:", f"        m{i}.dropped += 1", "        return"]
        changed = changed or step.changes
        if sampled:
            out.append(f"    ring{i}({_HERE})")
    if sampled:
        out += ["    for ring in leaving:", f"        ring({_HERE})"]
    out.append("    chain.passed += 1")
    if tail_parts:
        out.append(
            f"    tail_parts(key, value, ts, headers, {partition}, {origin}, "
            f"{'None' if changed else json})"
        )
    else:
        out.append(f"    tail({changed_record if changed else unchanged})")
    return out


def compose(
    nodes: list,
    steps: list[StepFn],
    ctx,
    tail: Executor,
    rings: list[Callable[[Record], None]] | None = None,
    sampler: Sampler | None = None,
) -> Executor:
    """One executor running ``steps`` (``steps[i]`` is ``nodes[i]``'s), calling ``tail``
    with what leaves the last. ``rings`` and ``sampler``: the data preview, if any."""
    chain = ChainCounter()
    env: dict[str, Any] = {"Record": Record, "tail": tail, "chain": chain}
    env["dead_letter"] = ctx.dead_letter
    declared: list[Step] = []
    for i, (node, step) in enumerate(zip(nodes, steps, strict=True)):
        metrics = ChainMetrics(chain, i, ctx.metrics[node.id])
        chain.nodes.append(metrics)
        ctx.metrics[node.id] = metrics
        env[f"m{i}"], env[f"id{i}"] = metrics, node.id
        declared.append(step(node, f"s{i}", env))
    # What follows the chain takes the record's parts when it can (no Record at all).
    tail_parts = env["tail_parts"] = getattr(tail, "parts", None)
    has_parts = tail_parts is not None
    source = [
        "def process(record):",
        "    key, value, ts, headers = record.key, record.value, record.timestamp, record.headers",
        *_body(declared, "process", has_parts, False),
        "",
        "def parts(key, value, ts, headers, partition, origin, json):",
        *_body(declared, "parts", has_parts, False),
    ]
    if sampler is not None:
        env["sampler"], env["entering"], env["leaving"] = sampler, [], []
        for i, ring in enumerate(rings or ()):
            env[f"ring{i}"] = ring
        countdown = [
            "    sampler.left -= 1",
            "    if sampler.left <= 0:",
            "        sampler.left = sampler.every",
        ]
        source[1:1] = [
            *countdown,
            (
                "        return sampled(record.key, record.value, record.timestamp,"
                " record.headers, record.partition, record.origin, record.json)"
            ),
        ]
        at = source.index("def parts(key, value, ts, headers, partition, origin, json):") + 1
        source[at:at] = [
            *countdown,
            "        return sampled(key, value, ts, headers, partition, origin, json)",
        ]
        source += [
            "",
            "def sampled(key, value, ts, headers, partition, origin, json):",
            "    if entering:",
            "        entered = Record(key, value, ts, headers, partition, origin)",
            "        for ring in entering:",
            "            ring(entered)",
            *_body(declared, "parts", has_parts, True),
        ]
    name = f"<chain {' > '.join(n.id for n in nodes)}>"
    exec(compile("\n".join(source) + "\n", name, "exec"), env)  # noqa: S102
    process = env["process"]
    process.parts = env["parts"]
    if sampler is not None:
        process.entering, process.leaving = env["entering"], env["leaving"]
    return process


def expression_step(target: str, drop: str | None = None) -> StepFn:
    """The step of a node whose ``expr`` parameter gives ``target`` (a local)."""

    def step(node, name: str, env: dict) -> Step:
        expression = compile_expression(node.params["expr"])
        env[name] = expression.fn
        line = f"{target} = {name}(key, value, ts, headers)"
        on_json = None
        if expression.small_fn is not None:
            env[f"{name}_small"] = expression.small_fn
            on_json = (small_call(target, name, expression.small_limit),)
        return Step((line,), drop, changes=drop is None, on_json=on_json)

    return step


def small_call(target: str, name: str, limit: int) -> str:
    """``target = name(...)``, by ``name_small`` (the expression without its guards: exact
    for a value read from JSON text of at most ``limit`` bytes, engine.model.small_records)
    when the record's is that short."""
    fn = f"({name}_small if {JSON_TEXT} is not None and len({JSON_TEXT}) <= {limit} else {name})"
    return f"{target} = {fn}(key, value, ts, headers)"
