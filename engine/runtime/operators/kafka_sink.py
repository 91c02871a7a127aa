"""kafka_sink: writes records to a topic in its key and value formats.

The schema-registry formats (avro, protobuf, json_schema) encode with the run's
``ctx.schemas`` (engine.runtime.schemas) and the sink's ``key_schema`` / ``value_schema``
and ``subject_strategy``; a value the schema refuses is dead-lettered with the field named.
"""

from engine.model.bounds import SAFE_STEPS, value_bounds
from engine.model.schemas import is_schema_format
from engine.runtime.errors import RunFailedError
from engine.runtime.operators.base import Record, sender, taking_parts
from engine.runtime.serde import (
    ENCODERS,
    JSON_DUMPS,
    JSON_OPTIONS,
    SerdeError,
    headers_list,
    measured,
    too_large,
)


def get_executor(node, ctx, children):
    params = node.params
    topic = params["topic"]
    encode_key = encoder(node, ctx, "key", params.get("key_format", "string"))
    encode_value = encoder(node, ctx, "value", params.get("value_format", "json"))
    max_bytes = ctx.max_message_bytes
    topology = ctx.topology
    # Fast paths (one C call) for the common cases: text keys in the string format, objects
    # in the json format; anything else, or anything the fast path refuses, goes through
    # the encoder, which decides. Values that need measuring always take the encoder.
    text_keys = params.get("key_format", "string") == "string"
    json_objects = params.get("value_format", "json") == "json"
    if topology is None or value_bounds(topology).get(node.id, 1 << 62) > SAFE_STEPS:
        encode_key, encode_value = (
            measured(encode_key, max_bytes),
            measured(encode_value, max_bytes),
        )
        text_keys = json_objects = False
    produce, send = ctx.produce, sender(ctx)
    metrics = ctx.metrics[node.id]
    node_id = node.id
    dumps, options = JSON_DUMPS, JSON_OPTIONS

    def parts(key, value, timestamp, headers, partition=0, origin=None, json=None) -> None:
        """The record as its parts (base.py, ``parts``): what a source, chain or aggregate
        calls instead of making a Record for the sink to take apart. ``json``: the JSON
        text a source read the value from, when no node changed it since: written as it is,
        not encoded again."""
        metrics.in_ += 1
        try:
            key_bytes = key.encode() if text_keys and type(key) is str else encode_key(key)
            if json is not None and json_objects:
                value_bytes = json
            elif json_objects and type(value) is dict:
                try:
                    value_bytes = dumps(value, option=options)
                except Exception:  # noqa: BLE001 - e.g. integers beyond 64 bits
                    value_bytes = encode_value(value)
            else:
                value_bytes = encode_value(value)
            if (len(value_bytes) if value_bytes else 0) + (
                len(key_bytes) if key_bytes else 0
            ) > max_bytes:
                raise too_large(key_bytes, value_bytes, max_bytes)
        except Exception as exc:  # noqa: BLE001
            metrics.errors += 1
            ctx.dead_letter(Record(key, value, timestamp, headers, partition, origin), node_id, exc)
            return
        raw_headers = headers_list(headers) if headers else None
        try:
            send(topic, value_bytes, key_bytes, -1, None, None, timestamp or 0, raw_headers)
        except BufferError:  # the producer's queue is full: produce() waits for room
            produce(topic, key_bytes, value_bytes, raw_headers, None, timestamp)
        metrics.out += 1

    return taking_parts(parts)


def encoder(node, ctx, part: str, fmt: str):
    """The encoder of one part of the sink's records (its schema read once, here)."""
    if not is_schema_format(fmt):
        return ENCODERS[fmt]
    params = node.params
    try:
        return ctx.schemas.encoder(
            fmt,
            params.get(f"{part}_schema", ""),
            params["topic"],
            part,
            params.get("subject_strategy", "topic"),
        )
    except SerdeError as exc:
        raise RunFailedError(f"{node.id}: {part}_schema: {exc}") from None
