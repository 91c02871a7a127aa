"""Sample records for test runs and traces (reference §13.1): the record objects of RECORDS.jsonl
and of a case's inputs, reading and writing them, and which nodes take and give them."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from engine.model.catalogue import NODE_TYPES
from engine.model.internal_topics import SOURCE_TYPES
from engine.model.topology import Topology
from engine.runtime.serde import to_json_text

RECORD_FIELDS = ("key", "value", "timestamp", "headers")


class InputError(ValueError):
    """Sample records that cannot be used, as one sentence naming where."""


def _kind(obj: Any) -> str:
    return {list: "a list", str: "text", bool: "true or false", type(None): "null"}.get(
        type(obj), "a number" if isinstance(obj, (int, float)) else type(obj).__name__
    )


# -- input records --------------------------------------------------------------------


@dataclass(frozen=True)
class InputRecord:
    """One sample record as written in RECORDS.jsonl or a case's inputs."""

    value: Any
    key: Any = None
    timestamp: int = 0
    headers: dict = field(default_factory=dict)

    def as_json(self) -> dict:
        out: dict = {"key": self.key, "value": self.value, "timestamp": self.timestamp}
        if self.headers:
            out["headers"] = dict(self.headers)
        return out


def parse_record(obj: Any, where: str) -> InputRecord:
    """A record object ``{"key", "value", "timestamp", "headers"}``; ``where`` names it in
    the sentence of an ``InputError`` (e.g. ``records.jsonl line 3``)."""
    if not isinstance(obj, dict):
        raise InputError(
            f"{where}: a record must be an object with a value "
            f"(and optionally key, timestamp, headers), not {_kind(obj)}"
        )
    unknown = [k for k in obj if k not in RECORD_FIELDS]
    if unknown:
        raise InputError(
            f"{where}: unknown field '{unknown[0]}' (a record has {', '.join(RECORD_FIELDS)})"
        )
    if "value" not in obj:
        raise InputError(f"{where}: the record has no value")
    ts = obj.get("timestamp", 0)
    if ts is None:
        ts = 0
    if isinstance(ts, bool) or not isinstance(ts, int) or ts < 0:
        raise InputError(
            f"{where}: timestamp must be milliseconds (a whole number ≥ 0), not {json.dumps(ts)}"
        )
    headers = obj.get("headers") or {}
    if not isinstance(headers, dict) or not all(isinstance(v, str) for v in headers.values()):
        raise InputError(f"{where}: headers must be an object of text values")
    return InputRecord(obj["value"], obj.get("key"), ts, dict(headers))


def read_jsonl(path: str) -> list[InputRecord]:
    """The records of a JSON-lines file; blank lines are skipped."""
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot be read ({exc})") from None
    return from_jsonl(text, path)


def write_jsonl(path: str, records: Iterable[InputRecord]) -> None:
    with open(path, "w", encoding="utf-8") as f:
        f.writelines(to_json_text(record.as_json()) + "\n" for record in records)


def source_nodes(topology: Topology) -> list[str]:
    return [n.id for n in topology.nodes.values() if n.type in SOURCE_TYPES]


def sink_nodes(topology: Topology) -> list[str]:
    return [
        n.id
        for n in topology.nodes.values()
        if n.type in NODE_TYPES and not NODE_TYPES[n.type].outputs
    ]


def check_inputs(topology: Topology, inputs: dict[str, Any], where: str = "inputs") -> None:
    """Raises ``InputError`` when an input names a node that is not a source."""
    for node_id in inputs:
        node = topology.nodes.get(node_id)
        if node is None:
            raise InputError(
                f"{where}: there is no node '{node_id}' in the topology "
                f"(sources: {', '.join(source_nodes(topology)) or 'none'})"
            )
        if node.type not in SOURCE_TYPES:
            raise InputError(
                f"{where}: '{node_id}' is a {node.type}, not a source; inputs go to "
                f"sources ({', '.join(source_nodes(topology)) or 'none'})"
            )


def order_inputs(inputs: dict[str, list[InputRecord]]) -> list[tuple[str, InputRecord]]:
    """All inputs in timestamp order across sources, input order among equal timestamps."""
    flat = [(node_id, record) for node_id, records in inputs.items() for record in records]
    return sorted(flat, key=lambda item: item[1].timestamp)  # sorted() is stable


def generated(topology: Topology, count: int, start_ms: int) -> dict[str, list[InputRecord]]:
    """``count`` records per generator_source, as its generator makes them (profile, seed),
    spaced by its rate from ``start_ms``: the demo's data without a broker."""
    from engine.runtime.generator import EventFactory

    out: dict[str, list[InputRecord]] = {}
    for node in topology.nodes.values():
        if node.type != "generator_source":
            continue
        params = node.params
        factory = EventFactory(params.get("profile", "orders"), params.get("seed"))
        rate = float(params.get("rate") or 50) or 50.0
        records = []
        for i in range(count):
            ts = start_ms + int(i * 1000 / rate)
            key, value = factory.next(ts)
            records.append(InputRecord(value, key, ts))
        out[node.id] = records
    return out


def to_jsonl(records: Iterable[InputRecord]) -> str:
    return "".join(to_json_text(r.as_json()) + "\n" for r in records)


def from_jsonl(text: str, where: str) -> list[InputRecord]:
    """The records of JSON-lines text (an editor's, a file's); ``where`` names it in errors."""
    records = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except ValueError as exc:
            raise InputError(f"{where} line {number}: not JSON ({exc})") from None
        records.append(parse_record(obj, f"{where} line {number}"))
    return records
