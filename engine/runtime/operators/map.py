"""map: the record's value becomes the expression's result."""

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
            value = fn(record.key, record.value, record.timestamp, record.headers)
        except Exception as exc:  # noqa: BLE001
            metrics.errors += 1
            ctx.dead_letter(record, node_id, exc)
            return
        metrics.out += 1
        child(
            Record(
                record.key, value, record.timestamp, record.headers, record.partition, record.origin
            )
        )

    return process
