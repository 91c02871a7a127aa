"""join: enriches the left stream with a table of the right one, or correlates two streams.

``get_executor`` returns one executor per input port, ``{"left": ..., "right": ...}``.
The output key is the join key, the value ``expr(key, left, right)``.

Without ``window`` (a KStream-KTable join): the right input is materialised as a table of
its latest value per key, a None value deleting the key (a tombstone); right records emit
nothing. Each left record looks its key up: ``inner`` emits only on a hit, ``left`` emits
with ``right`` None on a miss. The output timestamp is the left record's. A left record
without a key matches nothing.

With ``window`` (a KStream-KStream join, as Kafka Streams 3.1+ with no grace): both sides
are buffered per key; a record joins every buffered record of the other side whose
timestamp is within ``window`` of its own (``|Δt| <= window``), so each matching pair is
emitted once, when its second record arrives, at the larger of the two timestamps. Under
``left``, a left record that has found no match when its window closes (stream time >
ts + window + grace) emits ``(left, None)`` at its own timestamp; never earlier, so no
spurious result precedes a match. As in Kafka Streams, a right record arriving out of
order within its own window can still join a left record already emitted unmatched.
A record whose own window had already closed when it arrived (ts + window + grace <
stream time) is late: dropped and counted, so every record that is joined sees all of its
matches. Buffered records expire once no record that is not late can match them
(stream time > ts + 2·window + grace). Stream time is shared by both sides, per partition.

State, per partition in ``ctx.store(node_id, partition)`` (changelogged):

    #stream_time                  stream-stream only
    t:<key json>                  table join: the right side's latest value
    L:<key json>:<ts>:<n>         a buffered left record {"k", "t", "v", "m": matched or emitted}
    R:<key json>:<ts>:<n>         a buffered right record
"""

from __future__ import annotations

import heapq

from engine.model.durations import parse_duration
from engine.model.expressions import JOIN_NAMES, compile_expression
from engine.runtime.operators.aggregate import STREAM_TIME, state_key
from engine.runtime.operators.base import EMPTY_HEADERS, Record, only_child
from engine.runtime.windows import NO_TIME

_UNMATCHED, _EXPIRE = 0, 1  # timer kinds; at equal times unmatched lefts go before expiry


def get_executor(node, ctx, children):
    params = node.params
    fn = compile_expression(params["expr"], JOIN_NAMES).fn
    left_mode = params.get("mode", "inner") == "left"
    child = only_child(children)
    window = params.get("window")
    if window in (None, ""):
        return _table_join(node.id, ctx, fn, left_mode, child)
    grace = parse_duration(params["grace"]) if params.get("grace") is not None else 0
    return _stream_join(node.id, ctx, fn, left_mode, parse_duration(window), grace, child)


def _table_join(node_id, ctx, fn, left_mode, child):
    metrics = ctx.metrics[node_id]
    store_of = ctx.store

    def left(record: Record) -> None:
        metrics.in_ += 1
        key = record.key
        try:
            right = None if key is None else \
                store_of(node_id, record.partition).get("t:" + state_key(key))
            if right is None and not left_mode:
                return
            value = fn(key, record.value, right)
        except Exception as exc:  # noqa: BLE001
            metrics.errors += 1
            ctx.dead_letter(record, node_id, exc)
            return
        metrics.out += 1
        child(Record(key, value, record.timestamp, record.headers, record.partition, record.origin))

    def right(record: Record) -> None:
        metrics.in_ += 1
        if record.key is None:
            return  # a table has no row without a key
        try:
            skey = "t:" + state_key(record.key)
        except Exception as exc:  # noqa: BLE001
            metrics.errors += 1
            ctx.dead_letter(record, node_id, exc)
            return
        store = store_of(node_id, record.partition)
        if record.value is None:
            store.delete(skey)
        else:
            store.put(skey, record.value)

    return {"left": left, "right": right}


class _Partition:
    __slots__ = ("store", "stream_time", "buffers", "timers")

    def __init__(self, store):
        self.store = store
        self.stream_time = store.get(STREAM_TIME, NO_TIME)
        self.buffers: dict[str, list[list]] = {}  # "L:<key json>" -> [[ts, store key]]
        self.timers: list[tuple[int, int, str]] = []  # (stream time due, kind, store key)


def _buffer_of(skey: str) -> str:
    return skey[:skey.rindex(":", 0, skey.rindex(":"))]


