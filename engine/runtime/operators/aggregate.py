"""aggregate: count, sum, avg, min, max, first, last and count_distinct per key and window.

The compiler delivers records whose key already is the group key, each from its input
partition; the state of a partition lives in ``ctx.store(node_id, partition)`` and
nowhere else, so a restarted or moved instance rebuilds it from the changelog. The
in-memory index (a heap of window close times) is rebuilt from ``store.items()`` the first
time a partition's store is seen, and again whenever the context hands out a different
store object for it. Session windows are their own module (``sessions``); the functions
are ``aggregations``.

Store layout (keys are str, values JSON):

    #stream_time             largest timestamp seen in the partition (windowed only)
    k:<key json>             {"k": key, "t": max ts, "a": [state per aggregation]}
    w:<start>:<key json>     the same plus "s"/"e": one tumbling or hopping window

Closed windows are deleted from the store (and emitted first under ``emit: final``), so a
restart never emits a window twice.

Output, as reference §5.10: key = the group key as text; value = ``{"key", "window_start",
"window_end", <name>: <result>...}``; timestamp = the largest record timestamp in the
window (unwindowed: the largest seen for the key), which is what Kafka Streams gives
aggregation results. Headers and origin are the triggering record's.

Records Kafka Streams drops are dropped here and counted with the late records (its
dropped-records metric): in a windowed aggregate a record whose group key is None (before
it moves stream time), in an unwindowed one a record whose value is None. An unwindowed
aggregate keeps a None group key apart from the text "null": its output key is None.
"""

from __future__ import annotations

import heapq
from json.encoder import encode_basestring as _text_json  # state_key of a str, without the call

from engine.runtime.operators import sessions, sliding
from engine.runtime.operators.aggregations import (  # STREAM_TIME, state_key: re-exported
    STREAM_TIME,
    Aggregations,
    builders,
    fold_function,
    state_key,
)
from engine.runtime.operators.base import Record, key_to_text, only_child, parts_of, taking_parts
from engine.runtime.state import writers
from engine.runtime.windows import NO_TIME, WindowSpec


def get_executor(node, ctx, children):
    params = node.params
    spec = WindowSpec.from_param(params.get("window"))
    aggs = Aggregations(params["aggregations"])
    final = params.get("emit", "update") == "final"
    child = only_child(children)
    if spec.kind == "none":
        return _unwindowed(node.id, ctx, aggs, child)
    if spec.kind == "session":
        return sessions.get_session_executor(node.id, ctx, aggs, spec, final, child)
    if spec.kind == "sliding":
        return sliding.get_sliding_executor(node.id, ctx, aggs, spec, final, child)
    if spec.size == spec.advance:
        return _tumbling(node.id, ctx, aggs, spec, final, child)
    return _time_windows(node.id, ctx, aggs, spec, final, child)


def _unwindowed(node_id, ctx, aggs, child):
    metrics = ctx.metrics[node_id]
    evaluate, update, _merge, output = builders(aggs)
    store_of = ctx.store

    def process(record: Record) -> None:
        metrics.in_ += 1
        if record.value is None:  # as Kafka Streams' KStreamAggregate: skipped, counted
            metrics.late += 1
            return
        ts = record.timestamp
        try:
            values = evaluate(record.key, record.value, record.timestamp, record.headers)
            skey = "k:" + state_key(record.key)
            store = store_of(node_id, record.partition)
            old = store.get(skey)
            if old is None:
                entry = {"k": record.key, "t": ts, "a": update(None, values, ts)}
            else:
                entry = {"k": record.key, "t": max(ts, old["t"]), "a": update(old["a"], values, ts)}
        except Exception as exc:  # noqa: BLE001 - user expressions and their values
            metrics.errors += 1
            ctx.dead_letter(record, node_id, exc)
            return
        store.put(skey, entry)
        metrics.out += 1
        child(
            Record(
                None if record.key is None else key_to_text(record.key),
                output(entry, False),
                entry["t"],
                record.headers,
                record.partition,
                record.origin,
            )
        )

    return process


class _Partition:
    """What a time-windowed aggregate keeps in memory for one partition: a cache of the
    stream time and the heap of close times, rebuilt from the store."""

    __slots__ = ("heap", "log", "put", "store", "stream_time")

    def __init__(self, store, close_time):
        self.store = store
        # put(key, entry), then log(key, entry) when not None: a changelogging store's two
        # C calls (state.writers), without a Python call between
        self.put, self.log = writers(store)
        self.stream_time = store.get(STREAM_TIME, NO_TIME)
        # (close time, store key) of every window in the store
        self.heap = [(close_time(v["e"]), k) for k, v in store.items() if k.startswith("w:")]
        heapq.heapify(self.heap)

    def close_due(self, stream_time: int):
        """The windows closed at ``stream_time``, each deleted from the store before it is
        yielded (earliest close first)."""
        heap, store = self.heap, self.store
        while heap and heap[0][0] <= stream_time:
            skey = heapq.heappop(heap)[1]
            entry = store.get(skey)
            if entry is not None:
                store.delete(skey)
                yield entry


