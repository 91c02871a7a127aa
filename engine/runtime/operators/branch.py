"""branch: each record goes to the first branch whose expression is true, else to 'else'."""

from engine.model.expressions import compile_expression
from engine.runtime.operators.base import Record, fanout


def get_executor(node, ctx, children):
    routes = tuple(
        (compile_expression(b["expr"]).fn, fanout(children.get(b["name"], [])))
        for b in node.params["branches"]
    )
    otherwise = fanout(children.get("else", []))
    metrics = ctx.metrics[node.id]
    node_id = node.id

    def process(record: Record) -> None:
        metrics.in_ += 1
        key, value, ts, headers = record.key, record.value, record.timestamp, record.headers
        try:
            for test, route in routes:
                if test(key, value, ts, headers):
                    break
            else:
                route = otherwise
        except Exception as exc:  # noqa: BLE001
            metrics.errors += 1
            ctx.dead_letter(record, node_id, exc)
            return
        metrics.out += 1
        route(record)

    return process
