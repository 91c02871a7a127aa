"""Scanning a topic: from a start position to the end offsets taken when the scan starts,
across partitions, decoding, masking and filtering each record (reference §9.12).

    scan = TopicScan(reader, ScanRequest("orders", parse_start("earliest"), filter="..."))
    for page in scan.pages():        # lists of records as soon as they are read
        show(page)                   # each a dict: topic, partition, offset, timestamp, ...
    scan.progress, scan.notices      # how far it got; sentences about what it met

A scan is bounded: it stops at ``limit`` matches, at the end offsets read at its start, or
when cancelled (``cancel()`` from any thread). Its first page comes after the first fetch,
so a window can show records while the rest is scanned; ``on_progress`` is told the records
scanned of how many after every fetch.

End offsets (``watermarks``) are the high watermarks carried by fetch responses, read by a first fetch of
each partition's last record: exact on every Kafka-compatible broker (some answer offset
queries for "latest" with the start of the last batch). A time is looked up with
offsets_for_times; since a broker may answer that with an earlier offset than asked (the
sandbox answers 0), every partition read from a time skips records older than it until its
first record at or after it, which is the offset Kafka defines: where the broker cannot
seek, the scan does by record timestamps.

The filter is the expression language of topology files (``engine.model.expressions``, the
same checker and budgets) over key, value, timestamp, headers, partition and offset, run on
the masked record: a masked value is never matched. A record the filter fails on (a missing
field, a budget exceeded) does not match; how many did is said once.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition

from engine.cluster import rotation
from engine.cluster.admin import ConnectionProblem, explain
from engine.cluster.kafka_log import with_logger
from engine.cluster.topics import scan_notices
from engine.cluster.topics.formats import PartDecoder, Registry, b64
from engine.cluster.topics.positions import Start, StartKind
from engine.cluster.topics.watermarks import end_offsets, offsets_for_time
from engine.model.expressions import ExpressionError, compile_expression
from engine.model.masking import Masker, MaskRule

FILTER_NAMES = ("key", "value", "timestamp", "headers", "partition", "offset")
PAGE_SIZE = 500  # records a consume call asks for: the first page comes after one fetch


REGISTRY_HINT = "name the registry with --schema-registry URL or SCHEMA_REGISTRY_URL"


class ScanError(RuntimeError):
    """A scan that cannot be done (no such topic or partition, a bad filter): a sentence."""


@dataclass
class ScanRequest:
    topic: str
    start: Start
    partitions: list[int] | None = None  # None: every partition
    filter: str | None = None
    limit: int | None = None  # matches; None: until the end offsets
    key_format: str = "auto"
    value_format: str = "auto"


@dataclass
class ScanProgress:
    scanned: int = 0  # records read
    total: int = 0  # records between the start and the end offsets
    matched: int = 0
    done: bool = False


@dataclass
class _Partition:
    number: int
    low: int
    end: int
    start: int = 0
    time_gate: int | None = None  # skip records older than this (ms) until one is not
    first_timestamp: int | None = None  # of the first record read
    done: bool = False


def compile_filter(text: str | None) -> Callable[..., Any] | None:
    """The filter's function, or ScanError with the checker's sentence."""
    if text is None or not text.strip():
        return None
    try:
        return compile_expression(text, FILTER_NAMES).fn
    except ExpressionError as exc:
        raise ScanError(f"the filter is not allowed: {exc.message}") from None


def headers_out(headers: list[tuple[str, bytes | None]] | None) -> dict[str, Any]:
    """Kafka headers as shown: text where they are UTF-8, else ``{"base64": ...}``."""
    out: dict[str, Any] = {}
    for name, raw in headers or ():
        if raw is None:
            out[name] = None
            continue
        try:
            out[name] = raw.decode("utf-8")
        except UnicodeDecodeError:
            out[name] = {"base64": b64(raw)}
    return out


class TopicReader:
    """What scans share: the cluster's address and client settings, the schema registry
    (None: wire-format records are shown as they happen to decode) and the masking rules."""

    def __init__(
        self,
        bootstrap: str,
        client_config: dict | None = None,
        registry: Registry | None = None,
        masking: list[MaskRule] | None = None,
        registry_hint: str = REGISTRY_HINT,
    ):
        self.bootstrap = bootstrap
        self.registry_hint = registry_hint  # how a user names a registry, said when one is missing
        self.config = with_logger({"bootstrap.servers": bootstrap, **(client_config or {})})
        self.registry = registry
        self.masking = list(masking or [])
        self.errors: list[KafkaError] = []  # what the clients' error callbacks said

    def consumer(self, **extra) -> Consumer:
        errors = self.errors
        consumer = Consumer(
            {
                **self.config,
                "group.id": f"topology-studio-browse-{uuid.uuid4().hex[:8]}",
                "enable.auto.commit": False,
                "auto.offset.reset": "earliest",
                "enable.partition.eof": False,
                "fetch.wait.max.ms": 100,
                "error_cb": errors.append,
                **extra,
            }
        )
        return consumer

    def partitions_of(self, consumer: Consumer, topic: str, timeout: float = 10.0) -> list[int]:
        """The partitions of ``topic``; ScanError when it does not exist. Asks for every
        topic's metadata: asking for one by name creates it on some brokers."""
        try:
            meta = consumer.list_topics(timeout=timeout)
        except KafkaException as exc:
            err = self.errors[-1] if self.errors else (exc.args[0] if exc.args else None)
            raise ConnectionProblem(explain(err, self.bootstrap)) from None
        found = meta.topics.get(topic)
        if found is None or found.error is not None:
            raise ScanError(f"there is no topic '{topic}' on {self.bootstrap}")
        return sorted(found.partitions)


