"""set_fields: adds or replaces fields of a JSON object value.

All field expressions see the incoming value, so their order does not matter.
"""

from engine.model.expressions import compile_expression
from engine.runtime.operators.base import Record, only_child


class NotAnObjectError(TypeError):
    pass


def get_executor(node, ctx, children):
    fields = tuple(
        (name, compile_expression(expr).fn) for name, expr in node.params["fields"].items()
    )
    child = only_child(children)
    metrics = ctx.metrics[node.id]
    node_id = node.id

    def process(record: Record) -> None:
        metrics.in_ += 1
        value = record.value
        try:
            if not isinstance(value, dict):
                raise NotAnObjectError(
                    f"set_fields needs a JSON object value, got {type(value).__name__}"
                )
            key, ts, headers = record.key, record.timestamp, record.headers
            out = dict(value)
            for name, fn in fields:
                out[name] = fn(key, value, ts, headers)
        except Exception as exc:  # noqa: BLE001
            metrics.errors += 1
            ctx.dead_letter(record, node_id, exc)
            return
        metrics.out += 1
        child(Record(record.key, out, ts, headers, record.partition, record.origin))

    return process
