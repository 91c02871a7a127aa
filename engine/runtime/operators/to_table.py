"""to_table: a stream read as a table, the latest value per key (Kafka Streams'
``KStream.toTable``); ``table.materialize`` keeps it (its docstring has the store's layout)."""

from engine.runtime.operators.base import only_child
from engine.runtime.operators.table import materialize


def get_executor(node, ctx, children):
    return materialize(node.id, ctx, only_child(children))
