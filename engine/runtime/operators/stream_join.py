"""The windowed join of two streams, as Kafka Streams' ``KStreamKStreamJoin``.

Both sides are buffered per key. A record, however late, joins every buffered record of
the other side within the window, oldest first: a left record at ``l`` and a right one at
``r`` join when ``-before <= r - l <= after`` (Kafka Streams' ``JoinWindows`` with
``before``/``after``; both are ``window`` unless set); each pair is emitted once, when its second record arrives, at the larger of
the two timestamps. Records with a None key or value join nothing (``left`` emits a
None-key record at once, with ``right`` None).

Each side keeps a record for ``before + after + grace`` behind its own stream time (the
largest timestamp that side has seen, as Kafka Streams' window store of that side): a
record with ``ts <= side time - 2 * window - grace`` is invisible to lookups, and an
arriving record that old still joins what the other side keeps but is not kept itself
(counted as late). A 0 ms window without grace keeps the records at the side time, so
records of equal timestamp join (Kafka Streams keeps nothing there, and joins nothing).

Under ``left``, a left record that matched nothing on arrival is emitted with ``right``
None at once when its window has already passed (``ts + after < stream time``, the stream
time shared by both sides: the larger of the two side times); otherwise it waits, and is
emitted at its own timestamp once stream time passes ``ts + after + grace``, unless a
right record matched it meanwhile. Under ``outer`` the right records do the same, with
``left`` None and ``before`` in place of ``after``. As in Kafka Streams such expired
records are emitted when a record that does not go back in stream time arrives, before
that record's own output, in the order of Kafka Streams' outer store: by timestamp, right
before left, then by key.

State, per partition in ``ctx.store(node_id, partition)`` (changelogged):

    #time:L, #time:R          each side's stream time
    L:<key json>:<ts>:<n>     a buffered left record {"k", "t", "v", "m": matched or emitted}
                              (n tells apart records of one key and timestamp)
    R:<key json>:<ts>:<n>     a buffered right record

The in-memory indexes (buffers per key, timers) are rebuilt from ``store.items()``
whenever the context hands out a different store for a partition.
"""

from __future__ import annotations

import heapq
from bisect import insort

from engine.runtime.operators.aggregations import STREAM_TIME, state_key
from engine.runtime.operators.base import EMPTY_HEADERS, Record
from engine.runtime.windows import NO_TIME

_SIDES = ("L:", "R:")
_TIME_KEYS = ("#time:L", "#time:R")


class _Partition:
    """What a stream-stream join keeps in memory for one partition."""

    __slots__ = ("buffers", "expiry", "store", "times", "unmatched")

    def __init__(self, store):
        self.store = store
        legacy = store.get(STREAM_TIME, NO_TIME)  # one shared time, as an earlier version kept
        self.times = [store.get(key, legacy) for key in _TIME_KEYS]
        self.buffers: dict[str, list[tuple]] = {}  # "L:<key json>" -> [(ts, n, store key)], sorted
        self.expiry: tuple[list, list] = ([], [])  # per side: heap of (ts + retention, store key)
        self.unmatched: list[tuple[int, str]] = []  # heap of (stream time due, store key)

    def forget(self, skey: str) -> None:
        buffer_key = skey[: skey.rindex(":", 0, skey.rindex(":"))]
        buffer = self.buffers.get(buffer_key)
        if buffer is None:
            return
        for i, entry in enumerate(buffer):
            if entry[2] == skey:
                del buffer[i]
                break
        if not buffer:
            del self.buffers[buffer_key]


def _key_order(key) -> tuple:
    """Keys in the order of their serialized bytes for the usual keys: numbers, then text."""
    if isinstance(key, (int, float)) and not isinstance(key, bool):
        return (0, key, "")
    return (1, 0, key if isinstance(key, str) else state_key(key))


