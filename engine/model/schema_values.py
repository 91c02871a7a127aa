"""Decoded values as plain JSON-like data, and back (reference §7.6).

What the schema-registry deserializers give (fastavro's Python types, Protobuf messages)
becomes what nodes, previews, traces, internal topics, the Topic Browser, ``topic read`` and
its exports handle, one form everywhere: dicts with the schema's
field names, bytes as base64 text, enums as their symbols. Avro's logical types take one
JSON-friendly form each: timestamps (timestamp-millis/-micros, local-timestamp-*) are epoch
milliseconds, as the engine's own ``timestamp``; dates and times are ISO 8601 text
(``2024-05-01``, ``12:30:00.250000``); decimals are text, exactly (``"12.50"``); UUIDs text.

Going out, ``to_avro`` turns such data back into what fastavro writes, guided by the schema
(base64 text to bytes, text to Decimal, dates and times from ISO text, milliseconds to
microseconds where the schema counts those; a timestamp given as ISO 8601 text, as older
exports wrote it, is read too). Protobuf messages go out through protobuf's
own ``json_format.ParseDict``, which reads this form (int64 as numbers or text, bytes as
base64, enums by name); they come in through ``protobuf_values.message_data``, a module of
its own so that a run without Protobuf never imports protobuf. ``named_types`` collects a
schema's named types for ``to_avro`` when the caller has only the schema's JSON.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import decimal
import uuid
from typing import Any

_PLAIN = (str, int, float, bool, type(None))
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
_EPOCH_NAIVE = datetime.datetime(1970, 1, 1)


class SchemaValueError(ValueError):
    """A value the schema refuses: ``field`` is its dotted path ('' for the value itself)."""

    def __init__(self, field: str, message: str):
        self.field = field
        self.message = message
        super().__init__(f"field '{field}': {message}" if field else message)


def plain(value: Any) -> Any:
    """A deserialized Avro (or JSON Schema) value as plain JSON-like data."""
    t = type(value)
    if t in _PLAIN:
        return value
    if t is dict:
        return {k: v if type(v) in _PLAIN else plain(v) for k, v in value.items()}
    if t is list or t is tuple:
        return [v if type(v) in _PLAIN else plain(v) for v in value]
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, datetime.datetime):
        since = value - (_EPOCH if value.tzinfo is not None else _EPOCH_NAIVE)
        return since // datetime.timedelta(milliseconds=1)
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return str(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return str(value)


# -- Avro, going out ----------------------------------------------------------------------

_MICROS = ("timestamp-micros", "local-timestamp-micros")
_TIMESTAMPS = ("timestamp-millis", "local-timestamp-millis", *_MICROS)


def to_avro(value: Any, schema: Any, named: dict, path: str = "") -> Any:
    """``value`` (plain data) as fastavro writes it for ``schema`` (fastavro's parsed form;
    ``named``: its named types). Raises SchemaValueError naming the field."""
    if isinstance(schema, str):
        resolved = named.get(schema)
        if resolved is None:
            if schema in ("bytes", "fixed") and isinstance(value, str):
                return _unbase64(value, path)
            return value
        schema = resolved
    if isinstance(schema, list):
        return _union(value, schema, named, path)
    kind = schema.get("type")
    logical = schema.get("logicalType")
    if kind == "record" or kind == "error":
        if not isinstance(value, dict):
            return value  # refused by the writer, with its own words
        out = dict(value)
        for f in schema.get("fields", ()):
            name = f["name"]
            if name in value:
                sub = f"{path}.{name}" if path else name
                out[name] = to_avro(value[name], f["type"], named, sub)
        return out
    if kind == "array":
        if isinstance(value, list):
            return [to_avro(v, schema["items"], named, f"{path}[{i}]") for i, v in enumerate(value)]
        return value
    if kind == "map":
        if isinstance(value, dict):
            return {
                k: to_avro(v, schema["values"], named, f"{path}.{k}" if path else k)
                for k, v in value.items()
            }
        return value
    if (
        logical == "decimal"
        and isinstance(value, (str, int, float))
        and not isinstance(value, bool)
    ):
        try:
            return decimal.Decimal(str(value))
        except decimal.InvalidOperation:
            raise SchemaValueError(path, f"expected a decimal number, got {_show(value)}") from None
    if logical == "date" and isinstance(value, str):
        return _iso(datetime.date, value, path, "a date (YYYY-MM-DD)")
    if logical in ("time-millis", "time-micros") and isinstance(value, str):
        return _iso(datetime.time, value, path, "a time (HH:MM:SS)")
    if logical in _MICROS and isinstance(value, (int, float)) and not isinstance(value, bool):
        return int(value * 1000)  # the engine counts milliseconds, the schema microseconds
    if logical in _TIMESTAMPS and isinstance(value, str):
        moment = _iso(datetime.datetime, value, path, "epoch milliseconds or an ISO 8601 time")
        if logical.startswith("local-"):
            return moment.replace(tzinfo=None)
        return moment if moment.tzinfo is not None else moment.replace(tzinfo=datetime.UTC)
    if kind in ("bytes", "fixed") and isinstance(value, str):
        return _unbase64(value, path)
    return value


def named_types(schema: Any, named: dict | None = None) -> dict:
    """The named types (records, enums, fixed) defined anywhere in ``schema`` (Avro's JSON),
    by name and by full name: what ``to_avro`` resolves a type given by its name with."""
    named = {} if named is None else named
    if isinstance(schema, list):
        for branch in schema:
            named_types(branch, named)
    elif isinstance(schema, dict):
        name = schema.get("name")
        if schema.get("type") in ("record", "error", "enum", "fixed") and isinstance(name, str):
            named.setdefault(name, schema)
            if schema.get("namespace") and "." not in name:
                named.setdefault(f"{schema['namespace']}.{name}", schema)
        for f in schema.get("fields", ()):
            if isinstance(f, dict):
                named_types(f.get("type"), named)
        for inner in ("items", "values"):
            if inner in schema:
                named_types(schema[inner], named)
        if isinstance(schema.get("type"), (dict, list)):
            named_types(schema["type"], named)
    return named


def _union(value: Any, branches: list, named: dict, path: str) -> Any:
    if value is None:
        return None
    for branch in branches:
        kind = branch_kind(branch, named)
        if fits(value, kind):
            return to_avro(value, branch, named, path)
    return value


def branch_kind(branch: Any, named: dict) -> tuple[str, str | None]:
    if isinstance(branch, str):
        resolved = named.get(branch)
        if resolved is None:
            return branch, None
        branch = resolved
    if isinstance(branch, dict):
        return branch.get("type", ""), branch.get("logicalType")
    return "", None


def fits(value: Any, kind: tuple[str, str | None]) -> bool:
    base, logical = kind
    if isinstance(value, bool):
        return base == "boolean"
    if isinstance(value, dict):
        return base in ("record", "error", "map")
    if isinstance(value, list):
        return base == "array"
    if isinstance(value, str):
        return base in ("string", "enum", "bytes", "fixed") or logical is not None
    if isinstance(value, int):
        return base in ("int", "long", "float", "double") or logical == "decimal"
    if isinstance(value, float):
        return base in ("float", "double") or logical == "decimal"
    return False


def _unbase64(text: str, path: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise SchemaValueError(path, f"expected bytes as base64 text, got {_show(text)}") from None


def _iso(kind, text: str, path: str, what: str):
    try:
        return kind.fromisoformat(text)
    except ValueError:
        raise SchemaValueError(path, f"expected {what}, got {_show(text)}") from None


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:57]}..."
