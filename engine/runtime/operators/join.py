"""join: enriches the left stream with a table of the right one, or correlates two streams.

``get_executor`` returns one executor per input port, ``{"left": ..., "right": ...}``.
The output key is the join key, the value ``expr(key, left, right)``.

Without ``window`` (a KStream-KTable join): the right input is materialised as a table of
its latest value per key, a None value deleting the key (a tombstone); right records emit
nothing. Each left record looks its key up: ``inner`` emits only on a hit, ``left`` emits
with ``right`` None on a miss. The output timestamp is the left record's. A left record
without a key matches nothing; one without a value is skipped.

With ``window`` (a KStream-KStream join): ``stream_join``, as Kafka Streams'
``KStreamKStreamJoin``.

State of the table join, per partition in ``ctx.store(node_id, partition)`` (changelogged):

    t:<key json>                  the right side's latest value
"""

from __future__ import annotations

from engine.model.durations import parse_duration
from engine.model.expressions import JOIN_NAMES, compile_expression
from engine.runtime.operators.aggregations import state_key
from engine.runtime.operators.base import Record, only_child
from engine.runtime.operators.stream_join import stream_join


def get_executor(node, ctx, children):
    params = node.params
    fn = compile_expression(params["expr"], JOIN_NAMES).fn
    mode = params.get("mode", "inner")
    left_mode = mode == "left"
    child = only_child(children)
    window = params.get("window")
    if window in (None, ""):
        return _table_join(node.id, ctx, fn, left_mode, child)
    grace = parse_duration(params["grace"]) if params.get("grace") is not None else 0
    size = parse_duration(window)
    before = parse_duration(params["before"]) if params.get("before") is not None else size
    after = parse_duration(params["after"]) if params.get("after") is not None else size
    return stream_join(node.id, ctx, fn, mode, before, after, grace, child)


def _table_join(node_id, ctx, fn, left_mode, child):
    metrics = ctx.metrics[node_id]
    store_of = ctx.store

    def left(record: Record) -> None:
        metrics.in_ += 1
        key = record.key
        if record.value is None:
            return  # a stream record without a value joins nothing, as in Kafka Streams
        try:
            right = (
                None
                if key is None
                else store_of(node_id, record.partition).get("t:" + state_key(key))
            )
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
