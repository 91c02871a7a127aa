"""Restoring state stores from their changelogs (Kafka Streams' StoreChangelogReader).

When partitions are assigned, the ``AssignmentHandler`` asks the ``ChangelogReader`` to
rebuild the stores they feed before the partitions' first record is processed: it reads
each store's changelog partition with a reader of its own and opens the store with what it
read (``StateManager.open``), up to the store's last checkpoint (``checkpoints``), and has
the input records the restored state already holds skipped.

A restore reads each changelog partition until the reader's *position* reaches the end
offset taken when it started. Positions move past transaction markers, which a consumer
never receives: under exactly_once every changelog ends with one, so waiting for the
record just below the end would never finish. The restore gives up only when the
position makes no progress for RESTORE_STALL_S (e.g. the brokers are away), and then
fails the run rather than go on with part of the state."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from confluent_kafka import KafkaException, TopicPartition

from engine.model.internal_topics import changelog_topic
from engine.runtime import state
from engine.runtime.kafka import checkpoints, clients
from engine.runtime.kafka.errors import RunFailedError
from engine.runtime.kafka.local_checkpoints import LocalCheckpoint, LocalCheckpoints
from engine.runtime.kafka.state_manager import StateManager
from engine.runtime.serde import DECODERS

RESTORE_STALL_S = 30.0
_unjson = DECODERS["json"]


class ChangelogReader:
    """Rebuilds the ``StateManager``'s stores from their changelogs. ``progress`` is the
    restore under way or last done: partitions (done, total), records (read, about how
    many: the offsets include transaction markers), told to ``on_progress`` as it goes;
    ``restored`` counts the changelog entries replayed into stores."""

    def __init__(
        self,
        stores: StateManager,
        reader_config: dict,
        on_progress: Callable[[dict], None] | None = None,
        local: LocalCheckpoints | None = None,
    ):
        """``local``: the stores' local checkpoints (the app's runs), which spare reading the
        changelogs up to them (``local_checkpoints``)."""
        self.stores = stores
        self.reader_config = reader_config
        self.on_progress = on_progress
        self.local = local
        self.restored = 0
        self.progress = {
            "active": False,
            "partitions": 0,
            "partitions_done": 0,
            "records": 0,
            "records_total": 0,
            "local": 0,  # partitions started from a local checkpoint
        }

    def restore(self, partitions: list[TopicPartition], kept=()) -> None:
        """Rebuild the stores fed by newly assigned partitions from their changelogs, each up
        to its last checkpoint (all of it for the (topic, partition)s in ``kept``: the run
        got them back with its progress), and skip the input records the stores hold."""
        stores = self.stores
        wanted = sorted(stores.wanted(partitions))
        if not wanted:
            return
        reader = clients.Consumer(
            {
                **self.reader_config,
                "group.id": f"{stores.application_id}-restore",
                "enable.auto.commit": False,
                "enable.partition.eof": False,
                "isolation.level": "read_committed",
            }
        )
        try:
            ranges = [
                self._range(reader, changelog_topic(stores.application_id, node_id), partition)
                for node_id, partition in wanted
            ]
            saved = [self._saved(n, p, low, end) for (n, p), (low, end) in zip(wanted, ranges)]
            topics = [changelog_topic(stores.application_id, node_id) for node_id, _ in wanted]
            progress = self.progress = {
                "active": True,
                "partitions": len(wanted),
                "partitions_done": 0,
                "records": 0,
                "records_total": sum(
                    end - (low if cp is None else cp.offset)
                    for (low, end), cp in zip(ranges, saved)
                ),
                "local": 0,
            }
            self._tell()
            # Every partition at once (one round trip, not one per partition): first from the
            # local checkpoints, then whole where a checkpoint is no longer there.
            spans = {
                (t, p): (low if cp is None else cp.offset, end)
                for t, (_, p), (low, end), cp in zip(topics, wanted, ranges, saved)
            }
            read = read_changelogs(reader, spans, self._read)
            again = {}
            for t, (_, p), (low, end), cp in zip(topics, wanted, ranges, saved):
                if cp is None:
                    continue
                entries = read[(t, p)]
                if entries[:1] == [(None, cp.offsets)]:  # still the checkpoint it saved
                    progress["local"] += 1
                    self.restored -= len(cp.items)  # counted below; not read
                    entries[:0] = cp.items
                else:
                    again[(t, p)] = (low, end)
            if again:
                read.update(read_changelogs(reader, again, self._read))
            found = {}
            for t, (node_id, partition) in zip(topics, wanted):
                done, tail, offsets = checkpoints.split(read[(t, partition)])
                stores.open(node_id, partition, done)
                self.restored += len(done)
                if offsets is not None and not tail:  # the changelog ends with a checkpoint
                    stores.produced[(node_id, partition)] = offsets
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
            topics = self.stores.store_topics.get(node_id, ())
            if tail and (
                checkpoints.behind(offsets, newest[partition])
                or any((t, partition) in kept for t in topics)
            ):
                self.restored += state.restore(self.stores.stores[(node_id, partition)], tail)
        assigned = {(tp.topic, tp.partition) for tp in partitions}
        for partition, offsets in newest.items():
            for topic, offset in offsets.items():
                if (topic, partition) in assigned and (topic, partition) not in kept:
                    self.stores.skips.add(topic, partition, offset)

    def _saved(self, node_id: str, partition: int, low: int, end: int) -> LocalCheckpoint | None:
        """The store's local checkpoint (taken: see ``local_checkpoints``) when its record is
        still within the changelog."""
        cp = self.local.take(node_id, partition) if self.local is not None else None
        return cp if cp is not None and low <= cp.offset < end else None

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


def read_changelogs(
    reader,
    spans: dict[tuple[str, int], tuple[int, int]],
    on_read: Callable[[int], None] = lambda n: None,
    stall_s: float = RESTORE_STALL_S,
) -> dict[tuple[str, int], list[tuple[str | None, Any]]]:
    """The entries of changelog partitions, read together: each ``(topic, partition)`` of
    ``spans`` from its start offset until the reader's position reaches its end offset.
    Raises RunFailedError when no position moves for ``stall_s``."""
    read: dict[tuple[str, int], list[tuple[str | None, Any]]] = {tp: [] for tp in spans}
    todo = {tp: span for tp, span in spans.items() if span[1] > span[0]}
    if not todo:
        return read
    at = {tp: start for tp, (start, _) in todo.items()}
    reader.assign([TopicPartition(t, p, start) for (t, p), start in at.items()])
    moved = time.monotonic()
    while todo:
        msgs = reader.consume(1000, timeout=0.2)
        for msg in msgs:
            if msg.error():
                continue
            tp = (msg.topic(), msg.partition())
            if tp not in read:
                continue
            # Records past the end taken at the start are kept, as the position decides
            # when a partition is done: some brokers (the sandbox) report an end offset
            # below the last batch's records.
            key, value = msg.key(), msg.value()
            if key == checkpoints.CHECKPOINT_KEY:  # (None, offsets): see checkpoints.split
                read[tp].append((None, checkpoints.decode(value)))
            else:
                read[tp].append((key.decode("utf-8"), None if value is None else _unjson(value)))
        if msgs:
            on_read(len(msgs))
            # The end a fetch tells is exact where an offset query's may not be (the sandbox
            # answers with the start of the last batch): read at least to it.
            for t, p in {(m.topic(), m.partition()) for m in msgs}:
                if (t, p) in todo:
                    told = reader.get_watermark_offsets(TopicPartition(t, p), cached=True)[1]
                    if told is not None and told > todo[(t, p)][1]:
                        todo[(t, p)] = (todo[(t, p)][0], told)
        try:
            positions = reader.position([TopicPartition(t, p) for t, p in todo])
        except KafkaException:
            positions = []
        for position in positions:
            tp = (position.topic, position.partition)
            if position.offset > at[tp]:
                at[tp], moved = position.offset, time.monotonic()
            if at[tp] >= todo[tp][1]:
                del todo[tp]
        if todo and time.monotonic() - moved > stall_s:
            reader.unassign()
            (topic, partition), (_, end) = next(iter(todo.items()))
            raise RunFailedError(
                f"restoring state from '{topic}' [{partition}] made no progress for {stall_s:.0f} s "
                f"at offset {at[(topic, partition)]} of {end}; check that the brokers are up, "
                "then run again"
            )
    reader.unassign()
    return read


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
    local = progress.get("local", 0)
    return (
        f"restoring state: {progress['partitions_done']} of {progress['partitions']} "
        f"partitions{f' ({local} from local checkpoints)' if local else ''}, "
        f"{progress['records']:,} of ~{progress['records_total']:,} records"
    )
