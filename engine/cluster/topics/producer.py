"""Producing records given as NDJSON lines, the lines a scan writes (reference §9.12):
``{"topic", "partition", "offset", "timestamp", "key", "value", "headers", "key_format",
"value_format"}``, every field optional but ``value``.

Each line is read and encoded before anything is sent: a line that is not JSON, a value its
format refuses, a schema the registry does not have are each a sentence with the line
number, and then nothing is written. Key and value are written in the format given for the
whole input, else the one the line names (what the scan read them as), else as text when
they are text and JSON otherwise; schema formats with confluent-kafka's serializers and the
schema named (``subject:<name>``) or the latest registered for the topic. Headers are kept;
so is the timestamp; the partition is the producer's choice by key (the target topic may
have other partitions) and the offset the broker's.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson
from confluent_kafka import KafkaError, KafkaException, Producer

from engine.cluster.admin import ConnectionProblem, explain
from engine.cluster.kafka_log import with_logger
from engine.cluster.topics.formats import (
    PLAIN_FORMATS,
    SCHEMA_FORMATS,
    FormatError,
    Registry,
    SchemaEncoder,
    encode_plain,
)

LINE_KEYS = frozenset(
    ("topic", "partition", "offset", "timestamp", "key", "value", "headers")
    + ("key_format", "value_format")
)
WRITE_FORMATS = ("auto", *PLAIN_FORMATS, *SCHEMA_FORMATS)
MAX_PROBLEMS_SHOWN = 20


class ProduceError(RuntimeError):
    """Input that cannot be produced; ``problems`` holds one sentence per bad line."""

    def __init__(self, problems: list[str]):
        shown = problems[:MAX_PROBLEMS_SHOWN]
        more = len(problems) - len(shown)
        text = "\n".join(shown) + (f"\n... and {more} more" if more else "")
        super().__init__(text)
        self.problems = problems


@dataclass
class Outgoing:
    line: int
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes | None]]
    timestamp: int | None


@dataclass
class ProduceResult:
    sent: int = 0
    failed: list[str] = field(default_factory=list)  # sentences, with the line


def _header_bytes(value: Any) -> bytes | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, dict) and set(value) == {"base64"} and isinstance(value["base64"], str):
        return base64.b64decode(value["base64"], validate=True)
    raise FormatError('a header value must be text, null or {"base64": ...}')


def _headers(raw: Any) -> list[tuple[str, bytes | None]]:
    if raw is None:
        return []
    if isinstance(raw, dict):
        return [(str(k), _header_bytes(v)) for k, v in raw.items()]
    if isinstance(raw, list) and all(isinstance(h, list) and len(h) == 2 for h in raw):
        return [(str(k), _header_bytes(v)) for k, v in raw]
    raise FormatError("headers must be an object of names and text")


class RecordEncoder:
    """Encodes the key and value of lines for one target topic."""

    def __init__(
        self,
        topic: str,
        key_format: str | None = None,
        value_format: str | None = None,
        registry: Registry | None = None,
        key_schema: str | None = None,
        value_schema: str | None = None,
    ):
        for fmt in (key_format, value_format):
            if fmt is not None and fmt not in WRITE_FORMATS:
                raise FormatError(f"unknown format {fmt!r}; formats are {', '.join(WRITE_FORMATS)}")
        self.topic = topic
        self.formats = {"key": key_format, "value": value_format}
        self.guessed = {"key": 0, "value": 0}  # written as text or JSON, no format named
        self.registry = registry
        self.schemas = {
            "key": SchemaEncoder(registry, topic, "key", key_schema) if registry else None,
            "value": SchemaEncoder(registry, topic, "value", value_schema) if registry else None,
        }

    def encode(self, part: str, value: Any, line_format: Any) -> bytes | None:
        fmt = self.formats[part] or (line_format if line_format in WRITE_FORMATS else "auto")
        if value is None:
            return None
        if fmt == "auto":
            fmt = "string" if isinstance(value, str) else "json"
            self.guessed[part] += 1
        if fmt in SCHEMA_FORMATS:
            encoder = self.schemas[part]
            if encoder is None:
                raise FormatError(f"{fmt} needs a schema registry (--schema-registry URL)")
            return encoder.writer(fmt)(value)
        return encode_plain(fmt, value)

    def line(self, number: int, text: str) -> Outgoing | None:
        """The record of one NDJSON line (None for a blank line); FormatError says why not."""
        if not text.strip():
            return None
        try:
            data = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            raise FormatError(f"not JSON ({exc})") from None
        if not isinstance(data, dict):
            raise FormatError("a line must be a JSON object with at least a value")
        unknown = sorted(k for k in data if k not in LINE_KEYS)
        if unknown:
            raise FormatError(
                f"unknown field '{unknown[0]}'; a line has {', '.join(sorted(LINE_KEYS))}"
            )
        if "value" not in data:
            raise FormatError("the line has no value (null is a tombstone)")
        timestamp = data.get("timestamp")
        if timestamp is not None and (
            isinstance(timestamp, bool) or not isinstance(timestamp, int) or timestamp < 0
        ):
            raise FormatError("timestamp must be epoch milliseconds (a whole number)")
        key = self._part("key", data.get("key"), data.get("key_format"))
        value = self._part("value", data.get("value"), data.get("value_format"))
        try:
            headers = _headers(data.get("headers"))
        except (FormatError, ValueError) as exc:
            raise FormatError(f"headers: {exc}") from None
        return Outgoing(number, key, value, headers, timestamp)

    def _part(self, part: str, value: Any, line_format: Any) -> bytes | None:
        try:
            return self.encode(part, value, line_format)
        except FormatError as exc:
            raise FormatError(f"{part}: {exc}") from None


def read_lines(lines: Iterable[str | bytes], encoder: RecordEncoder, source: str) -> list[Outgoing]:
    """Every line encoded, or ProduceError listing each bad line as ``SOURCE:N: why``.
    Lines may be bytes (a file opened in binary): each is decoded as UTF-8 on its own, so a
    line that is not UTF-8 is said with its number."""
    out: list[Outgoing] = []
    problems: list[str] = []
    for number, raw in enumerate(lines, 1):
        if isinstance(raw, bytes):
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                problems.append(
                    f"{source}:{number}: not UTF-8 text ({exc.reason} at byte {exc.start})"
                )
                continue
        else:
            text = raw
        try:
            record = encoder.line(number, text)
        except FormatError as exc:
            problems.append(f"{source}:{number}: {exc}")
            continue
        if record is not None:
            out.append(record)
    if problems:
        raise ProduceError(problems)
    return out


class TopicProducer:
    """Sends encoded records to one topic and says what was written."""

    def __init__(self, bootstrap: str, topic: str, client_config: dict | None = None):
        self.bootstrap = bootstrap
        self.topic = topic
        self._errors: list[KafkaError] = []
        self.config: dict[str, Any] = with_logger(
            {
                "bootstrap.servers": bootstrap,
                "enable.idempotence": True,
                "linger.ms": 5,
                "error_cb": self._errors.append,
                **(client_config or {}),
            }
        )

    def check_reachable(self, timeout: float = 10.0) -> None:
        from confluent_kafka.admin import AdminClient

        config: dict[str, Any] = {**self.config, "error_cb": self._errors.append}
        admin = AdminClient(config)
        try:
            admin.list_topics(timeout=timeout)
        except KafkaException as exc:
            err = self._errors[-1] if self._errors else (exc.args[0] if exc.args else None)
            raise ConnectionProblem(explain(err, self.bootstrap)) from None

    def send(self, records: list[Outgoing], timeout: float = 60.0) -> ProduceResult:
        result = ProduceResult()
        producer = Producer(self.config)

        def on_delivery(line: int) -> Callable[[KafkaError | None, Any], None]:
            def delivered(err: KafkaError | None, _msg: Any) -> None:
                if err is None:
                    result.sent += 1
                else:
                    result.failed.append(f"line {line}: {err.str()}")

            return delivered

        for record in records:
            kwargs: dict[str, Any] = {"headers": record.headers or None}
            if record.timestamp is not None:
                kwargs["timestamp"] = record.timestamp
            while True:
                try:
                    producer.produce(
                        self.topic,
                        record.value,
                        record.key,
                        on_delivery=on_delivery(record.line),
                        **kwargs,
                    )
                    break
                except BufferError:
                    producer.poll(0.1)
                except KafkaException as exc:
                    result.failed.append(f"line {record.line}: {exc.args[0].str()}")
                    break
            producer.poll(0)
        left = producer.flush(timeout)
        if left:
            result.failed.append(
                f"{left} record{'s' * (left != 1)} not confirmed by the broker within {timeout:g} s"
            )
        return result
