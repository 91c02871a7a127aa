"""kafka_source: decodes messages of a topic into records.

Its executor takes a Kafka message, not a Record: it is where records are born. The
schema-registry formats (avro, protobuf, json_schema) decode with the run's
``ctx.schemas`` (engine.runtime.schemas), which hands over plain JSON-like data.
"""

from engine.model.expressions import compile_expression, headers_dict
from engine.model.schemas import is_schema_format
from engine.runtime.operators.base import EMPTY_HEADERS, Record, only_child, parts_of
from engine.runtime.serde import DECODERS, FAST_DECODERS


def decoders(ctx, fmt: str, topic: str, part: str):
    """(the full decoder, the one-C-call fast decoder or None where the full one decides
    alone) for one part of a topic's records."""
    if is_schema_format(fmt):
        return ctx.schemas.decoder(fmt, topic, part), None
    return DECODERS[fmt], FAST_DECODERS[fmt]


def get_executor(node, ctx, children):
    params = node.params
    key_format, value_format = (
        params.get("key_format", "string"),
        params.get("value_format", "json"),
    )
    decode_key, fast_key = decoders(ctx, key_format, params["topic"], "key")
    decode_value, fast_value = decoders(ctx, value_format, params["topic"], "value")
    json_values = value_format == "json"
    ts_param = params.get("timestamp", "record")
    ts_fn = None if ts_param in (None, "record") else compile_expression(ts_param).fn
    child = only_child(children)
    # The preview's sampling of what leaves the source (compiler._sampling sets sampler,
    # ring and inner), done here: one call a record less. None when the run has no preview
    # or a chain samples instead.
    sampler = getattr(child, "sampler", None)
    if sampler is not None:
        ring, child = getattr(child, "ring"), getattr(child, "inner")  # noqa: B009
    parts = parts_of(child)  # a fused chain or a sink takes the parts, no Record (base.py)
    metrics = ctx.metrics[node.id]
    node_id = node.id

    def process(msg) -> None:
        metrics.in_ += 1
        raw_headers = msg.headers()
        headers = headers_dict(raw_headers) if raw_headers else EMPTY_HEADERS
        timestamp = msg.timestamp()[1]
        try:
            # The fast decoder where it can (one C call), else the full one, which decides.
            raw = msg.key()
            if raw is None:
                key = None
            elif fast_key is None:
                key = decode_key(raw)
            else:
                try:
                    key = fast_key(raw)
                except Exception:  # noqa: BLE001
                    key = decode_key(raw)
            raw = msg.value()
            if raw is None:
                value = None
            elif fast_value is None:
                value = decode_value(raw)
            else:
                try:
                    value = fast_value(raw)
                except Exception:  # noqa: BLE001
                    value = decode_value(raw)
                    raw = None  # (not strict JSON: NaN, huge integers...)
            if ts_fn is not None:
                timestamp = int(ts_fn(key, value, timestamp, headers))
        except Exception as exc:  # noqa: BLE001 - undecodable input goes to the dead-letter topic
            metrics.errors += 1
            ctx.dead_letter(
                Record(None, None, timestamp, headers, msg.partition(), msg), node_id, exc
            )
            return
        metrics.out += 1
        if sampler is not None:
            sampler.left -= 1
            if sampler.left <= 0:
                sampler.left = sampler.every
                ring(Record(key, value, timestamp, headers, msg.partition(), msg))
        if parts is not None:
            parts(
                key, value, timestamp, headers, msg.partition(), msg, raw if json_values else None
            )
        else:
            child(
                Record(
                    key,
                    value,
                    timestamp,
                    headers,
                    msg.partition(),
                    msg,
                    raw if json_values else None,
                )
            )

    return process
