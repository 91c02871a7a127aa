"""flat_map: one record per element of the expression's list; key and timestamp are kept."""

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
            elements = fn(record.key, record.value, record.timestamp, record.headers)
            if isinstance(elements, (str, bytes, dict)) or not hasattr(elements, "__iter__"):
                raise TypeError(f"flat_map needs a list, got {type(elements).__name__}")
            elements = list(elements)
        except Exception as exc:  # noqa: BLE001
            metrics.errors += 1
            ctx.dead_letter(record, node_id, exc)
            return
        key, ts, headers, partition, origin = (
            record.key,
            record.timestamp,
            record.headers,
            record.partition,
            record.origin,
        )
        metrics.out += len(elements)
        for element in elements:
            child(Record(key, element, ts, headers, partition, origin))

    return process
