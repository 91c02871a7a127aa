"""What every operator shares: the Record, per-node metrics, records handed on as their
parts. The run context operators receive as ``ctx`` is ``engine.runtime.context.RunContext``.

Operators never dispatch on node type per record: the compiler calls each operator's
``get_executor(node, ctx, children)`` once, and the closures it returns call their
children directly. ``children`` maps an output port to the executors wired to it.

An executor may also offer ``parts(key, value, timestamp, headers, partition, origin,
json)`` as an attribute: the same as calling it with ``Record(key, value, ...)``, for a
caller that has the parts at hand and would make the Record only to have it taken apart
(sources, fused chains, repartition readers and tumbling aggregates hand records to
sinks, chains, repartition writers and tumbling aggregates this way). A caller looks for
it once, when compiled (``parts_of``); wrappers (a trace, a fan-out) offer none, so
records reach them as Records. ``taking_parts(parts)`` makes the executor of an operator
written as ``parts``: the one adapter from a Record to its parts.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any, Protocol


class Record:
    """One record flowing through the graph.

    ``origin`` is the Kafka message the record derives from (a confluent_kafka
    Message, or anything with topic(), partition(), offset(), key(), value(),
    headers()), so a failure downstream can still dead-letter the original bytes.
    ``json``, when not None, is JSON text that decodes to ``value`` (the bytes a source
    read it from): a repartition writes it as it is rather than encoding ``value`` again.
    Records are never changed once made, and a new value makes a new record, without it.
    """

    __slots__ = ("headers", "json", "key", "origin", "partition", "timestamp", "value")

    def __init__(
        self,
        key: Any,
        value: Any,
        timestamp: int,
        headers: dict | None = None,
        partition: int = 0,
        origin: Any = None,
        json: bytes | None = None,
    ):
        self.key = key
        self.value = value
        self.timestamp = timestamp
        self.headers = headers if headers is not None else EMPTY_HEADERS
        self.partition = partition
        self.origin = origin
        self.json = json

    def __repr__(self) -> str:
        return f"Record(key={self.key!r}, value={self.value!r}, timestamp={self.timestamp})"


EMPTY_HEADERS: dict = {}

Executor = Callable[[Record], None]


class NodeMetrics:
    """Counters of one node; the runtime reads them to report rates."""

    __slots__ = ("errors", "in_", "late", "out")

    def __init__(self) -> None:
        self.in_ = 0
        self.out = 0
        self.errors = 0
        self.late = 0

    def as_dict(self) -> dict:
        return {"in": self.in_, "out": self.out, "errors": self.errors, "late": self.late}


class KeyValueStore(Protocol):
    """One partition of one state store: keys are str, values JSON-serialisable."""

    def get(self, key: str, default: Any = None) -> Any: ...
    def put(self, key: str, value: Any) -> None: ...
    def delete(self, key: str) -> None: ...
    def items(self) -> Iterator[tuple[str, Any]]: ...


def sender(ctx) -> Callable:
    """How a sink writes a record: the run's producer's own ``produce`` when it has one
    (``ctx.kafka_produce``: one C call, positional arguments, which cost the client far less than
    keywords), else the same signature over ``ctx.produce``. Callers catch BufferError (the
    producer's queue is full) and then call ``ctx.produce``, which waits for room."""
    send = ctx.kafka_produce
    if send is not None:
        return send
    produce = ctx.produce

    def send_via_context(topic, value, key, partition, _callback, _on_delivery, timestamp, headers):
        produce(topic, key, value, headers, None if partition < 0 else partition, timestamp)

    return send_via_context


Parts = Callable[..., None]  # parts(key, value, timestamp, headers, partition, origin, json)


def taking_parts(parts: Parts) -> Executor:
    """The executor of an operator written as ``parts``: it takes a Record apart and calls
    ``parts`` with its fields, and offers ``parts`` itself to callers that have them."""

    def process(record: Record) -> None:
        parts(
            record.key,
            record.value,
            record.timestamp,
            record.headers,
            record.partition,
            record.origin,
            record.json,
        )

    process.parts = parts  # type: ignore[attr-defined]
    return process


def parts_of(executor: Executor) -> Parts | None:
    """What ``executor`` offers to take records as their parts, or None: a caller asks once,
    when compiled, and then hands it parts instead of a Record."""
    return getattr(executor, "parts", None)


def fanout(executors: list[Executor]) -> Executor:
    """One executor that calls all of ``executors`` (the common one- and zero-child cases
    cost nothing extra)."""
    if not executors:
        return _drop
    if len(executors) == 1:
        return executors[0]
    chain = tuple(executors)

    def fan(record: Record) -> None:
        for child in chain:
            child(record)

    return fan


def _drop(record: Record) -> None:
    return None


def only_child(children: dict[str, list[Executor]], port: str = "out") -> Executor:
    return fanout(children.get(port, []))


def key_to_text(key: Any) -> str:
    """Group keys as the aggregate's output key: strings and numbers as text, else JSON."""
    if isinstance(key, str):
        return key
    if isinstance(key, (int, float)) and not isinstance(key, bool):
        return str(key)
    return json.dumps(key, sort_keys=True, separators=(",", ":"))
