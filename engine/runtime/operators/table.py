"""What the table nodes share: a stream of changes read as a table (Kafka Streams' KTable).

``materialize(node_id, ctx, child)`` is the executor of ``table_source`` (after its decoding)
and ``to_table``: each record is the latest value of its key, kept in the node's store, and
is handed on as the table's change. A None value deletes the key and is handed on as a
tombstone (a None value), whether the key was there or not, as Kafka Streams' KTableSource
forwards it. A record without a key is dropped and counted with the late records (Kafka
Streams' dropped-records metric): a table has no row without a key.

State, per partition in ``ctx.store(node_id, partition)`` (changelogged):

    t:<key json>                  the key's latest value

``row_key(key)`` is the store key of a group key, for the other table operators.
"""

from __future__ import annotations

from engine.runtime.operators.aggregations import state_key
from engine.runtime.operators.base import Record


def row_key(key) -> str:
    """The store key of a table row (raises TypeError for keys that are not JSON)."""
    return "t:" + state_key(key)


def materialize(node_id: str, ctx, child, count_in: bool = True):
    """The executor that keeps the latest value per key and hands each change to ``child``.
    ``count_in``: whether records entering count as the node's input (a table_source has
    counted them when it decoded them)."""
    metrics = ctx.metrics[node_id]
    store_of = ctx.store

    def process(record: Record) -> None:
        if count_in:
            metrics.in_ += 1
        key = record.key
        if key is None:
            metrics.late += 1
            if not count_in:
                metrics.out -= 1  # the source counted it out: it is dropped here instead
            return
        try:
            skey = row_key(key)
        except Exception as exc:  # noqa: BLE001
            metrics.errors += 1
            if not count_in:
                metrics.out -= 1
            ctx.dead_letter(record, node_id, exc)
            return
        store = store_of(node_id, record.partition)
        if record.value is None:
            store.delete(skey)
        else:
            store.put(skey, record.value)
        if count_in:
            metrics.out += 1
        child(record)

    return process
