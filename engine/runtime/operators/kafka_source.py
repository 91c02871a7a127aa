"""kafka_source: decodes messages of a topic into records.

Its executor takes a Kafka message, not a Record: it is where records are born.
"""

from engine.model.expressions import compile_expression, headers_dict
from engine.runtime.operators.base import EMPTY_HEADERS, Record, only_child
from engine.runtime.serde import DECODERS


def get_executor(node, ctx, children):
    params = node.params
    decode_key = DECODERS[params.get("key_format", "string")]
    decode_value = DECODERS[params.get("value_format", "json")]
    ts_param = params.get("timestamp", "record")
    ts_fn = None if ts_param in (None, "record") else compile_expression(ts_param).fn
    child = only_child(children)
    metrics = ctx.metrics[node.id]
    node_id = node.id

    def process(msg) -> None:
        metrics.in_ += 1
        raw_headers = msg.headers()
        headers = headers_dict(raw_headers) if raw_headers else EMPTY_HEADERS
        timestamp = msg.timestamp()[1]
        try:
            key = decode_key(msg.key())
            value = decode_value(msg.value())
            if ts_fn is not None:
                timestamp = int(ts_fn(key, value, timestamp, headers))
        except Exception as exc:  # noqa: BLE001 - undecodable input goes to the dead-letter topic
            metrics.errors += 1
            ctx.dead_letter(Record(None, None, timestamp, headers, msg.partition(), msg), node_id, exc)
            return
        metrics.out += 1
        child(Record(key, value, timestamp, headers, msg.partition(), msg))

    return process
