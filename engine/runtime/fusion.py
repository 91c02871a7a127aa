"""Fused chains: consecutive filter, map, set_fields and rekey nodes as one function.

A chain is a run of those nodes where each has one input and one output, wired to the
next and to nothing else. The compiler finds the chains (``compiler._fused``) and fuses
each here from the steps its nodes' operators declare (``step`` in
``engine/runtime/operators/{filter,map,set_fields,rekey}.py``), composed by
``engine.runtime.operators.chain``: the same code that runs each node alone, so a fused
node behaves as its own executor would.

The compiler fuses whenever no trace watches the records between nodes (the test runs);
a data preview does not stop it: the chain samples every Nth record at each of its nodes
(``chain.Sampler``), so the app's runs take the same path as ``topology-studio run``.
"""

from __future__ import annotations

from collections.abc import Callable

from engine.runtime.operators import filter as filter_op
from engine.runtime.operators import map as map_op
from engine.runtime.operators import rekey as rekey_op
from engine.runtime.operators import set_fields as set_fields_op
from engine.runtime.operators.base import Executor, Record
from engine.runtime.operators.chain import ChainMetrics, Sampler, StepFn, compose

__all__ = ["FUSABLE", "STEPS", "ChainMetrics", "fuse"]

STEPS: dict[str, StepFn] = {
    "filter": filter_op.step,
    "map": map_op.step,
    "set_fields": set_fields_op.step,
    "rekey": rekey_op.step,
}
FUSABLE = tuple(STEPS)


def fuse(
    nodes: list,
    ctx,
    tail: Executor,
    rings: list[Callable[[Record], None]] | None = None,
    sampler: Sampler | None = None,
) -> Executor:
    """One executor for ``nodes`` (in order), calling ``tail`` with what leaves the last;
    with ``rings`` (one per node) and a ``sampler``, sampling for the data preview."""
    return compose(nodes, [STEPS[n.type] for n in nodes], ctx, tail, rings, sampler)
