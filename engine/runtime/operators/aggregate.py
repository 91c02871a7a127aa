"""aggregate: count, sum, avg, min, max, first, last and count_distinct per key and window.

The compiler delivers records whose key already is the group key, each from its input
partition; the state of a partition lives in ``ctx.store(node_id, partition)`` and
nowhere else, so a restarted or moved instance rebuilds it from the changelog. The
in-memory indexes (a heap of window close times, the sessions of each key) are rebuilt
from ``store.items()`` the first time a partition's store is seen, and again whenever
the context hands out a different store object for it.

Store layout (keys are str, values JSON):

    #stream_time             largest timestamp seen in the partition (windowed only)
    k:<key json>             {"k": key, "t": max ts, "a": [state per aggregation]}
    w:<start>:<key json>     the same plus "s"/"e": one tumbling or hopping window
    s:<key json>:<start>     the same plus "s"/"e": one session (ts of the last record = "e")
    c:<key json>:<start>     {"s", "e"}: a closed session, kept while a record that is not
                             late could still fall within its gap (such a record is late)

Closed windows and sessions are deleted from the store (and emitted first under
``emit: final``), so a restart never emits a window twice.

Output, as SPEC §4: key = the group key as text; value = ``{"key", "window_start",
"window_end", <name>: <result>...}``; timestamp = the largest record timestamp in the
window (for a session: its end; unwindowed: the largest seen for the key), which is what
Kafka Streams gives aggregation results. Headers and origin are the triggering record's.

Aggregations ignore None: ``count`` with an expr counts records where it is not None,
``first``/``last`` are the values of the records with the smallest/largest timestamp
(ties: the earlier/later arrival), ``avg`` is None until a value arrives. A record whose
group key is None is aggregated under the key None (output key ``null``).
"""

from __future__ import annotations

import heapq
import json

from engine.model.expressions import compile_expression
from engine.runtime.operators.base import Record, key_to_text, only_child
from engine.runtime.windows import NO_TIME, WindowSpec

STREAM_TIME = "#stream_time"

_key_json = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode


def state_key(key) -> str:
    """The group key as it appears in store keys (raises TypeError for non-JSON keys)."""
    return _key_json(key)


# -- aggregation functions -----------------------------------------------------------
# Each fn is (initial state, step(state, value, ts) -> new state, merge(a, b), result(state)).
# Steps and merges return new objects and never mutate, so a record that fails half-way
# leaves the store untouched.


def _one(key, value, timestamp, headers):
    return 1


def _count_step(s, v, ts):
    return s if v is None else s + 1


def _sum_step(s, v, ts):
    return s if v is None else s + v


def _avg_step(s, v, ts):
    return s if v is None else [s[0] + v, s[1] + 1]


def _min_step(s, v, ts):
    return v if v is not None and (s is None or v < s) else s


def _max_step(s, v, ts):
    return v if v is not None and (s is None or v > s) else s


def _first_step(s, v, ts):
    return [ts, v] if v is not None and (s is None or ts < s[0]) else s


def _last_step(s, v, ts):
    return [ts, v] if v is not None and (s is None or ts >= s[0]) else s


def _distinct_step(s, v, ts):
    if v is None:
        return s
    text = _key_json(v)
    if text in s:
        return s
    new = dict(s)
    new[text] = 1
    return new


def _add(a, b):
    return a + b


def _avg_merge(a, b):
    return [a[0] + b[0], a[1] + b[1]]


def _min_merge(a, b):
    return b if a is None or (b is not None and b < a) else a


def _max_merge(a, b):
    return b if a is None or (b is not None and b > a) else a


def _first_merge(a, b):
    return b if a is None or (b is not None and b[0] < a[0]) else a


def _last_merge(a, b):
    return b if a is None or (b is not None and b[0] >= a[0]) else a


def _distinct_merge(a, b):
    return {**a, **b}


def _same(s):
    return s


def _avg_result(s):
    return s[0] / s[1] if s[1] else None


def _value_result(s):
    return None if s is None else s[1]


_FUNCTIONS = {
    "count": (0, _count_step, _add, _same),
    "sum": (0, _sum_step, _add, _same),
    "avg": ([0, 0], _avg_step, _avg_merge, _avg_result),
    "min": (None, _min_step, _min_merge, _same),
    "max": (None, _max_step, _max_merge, _same),
    "first": (None, _first_step, _first_merge, _value_result),
    "last": (None, _last_step, _last_merge, _value_result),
    "count_distinct": ({}, _distinct_step, _distinct_merge, len),
}