def _stream_join(node_id, ctx, fn, left_mode, window, grace, child):
    metrics = ctx.metrics[node_id]
    store_of = ctx.store
    partitions: dict[int, _Partition] = {}
    heappush, heappop = heapq.heappush, heapq.heappop

    def open_partition(store) -> _Partition:
        part = _Partition(store)
        for skey, v in store.items():
            if skey[:2] not in ("L:", "R:"):
                continue
            part.buffers.setdefault(_buffer_of(skey), []).append([v["t"], skey])
            part.timers.append((v["t"] + 2 * window + grace + 1, _EXPIRE, skey))
            if left_mode and skey[0] == "L" and not v["m"]:
                part.timers.append((v["t"] + window + grace + 1, _UNMATCHED, skey))
        for entries in part.buffers.values():
            entries.sort()
        heapq.heapify(part.timers)
        return part

    def partition_of(record: Record) -> tuple:
        store = store_of(node_id, record.partition)
        part = partitions.get(record.partition)
        if part is None or part.store is not store:
            part = partitions[record.partition] = open_partition(store)
        return store, part

    def emit_unmatched(record: Record) -> None:
        try:
            value = fn(record.key, record.value, None)
        except Exception as exc:  # noqa: BLE001
            metrics.errors += 1
            ctx.dead_letter(record, node_id, exc)
            return
        metrics.out += 1
        child(Record(record.key, value, record.timestamp, record.headers, record.partition,
                     record.origin))

    def make_side(is_left: bool):
        this, other = ("L:", "R:") if is_left else ("R:", "L:")

        def process(record: Record) -> None:
            metrics.in_ += 1
            key, ts = record.key, record.timestamp
            if key is None:
                if is_left and left_mode:
                    emit_unmatched(record)
                return
            store, part = partition_of(record)
            stream_time = ts if ts > part.stream_time else part.stream_time
            if ts + window + grace < stream_time:
                metrics.late += 1
                return
            outputs = []
            try:
                jkey = state_key(key)
                matched = []
                for other_ts, other_key in part.buffers.get(other + jkey, ()):
                    if abs(other_ts - ts) <= window:
                        entry = store.get(other_key)
                        matched.append((other_key, entry))
                        if is_left:
                            value = fn(key, record.value, entry["v"])
                        else:
                            value = fn(key, entry["v"], record.value)
                        outputs.append((value, ts if ts > other_ts else other_ts))
            except Exception as exc:  # noqa: BLE001
                metrics.errors += 1
                ctx.dead_letter(record, node_id, exc)
                return
            if stream_time != part.stream_time:
                part.stream_time = stream_time
                store.put(STREAM_TIME, stream_time)
            buffer = part.buffers.get(this + jkey)
            if buffer is None:
                buffer = part.buffers[this + jkey] = []
            n = 0
            for entry_ts, _ in buffer:
                if entry_ts == ts:
                    n += 1
            skey = f"{this}{jkey}:{ts}:{n}"
            store.put(skey, {"k": key, "t": ts, "v": record.value, "m": 1 if matched else 0})
            buffer.append([ts, skey])
            heappush(part.timers, (ts + 2 * window + grace + 1, _EXPIRE, skey))
            if left_mode:
                if is_left:
                    if not matched:
                        heappush(part.timers, (ts + window + grace + 1, _UNMATCHED, skey))
                else:
                    for other_key, entry in matched:
                        if not entry["m"]:
                            store.put(other_key, {**entry, "m": 1})
            for value, out_ts in outputs:
                metrics.out += 1
                child(Record(key, value, out_ts, record.headers, record.partition, record.origin))
            fire_timers(store, part, record)

        return process

    def fire_timers(store, part: _Partition, record: Record) -> None:
        timers, stream_time = part.timers, part.stream_time
        while timers and timers[0][0] <= stream_time:
            _, kind, skey = heappop(timers)
            entry = store.get(skey)
            if entry is None:
                continue
            if kind == _EXPIRE:
                store.delete(skey)
                buffer_key = _buffer_of(skey)
                buffer = part.buffers.get(buffer_key)
                if buffer is not None:
                    for i, (_, k) in enumerate(buffer):
                        if k == skey:
                            del buffer[i]
                            break
                    if not buffer:
                        del part.buffers[buffer_key]
            elif not entry["m"]:
                store.put(skey, {**entry, "m": 1})
                emit_unmatched(Record(entry["k"], entry["v"], entry["t"], EMPTY_HEADERS,
                                      record.partition, None))

    return {"left": make_side(True), "right": make_side(False)}