class TopicScan:
    """One bounded scan of a topic; see the module docstring."""

    def __init__(
        self,
        reader: TopicReader,
        request: ScanRequest,
        on_progress: Callable[[ScanProgress], None] | None = None,
    ):
        self.reader = reader
        self.request = request
        self.on_progress = on_progress
        self.progress = ScanProgress()
        self.notices: list[str] = []
        self.filter_failures = 0
        self.first_failure: str | None = None
        self._cancel = threading.Event()
        self._filter = compile_filter(request.filter)
        if request.limit is not None and request.limit < 1:
            raise ScanError("the limit must be 1 or more")
        registry = reader.registry
        self.key_decoder = PartDecoder(request.key_format, request.topic, "key", registry)
        self.value_decoder = PartDecoder(request.value_format, request.topic, "value", registry)
        self.masker = Masker(reader.masking, request.topic)
        self.partitions: dict[int, _Partition] = {}

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    # -- positions ----------------------------------------------------------------------

    def _plan(self, consumer: Consumer) -> None:
        topic, request = self.request.topic, self.request
        existing = self.reader.partitions_of(consumer, topic)
        wanted = existing if request.partitions is None else request.partitions
        missing = [p for p in wanted if p not in existing]
        if missing:
            raise ScanError(
                f"topic '{topic}' has no partition {missing[0]} "
                f"(it has {len(existing)}: 0 to {len(existing) - 1})"
            )
        ends = end_offsets(consumer, topic, wanted)
        for number in wanted:
            low, end = ends[number]
            self.partitions[number] = _Partition(number, low, end)
        self._place_starts(consumer)
        for part in self.partitions.values():
            part.done = part.start >= part.end
        self.progress.total = sum(max(0, p.end - p.start) for p in self.partitions.values())

    def _place_starts(self, consumer: Consumer) -> None:
        start = self.request.start
        parts = self.partitions.values()
        if start.kind is StartKind.EARLIEST:
            for p in parts:
                p.start = p.low
        elif start.kind is StartKind.LATEST:
            for p in parts:
                p.start = p.end
        elif start.kind is StartKind.OFFSET:
            for p in parts:
                p.start = min(max(start.value, p.low), p.end)
            if all(start.value > p.end for p in parts):
                ends = ", ".join(f"{p.number}: {p.end}" for p in parts)
                self.notices.append(
                    f"offset {start.value} is past the end of '{self.request.topic}' "
                    f"(end offsets {ends}): nothing to read"
                )
            elif all(start.value < p.low for p in parts):
                self.notices.append(
                    f"offset {start.value} is before the first record of "
                    f"'{self.request.topic}': read from its start"
                )
        else:
            found = offsets_for_time(
                consumer, self.request.topic, list(self.partitions), start.value
            )
            for p in parts:
                offset = found.get(p.number)
                if offset is None or offset < 0:
                    p.start = p.end  # no record at or after the time
                else:
                    p.start = min(max(offset, p.low), p.end)
                    p.time_gate = start.value

    # -- the scan -----------------------------------------------------------------------

    def pages(self) -> Iterator[list[dict]]:
        """Lists of matching records, as they are read; stops at the end, the limit or a
        cancel. Raises ScanError or ConnectionProblem with a sentence."""
        topic = [self.request.topic]
        rotation.follow(topic)  # not rotated under this consumer (see engine.cluster.rotation)
        consumer = self.reader.consumer()
        try:
            self._plan(consumer)
            yield from self._read(consumer)
        finally:
            consumer.close()
            rotation.unfollow(topic)
            self.progress.done = True
            self.notices += scan_notices.afterwards(self)
            self._report()

    def records(self) -> list[dict]:
        return [record for page in self.pages() for record in page]

    def _live(self) -> list[_Partition]:
        return [p for p in self.partitions.values() if not p.done]

    def _read(self, consumer: Consumer) -> Iterator[list[dict]]:
        topic = self.request.topic
        live = self._live()
        if not live:
            self._report()
            return
        consumer.assign([TopicPartition(topic, p.number, p.start) for p in live])
        limit = self.request.limit
        quiet_since = time.monotonic()
        while self._live() and not self.cancelled:
            messages = consumer.consume(PAGE_SIZE, timeout=0.2)
            page = self._take(messages)
            if messages:
                quiet_since = time.monotonic()
            else:
                self._check_positions(consumer, quiet_since)
            self._report()
            if page:
                if limit is not None and self.progress.matched >= limit:
                    yield page[: len(page) - (self.progress.matched - limit)]
                    self.progress.matched = limit
                    return
                yield page

    def _take(self, messages) -> list[dict]:
        page: list[dict] = []
        parts = self.partitions
        fn = self._filter
        masker = self.masker
        decode_key, decode_value = self.key_decoder, self.value_decoder
        topic = self.request.topic
        scanned = 0
        for m in messages:
            err = m.error()
            if err is not None:
                self._on_error(err)
                continue
            part = parts.get(m.partition())
            if part is None or part.done:
                continue
            offset = m.offset()
            if offset >= part.end:
                part.done = True
                continue
            scanned += 1
            if offset + 1 >= part.end:
                part.done = True
            timestamp = m.timestamp()[1]
            if part.first_timestamp is None:
                part.first_timestamp = timestamp
            if part.time_gate is not None:
                if timestamp < part.time_gate:
                    continue
                part.time_gate = None
            key_fmt, key = decode_key(m.key())
            value_fmt, value = decode_value(m.value())
            headers = headers_out(m.headers())
            if masker.active:
                key, value, headers = (
                    masker.mask(key),
                    masker.mask(value),
                    masker.mask_headers(headers),
                )
            if fn is not None:
                try:
                    keep = fn(key, value, timestamp, headers, part.number, offset)
                except Exception as exc:  # noqa: BLE001 - a failing filter only does not match
                    self._filter_failed(part.number, offset, exc)
                    continue
                if not keep:
                    continue
            page.append(
                {
                    "topic": topic,
                    "partition": part.number,
                    "offset": offset,
                    "timestamp": timestamp,
                    "key": key,
                    "value": value,
                    "headers": headers,
                    "key_format": key_fmt,
                    "value_format": value_fmt,
                }
            )
        self.progress.scanned += scanned
        self.progress.matched += len(page)
        return page

    def _filter_failed(self, partition: int, offset: int, exc: Exception) -> None:
        self.filter_failures += 1
        if self.first_failure is None:
            reason = str(exc) or type(exc).__name__
            if isinstance(exc, KeyError):
                reason = f"no field {exc}"
            self.first_failure = f"partition {partition} offset {offset}: {reason}"

    def _on_error(self, err: KafkaError) -> None:
        if err.code() in (KafkaError.UNKNOWN_TOPIC_OR_PART, KafkaError.UNKNOWN_TOPIC_ID):
            raise ScanError(f"topic '{self.request.topic}' was deleted while it was read")
        if err.fatal():
            raise ConnectionProblem(explain(err, self.reader.bootstrap))

    def _check_positions(self, consumer: Consumer, quiet_since: float) -> None:
        """Partitions whose position passed their end (transaction markers fill the last
        offsets and are never delivered) are done."""
        topic = self.request.topic
        live = self._live()
        try:
            positions = consumer.position([TopicPartition(topic, p.number) for p in live])
        except KafkaException:
            return
        for tp in positions:
            part = self.partitions[tp.partition]
            if tp.offset >= part.end:
                part.done = True
        if self._live() and time.monotonic() - quiet_since > 30:
            lost = ", ".join(str(p.number) for p in self._live())
            self.notices.append(
                f"partition {lost} of '{topic}' sent nothing for 30 s before its end offset: "
                "stopped there"
            )
            for part in self._live():
                part.done = True

    def _report(self) -> None:
        if self.on_progress is not None:
            self.on_progress(self.progress)
