"""table_source: a topic read as a table, the latest value per key (Kafka Streams'
``builder.table``). Records are decoded as ``kafka_source`` decodes them, then kept and
handed on by ``table.materialize`` (its docstring has the store's layout)."""

from engine.runtime.operators import kafka_source
from engine.runtime.operators.base import only_child
from engine.runtime.operators.table import materialize


def get_executor(node, ctx, children):
    table = materialize(node.id, ctx, only_child(children), count_in=False)
    return kafka_source.get_executor(node, ctx, {"out": [table]})
