"""generator_source: reads back the synthetic events its generator writes to the topic.

The writing side lives in engine/generator.py and is started by the runtime; this
operator decodes what comes back exactly as a kafka_source with its value_format (JSON, or
a schema format: the generator wrote it with the node's value_schema) would.
"""

from engine.model.topology import Node
from engine.runtime.operators import kafka_source


def get_executor(node, ctx, children):
    as_source = Node(
        node.id,
        "kafka_source",
        {
            "topic": node.params["topic"],
            "key_format": "string",
            "value_format": node.params.get("value_format", "json"),
        },
    )
    return kafka_source.get_executor(as_source, ctx, children)
