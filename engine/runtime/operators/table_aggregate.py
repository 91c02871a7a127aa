"""table_aggregate: a table regrouped by a new key and aggregated, each change retracting the
old row's contribution before adding the new one (Kafka Streams' KGroupedTable with its
adder and subtractor), so counts and sums stay exact when a row changes group.

Two stages, split by the repartition topic ``<app>-<node>-repartition`` as Kafka Streams'
KTableRepartitionMap and KTableAggregate are:

- ``regroup`` (before the topic, on the input's partitions) keeps each input row's latest
  value, and for a change of a row writes what it takes away and what it adds, keyed by
  group: ``{"k": row key, "o": old value}`` to the old row's group and ``{"k", "n": new
  value}`` to the new one's, or one ``{"k", "o", "n"}`` when the group stays the same. A
  group key of None is dropped and counted with the late records.
- ``get_executor`` (after it, on the group's partition) applies the retraction, then the
  addition, and emits the group's new results, keyed by the group as text and at the later
  of the group's last timestamp and the record's.

Aggregations (validated in engine.model.combinations): ``count`` (rows whose ``expr`` is not
None, every row without one), ``sum`` and ``avg`` of ``expr`` over the row's key and value,
and ``reduce`` with ``expr`` (the adder) and ``subtract`` over ``agg`` and ``value`` (the
row's value), from ``init`` when given (Kafka Streams' aggregate), else from the first value
(its reduce). The output value is ``{"key": group, <name>: result, ...}`` as an unwindowed
aggregate's.

State, per partition:

    ctx.store(node_id, p)         k:<group json>  {"k": group, "a": [states], "t": ms}
    ctx.store(rows_store(node_id), p)   t:<row key json>  the input row's latest value
"""

from __future__ import annotations

import json

from engine.model.expressions import INIT_NAMES, REDUCE_NAMES, compile_expression
from engine.model.internal_topics import rows_store
from engine.runtime.operators.aggregations import state_key
from engine.runtime.operators.base import Record, key_to_text, only_child
from engine.runtime.operators.table import row_key


def regroup(node, ctx, send):
    """The executor before the repartition topic: input rows to retractions and additions
    handed to ``send`` (the repartition writer, keyed by the record's key)."""
    group_of = compile_expression(node.params["group_by"]).fn
    metrics = ctx.metrics[node.id]
    store_id, node_id, store_of = rows_store(node.id), node.id, ctx.store

    def process(record: Record) -> None:
        key, new, ts, headers = record.key, record.value, record.timestamp, record.headers
        if key is None:
            metrics.in_ += 1
            metrics.late += 1
            return
        try:
            skey = row_key(key)
            store = store_of(store_id, record.partition)
            old = store.get(skey)
            old_group = None if old is None else group_of(key, old, ts, headers)
            new_group = None if new is None else group_of(key, new, ts, headers)
            if new is None:
                store.delete(skey)
            else:
                store.put(skey, new)
        except Exception as exc:  # noqa: BLE001
            metrics.in_ += 1
            metrics.errors += 1
            ctx.dead_letter(record, node_id, exc)
            return
        late = (old is not None and old_group is None) + (new is not None and new_group is None)
        if late:
            metrics.in_ += late
            metrics.late += late
        part, origin = record.partition, record.origin
        if old_group is not None and new_group is not None and old_group == new_group:
            send(Record(new_group, {"k": key, "o": old, "n": new}, ts, headers, part, origin))
            return
        if old_group is not None:
            send(Record(old_group, {"k": key, "o": old}, ts, headers, part, origin))
        if new_group is not None:
            send(Record(new_group, {"k": key, "n": new}, ts, headers, part, origin))

    return process


def get_executor(node, ctx, children):
    specs = node.params["aggregations"]
    names = [a["name"] for a in specs]
    functions = [_functions(a) for a in specs]
    initial = json.dumps([f[0] for f in functions])
    child = only_child(children)
    metrics = ctx.metrics[node.id]
    node_id, store_of = node.id, ctx.store

    def process(record: Record) -> None:
        metrics.in_ += 1
        group, change, ts, headers = record.key, record.value, record.timestamp, record.headers
        try:
            skey = "k:" + state_key(group)
            store = store_of(node_id, record.partition)
            entry = store.get(skey)
            states = json.loads(initial) if entry is None else list(entry["a"])
            if entry is not None:
                ts = max(ts, entry["t"])
            row = change["k"]
            for i, (_init, add, sub, _result) in enumerate(functions):
                if "o" in change and change["o"] is not None:
                    states[i] = sub(states[i], row, change["o"], record)
                if "n" in change and change["n"] is not None:
                    states[i] = add(states[i], row, change["n"], record)
            store.put(skey, {"k": group, "a": states, "t": ts})
            value = {"key": group}
            for name, (_init, _add, _sub, result), state in zip(names, functions, states):
                value[name] = result(state)
        except Exception as exc:  # noqa: BLE001
            metrics.errors += 1
            ctx.dead_letter(record, node_id, exc)
            return
        metrics.out += 1
        child(Record(key_to_text(group), value, ts, headers, record.partition, record.origin))

    return process


def _same(state):
    return state


def _functions(spec: dict) -> tuple:
    """(initial state, add, subtract, result) of one aggregation; add and subtract take the
    state, the row's key and value, and the record (for its timestamp and headers)."""
    fn = spec["fn"]
    if fn == "reduce":
        fold = compile_expression(spec["expr"], REDUCE_NAMES).fn
        unfold = compile_expression(spec["subtract"], REDUCE_NAMES).fn
        has_init = "init" in spec
        init = json.dumps(compile_expression(spec["init"], INIT_NAMES).fn()) if has_init else None

        def start():
            return None if init is None else json.loads(init)

        def add(s, k, v, r):
            if s is None:
                return [v] if init is None else [fold(start(), v)]
            return [fold(s[0], v)]

        def sub(s, k, v, r):
            if s is None:
                return None if init is None else [unfold(start(), v)]
            return [unfold(s[0], v)]

        return None, add, sub, lambda s: None if s is None else s[0]
    expr = spec.get("expr")
    of = compile_expression(expr).fn if expr else None

    def measure(k, v, r):
        return 1 if of is None else of(k, v, r.timestamp, r.headers)

    if fn == "count":

        def count_add(s, k, v, r):
            return s + (measure(k, v, r) is not None)

        def count_sub(s, k, v, r):
            return s - (measure(k, v, r) is not None)

        return 0, count_add, count_sub, _same
    if fn == "sum":

        def sum_add(s, k, v, r):
            x = measure(k, v, r)
            return s if x is None else s + x

        def sum_sub(s, k, v, r):
            x = measure(k, v, r)
            return s if x is None else s - x

        return 0, sum_add, sum_sub, _same

    def avg_add(s, k, v, r):
        x = measure(k, v, r)
        return s if x is None else [s[0] + x, s[1] + 1]

    def avg_sub(s, k, v, r):
        x = measure(k, v, r)
        return s if x is None else [s[0] - x, s[1] - 1]

    return [0, 0], avg_add, avg_sub, lambda s: s[0] / s[1] if s[1] else None