class Aggregations:
    """The aggregation list compiled once into tuples of small functions."""

    __slots__ = ("names", "evaluators", "steps", "merges", "results", "initial_json")

    def __init__(self, specs: list[dict]):
        self.names = tuple(a["name"] for a in specs)
        self.evaluators = tuple(compile_expression(a["expr"]).fn if a.get("expr") else _one
                                for a in specs)
        table = [_FUNCTIONS[a["fn"]] for a in specs]
        self.initial_json = json.dumps([t[0] for t in table])
        self.steps = tuple(t[1] for t in table)
        self.merges = tuple(t[2] for t in table)
        self.results = tuple(t[3] for t in table)

    def initial(self) -> list:
        return json.loads(self.initial_json)  # fresh mutable parts (avg's pair, distinct's dict)


def get_executor(node, ctx, children):
    params = node.params
    spec = WindowSpec.from_param(params.get("window"))
    aggs = Aggregations(params["aggregations"])
    final = params.get("emit", "update") == "final"
    child = only_child(children)
    if spec.kind == "none":
        return _unwindowed(node.id, ctx, aggs, child)
    if spec.kind == "session":
        return _sessions(node.id, ctx, aggs, spec, final, child)
    return _time_windows(node.id, ctx, aggs, spec, final, child)


def _builders(aggs: Aggregations):
    """Functions shared by the three shapes: evaluate a record, update states, build output."""
    evaluators, steps, merges = aggs.evaluators, aggs.steps, aggs.merges
    named_results = tuple(zip(aggs.names, aggs.results))
    initial = aggs.initial

    def evaluate(record: Record) -> list:
        k, v, t, h = record.key, record.value, record.timestamp, record.headers
        return [f(k, v, t, h) for f in evaluators]

    def update(states: list | None, values: list, ts: int) -> list:
        if states is None:
            states = initial()
        return [step(s, v, ts) for step, s, v in zip(steps, states, values)]

    def merge(a: list, b: list) -> list:
        return [m(x, y) for m, x, y in zip(merges, a, b)]

    def output(entry: dict, windowed: bool) -> dict:
        out = {"key": entry["k"]}
        if windowed:
            out["window_start"] = entry["s"]
            out["window_end"] = entry["e"]
        for (name, result), s in zip(named_results, entry["a"]):
            out[name] = result(s)
        return out

    return evaluate, update, merge, output


def _unwindowed(node_id, ctx, aggs, child):
    metrics = ctx.metrics[node_id]
    evaluate, update, _merge, output = _builders(aggs)
    store_of = ctx.store

    def process(record: Record) -> None:
        metrics.in_ += 1
        ts = record.timestamp
        try:
            values = evaluate(record)
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
        child(Record(key_to_text(record.key), output(entry, False), entry["t"], record.headers,
                     record.partition, record.origin))

    return process


class _Partition:
    """What a windowed aggregate keeps in memory for one partition: a cache of the stream
    time and indexes rebuilt from the store."""

    __slots__ = ("store", "stream_time", "heap", "sessions")

    def __init__(self, store):
        self.store = store
        self.stream_time = store.get(STREAM_TIME, NO_TIME)
        self.heap: list[tuple[int, str]] = []  # (close time, store key)
        self.sessions: dict[str, list[list]] = {}  # key json -> [[start, end, store key, closed]]


def _time_windows(node_id, ctx, aggs, spec: WindowSpec, final: bool, child):
    metrics = ctx.metrics[node_id]
    evaluate, update, _merge, output = _builders(aggs)
    store_of = ctx.store
    partitions: dict[int, _Partition] = {}
    windows_for, grace, close_time = spec.windows_for, spec.grace, spec.close_time
    heappush, heappop = heapq.heappush, heapq.heappop

    def open_partition(store) -> _Partition:
        part = _Partition(store)
        part.heap = [(close_time(v["e"]), k) for k, v in store.items() if k.startswith("w:")]
        heapq.heapify(part.heap)
        return part

    def process(record: Record) -> None:
        metrics.in_ += 1
        ts = record.timestamp
        partition = record.partition
        store = store_of(node_id, partition)
        part = partitions.get(partition)
        if part is None or part.store is not store:
            part = partitions[partition] = open_partition(store)
        stream_time = ts if ts > part.stream_time else part.stream_time
        changes = []
        late = False
        try:
            values = evaluate(record)
            jkey = state_key(record.key)
            for start, end in windows_for(ts):
                if end + grace <= stream_time:
                    late = True
                    continue
                skey = f"w:{start}:{jkey}"
                old = store.get(skey)
                if old is None:
                    entry = {"k": record.key, "s": start, "e": end, "t": ts,
                             "a": update(None, values, ts)}
                else:
                    entry = {"k": record.key, "s": start, "e": end, "t": max(ts, old["t"]),
                             "a": update(old["a"], values, ts)}
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
                child(Record(key_to_text(entry["k"]), output(entry, True), entry["t"],
                             record.headers, partition, record.origin))
        while heap and heap[0][0] <= stream_time:
            skey = heappop(heap)[1]
            entry = store.get(skey)
            if entry is None:
                continue
            store.delete(skey)
            if final:
                metrics.out += 1
                child(Record(key_to_text(entry["k"]), output(entry, True), entry["t"],
                             record.headers, partition, record.origin))

    return process


