"""console_sink: shows records in the app's log panel, or on stdout of ``run``."""

from engine.runtime.operators.base import Record
from engine.runtime.serde import to_json_text


def get_executor(node, ctx, children):
    limit = node.params.get("limit")
    metrics = ctx.metrics[node.id]
    node_id = node.id
    console = ctx.console

    def process(record: Record) -> None:
        metrics.in_ += 1
        if limit is not None and metrics.out >= limit:
            return
        metrics.out += 1
        console(node_id, f"{to_json_text(record.key)} → {to_json_text(record.value)}")

    return process
