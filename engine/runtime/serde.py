"""Bytes to values and back, for the formats of the topology file: string, json, bytes.

JSON goes through orjson, about four times faster than the standard library on the
per-record path; what orjson refuses (NaN literals, integers beyond 64 bits) falls back
to the standard library. The one difference from the standard library: NaN and
infinities are written as null, which is valid JSON, rather than as NaN.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import orjson

_std_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
_orjson_dumps = orjson.dumps
_orjson_loads = orjson.loads
_OPTIONS = orjson.OPT_NON_STR_KEYS
_JSONDecodeError = orjson.JSONDecodeError


def _dumps(value: Any) -> str:
    return _dumps_bytes(value).decode("utf-8")


def _dumps_bytes(value: Any) -> bytes:
    try:
        return _orjson_dumps(value, option=_OPTIONS)
    except TypeError:
        return _std_dumps(value).encode("utf-8")


def _loads(data: bytes | str) -> Any:
    try:
        return _orjson_loads(data)
    except _JSONDecodeError:
        return json.loads(data)


class SerdeError(ValueError):
    """A record that cannot be decoded or encoded in its format."""


class OutputTooLargeError(SerdeError):
    """An output record larger than the producer may send (``message.max.bytes``)."""


MESSAGE_MAX_BYTES = 1_000_000  # librdkafka's default message.max.bytes


def message_max_bytes(client_config: dict | None) -> int:
    try:
        return int((client_config or {}).get("message.max.bytes", MESSAGE_MAX_BYTES))
    except (TypeError, ValueError):
        return MESSAGE_MAX_BYTES


def too_large(key: bytes | None, value: bytes | None, limit: int) -> OutputTooLargeError:
    size = len(key or b"") + len(value or b"")
    return OutputTooLargeError(
        f"the encoded record is {size:,} bytes, more than message.max.bytes "
        f"({limit:,}); it was not sent"
    )


def measured(encode: Callable[[Any], bytes | None], limit: int) -> Callable[[Any], bytes | None]:
    """``encode`` preceded by measuring the value's logical size (engine.model.guards), for
    sinks whose input could be a huge structure of aliased parts: such a value is refused
    before encoding it could exhaust memory (orjson aborts when an allocation fails)."""
    from engine.model.guards import ExpressionLimitError, size_of

    def encode_measured(value: Any) -> bytes | None:
        try:
            size_of(value, limit)
        except ExpressionLimitError:
            raise OutputTooLargeError(
                f"the record is larger than message.max.bytes ({limit:,} "
                "bytes) once encoded; it was not sent"
            ) from None
        return encode(value)

    return encode_measured


def _decode_string(data: bytes | None) -> Any:
    if data is None:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SerdeError(f"not UTF-8 text: {exc.reason} at byte {exc.start}") from None


def _decode_json(data: bytes | None) -> Any:
    if data is None:
        return None
    try:
        return _loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise SerdeError(f"not JSON: {exc}") from None


def _decode_bytes(data: bytes | None) -> Any:
    return data


def _encode_string(value: Any) -> bytes | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, bytes):
        return value
    if isinstance(value, (dict, list)):
        return _dumps(value).encode("utf-8")
    return str(value).encode("utf-8")


def _encode_json(value: Any) -> bytes | None:
    if value is None:
        return None
    try:
        return _dumps_bytes(value)
    except (TypeError, ValueError) as exc:
        raise SerdeError(f"cannot write as JSON: {exc}") from None


def _encode_bytes(value: Any) -> bytes | None:
    if value is None or isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    raise SerdeError(f"bytes format needs bytes or text, got {type(value).__name__}")


DECODERS: dict[str, Callable[[bytes | None], Any]] = {
    "string": _decode_string,
    "json": _decode_json,
    "bytes": _decode_bytes,
}
ENCODERS: dict[str, Callable[[Any], bytes | None]] = {
    "string": _encode_string,
    "json": _encode_json,
    "bytes": _encode_bytes,
}

# The per-record fast paths: one C call for bytes that are not None. Whatever it refuses
# (raises on) goes through DECODERS, which decides: the standard library's fallback, or a
# SerdeError. So a decoder used as ``try: fast(b) except Exception: DECODERS[f](b)`` gives
# exactly what DECODERS[f](b) gives.
FAST_DECODERS: dict[str, Callable[[bytes], Any]] = {
    "string": bytes.decode,
    "json": _orjson_loads,
    "bytes": _decode_bytes,
}
JSON_DUMPS = _orjson_dumps  # with JSON_OPTIONS: what _encode_json tries first
JSON_OPTIONS = _OPTIONS


SHOW_LIMIT_STEPS = 1_000_000  # about 10 MB of text: more is never shown or logged
TOO_LARGE_TO_SHOW = "(a value too large to show)"


def too_large_to_show(value: Any) -> bool:
    """Whether a structure is too large to write as text: a few aliased lists can stand for
    terabytes, and orjson aborts the process when an allocation fails."""
    if type(value) not in (list, dict, tuple, set):
        return False
    from engine.model.guards import ExpressionLimitError, size_of

    try:
        size_of(value, SHOW_LIMIT_STEPS)
    except ExpressionLimitError:
        return True
    return False


def to_json_text(value: Any) -> str:
    """Any value as compact JSON for logs and files (bytes shown as text where they decode)."""
    if too_large_to_show(value):
        return _dumps(TOO_LARGE_TO_SHOW)
    try:
        return _dumps(value)
    except (TypeError, ValueError):
        return _dumps(_jsonable(value))


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return value.hex()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def headers_list(headers: dict) -> list[tuple[str, bytes]] | None:
    """The ``headers`` dict of a record back to Kafka headers."""
    if not headers:
        return None
    return [(k, v if isinstance(v, bytes) else str(v).encode("utf-8")) for k, v in headers.items()]
