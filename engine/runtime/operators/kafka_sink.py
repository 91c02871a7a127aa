"""kafka_sink: writes records to a topic in its key and value formats."""

from engine.model.bounds import SAFE_STEPS, value_bounds
from engine.runtime.operators.base import Record
from engine.runtime.serde import ENCODERS, headers_list, measured, message_max_bytes, too_large


def get_executor(node, ctx, children):
    params = node.params
    topic = params["topic"]
    encode_key = ENCODERS[params.get("key_format", "string")]
    encode_value = ENCODERS[params.get("value_format", "json")]
    config = getattr(ctx, "config", None)
    max_bytes = message_max_bytes(getattr(config, "client_config", None))
    topology = getattr(ctx, "topology", None)
    if topology is None or value_bounds(topology).get(node.id, 1 << 62) > SAFE_STEPS:
        encode_key, encode_value = measured(encode_key, max_bytes), measured(encode_value, max_bytes)
    produce = ctx.produce
    metrics = ctx.metrics[node.id]
    node_id = node.id

    def process(record: Record) -> None:
        metrics.in_ += 1
        try:
            key = encode_key(record.key)
            value = encode_value(record.value)
            if (len(value) if value else 0) + (len(key) if key else 0) > max_bytes:
                raise too_large(key, value, max_bytes)
        except Exception as exc:  # noqa: BLE001
            metrics.errors += 1
            ctx.dead_letter(record, node_id, exc)
            return
        headers = headers_list(record.headers) if record.headers else None
        produce(topic, key, value, headers, None, record.timestamp)
        metrics.out += 1

    return process
