"""State stores of a run: one per stateful node and input partition, changelogged, and
restored from the changelog when the partition is assigned (as Kafka Streams'
ProcessorStateManager does), before the partition's first record is processed."""

from __future__ import annotations

import time
from typing import Any, Callable

from confluent_kafka import OFFSET_BEGINNING, KafkaException, TopicPartition

from engine.runtime import state
from engine.runtime.compiler import changelog_topic
from engine.runtime.kafka import clients
from engine.runtime.serde import DECODERS, ENCODERS

_json = ENCODERS["json"]
_unjson = DECODERS["json"]


class StateManager:
    """``store(node_id, partition)`` is what stateful operators call (captured once by the
    compiler). ``store_topics`` maps each stateful node to the input topics that feed it,
    known once the topology is compiled."""

    def __init__(self, application_id: str, store_kind: str, state_dir: str | None,
                 produce: Callable, reader_config: dict):
        self.application_id = application_id
        self.store_kind = store_kind
        self.state_dir = state_dir
        self.produce = produce
        self.reader_config = reader_config
        self.store_topics: dict[str, set[str]] = {}
        self.stores: dict[tuple[str, int], Any] = {}
        self.restored = 0  # changelog entries replayed into stores

    def store(self, node_id: str, partition: int):
        store = self.stores.get((node_id, partition))
        if store is None:
            store = self.open(node_id, partition)
        return store

    def open(self, node_id: str, partition: int, entries: list | None = None):
        """The store of ``node_id`` for ``partition``: restored from ``entries`` (the
        changelog) when given, then every change logged to the changelog topic."""
        topic = changelog_topic(self.application_id, node_id)
        inner = state.make_store(self.store_kind, self.state_dir, self.application_id, node_id,
                                 partition)
        if entries is not None:
            inner.clear()  # an on-disk store may hold keys whose tombstones were compacted away
            state.restore(inner, entries)
        produce = self.produce

        def log(key: str, value: Any) -> None:
            produce(topic, key.encode("utf-8"), None if value is None else _json(value), None,
                    partition, None)

        store = self.stores[(node_id, partition)] = state.ChangeloggingStore(inner, log)
        return store

    def wanted(self, partitions: list[TopicPartition]) -> set[tuple[str, int]]:
        """(node, partition) stores fed by ``partitions`` that are not open yet."""
        wanted: set[tuple[str, int]] = set()
        for tp in partitions:
            for node_id, topics in self.store_topics.items():
                if tp.topic in topics and (node_id, tp.partition) not in self.stores:
                    wanted.add((node_id, tp.partition))
        return wanted

    def restore(self, partitions: list[TopicPartition]) -> None:
        """Rebuild the stores fed by newly assigned partitions from their changelogs."""
        wanted = self.wanted(partitions)
        if not wanted:
            return
        reader = clients.Consumer({**self.reader_config, "group.id": f"{self.application_id}-restore",
                                   "enable.auto.commit": False, "enable.partition.eof": False,
                                   "isolation.level": "read_committed"})
        try:
            for node_id, partition in sorted(wanted):
                entries = read_changelog(reader, changelog_topic(self.application_id, node_id),
                                         partition)
                self.open(node_id, partition, entries)
                self.restored += len(entries)
        finally:
            reader.close()

    def drop(self, gone: set[tuple[str, int]]) -> None:
        """Closes the stores fed by the (topic, partition)s in ``gone``: the partition may move
        to another instance, which restores it from the changelog; keeping a stale copy here
        would be wrong when it returns."""
        for (node_id, partition), store in list(self.stores.items()):
            topics = self.store_topics.get(node_id, set())
            if any((t, partition) in gone for t in topics):
                store.close()
                del self.stores[(node_id, partition)]

    def close(self) -> None:
        for store in self.stores.values():
            store.close()
        self.stores.clear()


def read_changelog(reader, topic: str, partition: int) -> list[tuple[str, Any]]:
    tp = TopicPartition(topic, partition)
    try:
        low, high = reader.get_watermark_offsets(tp, timeout=10)
    except KafkaException:
        return []
    if high <= low:
        return []
    reader.assign([TopicPartition(topic, partition, OFFSET_BEGINNING)])
    entries: list[tuple[str, Any]] = []
    next_offset = low
    deadline = time.monotonic() + 60
    quiet_since = time.monotonic()
    while time.monotonic() < deadline:
        msgs = reader.consume(1000, timeout=0.2)
        for msg in msgs:
            if msg.error():
                continue
            value = msg.value()
            entries.append((msg.key().decode("utf-8"), None if value is None else _unjson(value)))
            next_offset = msg.offset() + 1
        # The high watermark carried by fetch responses is the true end of the log.
        _, end = reader.get_watermark_offsets(tp, cached=True)
        if msgs:
            quiet_since = time.monotonic()
        if end is not None and end >= 0 and next_offset >= end:
            break
        if not msgs and next_offset >= high and time.monotonic() - quiet_since > 1.0:
            break
    reader.unassign()
    return entries
