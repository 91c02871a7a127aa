"""State stores of a run: one per stateful node and input partition, each change written
to the node's changelog at every commit, as Kafka Streams' ProcessorStateManager does.
Rebuilding stores from their changelogs when partitions are assigned is the
``ChangelogReader``'s (``engine.runtime.kafka.restore``), as Kafka Streams'
StoreChangelogReader: it opens the stores through ``open(node, partition, entries)``.

Under at-least-once a kill between the changelog writes and the offset commit would
count the records read again twice; checkpoints in the changelogs prevent it
(``checkpoints``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from confluent_kafka import TopicPartition

from engine.model.bounds import SAFE_STEPS, value_bounds
from engine.model.internal_topics import changelog_topic
from engine.runtime import state
from engine.runtime.kafka import checkpoints
from engine.runtime.kafka.local_checkpoints import LocalCheckpoints
from engine.runtime.operators.base import Record
from engine.runtime.serde import (
    ENCODERS,
    JSON_DUMPS,
    JSON_OPTIONS,
    OutputTooLargeError,
    SerdeError,
    measured,
    message_max_bytes,
)

_json = ENCODERS["json"]
_dumps, _options = JSON_DUMPS, JSON_OPTIONS


class StateManager:
    """``store(node_id, partition)`` is what stateful operators call (captured once by the
    compiler). ``store_topics`` maps each stateful node to the input topics that feed it,
    known once the topology is compiled (``attach``). ``produce`` writes the changelogs;
    ``dead_letter`` receives a state change no changelog record can hold (None: it raises)."""

    def __init__(
        self,
        application_id: str,
        store_kind: str,
        state_dir: str | None,
        produce: Callable,
        client_config: dict,
        dead_letter: Callable | None = None,
    ):
        self.application_id = application_id
        self.store_kind = store_kind
        self.state_dir = state_dir
        self.produce = produce
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
        self.skips = checkpoints.Skips()  # input records already in restored state
        # A state value too large for a changelog record is dead-lettered, not written;
        # where the topology could build huge aliased values, each is measured first.
        self.max_bytes = message_max_bytes(client_config)
        self.encode = _json
        self.fast = True
        self.dead_letter = dead_letter
        # For local checkpoints (``save_local``): the latest checkpoint written for each
        # store, and the changelog partitions written since their latest checkpoint.
        self.produced: dict[tuple[str, int], dict[str, int]] = {}
        self.dirty: set[tuple[str, int]] = set()
        self.diverged: set[tuple[str, int]] = set()  # a change the changelog could not hold

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
            self.dirty.add((topic, partition))
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
                            self._not_logged(topic, partition, key, exc)
                            continue
                    if data is not None and len(data) + len(raw) > max_bytes:
                        self._not_logged(
                            topic,
                            partition,
                            key,
                            OutputTooLargeError(
                                f"the encoded state is {len(data) + len(raw):,} bytes, more than "
                                f"message.max.bytes ({max_bytes:,})"
                            ),
                        )
                        continue
                produce(topic, raw, data, None, partition, None)
            changes.clear()

    def logged(self, node_id: str, partition: int) -> list[tuple[bytes, bytes | None]] | None:
        """The changelog records that give the store of ``node_id`` for ``partition`` as it is,
        as ``flush`` encodes them, then its latest checkpoint: what the changelog partition
        compacted holds, after a commit. None when the changelog is not the store now (the
        store is not open here, has changes written since its checkpoint or not written at
        all, or has no checkpoint) or a value cannot be encoded."""
        topic = changelog_topic(self.application_id, node_id)
        store = self.stores.get((node_id, partition))
        offsets = self.produced.get((node_id, partition))
        changes = self.pending.get((topic, partition))
        if store is None or offsets is None or changes:
            return None
        if (topic, partition) in self.dirty or (topic, partition) in self.diverged:
            return None
        out: list[tuple[bytes, bytes | None]] = []
        encode, fast, max_bytes = self.encode, self.fast, self.max_bytes
        for key, value in store.items():
            raw = key.encode("utf-8")
            try:
                data = _dumps(value, option=_options) if fast else encode(value)
            except Exception:  # noqa: BLE001
                try:
                    data = encode(value)
                except Exception:  # noqa: BLE001
                    return None
            if data is None or len(data) + len(raw) > max_bytes:
                return None
            out.append((raw, data))
        out.append((checkpoints.CHECKPOINT_KEY, checkpoints.encode(offsets)))
        return out

    def _not_logged(self, topic: str, partition: int, key: str, exc: Exception) -> None:
        """A state change that cannot be a changelog record goes to the dead-letter topic
        (its key, the reason, the node); the changelog keeps the key's previous value (and
        the store no local checkpoint, which would hold the new one)."""
        self.diverged.add((topic, partition))
        node_id = topic[len(self.application_id) + 1 : -len("-changelog")]
        kind = type(exc) if isinstance(exc, SerdeError) else SerdeError
        error = kind(
            f"{exc}; the state of key {key[:200]!r} was not written to the "
            "changelog, a restore gives its previous value"
        )
        if self.dead_letter is None:
            raise error
        self.dead_letter(Record(key, None, 0), node_id, error)

    def attach(self, compiled) -> None:
        """The compiled topology's stores and entries (a ``CompiledTopology``)."""
        self.store_topics = compiled.store_topics
        self.skips.attach(compiled.entries)
        topology = compiled.topology
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
                topic = changelog_topic(self.application_id, node_id)
                self.produced[(node_id, partition)] = offsets
                self.produce(
                    topic,
                    checkpoints.CHECKPOINT_KEY,
                    checkpoints.encode(offsets),
                    None,
                    partition,
                    None,
                )
                self.dirty.discard((topic, partition))
                n += 1
        return n

    def save_local(
        self, local: LocalCheckpoints, end_offset: Callable[[str, int], int | None]
    ) -> int:
        """Writes the local checkpoint of each open store whose changelog ends with its latest
        checkpoint (``local_checkpoints``: the record just below the changelog's
        ``end_offset``, which a restore checks before using the file); removes the file of
        any other. Call after the final commit has been acknowledged. Returns how many."""
        n = 0
        for (node_id, partition), store in self.stores.items():
            topic = changelog_topic(self.application_id, node_id)
            offsets = self.produced.get((node_id, partition))
            end = None
            if offsets and (topic, partition) not in self.dirty | self.diverged:
                end = end_offset(topic, partition)
            if end and local.save(node_id, partition, end - 1, offsets or {}, store.items()):
                n += 1
            else:
                local.forget(node_id, partition)
        return n

    def wanted(self, partitions: list[TopicPartition]) -> set[tuple[str, int]]:
        """(node, partition) stores fed by ``partitions`` that are not open yet."""
        wanted: set[tuple[str, int]] = set()
        for tp in partitions:
            for node_id, topics in self.store_topics.items():
                if tp.topic in topics and (node_id, tp.partition) not in self.stores:
                    wanted.add((node_id, tp.partition))
        return wanted

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
