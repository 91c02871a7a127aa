"""Rotating a topic on a broker that cannot delete records (the sandbox, reference §16).

A rotation reads the records to keep, deletes the topic, creates it again with the same
partition count and configuration, and writes the kept records back to the same
partitions in the same order (key, value, headers and timestamp). Offsets start again at
0: ``new_offset`` translates an old offset into the new numbering, for committed offsets
and changelog checkpoints. ``engine.cluster.keeper`` decides what is kept.
"""

from __future__ import annotations

import bisect
import os
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from confluent_kafka import (
    TIMESTAMP_NOT_AVAILABLE,
    Consumer,
    KafkaException,
    Producer,
    TopicPartition,
)
from confluent_kafka.admin import AdminClient, OffsetSpec

from engine.cluster import topic_admin

fcntl: Any
try:
    import fcntl
except ImportError:  # not POSIX: only this process's readers are known
    fcntl = None

# Readers of a topic hold a shared lock on LOCK_DIR/<topic>.lock (see ``follow``).
LOCK_DIR = (
    Path(tempfile.gettempdir())
    / f"topology-studio-{os.getuid() if hasattr(os, 'getuid') else 0}"
    / "reading"
)
_SHARED = getattr(fcntl, "LOCK_SH", 0)
_EXCLUSIVE = getattr(fcntl, "LOCK_EX", 0)
_NOW = getattr(fcntl, "LOCK_NB", 0)
_held: dict[str, tuple[int, int | None]] = {}  # topic -> (readers here, the locked file)
_lock = threading.Lock()

STALL_S = 10.0  # a read whose position does not move for this long gives up (nothing is lost)
# How long a fetch of the readers here may wait. The sandbox answers a fetch empty while
# finding the batch at the offset asked takes longer (it looks through the partition's
# batches from its start): with a topic written a record a batch, 10 ms made no progress
# at 16,000 batches a partition; 100 ms, as the run's consumer waits, reads them at once.
READ_WAIT_MS = 100


class RotationError(RuntimeError):
    """A topic could not be rotated; said in a sentence. Raised before the topic is deleted
    unless the message says otherwise."""


@dataclass(frozen=True)
class Record:
    offset: int  # in the topic as it was
    key: bytes | None
    value: bytes | None
    headers: Any
    timestamp: int | None


@dataclass
class Rotated:
    """What a rotation kept: per partition, the old offsets of the records kept, in order
    (their new offsets are their indexes)."""

    topic: str
    kept: dict[int, list[int]] = field(default_factory=dict)

    def new_offset(self, partition: int, old: int) -> int:
        """The new offset of the first record at or after ``old``: the translation of a
        committed offset or a checkpoint (the next record to read)."""
        return bisect.bisect_left(self.kept.get(partition, []), old)


def follow(topics: Iterable[str]) -> None:
    """A consumer of this process reads ``topics`` by assignment from now on.

    A consumer that has fetched from a topic crashes its whole process when the sandbox
    deletes that topic (the client library meets a fetch answer without a topic name), and
    stays at risk until it is closed. So readers ``follow`` a topic before their consumer
    meets it and ``unfollow`` it once closed, and a topic is rotated only while no reader
    of any process on this machine follows it: each followed topic holds a shared lock on
    a file named after it (``LOCK_DIR``), which a rotation takes exclusively. A reader that
    starts following during a rotation waits until the topic is there again."""
    for topic in topics:
        with _lock:
            held = _held.get(topic)
            if held is not None:
                _held[topic] = (held[0] + 1, held[1])
                continue
        fd = _open(topic)
        if fd is not None:
            _flock(fd, _SHARED)  # waits while the topic is being rotated
        with _lock:
            held = _held.get(topic)
            if held is not None:  # another thread came first
                _held[topic] = (held[0] + 1, held[1])
                if fd is not None:
                    os.close(fd)
            else:
                _held[topic] = (1, fd)


