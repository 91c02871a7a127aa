"""Running a compiled topology in-process, without Kafka: for tests and previews.

``LocalRun`` gives operators a ``RunContext`` (``engine.runtime.context``) built from its
own methods, whose topics are lists. Records written to a topic the topology reads (a
repartition topic, or a source's topic its own sink writes to) are fed back in, as Kafka
Streams' TopologyTestDriver does, so stateful topologies behave as on a cluster with one
instance; every produced record stays inspectable. A topology whose sink feeds its own
source goes round at most ``MAX_ROUNDS`` times per input record: deeper records stay in
their topic, undelivered, and are counted in ``undelivered``. Chains of stateless nodes
are fused, as in the Kafka run.
"""

from __future__ import annotations

import io
import json
import zlib
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

from engine.model.topology import Topology
from engine.runtime.compiler import CompiledTopology, compile_topology
from engine.runtime.context import RunContext
from engine.runtime.dashboard import DashboardSet
from engine.runtime.operators.base import NodeMetrics, Record
from engine.runtime.schemas import SchemaFormats, in_process_format
from engine.runtime.serde import DECODERS, ENCODERS
from engine.runtime.state import MemoryStore

MAX_ROUNDS = 64  # how many times one input record may go round through a topic it reads


@dataclass
class LocalMessage:
    """The parts of a confluent_kafka Message that operators read."""

    _topic: str
    _partition: int
    _offset: int
    _key: bytes | None
    _value: bytes | None
    _timestamp: int
    _headers: list | None = None

    def topic(self) -> str:
        return self._topic

    def partition(self) -> int:
        return self._partition

    def offset(self) -> int:
        return self._offset

    def key(self) -> bytes | None:
        return self._key

    def value(self) -> bytes | None:
        return self._value

    def timestamp(self) -> tuple[int, int]:
        return (1, self._timestamp)

    def headers(self) -> list | None:
        return self._headers

    def error(self):
        return None


@dataclass
class DeadLetter:
    record: Record
    node_id: str
    error: BaseException


@dataclass
class LocalRun:
    """A run with list-backed topics; ``send`` feeds input, ``records(topic)`` reads output.
    ``context()`` is what its operators get; a subclass changes a service by overriding
    the method behind it (``produce``, ``dead_letter``, ``console``, ``store``,
    ``open_file``)."""

    topology: Topology
    partitions: int = 1
    application_id: str | None = None
    metrics: dict[str, NodeMetrics] = field(default_factory=lambda: defaultdict(NodeMetrics))
    topics: dict[str, list[LocalMessage]] = field(default_factory=lambda: defaultdict(list))
    dead_letters: list[DeadLetter] = field(default_factory=list)
    console_lines: list[tuple[str, str]] = field(default_factory=list)
    stores: dict[tuple[str, int], MemoryStore] = field(default_factory=dict)
    files: dict[str, io.StringIO] = field(default_factory=dict)
    dashboards: DashboardSet = field(default_factory=DashboardSet)
    # The schema formats (reference §7.6). Default: no registry, records given decoded and sinks'
    # schemas checked in-process; a SchemaFormats with a registry client (e.g. mock://)
    # reads and writes the wire format instead.
    schemas: SchemaFormats | None = None

    def __post_init__(self) -> None:
        if self.schemas is None:
            self.schemas = SchemaFormats(folder=self.topology.folder)
        self.application_id = self.application_id or self.topology.name
        self._queue: deque[tuple[LocalMessage, int]] = deque()
        self.compiled: CompiledTopology = self._compile()
        self._fed_back = set(self.compiled.entries)
        self._round = 0  # how many topics the record being processed went through
        self.undelivered = 0

    def _compile(self, **hooks) -> CompiledTopology:
        return compile_topology(self.topology, self.context(), self.application_id, **hooks)

    def context(self) -> RunContext:
        application_id = self.application_id
        assert application_id is not None  # __post_init__ named it
        return RunContext(
            application_id=application_id,
            metrics=self.metrics,
            produce=self.produce,
            dead_letter=self.dead_letter,
            console=self.console,
            store=self.store,
            open_file=self.open_file,
            dashboards=self.dashboards,
            topology=self.topology,
            schemas=self.schemas,
        )

    # -- the context's services ---------------------------------------------------

    def produce(self, topic, key, value, headers=None, partition=None, timestamp=None) -> None:
        if partition is None:
            partition = zlib.crc32(key) % self.partitions if key is not None else 0
        log = self.topics[topic]
        msg = LocalMessage(topic, partition, len(log), key, value, timestamp or 0, headers)
        log.append(msg)
        if topic in self._fed_back:
            if self._round < MAX_ROUNDS:
                self._queue.append((msg, self._round + 1))
            else:
                self.undelivered += 1

    def dead_letter(self, record, node_id, error) -> None:
        self.dead_letters.append(DeadLetter(record, node_id, error))

    def console(self, node_id, text) -> None:
        self.console_lines.append((node_id, text))

    def store(self, node_id, partition):
        key = (node_id, partition)
        if key not in self.stores:
            self.stores[key] = MemoryStore()
        return self.stores[key]

    def open_file(self, path):
        return self.files.setdefault(path, io.StringIO())

    # -- driving -----------------------------------------------------------------

    def send(
        self,
        topic: str,
        value: Any,
        key: Any = None,
        timestamp: int = 0,
        partition: int | None = None,
        key_format: str = "string",
        value_format: str = "json",
        headers: list | None = None,
    ) -> None:
        """Write one record to an input topic and process everything it leads to."""
        key_bytes = ENCODERS[in_process_format(key_format)](key)
        value_bytes = (
            value if isinstance(value, bytes) else ENCODERS[in_process_format(value_format)](value)
        )
        self.send_raw(topic, key_bytes, value_bytes, timestamp, partition, headers)

    def send_raw(
        self,
        topic: str,
        key: bytes | None,
        value: bytes | None,
        timestamp: int = 0,
        partition: int | None = None,
        headers: list | None = None,
    ) -> None:
        if partition is None:
            partition = zlib.crc32(key) % self.partitions if key is not None else 0
        log = self.topics[topic]
        msg = LocalMessage(topic, partition, len(log), key, value, timestamp, headers)
        log.append(msg)
        self._queue.append((msg, 0))
        self._drain()

    def _drain(self) -> None:
        entries = self.compiled.entries
        try:
            while self._queue:
                msg, self._round = self._queue.popleft()
                entry = entries.get(msg.topic())
                if entry is not None:
                    entry(msg)
        finally:
            self._round = 0

    def values(self, topic: str, value_format: str = "json") -> list[Any]:
        decode = DECODERS[in_process_format(value_format)]
        return [decode(m.value()) for m in self.topics.get(topic, [])]

    def records(
        self, topic: str, key_format: str = "string", value_format: str = "json"
    ) -> list[tuple[Any, Any]]:
        dk = DECODERS[in_process_format(key_format)]
        dv = DECODERS[in_process_format(value_format)]
        return [(dk(m.key()), dv(m.value())) for m in self.topics.get(topic, [])]

    def file_lines(self, path: str) -> list[dict]:
        return [json.loads(line) for line in self.files[path].getvalue().splitlines()]