def _sessions(node_id, ctx, aggs, spec: WindowSpec, final: bool, child):
    metrics = ctx.metrics[node_id]
    evaluate, update, merge, output = _builders(aggs)
    store_of = ctx.store
    partitions: dict[int, _Partition] = {}
    gap, grace, close_time = spec.gap, spec.grace, spec.close_time
    marker_expiry = spec.closed_session_relevant_until
    heappush, heappop = heapq.heappush, heapq.heappop

    def open_partition(store) -> _Partition:
        part = _Partition(store)
        for skey, v in store.items():
            if skey[:2] not in ("s:", "c:"):
                continue
            jkey = skey[2:skey.rindex(":")]
            closed = skey[0] == "c"
            part.sessions.setdefault(jkey, []).append([v["s"], v["e"], skey, closed])
            part.heap.append((marker_expiry(v["e"]) if closed else close_time(v["e"]), skey))
        heapq.heapify(part.heap)
        return part

    def process(record: Record) -> None:
        metrics.in_ += 1
        ts = record.timestamp
        partition = record.partition
        store = store_of(node_id, partition)
        part = partitions.get(partition)
        if part is None or part.store is not store:
            part = partitions[partition] = open_partition(store)
        stream_time = ts if ts > part.stream_time else part.stream_time
        try:
            values = evaluate(record)
            jkey = state_key(record.key)
            sessions = part.sessions.get(jkey)
            touched = []
            late = False
            if sessions:
                low, high = ts - gap, ts + gap
                for s in sessions:
                    if s[1] > low and s[0] < high:  # closer than gap
                        if s[3]:
                            late = True
                            break
                        touched.append(s)
            if not touched and stream_time >= ts + gap + grace:
                late = True
            if late:
                metrics.late += 1
                return
            start = end = ts
            states = None
            if touched:
                touched.sort()
                for s in touched:
                    old = store.get(s[2])
                    states = old["a"] if states is None else merge(states, old["a"])
                    start = min(start, s[0])
                    end = max(end, s[1])
            states = update(states, values, ts)
        except Exception as exc:  # noqa: BLE001
            metrics.errors += 1
            ctx.dead_letter(record, node_id, exc)
            return
        if stream_time != part.stream_time:
            part.stream_time = stream_time
            store.put(STREAM_TIME, stream_time)
        skey = f"s:{jkey}:{start}"
        entry = {"k": record.key, "s": start, "e": end, "a": states}
        kept = None
        for s in touched:
            if s[2] == skey:
                kept = s
            else:
                store.delete(s[2])
                sessions.remove(s)
        store.put(skey, entry)
        if kept is None:
            if sessions is None:
                sessions = part.sessions[jkey] = []
            sessions.append([start, end, skey, False])
            heappush(part.heap, (close_time(end), skey))
        elif kept[1] != end:
            kept[1] = end
            heappush(part.heap, (close_time(end), skey))
        if not final:
            metrics.out += 1
            child(Record(key_to_text(record.key), output(entry, True), end, record.headers,
                         partition, record.origin))
        heap = part.heap
        while heap and heap[0][0] <= stream_time:
            due, skey = heappop(heap)
            closed = store.get(skey)
            if closed is None:
                continue
            if skey[0] == "c":  # a closed session no record can reach any more
                store.delete(skey)
                _forget(part, skey)
                continue
            if close_time(closed["e"]) != due:
                continue  # the session grew since; its later close time is in the heap
            store.delete(skey)
            marker = "c" + skey[1:]
            store.put(marker, {"s": closed["s"], "e": closed["e"]})
            for s in part.sessions[skey[2:skey.rindex(":")]]:
                if s[2] == skey:
                    s[2], s[3] = marker, True
                    break
            heappush(heap, (marker_expiry(closed["e"]), marker))
            if final:
                metrics.out += 1
                child(Record(key_to_text(closed["k"]), output(closed, True), closed["e"],
                             record.headers, partition, record.origin))

    return process


def _forget(part: _Partition, skey: str) -> None:
    jkey = skey[2:skey.rindex(":")]
    sessions = part.sessions.get(jkey)
    if sessions is None:
        return
    for i, s in enumerate(sessions):
        if s[2] == skey:
            del sessions[i]
            break
    if not sessions:
        del part.sessions[jkey]
