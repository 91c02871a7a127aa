"""kafka_sink: writes records to a topic in its key and value formats."""

from engine.model.bounds import SAFE_STEPS, value_bounds
from engine.runtime.operators.base import Record, sender
from engine.runtime.serde import (
    ENCODERS,
    JSON_DUMPS,
    JSON_OPTIONS,
    headers_list,
    measured,
    message_max_bytes,
    too_large,
)


def get_executor(node, ctx, children):
    params = node.params
    topic = params["topic"]
    encode_key = ENCODERS[params.get("key_format", "string")]
    encode_value = ENCODERS[params.get("value_format", "json")]
    config = getattr(ctx, "config", None)
    max_bytes = message_max_bytes(getattr(config, "client_config", None))
    topology = getattr(ctx, "topology", None)
    # Fast paths (one C call) for the common cases: text keys in the string format, objects
    # in the json format; anything else, or anything the fast path refuses, goes through
    # the encoder, which decides. Values that need measuring always take the encoder.
    text_keys = params.get("key_format", "string") == "string"
    json_objects = params.get("value_format", "json") == "json"
    if topology is None or value_bounds(topology).get(node.id, 1 << 62) > SAFE_STEPS:
        encode_key, encode_value = measured(encode_key, max_bytes), measured(encode_value, max_bytes)
        text_keys = json_objects = False
    produce, send = ctx.produce, sender(ctx)
    metrics = ctx.metrics[node.id]
    node_id = node.id
    dumps, options = JSON_DUMPS, JSON_OPTIONS

    def process(record: Record) -> None:
        metrics.in_ += 1
        try:
            key = record.key
            key = key.encode() if text_keys and type(key) is str else encode_key(key)
            value = record.value
            if json_objects and type(value) is dict:
                try:
                    value = dumps(value, option=options)
                except Exception:  # noqa: BLE001 - e.g. integers beyond 64 bits
                    value = encode_value(value)
            else:
                value = encode_value(value)
            if (len(value) if value else 0) + (len(key) if key else 0) > max_bytes:
                raise too_large(key, value, max_bytes)
        except Exception as exc:  # noqa: BLE001
            metrics.errors += 1
            ctx.dead_letter(record, node_id, exc)
            return
        headers = headers_list(record.headers) if record.headers else None
        try:
            send(topic, value, key, -1, None, None, record.timestamp or 0, headers)
        except BufferError:  # the producer's queue is full: produce() waits for room
            produce(topic, key, value, headers, None, record.timestamp)
        metrics.out += 1

    return process
