"""kafka_sink: writes records to a topic in its key and value formats."""

from engine.runtime.operators.base import Record
from engine.runtime.serde import ENCODERS, headers_list


def get_executor(node, ctx, children):
    params = node.params
    topic = params["topic"]
    encode_key = ENCODERS[params.get("key_format", "string")]
    encode_value = ENCODERS[params.get("value_format", "json")]
    produce = ctx.produce
    metrics = ctx.metrics[node.id]
    node_id = node.id

    def process(record: Record) -> None:
        metrics.in_ += 1
        try:
            key = encode_key(record.key)
            value = encode_value(record.value)
        except Exception as exc:  # noqa: BLE001
            metrics.errors += 1
            ctx.dead_letter(record, node_id, exc)
            return
        headers = headers_list(record.headers) if record.headers else None
        produce(topic, key, value, headers, None, record.timestamp)
        metrics.out += 1

    return process
