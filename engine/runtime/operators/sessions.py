"""Session windows of the aggregate node, as Kafka Streams' ``KStreamSessionWindowAggregate``.

A record at ``ts`` (stream time ``st`` once it is counted) finds the sessions of its key at
most ``gap`` away (``start - gap <= ts <= end + gap``) and merges with all of them into one
window ``[min start, max end]``, bridging sessions where it falls between two. The record
is late, dropped and counted, when that window ends before ``st - gap - grace``.

Under ``emit: update`` the merged session is emitted at once; when the merged window is
not the record's own ``[ts, ts]``, each session it merged is first retracted, as Kafka
Streams deletes the old windowed key: a tombstone with the group key, a None value,
headers ``ts.window_start`` and ``ts.window_end`` naming the retracted session, and that
session's end as timestamp. Under ``emit: final`` a session is emitted when stream time
reaches ``end + gap + grace`` (``suppress(untilWindowCloses)``), never retracted.

A closed session stays in the store until ``st > end + 2 * gap + grace``: until then a
record that is not late can still reach it, and, as in Kafka Streams, merges with it (the
merged window is a new session, emitted again when it closes). Whether a closed session
has been emitted needs no flag: it was, the moment stream time reached its close time, and
the stream time is in the store.

Store layout, per partition in ``ctx.store(node_id, partition)`` (changelogged):

    #stream_time             largest timestamp seen in the partition
    s:<key json>:<start>     {"k": key, "s": start, "e": end (ts of the last record),
                              "a": [state per aggregation]}

A record whose group key is None is dropped and counted with the late records (Kafka
Streams' dropped-records), before it moves stream time.

The in-memory index (the sessions of each key, a heap of timers) is rebuilt from
``store.items()`` whenever the context hands out a different store for a partition.
"""

from __future__ import annotations

import heapq

from engine.runtime.operators.aggregations import STREAM_TIME, Aggregations, builders, state_key
from engine.runtime.operators.base import Record, key_to_text
from engine.runtime.windows import NO_TIME, WindowSpec

_CLOSE, _EXPIRE = 0, 1  # timer kinds: emit a closed session (final only); forget a session


class _Partition:
    """What the session aggregate keeps in memory for one partition."""

    __slots__ = ("heap", "sessions", "store", "stream_time")

    def __init__(self, store):
        self.store = store
        self.stream_time = store.get(STREAM_TIME, NO_TIME)
        self.heap: list[tuple[int, str, int, int]] = []  # (due, store key, end, kind)
        self.sessions: dict[str, list[list]] = {}  # key json -> [[start, end, store key]]

    def forget(self, skey: str) -> None:
        jkey = skey[2 : skey.rindex(":")]
        known = self.sessions.get(jkey)
        if known is None:
            return
        for i, s in enumerate(known):
            if s[2] == skey:
                del known[i]
                break
        if not known:
            del self.sessions[jkey]


def get_session_executor(node_id, ctx, aggs: Aggregations, spec: WindowSpec, final: bool, child):
    metrics = ctx.metrics[node_id]
    evaluate, update, merge, output = builders(aggs)
    store_of = ctx.store
    partitions: dict[int, _Partition] = {}
    gap, lateness = spec.gap, spec.gap + spec.grace
    close_time, expiry = spec.close_time, spec.session_expiry
    heappush, heappop = heapq.heappush, heapq.heappop

    def open_partition(store) -> _Partition:
        part = _Partition(store)
        stale = []
        for skey, v in store.items():
            if skey[:2] == "c:":  # closed-session markers an earlier version kept
                stale.append(skey)
                continue
            if skey[:2] != "s:":
                continue
            end = v["e"]
            part.sessions.setdefault(skey[2 : skey.rindex(":")], []).append([v["s"], end, skey])
            if final and close_time(end) > part.stream_time:
                part.heap.append((close_time(end), skey, end, _CLOSE))
            else:
                part.heap.append((expiry(end), skey, end, _EXPIRE))
        for skey in stale:
            store.delete(skey)
        heapq.heapify(part.heap)
        return part

    def process(record: Record) -> None:
        metrics.in_ += 1
        if record.key is None:  # as Kafka Streams: dropped and counted, stream time unmoved
            metrics.late += 1
            return
        ts = record.timestamp
        partition = record.partition
        store = store_of(node_id, partition)
        part = partitions.get(partition)
        if part is None or part.store is not store:
            part = partitions[partition] = open_partition(store)
        stream_time = max(part.stream_time, ts)
        try:
            values = evaluate(record.key, record.value, record.timestamp, record.headers)
            jkey = state_key(record.key)
            known = part.sessions.get(jkey)
            touched = []
            start = end = ts
            if known:
                low, high = ts - gap, ts + gap
                for s in known:
                    if s[1] >= low and s[0] <= high:  # at most gap away, inclusive
                        touched.append(s)
                        start = min(start, s[0])
                        end = max(end, s[1])
            if end < stream_time - lateness:
                metrics.late += 1
                return
            states = None
            if touched:
                touched.sort()
                for s in touched:
                    old = store.get(s[2])["a"]
                    states = old if states is None else merge(states, old)
            states = update(states, values, ts)
        except Exception as exc:  # noqa: BLE001 - user expressions and their values
            metrics.errors += 1
            ctx.dead_letter(record, node_id, exc)
            return
        if stream_time != part.stream_time:
            part.stream_time = stream_time
            store.put(STREAM_TIME, stream_time)
        key_text = key_to_text(record.key)
        skey = f"s:{jkey}:{start}"
        unchanged = False
        if touched and known:  # (touched sessions are known ones)
            retract = not final and (start != ts or end != ts)
            for s in touched:
                if s[2] == skey:
                    unchanged = s[1] == end
                else:
                    store.delete(s[2])
                known.remove(s)
                if retract:
                    metrics.out += 1
                    child(
                        Record(
                            key_text,
                            None,
                            s[1],
                            {
                                **record.headers,
                                "ts.window_start": str(s[0]),
                                "ts.window_end": str(s[1]),
                            },
                            partition,
                            record.origin,
                        )
                    )
        entry = {"k": record.key, "s": start, "e": end, "a": states}
        store.put(skey, entry)
        if known is None:
            known = part.sessions[jkey] = []
        known.append([start, end, skey])
        heap = part.heap
        if final:
            # a window unchanged keeps its timers, unless it closed already: then it is
            # emitted again at once, as suppress() does with an update of a closed window
            if not unchanged or close_time(end) <= stream_time:
                heappush(heap, (close_time(end), skey, end, _CLOSE))
        else:
            if not unchanged:
                heappush(heap, (expiry(end), skey, end, _EXPIRE))
            metrics.out += 1
            child(
                Record(key_text, output(entry, True), end, record.headers, partition, record.origin)
            )
        while heap and heap[0][0] <= stream_time:
            _, skey, end, kind = heappop(heap)
            closed = store.get(skey)
            if closed is None or closed["e"] != end:
                continue  # merged away, or grown: its own timers are in the heap
            if kind == _EXPIRE:
                store.delete(skey)
                part.forget(skey)
                continue
            heappush(heap, (expiry(end), skey, end, _EXPIRE))
            metrics.out += 1
            child(
                Record(
                    key_to_text(closed["k"]),
                    output(closed, True),
                    end,
                    record.headers,
                    partition,
                    record.origin,
                )
            )

    return process
