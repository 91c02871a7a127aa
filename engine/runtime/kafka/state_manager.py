"""State stores of a run: one per stateful node and input partition, changelogged, and
restored from the changelog when the partition is assigned (as Kafka Streams'
ProcessorStateManager does), before the partition's first record is processed.

A restore reads each changelog partition until the reader's *position* reaches the end
offset taken when it started. Positions move past transaction markers, which a consumer
never receives: under exactly_once every changelog ends with one, so waiting for the
record just below the end would never finish. The restore gives up only when the
position makes no progress for RESTORE_STALL_S (e.g. the brokers are away), and then
fails the run rather than go on with part of the state.

Under at-least-once a kill between the changelog writes and the offset commit would
count the records read again twice; checkpoints in the changelogs prevent it
(``checkpoints``)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, KafkaException, TopicPartition

from engine.model.bounds import SAFE_STEPS, value_bounds
from engine.runtime import state
from engine.runtime.compiler import changelog_topic
from engine.runtime.kafka import checkpoints, clients
from engine.runtime.kafka.errors import RunFailedError
from engine.runtime.operators.base import Record
from engine.runtime.serde import (
    DECODERS,
    ENCODERS,
    JSON_DUMPS,
    JSON_OPTIONS,
    OutputTooLargeError,
    SerdeError,
    measured,
    message_max_bytes,
)

RESTORE_STALL_S = 30.0
_json = ENCODERS["json"]
_unjson = DECODERS["json"]
_dumps, _options = JSON_DUMPS, JSON_OPTIONS


class StateManager:
    """``store(node_id, partition)`` is what stateful operators call (captured once by the
    compiler). ``store_topics`` maps each stateful node to the input topics that feed it,
    known once the topology is compiled."""

    def __init__(
        self,
        application_id: str,
        store_kind: str,
        state_dir: str | None,
        produce: Callable,
        reader_config: dict,
        on_progress: Callable[[dict], None] | None = None,
    ):
        self.application_id = application_id
        self.store_kind = store_kind
        self.state_dir = state_dir
        self.produce = produce
        self.reader_config = reader_config
        self.store_topics: dict[str, set[str]] = {}
        self.stores: dict[tuple[str, int], Any] = {}
        # Changes not yet written to the changelogs: (topic, partition) -> key -> the latest
        # value (None: deleted). They are written at each commit, before the offsets (or in
        # the transaction), as Kafka Streams' caching stores do: a key updated many times in
        # a commit interval is written once.
        self.pending: dict[tuple[str, int], dict[str, Any]] = {}
        # Called first in every flush: operators that keep a value in memory between
        # flushes (a tumbling aggregate's stream time) write it to their stores there.
        self.before_flush: list[Callable[[], None]] = []
        self.restored = 0  # changelog entries replayed into stores
        self.skips = checkpoints.Skips()  # input records already in restored state
        # A state value too large for a changelog record is dead-lettered, not written;
        # where the topology could build huge aliased values, each is measured first.
        self.max_bytes = message_max_bytes(reader_config)
        self.encode = _json
        self.fast = True
        self.dead_letter: Callable | None = None
        self.on_progress = on_progress
        # The restore under way or last done: partitions (done, total), records (read,
        # about how many: the offsets include transaction markers).
        self.progress = {
            "active": False,
            "partitions": 0,
            "partitions_done": 0,
            "records": 0,
            "records_total": 0,
        }

    def store(self, node_id: str, partition: int):
        store = self.stores.get((node_id, partition))
        if store is None:
            store = self.open(node_id, partition)
        return store

    def open(self, node_id: str, partition: int, entries: list | None = None):
        """The store of ``node_id`` for ``partition``: restored from ``entries`` (the
        changelog) when given, then every change logged to the changelog topic."""
        topic = changelog_topic(self.application_id, node_id)
        inner = state.make_store(
            self.store_kind, self.state_dir, self.application_id, node_id, partition
        )
        if entries is not None:
            inner.clear()  # an on-disk store may hold keys whose tombstones were compacted away
            state.restore(inner, entries)
        changes = self.pending.setdefault((topic, partition), {})
        # log(key, value) is the dict's own __setitem__: no Python call per update.
        store = state.ChangeloggingStore(inner, changes.__setitem__)
        self.stores[(node_id, partition)] = store
        return store

    def flush(self) -> None:
        """Writes the pending changes to the changelogs: the latest value of each key changed
        since the last flush, a tombstone for a deleted one. The run calls it first thing in
        every commit, so every change is produced (and acknowledged) before the offsets it
        derives from are committed, or inside their transaction; and before stores are
        dropped, so a partition that moves leaves its changelog complete."""
        for hook in self.before_flush:
            hook()
        produce, encode, fast, max_bytes = self.produce, self.encode, self.fast, self.max_bytes
        for (topic, partition), changes in self.pending.items():
            if not changes:
                continue
            for key, value in changes.items():
                raw = key.encode("utf-8")
                if value is None:
                    data = None
                else:
                    try:  # one C call where it can; encode decides what it refuses
                        if not fast:
                            raise TypeError
                        data = _dumps(value, option=_options)
                    except Exception:  # noqa: BLE001
                        try:
                            data = encode(value)
                        except Exception as exc:  # noqa: BLE001
                            self._not_logged(topic, key, exc)
                            continue
                    if data is not None and len(data) + len(raw) > max_bytes:
                        self._not_logged(
                            topic,
                            key,
                            OutputTooLargeError(
                                f"the encoded state is {len(data) + len(raw):,} bytes, more than "
                                f"message.max.bytes ({max_bytes:,})"
                            ),
                        )
                        continue
                produce(topic, raw, data, None, partition, None)
            changes.clear()

    def _not_logged(self, topic: str, key: str, exc: Exception) -> None:
        """A state change that cannot be a changelog record goes to the dead-letter topic
        (its key, the reason, the node); the changelog keeps the key's previous value."""
        node_id = topic[len(self.application_id) + 1 : -len("-changelog")]
        kind = type(exc) if isinstance(exc, SerdeError) else SerdeError
        error = kind(
            f"{exc}; the state of key {key[:200]!r} was not written to the "
            "changelog, a restore gives its previous value"
        )
        if self.dead_letter is None:
            raise error
        self.dead_letter(Record(key, None, 0), node_id, error)

    def attach(self, compiled, committer) -> None:
        """The compiled topology's stores and entries; checkpoints at the committer's commits."""
        self.store_topics = compiled.store_topics
        self.skips.attach(compiled.entries)
        committer.checkpoint = self.checkpoint
        collector = getattr(committer, "collector", None)
        self.dead_letter = getattr(collector, "dead_letter", None)
        topology = getattr(compiled, "topology", None)
        if topology is not None:
            bounds = value_bounds(topology)
            nodes = set(self.store_topics) | {
                e.source for e in topology.edges if e.target in self.store_topics
            }
            if any(bounds.get(n, 1 << 62) > SAFE_STEPS for n in nodes):
                self.encode, self.fast = measured(_json, self.max_bytes), False

    def checkpoint(self, positions: list[TopicPartition]) -> int:
        """Writes one checkpoint to each open store's changelog partition: the positions of
        the inputs of stores at that partition number (what the stores have applied). The
        committer calls it once the changes are acknowledged, and commits the offsets once
        the checkpoints are. Returns how many it wrote."""
        inputs = set().union(*self.store_topics.values()) if self.store_topics else set()
        at: dict[int, dict[str, int]] = {}
        for tp in positions:
            if tp.topic in inputs and tp.offset >= 0:
                at.setdefault(tp.partition, {})[tp.topic] = self.skips.floor(
                    tp.topic, tp.partition, tp.offset
                )
        n = 0
        for node_id, partition in self.stores:
            offsets = at.get(partition)
            if offsets:
                self.produce(
                    changelog_topic(self.application_id, node_id),
                    checkpoints.CHECKPOINT_KEY,
                    checkpoints.encode(offsets),
                    None,
                    partition,
                    None,
                )
                n += 1
        return n

    def wanted(self, partitions: list[TopicPartition]) -> set[tuple[str, int]]:
        """(node, partition) stores fed by ``partitions`` that are not open yet."""
        wanted: set[tuple[str, int]] = set()
        for tp in partitions:
            for node_id, topics in self.store_topics.items():
                if tp.topic in topics and (node_id, tp.partition) not in self.stores:
                    wanted.add((node_id, tp.partition))
        return wanted

    def restore(self, partitions: list[TopicPartition], kept=()) -> None:
        """Rebuild the stores fed by newly assigned partitions from their changelogs, each up
        to its last checkpoint (all of it for the (topic, partition)s in ``kept``: the run
        got them back with its progress), and skip the input records the stores hold."""
        wanted = sorted(self.wanted(partitions))
        if not wanted:
            return
        reader = clients.Consumer(
            {
                **self.reader_config,
                "group.id": f"{self.application_id}-restore",
                "enable.auto.commit": False,
                "enable.partition.eof": False,
                "isolation.level": "read_committed",
            }
        )
        try:
            ranges = [
                self._range(reader, changelog_topic(self.application_id, node_id), partition)
                for node_id, partition in wanted
            ]
            progress = self.progress = {
                "active": True,
                "partitions": len(wanted),
                "partitions_done": 0,
                "records": 0,
                "records_total": sum(end - low for low, end in ranges),
            }
            self._tell()
            found = {}
            for (node_id, partition), (low, end) in zip(wanted, ranges):
                entries = read_changelog(
                    reader,
                    changelog_topic(self.application_id, node_id),
                    partition,
                    low,
                    end,
                    self._read,
                )
                done, tail, offsets = checkpoints.split(entries)
                self.open(node_id, partition, done)
                self.restored += len(done)
                if offsets is not None:
                    found[(node_id, partition)] = (tail, offsets)
                progress["partitions_done"] += 1
                self._tell()
            self._after_checkpoints(found, partitions, kept)
            progress["active"] = False
            self._tell()
        finally:
            self.progress["active"] = False
            reader.close()

    def _after_checkpoints(self, found: dict, partitions: list[TopicPartition], kept) -> None:
        """Applies the tails that are complete (see ``checkpoints``) and skips the input
        records below each partition's newest checkpoint."""
        newest = {
            p: checkpoints.latest([o for (_, q), (_, o) in found.items() if q == p])
            for p in {p for _, p in found}
        }
        kept = set(kept)
        for (node_id, partition), (tail, offsets) in found.items():
            topics = self.store_topics.get(node_id, ())
            if tail and (
                checkpoints.behind(offsets, newest[partition])
                or any((t, partition) in kept for t in topics)
            ):
                self.restored += state.restore(self.stores[(node_id, partition)], tail)
        assigned = {(tp.topic, tp.partition) for tp in partitions}
        for partition, offsets in newest.items():
            for topic, offset in offsets.items():
                if (topic, partition) in assigned and (topic, partition) not in kept:
                    self.skips.add(topic, partition, offset)

    @staticmethod
    def _range(reader, topic: str, partition: int) -> tuple[int, int]:
        try:
            return reader.get_watermark_offsets(TopicPartition(topic, partition), timeout=10)
        except KafkaException as exc:
            raise RunFailedError(
                f"cannot restore state: the offsets of '{topic}' [{partition}] "
                f"are not available ({exc.args[0].str()})"
            ) from None

    def _read(self, n: int) -> None:
        self.progress["records"] += n
        self._tell()

    def _tell(self) -> None:
        if self.on_progress is not None:
            self.on_progress(self.progress)

    def drop(self, gone: set[tuple[str, int]]) -> None:
        """Closes the stores fed by the (topic, partition)s in ``gone``: the partition may move
        to another instance, which restores it from the changelog; keeping a stale copy here
        would be wrong when it returns."""
        for (node_id, partition), store in list(self.stores.items()):
            topics = self.store_topics.get(node_id, set())
            if any((t, partition) in gone for t in topics):
                for t in topics:
                    self.skips.forget(t, partition)
                self.flush()  # its changes so far, as if each had been written at once
                store.close()
                del self.stores[(node_id, partition)]

    def close(self) -> None:
        for store in self.stores.values():
            store.close()
        self.stores.clear()


