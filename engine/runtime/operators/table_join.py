"""table_join: two tables joined on their key (Kafka Streams' KTable-KTable join).

``get_executor`` returns one executor per input port, ``{"left": ..., "right": ...}``. Each
input is a table's changes (``table_source``, ``to_table``, another ``table_join`` or a
``table_aggregate``): a record is its key's new value, a None value its deletion. The node
keeps both sides' latest values and emits on a change of either side, as Kafka Streams'
KTableKTableInnerJoin, KTableKTableLeftJoin (with KTableKTableRightJoin for the right side)
and KTableKTableOuterJoin do:

- the other side has the key: the output is ``expr(key, left, right)`` with the changed
  side's new value, at the later of the two rows' timestamps. A deletion gives a tombstone
  (a None value), unless the mode keeps the other side alone (``left`` for a right-side
  deletion, ``outer`` for either): then ``expr`` with the deleted side None;
- the other side lacks it: ``inner`` emits nothing, nor does ``left`` for a right-side
  change; otherwise ``expr`` with the other side None, at the record's timestamp, and a
  deletion of a row that was there gives a tombstone (one that was not there, nothing).

A record without a key is dropped and counted with the late records.

State, per partition in ``ctx.store(node_id, partition)`` (changelogged):

    l:<key json>   {"v": the left side's latest value, "t": its timestamp}
    r:<key json>   the same for the right side
"""

from __future__ import annotations

from engine.model.expressions import JOIN_NAMES, compile_expression
from engine.runtime.operators.aggregations import state_key
from engine.runtime.operators.base import Record, only_child


def get_executor(node, ctx, children):
    fn = compile_expression(node.params["expr"], JOIN_NAMES).fn
    mode = node.params.get("mode", "inner")
    child = only_child(children)
    metrics = ctx.metrics[node.id]
    store_of = ctx.store
    node_id = node.id

    def side(is_left: bool):
        own, other = ("l:", "r:") if is_left else ("r:", "l:")
        alone_kept = mode == "outer" or (mode == "left" and is_left)  # this side without the other
        other_alone_kept = mode == "outer" or (mode == "left" and not is_left)

        def process(record: Record) -> None:
            metrics.in_ += 1
            key, new = record.key, record.value
            if key is None:
                metrics.late += 1
                return
            try:
                skey = state_key(key)
                store = store_of(node_id, record.partition)
                old = store.get(own + skey)
                if new is None:
                    if old is not None:
                        store.delete(own + skey)
                else:
                    store.put(own + skey, {"v": new, "t": record.timestamp})
                found = store.get(other + skey)
                if found is None:
                    if not alone_kept or (new is None and old is None):
                        return
                    timestamp = record.timestamp
                    value = None if new is None else _join(fn, key, new, None, is_left)
                else:
                    timestamp = max(record.timestamp, found["t"])
                    if new is None and not other_alone_kept:
                        value = None
                    else:
                        value = _join(fn, key, new, found["v"], is_left)
            except Exception as exc:  # noqa: BLE001
                metrics.errors += 1
                ctx.dead_letter(record, node_id, exc)
                return
            metrics.out += 1
            child(Record(key, value, timestamp, record.headers, record.partition, record.origin))

        return process

    return {"left": side(True), "right": side(False)}


def _join(fn, key, mine, theirs, is_left: bool):
    return fn(key, mine, theirs) if is_left else fn(key, theirs, mine)