def unfollow(topics: Iterable[str]) -> None:
    for topic in topics:
        with _lock:
            held = _held.get(topic)
            if held is None:
                continue
            if held[0] > 1:
                _held[topic] = (held[0] - 1, held[1])
                continue
            del _held[topic]
        if held[1] is not None:
            os.close(held[1])


def followed(topic: str) -> bool:
    """Whether a reader of any process on this machine follows ``topic`` now."""
    with _lock:
        if topic in _held:
            return True
    fd = _open(topic)
    if fd is None:
        return False
    try:
        return not _flock(fd, _EXCLUSIVE | _NOW)
    finally:
        os.close(fd)


@contextmanager
def _unfollowed(topic: str) -> Iterator[None]:
    """Holds ``topic`` against readers while it is deleted and created again."""
    with _lock:
        if topic in _held:
            raise RotationError(f"this app is reading '{topic}'")
    fd = _open(topic)
    try:
        if fd is not None and not _flock(fd, _EXCLUSIVE | _NOW):
            raise RotationError(f"'{topic}' is being read")
        yield
    finally:
        if fd is not None:
            os.close(fd)


def _open(topic: str) -> int | None:
    if fcntl is None:
        return None
    try:
        LOCK_DIR.mkdir(parents=True, exist_ok=True)
        return os.open(LOCK_DIR / f"{topic}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:
        return None


def _flock(fd: int, how: int) -> bool:
    try:
        fcntl.flock(fd, how)
    except OSError:
        return False
    return True


def ends(
    admin: AdminClient,
    tps: Iterable[tuple[str, int]],
    config: dict | None = None,
    timeout: float = 10.0,
    fetch_s: float = 3.0,
) -> tuple[dict[tuple[str, int], int], dict[tuple[str, int], int]]:
    """The first and end offsets of ``tps`` (partitions that could not be told are left
    out), asked in one request each. The sandbox answers the end with a number at or below
    it (the start of the partition's last batch + 1; 0 only when it is empty); given the
    client ``config``, the ends are then taken from one fetch of each partition's last batch
    (exact), for ``fetch_s`` at most: a partition whose fetch did not answer by then keeps
    the lower bound. ``read_ranges`` reads on to the end its fetches tell either way."""
    tps = list(tps)
    low: dict[tuple[str, int], int] = {}
    high: dict[tuple[str, int], int] = {}
    if not tps:
        return low, high
    for spec, into in ((OffsetSpec.earliest(), low), (OffsetSpec.latest(), high)):
        asked = admin.list_offsets(
            {TopicPartition(t, p): spec for t, p in tps}, request_timeout=timeout
        )
        for tp, future in asked.items():
            try:
                into[(tp.topic, tp.partition)] = future.result(timeout=timeout + 2).offset
            except KafkaException:
                continue
    both = set(low) & set(high)
    low = {tp: low[tp] for tp in both}
    high = {tp: max(low[tp], high[tp]) for tp in both}
    filled = [tp for tp in both if high[tp] > low[tp]]
    if config is not None and filled:
        high |= _fetched_ends(config, {tp: high[tp] - 1 for tp in filled}, fetch_s)
    return low, high


def _fetched_ends(
    config: dict, starts: dict[tuple[str, int], int], within_s: float
) -> dict[tuple[str, int], int]:
    """The end each partition's fetch from ``starts`` tells (the high watermark of the
    answer), for the partitions answered within ``within_s``."""
    topics = sorted({t for t, _ in starts})
    follow(topics)
    probe = Consumer(
        {
            **config,
            "group.id": "topology-studio-ends",
            "enable.auto.commit": False,
            "fetch.wait.max.ms": READ_WAIT_MS,
            "max.partition.fetch.bytes": 1,  # the batch at the offset asked, no more
        }
    )
    told: dict[tuple[str, int], int] = {}
    try:
        probe.assign([TopicPartition(t, p, o) for (t, p), o in starts.items()])
        deadline = time.monotonic() + within_s
        while len(told) < len(starts) and time.monotonic() < deadline:
            probe.consume(10_000, timeout=0.05)
            for (t, p), start in starts.items():
                end = probe.get_watermark_offsets(TopicPartition(t, p), cached=True)[1]
                if end is not None and end >= 0:
                    told[(t, p)] = max(end, start + 1)
    finally:
        probe.close()
        unfollow(topics)
    return told


def reader(config: dict, group: str) -> Consumer:
    """A consumer for ``read_ranges``: committed records only, nothing committed, fetches
    that may wait ``READ_WAIT_MS``."""
    return Consumer(
        {
            **config,
            "group.id": group,
            "enable.auto.commit": False,
            "enable.partition.eof": False,
            "isolation.level": "read_committed",
            "fetch.wait.max.ms": READ_WAIT_MS,
        }
    )


def read_ranges(
    consumer: Consumer,
    spans: dict[tuple[str, int], tuple[int, int]],
    stall_s: float = STALL_S,
) -> dict[tuple[str, int], list[Record]]:
    """The records of each ``(topic, partition)`` of ``spans`` from its start offset to the
    end: at least to its end offset, and on to the end the fetches tell (exact where an
    offset query's may not be: see ``ends``), every partition read at once (one round trip,
    not one per partition). The position moves past transaction markers, which are never
    received. Raises RotationError when no position moves for ``stall_s``."""
    read: dict[tuple[str, int], list[Record]] = {tp: [] for tp in spans}
    if not spans:
        return read
    todo = dict(spans)
    at = {tp: start for tp, (start, _) in todo.items()}
    consumer.assign([TopicPartition(t, p, start) for (t, p), start in at.items()])
    moved = time.monotonic()
    try:
        while todo:
            # no more than are known to be left: consume() waits its whole timeout for a
            # fuller batch
            left = sum(e - at[tp] for tp, (_, e) in todo.items())
            for msg in consumer.consume(max(1, min(10_000, left)), timeout=0.2):
                tp, offset = (msg.topic(), msg.partition()), msg.offset()
                if msg.error() or offset is None or tp not in todo:
                    continue
                kind, ts = msg.timestamp()
                read[tp].append(
                    Record(
                        offset,
                        msg.key(),
                        msg.value(),
                        msg.headers(),
                        None if kind == TIMESTAMP_NOT_AVAILABLE else ts,
                    )
                )
            try:
                positions = consumer.position([TopicPartition(t, p) for t, p in todo])
            except KafkaException:
                positions = []
            for position in positions:
                tp = (position.topic, position.partition)
                if position.offset > at[tp]:
                    at[tp], moved = position.offset, time.monotonic()
                told = consumer.get_watermark_offsets(TopicPartition(*tp), cached=True)[1]
                if told is None or told < 0:
                    continue  # no fetch answered yet
                start, end = todo[tp]
                todo[tp] = (start, max(end, told))
                if at[tp] >= todo[tp][1]:
                    del todo[tp]
            if todo and time.monotonic() - moved > stall_s:
                (topic, partition), (_, end) = next(iter(todo.items()))
                raise RotationError(
                    f"reading '{topic}' [{partition}] made no progress for {stall_s:.0f} s "
                    f"at offset {at[(topic, partition)]} of {end}"
                )
    finally:
        consumer.unassign()
    return read


def topic_config(admin: AdminClient, topic: str, timeout: float = 15.0) -> dict[str, str]:
    """The settings to create ``topic`` again with (``topic_admin.topic_configs`` of one)."""
    found, failed = topic_admin.topic_configs(admin, [topic], timeout)
    if topic in failed:
        raise RotationError(failed[topic])
    return found.get(topic, {})


def rotate(
    admin: AdminClient,
    producer_config: dict,
    kept: dict[str, dict[int, list[Record]]],
    partitions: dict[str, int],
    timeout: float = 15.0,
) -> dict[str, str]:
    """Rotates each topic of ``kept``: deleted, created again with its ``partitions`` and
    settings, and given back its records (``write``), each step one request for all of them.
    A topic a reader follows is not touched (readers that start following meanwhile wait
    until it is there again). Returns the topics not rotated, each with why (a sentence
    that says when the topic was emptied)."""
    settings, failed = topic_admin.topic_configs(admin, list(kept), timeout)
    held: dict[str, topic_admin.Spec] = {}
    with ExitStack() as stack:
        for topic in settings:
            try:
                stack.enter_context(_unfollowed(topic))
            except RotationError as exc:
                failed[topic] = str(exc)
                continue
            held[topic] = (partitions[topic], settings[topic])
        failed |= topic_admin.recreate(admin, held, timeout)
    failed |= write_all(producer_config, {t: kept[t] for t in held if t not in failed})
    return failed


def recreate(
    admin: AdminClient, topic: str, partitions: int, config: dict[str, str], timeout: float = 15.0
) -> None:
    """Delete ``topic`` and create it again, empty, with ``partitions`` and ``config``
    (``topic_admin.recreate`` of one). Refused (RotationError, before deleting) when a
    reader of this process follows the topic."""
    with _unfollowed(topic):
        failed = topic_admin.recreate(admin, {topic: (partitions, config)}, timeout)
    if topic in failed:
        raise RotationError(failed[topic])


def write(producer_config: dict, topic: str, records: dict[int, list[Record]]) -> None:
    """``write_all`` of one topic; raises RotationError when some were not acknowledged."""
    failed = write_all(producer_config, {topic: records})
    if topic in failed:
        raise RotationError(failed[topic])


def write_all(producer_config: dict, topics: dict[str, dict[int, list[Record]]]) -> dict[str, str]:
    """Writes each topic's records to their partitions, in order (one request in flight per
    connection, so retries keep the order), with one producer. Returns the topics some of
    whose records were not acknowledged, with why."""
    if not any(any(records.values()) for records in topics.values()):
        return {}
    producer = Producer(
        {
            **producer_config,
            "acks": "all",
            "enable.idempotence": False,
            "max.in.flight.requests.per.connection": 1,
            "linger.ms": 5,
        }
    )
    failed: dict[str, str] = {}

    def delivered(err, msg) -> None:
        if err is not None:
            failed.setdefault(str(msg.topic()), err.str())

    for topic, records in topics.items():
        for partition, recs in sorted(records.items()):
            for r in recs:
                while True:
                    try:
                        producer.produce(
                            topic,
                            value=r.value,
                            key=r.key,
                            partition=partition,
                            headers=r.headers or None,
                            timestamp=r.timestamp or 0,
                            on_delivery=delivered,
                        )
                        break
                    except BufferError:
                        producer.poll(0.1)
                producer.poll(0)
    left = producer.flush(60)
    if left:
        for topic in topics:
            failed.setdefault(topic, f"{left} records were not acknowledged")
    return {
        topic: f"'{topic}' was emptied but its kept records could not all be written back: {why}"
        for topic, why in failed.items()
    }


def commit(consumer_config: dict, group: str, offsets: dict[tuple[str, int], int]) -> None:
    """Commit ``offsets`` for ``group`` (which has no members)."""
    if not offsets:
        return
    consumer = Consumer({**consumer_config, "group.id": group, "enable.auto.commit": False})
    try:
        consumer.commit(
            offsets=[TopicPartition(t, p, o) for (t, p), o in sorted(offsets.items())],
            asynchronous=False,
        )
    except KafkaException as exc:
        raise RotationError(
            f"cannot commit the offsets of group '{group}': {_reason(exc)}"
        ) from None
    finally:
        consumer.close()


_reason = topic_admin.reason