def _time_windows(node_id, ctx, aggs, spec: WindowSpec, final: bool, child):
    metrics = ctx.metrics[node_id]
    evaluate, update, _merge, output = builders(aggs)
    store_of = ctx.store
    partitions: dict[int, _Partition] = {}
    windows_for, grace, close_time = spec.windows_for, spec.grace, spec.close_time
    heappush = heapq.heappush

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
            part = partitions[partition] = _Partition(store, close_time)
        stream_time = max(part.stream_time, ts)
        changes = []
        late = False
        try:
            values = evaluate(record.key, record.value, record.timestamp, record.headers)
            jkey = state_key(record.key)
            for start, end in windows_for(ts):
                if end + grace <= stream_time:
                    late = True
                    continue
                skey = f"w:{start}:{jkey}"
                old = store.get(skey)
                if old is None:
                    entry = {
                        "k": record.key,
                        "s": start,
                        "e": end,
                        "t": ts,
                        "a": update(None, values, ts),
                    }
                else:
                    entry = {
                        "k": record.key,
                        "s": start,
                        "e": end,
                        "t": max(ts, old["t"]),
                        "a": update(old["a"], values, ts),
                    }
                changes.append((skey, entry, old is None))
        except Exception as exc:  # noqa: BLE001
            metrics.errors += 1
            ctx.dead_letter(record, node_id, exc)
            return
        if late:
            metrics.late += 1
        if stream_time != part.stream_time:
            part.stream_time = stream_time
            store.put(STREAM_TIME, stream_time)
        heap = part.heap
        for skey, entry, created in changes:
            store.put(skey, entry)
            if created:
                heappush(heap, (close_time(entry["e"]), skey))
            if not final:
                metrics.out += 1
                child(
                    Record(
                        key_to_text(entry["k"]),
                        output(entry, True),
                        entry["t"],
                        record.headers,
                        partition,
                        record.origin,
                    )
                )
        if heap and heap[0][0] <= stream_time:
            for entry in part.close_due(stream_time):
                if final:
                    metrics.out += 1
                    child(
                        Record(
                            key_to_text(entry["k"]),
                            output(entry, True),
                            entry["t"],
                            record.headers,
                            partition,
                            record.origin,
                        )
                    )

    return process


def _tumbling(node_id, ctx, aggs, spec: WindowSpec, final: bool, child):
    """``_time_windows`` for tumbling windows, where a record falls in exactly one window:
    the same steps, output and store, without a list of windows and of changes per record.
    It takes records as their parts (base.py) and hands its outputs on the same way."""
    metrics = ctx.metrics[node_id]
    evaluate, _update, _merge, output = builders(aggs)
    fold = fold_function(aggs)  # evaluate and update in one call
    store_of = ctx.store
    partitions: dict[int, _Partition] = {}
    size, grace, close_time = spec.size, spec.grace, spec.close_time
    heappush = heapq.heappush
    child_parts = parts_of(child)
    # Where the run flushes its stores to the changelogs (KafkaRun), the stream time is
    # written to the store at each flush, not at every record: the changelog gets the
    # same value (a store's changes are written once per flush, the latest).
    before_flush = ctx.before_flush
    if before_flush is not None:

        def write_stream_times() -> None:
            for part in partitions.values():
                store = part.store
                if not store.closed and store.get(STREAM_TIME, NO_TIME) != part.stream_time:
                    store.put(STREAM_TIME, part.stream_time)

        before_flush.append(write_stream_times)
    deferred = before_flush is not None

    def emit(entry: dict, headers, partition: int, origin) -> None:
        metrics.out += 1
        key = entry["k"]
        if type(key) is not str:
            key = key_to_text(key)
        if child_parts is not None:
            child_parts(key, output(entry, True), entry["t"], headers, partition, origin)
        else:
            child(Record(key, output(entry, True), entry["t"], headers, partition, origin))

    def parts(key, value, ts, headers, partition=0, origin=None, _json=None) -> None:
        metrics.in_ += 1
        if key is None:  # as Kafka Streams: dropped and counted, stream time unmoved
            metrics.late += 1
            return
        store = store_of(node_id, partition)
        part = partitions.get(partition)
        if part is None or part.store is not store:
            part = partitions[partition] = _Partition(store, close_time)
        previous = part.stream_time
        stream_time = ts if ts > previous else previous  # noqa: FURB136 - no call a record
        entry = None
        try:
            start = ts - ts % size
            end = start + size
            if end + grace > stream_time:
                skey = f"w:{start}:{_text_json(key) if type(key) is str else state_key(key)}"
                old = store.get(skey)
                if old is None:
                    entry = {
                        "k": key,
                        "s": start,
                        "e": end,
                        "t": ts,
                        "a": fold(None, key, value, ts, headers),
                    }
                else:
                    t = old["t"]
                    entry = {
                        "k": key,
                        "s": start,
                        "e": end,
                        "t": ts if ts > t else t,  # noqa: FURB136
                        "a": fold(old["a"], key, value, ts, headers),
                    }
            else:  # late: its values are still evaluated (a failing expression dead-letters it)
                evaluate(key, value, ts, headers)
                state_key(key)
        except Exception as exc:  # noqa: BLE001
            metrics.errors += 1
            ctx.dead_letter(Record(key, value, ts, headers, partition, origin), node_id, exc)
            return
        if stream_time != previous:
            part.stream_time = stream_time
            if not deferred:
                store.put(STREAM_TIME, stream_time)
        heap = part.heap
        if entry is None:
            metrics.late += 1
        else:
            part.put(skey, entry)
            if part.log is not None:
                part.log(skey, entry)
            if old is None:
                heappush(heap, (close_time(end), skey))
            if not final:  # emit(), without its call
                metrics.out += 1
                out_key = key if type(key) is str else key_to_text(key)
                if child_parts is not None:
                    child_parts(
                        out_key, output(entry, True), entry["t"], headers, partition, origin
                    )
                else:
                    child(
                        Record(out_key, output(entry, True), entry["t"], headers, partition, origin)
                    )
        if heap and heap[0][0] <= stream_time:
            for entry in part.close_due(stream_time):
                if final:
                    emit(entry, headers, partition, origin)

    return taking_parts(parts)