def stream_join(node_id, ctx, fn, mode: str, before: int, after: int, grace: int, child) -> dict:
    metrics = ctx.metrics[node_id]
    store_of = ctx.store
    partitions: dict[int, _Partition] = {}
    heappush, heappop = heapq.heappush, heapq.heappop
    # the sides whose unmatched records are emitted with the other side None
    outer_sides = {"inner": (), "left": (0,), "outer": (0, 1)}[mode]
    # how far after a record of each side a record of the other side may be
    reach = (after, before)
    # Kafka Streams' window stores keep before + after + grace; with nothing to keep (a 0 ms
    # window, no grace) they keep nothing and join nothing: here records of equal time join
    retention = max(before + after + grace, 1)
    # an unmatched record is due when stream time reaches ts + wait of its side
    wait = (after + grace + 1, before + grace + 1)

    def open_partition(store) -> _Partition:
        part = _Partition(store)
        for skey, v in store.items():
            side = _SIDES.index(skey[:2]) if skey[:2] in _SIDES else -1
            if side < 0:
                continue
            ts = v["t"]
            part.buffers.setdefault(skey[: skey.rindex(":", 0, skey.rindex(":"))], []).append(
                (ts, int(skey[skey.rindex(":") + 1 :]), skey)
            )
            part.expiry[side].append((ts + retention, skey))
            if side in outer_sides and not v["m"]:
                part.unmatched.append((ts + wait[side], skey))
        for buffer in part.buffers.values():
            buffer.sort()
        for heap in (*part.expiry, part.unmatched):
            heapq.heapify(heap)
        return part

    def emit_unmatched(record: Record, side: int) -> None:
        try:
            if side == 0:
                value = fn(record.key, record.value, None)
            else:
                value = fn(record.key, None, record.value)
        except Exception as exc:  # noqa: BLE001 - user expressions and their values
            metrics.errors += 1
            ctx.dead_letter(record, node_id, exc)
            return
        metrics.out += 1
        child(
            Record(
                record.key, value, record.timestamp, record.headers, record.partition, record.origin
            )
        )

    def emit_expired(store, part: _Partition, stream_time: int, record: Record) -> None:
        """Records whose window closed unmatched, in Kafka Streams' outer-store order."""
        heap = part.unmatched
        due = []
        while heap and heap[0][0] <= stream_time:
            skey = heappop(heap)[1]
            entry = store.get(skey)
            if entry is None or entry["m"]:
                continue
            side = _SIDES.index(skey[:2])
            due.append((entry["t"], 1 - side, _key_order(entry["k"]), skey, entry, side))
        due.sort(key=lambda d: d[:3])
        for _t, _s, _k, skey, entry, side in due:
            if entry["t"] + retention <= part.times[side]:  # only waiting for this
                store.delete(skey)
                part.forget(skey)
            else:
                store.put(skey, {**entry, "m": 1})
            emit_unmatched(
                Record(entry["k"], entry["v"], entry["t"], EMPTY_HEADERS, record.partition, None),
                side,
            )

    def expire(store, part: _Partition, side: int) -> None:
        heap, side_time = part.expiry[side], part.times[side]
        while heap and heap[0][0] <= side_time:
            skey = heappop(heap)[1]
            entry = store.get(skey)
            if entry is None or (side in outer_sides and not entry["m"]):
                continue  # an unmatched record stays until it is emitted
            store.delete(skey)
            part.forget(skey)

    def make_side(side: int):
        is_left = side == 0
        this, other = _SIDES[side], _SIDES[1 - side]
        time_key = _TIME_KEYS[side]
        emits_unmatched = side in outer_sides
        marks_other = (1 - side) in outer_sides
        # the other side's records this one joins: other_ts - ts in [low, high]
        low, high = -reach[1 - side], reach[side]

        def process(record: Record) -> None:
            metrics.in_ += 1
            key, ts = record.key, record.timestamp
            if key is None or record.value is None:
                if emits_unmatched and key is None and record.value is not None:
                    emit_unmatched(record, side)
                return
            partition = record.partition
            store = store_of(node_id, partition)
            part = partitions.get(partition)
            if part is None or part.store is not store:
                part = partitions[partition] = open_partition(store)
            times = part.times
            stream_time = max(times[1], times[0])
            if ts > times[side]:
                times[side] = ts
                store.put(time_key, ts)
                expire(store, part, side)
            if ts >= stream_time:  # expired unmatched records go before this one's output
                stream_time = ts
                if outer_sides:
                    emit_expired(store, part, stream_time, record)
            horizon = times[1 - side] - retention  # the other side keeps what is after it
            outputs = []
            unmatched = None
            try:
                jkey = state_key(key)
                matched = []
                for other_ts, _, other_key in part.buffers.get(other + jkey, ()):
                    if other_ts > horizon and low <= other_ts - ts <= high:
                        entry = store.get(other_key)
                        matched.append((other_key, entry))
                        if is_left:
                            value = fn(key, record.value, entry["v"])
                        else:
                            value = fn(key, entry["v"], record.value)
                        outputs.append((value, max(other_ts, ts)))
                if emits_unmatched and not matched and ts + reach[side] < stream_time:
                    # its window has passed: at once
                    if is_left:
                        unmatched = fn(key, record.value, None)
                    else:
                        unmatched = fn(key, None, record.value)
            except Exception as exc:  # noqa: BLE001
                metrics.errors += 1
                ctx.dead_letter(record, node_id, exc)
                return
            if ts > times[side] - retention:
                buffer = part.buffers.get(this + jkey)
                if buffer is None:
                    buffer = part.buffers[this + jkey] = []
                n = 0
                for entry_ts, _, _ in buffer:
                    if entry_ts == ts:
                        n += 1
                skey = f"{this}{jkey}:{ts}:{n}"
                done = 1 if matched or unmatched is not None else 0
                store.put(skey, {"k": key, "t": ts, "v": record.value, "m": done})
                insort(buffer, (ts, n, skey))
                heappush(part.expiry[side], (ts + retention, skey))
                if emits_unmatched and not done:
                    heappush(part.unmatched, (ts + wait[side], skey))
            else:
                metrics.late += 1  # joined what is kept, but too old to be kept itself
            if marks_other:
                for other_key, entry in matched:
                    if not entry["m"]:
                        store.put(other_key, {**entry, "m": 1})
            for value, out_ts in outputs:
                metrics.out += 1
                child(Record(key, value, out_ts, record.headers, partition, record.origin))
            if unmatched is not None:
                metrics.out += 1
                child(Record(key, unmatched, ts, record.headers, partition, record.origin))

        return process

    return {"left": make_side(0), "right": make_side(1)}
