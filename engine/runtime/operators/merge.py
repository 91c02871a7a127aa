"""merge: the union of its inputs; records pass unchanged."""

from engine.runtime.operators.base import Record, only_child


def get_executor(node, ctx, children):
    child = only_child(children)
    metrics = ctx.metrics[node.id]

    def process(record: Record) -> None:
        metrics.in_ += 1
        metrics.out += 1
        child(record)

    return process
