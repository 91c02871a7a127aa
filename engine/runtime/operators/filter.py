"""filter: keeps the records for which the expression is true."""

from engine.model.expressions import compile_expression
from engine.runtime.operators.base import Record, only_child


def get_executor(node, ctx, children):
    fn = compile_expression(node.params["expr"]).fn
    child = only_child(children)
    metrics = ctx.metrics[node.id]
    node_id = node.id

    def process(record: Record) -> None:
        metrics.in_ += 1
        try:
            keep = fn(record.key, record.value, record.timestamp, record.headers)
        except Exception as exc:  # noqa: BLE001 - any failure of user code dead-letters the record
            metrics.errors += 1
            ctx.dead_letter(record, node_id, exc)
            return
        if keep:
            metrics.out += 1
            child(record)

    return process