def read_changelog(
    reader,
    topic: str,
    partition: int,
    low: int,
    end: int,
    on_read: Callable[[int], None] = lambda n: None,
    stall_s: float = RESTORE_STALL_S,
) -> list[tuple[str | None, Any]]:
    """The entries of one changelog partition from ``low`` until the reader's position
    reaches ``end``. Raises RunFailedError when the position stops moving for ``stall_s``."""
    if end <= low:
        return []
    tp = TopicPartition(topic, partition)
    reader.assign([TopicPartition(topic, partition, OFFSET_BEGINNING)])
    entries: list[tuple[str | None, Any]] = []  # a checkpoint's key is None
    position = low
    moved = time.monotonic()
    while position < end:
        msgs = reader.consume(1000, timeout=0.2)
        for msg in msgs:
            if msg.error():
                continue
            key, value = msg.key(), msg.value()
            if key == checkpoints.CHECKPOINT_KEY:  # (None, offsets): see checkpoints.split
                entries.append((None, checkpoints.decode(value)))
                continue
            entries.append((key.decode("utf-8"), None if value is None else _unjson(value)))
        if msgs:
            on_read(len(msgs))
        try:
            now_at = reader.position([tp])[0].offset
        except KafkaException:
            now_at = -1
        if now_at > position:
            position, moved = now_at, time.monotonic()
        elif time.monotonic() - moved > stall_s:
            reader.unassign()
            raise RunFailedError(
                f"restoring state from '{topic}' [{partition}] made no progress for {stall_s:.0f} s "
                f"at offset {position} of {end}; check that the brokers are up, then run again"
            )
    reader.unassign()
    return entries


class RestoreStatus:
    """Tells restore progress as the run's status reason and through ``tick`` (the metrics
    report), twice a second at most: restoring runs inside the consumer's assignment
    callback, so the run's loop is not turning meanwhile."""

    def __init__(self, state, tick: Callable[[], None]):
        self.state = state
        self.tick = tick
        self._told = 0.0

    def __call__(self, progress: dict) -> None:
        now = time.monotonic()
        if progress["active"] and now - self._told < 0.5:
            return
        self._told = now
        if progress["active"]:
            self.state.set(self.state.status, restore_reason(progress))
        elif self.state.reason.startswith("restoring state"):
            self.state.set(self.state.status, "")
        self.tick()


def restore_reason(progress: dict) -> str:
    """The run's status reason while restoring."""
    return (
        f"restoring state: {progress['partitions_done']} of {progress['partitions']} "
        f"partitions, {progress['records']:,} of ~{progress['records_total']:,} records"
    )
