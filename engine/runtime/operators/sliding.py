"""Sliding windows of the aggregate node, as Kafka Streams' ``KStreamSlidingWindowAggregate``
(``SlidingWindows.ofTimeDifferenceAndGrace(size, grace)``).

A sliding window ``[start, start + size]`` includes both ends, and exists only where records
make it: each record at ``ts`` has a left window ``[ts - size, ts]`` and, when later records
fall within ``size`` after it, a right window ``[ts + 1, ts + 1 + size]``. A record updates
every existing window of its key that contains it, creates its left window (starting from
the aggregate of the window before it when the previous record falls in it), the previous
record's right window when the record falls in it, and its own right window from the
aggregate of the window after it. Records before ``size`` share the window ``[0, size]``
(no window starts before 0). The steps are Kafka Streams' ``processReverse`` and
``processEarly``, in the same order, so the same windows are forwarded with the same values.

A window is open while ``window_end >= stream time - grace`` (it takes records until then);
``emit: final`` emits it when stream time passes ``window_end + grace``. A record all of
whose windows are closed (``ts + 1 + size <= stream time - grace``) is late: dropped and
counted. A record whose key is None is dropped and counted, as Kafka Streams does.

As Kafka Streams' window store (retention ``2 * size + grace``), a window is forgotten once
the latest window start written reaches ``start + 2 * size + grace``.

Store layout, per partition in ``ctx.store(node_id, partition)`` (changelogged):

    #stream_time             largest timestamp seen in the partition
    #max_start               largest window start written (the store's own clock)
    w:<start>:<key json>     {"k": key, "s": start, "e": end, "t": max ts, "a": [states]}

The in-memory index (window starts per key, heaps of timers) is rebuilt from
``store.items()`` whenever the context hands out a different store for a partition.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left, bisect_right, insort

from engine.runtime.operators.aggregations import STREAM_TIME, Aggregations, builders, state_key
from engine.runtime.operators.base import Record, key_to_text
from engine.runtime.windows import NO_TIME, WindowSpec

MAX_START = "#max_start"


class _Partition:
    """What the sliding aggregate keeps in memory for one partition."""

    __slots__ = ("closing", "expiring", "max_start", "starts", "store", "stream_time")

    def __init__(self, store, spec: WindowSpec, final: bool):
        self.store = store
        self.stream_time = store.get(STREAM_TIME, NO_TIME)
        self.max_start = store.get(MAX_START, NO_TIME)
        self.starts: dict[str, list[int]] = {}  # key json -> sorted window starts
        self.closing: list[tuple[int, str]] = []  # (close time, store key): final only
        self.expiring: list[tuple[int, str]] = []  # (max start that forgets it, store key)
        for skey, v in store.items():
            if skey[:2] != "w:":
                continue
            start = v["s"]
            insort(self.starts.setdefault(skey[skey.index(":", 2) + 1 :], []), start)
            self.expiring.append((start + spec.retention, skey))
            close = spec.close_time(v["e"])
            if final and close > self.stream_time:  # not emitted yet
                self.closing.append((close, skey))
        heapq.heapify(self.closing)
        heapq.heapify(self.expiring)


def get_sliding_executor(node_id, ctx, aggs: Aggregations, spec: WindowSpec, final: bool, child):
    metrics = ctx.metrics[node_id]
    evaluate, update, _merge, output = builders(aggs)
    store_of = ctx.store
    partitions: dict[int, _Partition] = {}
    size, grace, retention = spec.size, spec.grace, spec.retention
    close_time = spec.close_time
    heappush, heappop = heapq.heappush, heapq.heappop

    def windows_of(store, part: _Partition, key, jkey: str, values, ts: int, close: int):
        """The windows the record changes, as (store key, entry) in Kafka Streams' order,
        and whether a window it falls in is closed. Nothing is written yet: a failing
        expression leaves the store untouched."""
        changes: list[tuple[str, dict]] = []
        late = False
        known = part.starts.get(jkey, ())
        lo = bisect_left(known, max(0, ts - 2 * size))
        found = known[lo : bisect_right(known, ts + 1)]

        def get(start: int) -> dict:
            return store.get(f"w:{start}:{jkey}")

        def update_window(start: int, old: dict | None, from_states=None) -> None:
            """updateWindowAndForward: ``old`` an existing window, else a new one from
            ``from_states`` (None: the initial states)."""
            nonlocal late
            end = start + size
            if end < close:
                late = True
                return
            if old is None:
                states, t = update(from_states, values, ts), ts
            else:
                states, t = update(old["a"], values, ts), max(ts, old["t"])
            changes.append(
                (f"w:{start}:{jkey}", {"k": key, "s": start, "e": end, "t": t, "a": states})
            )

        def right_window(agg: dict) -> None:
            """createCurrentRecordRightWindow: the record's right window holds what ``agg``
            holds (records after the record only)."""
            start = ts + 1
            entry = {"k": key, "s": start, "e": start + size, "t": agg["t"], "a": agg["a"]}
            changes.append((f"w:{start}:{jkey}", entry))

        if ts < size:  # processEarly: the records before size share [0, size]
            combined = right_agg = None
            previous = None
            right_created = False
            for start in found:
                entry = get(start)
                if start == 0:
                    combined = entry
                    if entry["t"] < ts:
                        previous = entry["t"]
                elif start <= ts:
                    right_agg = entry
                    update_window(start, entry)
                elif start == ts + 1:
                    right_created = True
            if right_agg is None and combined is not None and combined["t"] > ts:
                right_agg = combined
            if not right_created and right_agg is not None and right_agg["t"] > ts:
                right_window(right_agg)
            if previous is not None and previous + 1 not in found:
                update_window(previous + 1, None)
            update_window(0, combined)
            return changes, late

        # processReverse: the windows from the latest start down
        left_agg = right_agg = None
        previous = None
        left_created = right_created = False
        for start in reversed(found):
            entry = get(start)
            end = start + size
            if start == ts + 1:
                right_created = True
            elif end > ts:
                if right_agg is None:
                    right_agg = entry
                update_window(start, entry)
            elif end == ts:
                left_created = True
                update_window(start, entry)
                if entry["t"] < ts:
                    previous = entry["t"]
                else:
                    return changes, late  # a record at ts made every window already
            else:
                left_agg = entry
                previous = entry["t"]
                break
        # createWindows
        if previous is not None:
            start = previous + 1
            if start not in found and start + size >= ts:
                update_window(start, None)
        if not left_created:
            if previous is not None and ts - size <= previous and left_agg is not None:
                update_window(ts - size, None, left_agg["a"])
            else:
                update_window(ts - size, None)
        if not right_created and right_agg is not None and right_agg["t"] > ts:
            right_window(right_agg)
        return changes, late

    def emit(entry: dict, record: Record) -> None:
        metrics.out += 1
        child(
            Record(
                key_to_text(entry["k"]),
                output(entry, True),
                entry["t"],
                record.headers,
                record.partition,
                record.origin,
            )
        )

    def process(record: Record) -> None:
        metrics.in_ += 1
        key = record.key
        if key is None:  # as Kafka Streams: dropped and counted, stream time unmoved
            metrics.late += 1
            return
        ts = record.timestamp
        partition = record.partition
        store = store_of(node_id, partition)
        part = partitions.get(partition)
        if part is None or part.store is not store:
            part = partitions[partition] = _Partition(store, spec, final)
        stream_time = max(part.stream_time, ts)
        close = stream_time - grace
        try:
            values = evaluate(key, record.value, ts, record.headers)
            jkey = state_key(key)
            if ts + 1 + size <= close:
                changes: list[tuple[str, dict]] = []
                late = True
            else:
                changes, late = windows_of(store, part, key, jkey, values, ts, close)
        except Exception as exc:  # noqa: BLE001 - user expressions and their values
            metrics.errors += 1
            ctx.dead_letter(record, node_id, exc)
            return
        if late:
            metrics.late += 1
        if stream_time != part.stream_time:
            part.stream_time = stream_time
            store.put(STREAM_TIME, stream_time)
        for skey, entry in changes:
            start = entry["s"]
            if store.get(skey) is None:
                insort(part.starts.setdefault(jkey, []), start)
                heappush(part.expiring, (start + retention, skey))
                if final:
                    heappush(part.closing, (close_time(entry["e"]), skey))
            store.put(skey, entry)
            if start > part.max_start:
                part.max_start = start
                store.put(MAX_START, start)
            if not final:
                emit(entry, record)
        closing, expiring = part.closing, part.expiring
        while closing and closing[0][0] <= stream_time:
            closed = store.get(heappop(closing)[1])
            if closed is not None:
                emit(closed, record)
        while expiring and expiring[0][0] <= part.max_start:
            skey = heappop(expiring)[1]
            gone = store.get(skey)
            if gone is None:
                continue
            store.delete(skey)
            jk = skey[skey.index(":", 2) + 1 :]
            starts = part.starts.get(jk)
            if starts is not None:
                i = bisect_left(starts, gone["s"])
                if i < len(starts) and starts[i] == gone["s"]:
                    del starts[i]
                if not starts:
                    del part.starts[jk]

    return process
