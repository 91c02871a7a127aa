"""The repartition topic's two ends: the writer, which keys each record by its group key
(as JSON, so its type survives the trip) and writes it to ``<app>-<node>-repartition``, or
hands it to the aggregate in-process while the run's route is local (``handoff``); and the
reader, which decodes what comes back and gives it to the stateful node."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from engine.model.expressions import compile_expression, headers_dict
from engine.runtime.operators.base import (
    EMPTY_HEADERS,
    Record,
    parts_of,
    sender,
    taking_parts,
)
from engine.runtime.repartition.handoff import partition_of
from engine.runtime.serde import (
    DECODERS,
    ENCODERS,
    FAST_DECODERS,
    JSON_DUMPS,
    JSON_OPTIONS,
    headers_list,
    measured,
    too_large,
)

__all__ = ["repartition_reader", "repartition_writer"]

_encode_json = ENCODERS["json"]
_decode_json = DECODERS["json"]
_dumps, _options, _loads = JSON_DUMPS, JSON_OPTIONS, FAST_DECODERS["json"]


def repartition_writer(
    ctx,
    node_id: str,
    topic: str,
    group_by: str | None,
    huge: bool = False,
    local: Callable[[Record], None] | None = None,
) -> Callable[[Record], None]:
    """Writes records keyed by their group key to the repartition topic (keys as JSON,
    so their type survives the trip). A record larger than ``message.max.bytes`` once
    encoded is dead-lettered, as sinks do; where the topology could build a huge value,
    it is measured before encoding (orjson aborts the process when an allocation fails).

    ``local``: the reader's target (an aggregate), handed each record in-process while the
    run's route for ``topic`` is local (``handoff``): as the reader would
    have decoded it, at the partition the producer would have chosen."""
    fn = compile_expression(group_by).fn if group_by else None
    produce, send = ctx.produce, sender(ctx)
    metrics = ctx.metrics[node_id]
    max_bytes = ctx.max_message_bytes
    encode = measured(_encode_json, max_bytes) if huge else _encode_json
    fast = not huge
    route = hand = local_parts = None
    if local is not None:
        route, hand, local_parts = ctx.handoff.route(topic), _handing(local), parts_of(local)

    def parts(key, value, timestamp, headers, partition=0, origin=None, json=None) -> None:
        p = -1  # the partition a record handed over goes to, once known
        try:
            group = fn(key, value, timestamp, headers) if fn else key
            if (
                route is not None
                and route.local
                and json is not None
                and type(group) is str
                and len(json) + 6 * len(group) + 2 <= max_bytes
            ):
                # The value as read, unchanged: what the reader would decode. Only the key's
                # partition is needed (remembered per key); the size bounds the topic's record.
                p = route.texts.get(group, -1)
                if p < 0:
                    p = route.text_partition(group, _dumps(group, option=_options))
            else:  # the record as the topic holds it: key and value as JSON
                try:  # one C call where it can; _encode_json decides what it refuses (and None)
                    if not fast:
                        raise TypeError
                    key_bytes = (
                        _encode_json(group) if group is None else _dumps(group, option=_options)
                    )
                    value_bytes = (
                        _encode_json(value)
                        if value is None
                        else json or _dumps(value, option=_options)
                    )
                except Exception:  # noqa: BLE001
                    key_bytes = encode(group)
                    value_bytes = encode(value)
                if len(key_bytes or b"") + len(value_bytes or b"") > max_bytes:
                    raise too_large(key_bytes, value_bytes, max_bytes)
        except Exception as exc:  # noqa: BLE001
            metrics.in_ += 1
            metrics.errors += 1
            ctx.dead_letter(Record(key, value, timestamp, headers, partition, origin), node_id, exc)
            return
        if p >= 0:
            if local_parts is not None and timestamp and not headers:
                local_parts(group, value, timestamp, EMPTY_HEADERS, p, origin)  # hand() as is
            else:
                hand(group, value, timestamp, headers, p, origin)  # type: ignore[misc]
            return
        if route is not None and route.local:
            # As the reader decodes: the key and value from their JSON.
            group = _loads(key_bytes) if key_bytes is not None else None
            value = _loads(value_bytes) if value_bytes is not None else None
            p = partition_of(key_bytes, route.count)
            hand(group, value, timestamp, headers, p, origin)  # type: ignore[misc]
            return
        raw_headers = headers_list(headers) if headers else None
        try:
            send(topic, value_bytes, key_bytes, -1, None, None, timestamp or 0, raw_headers)
        except BufferError:  # the producer's queue is full: produce() waits for room
            produce(topic, key_bytes, value_bytes, raw_headers, None, timestamp)

    return taking_parts(parts)


def _handing(target: Callable[[Record], None]) -> Callable[..., None]:
    """Hands a record to ``target`` as the repartition reader would give it: its headers
    through Kafka's (text where UTF-8), a missing timestamp as the broker's (now), and
    ``origin`` the record the run read (a dead letter names it)."""
    parts = parts_of(target)

    def hand(group, value, timestamp, headers, partition, origin) -> None:
        headers = headers_dict(headers_list(headers)) if headers else EMPTY_HEADERS
        timestamp = timestamp or int(time.time() * 1000)
        if parts is not None:
            parts(group, value, timestamp, headers, partition, origin)
        else:
            target(Record(group, value, timestamp, headers, partition, origin))

    return hand


def repartition_reader(target: Callable[[Record], None]) -> Callable[[Any], None]:
    parts = parts_of(target)  # no Record where the target takes the parts

    def read(msg) -> None:
        raw = msg.headers()
        key, value = msg.key(), msg.value()
        try:  # one C call where it can; _decode_json decides what it refuses (and None)
            key = _loads(key) if key is not None else None
            value = _loads(value) if value is not None else None
        except Exception:  # noqa: BLE001
            key, value = _decode_json(msg.key()), _decode_json(msg.value())
        timestamp = msg.timestamp()[1]
        headers = headers_dict(raw) if raw else EMPTY_HEADERS
        if parts is not None:
            parts(key, value, timestamp, headers, msg.partition(), msg)
        else:
            target(Record(key, value, timestamp, headers, msg.partition(), msg))

    return read
