"""Export and import carry the schema formats (reference §7.6): formats, sinks' schemas (text,
files, subjects), the subject strategy and settings.schema_registry round-trip, and the
builder writes them."""

from engine.code.builder import StreamsBuilder
from engine.code.export import export_script
from engine.code.importer import import_script
from engine.model.topology import Edge, Node, Topology

AVRO = '{"type": "record", "name": "Order", "fields": [{"name": "id", "type": "string"}]}'
PROTO = 'syntax = "proto3";\npackage shop;\n\nmessage Key {\n  string id = 1;\n}\n'


def schema_topology() -> Topology:
    t = Topology(
        "shop",
        {
            "schema_registry": {
                "url": "https://${SR_HOST}",
                "basic_auth_user_info": "${SR_KEY}:${SR_SECRET}",
                "auto_register": False,
            }
        },
    )
    t.add_node(
        Node(
            "orders",
            "kafka_source",
            {"topic": "orders", "key_format": "protobuf", "value_format": "avro"},
        )
    )
    t.add_node(
        Node(
            "out",
            "kafka_sink",
            {
                "topic": "big",
                "key_format": "protobuf",
                "key_schema": PROTO,
                "value_format": "avro",
                "value_schema": AVRO,
                "subject_strategy": "topic_record",
            },
        )
    )
    t.add_node(
        Node(
            "audit",
            "kafka_sink",
            {
                "topic": "audit",
                "value_format": "json_schema",
                "value_schema": "subject:audit-value:2",
            },
        )
    )
    t.add_edge(Edge("orders", "out"))
    t.add_edge(Edge("orders", "audit"))
    return t


def test_schema_formats_round_trip_through_a_script():
    topology = schema_topology()
    script = export_script(topology)
    assert 'subject_strategy="topic_record"' in script
    assert 'value_schema="subject:audit-value:2"' in script
    back = import_script(script)
    assert back.equivalent(topology)
    assert back.settings == topology.settings
    for node_id in topology.nodes:
        assert back.nodes[node_id].params == topology.nodes[node_id].params


def test_the_builder_writes_schema_params():
    builder = StreamsBuilder("shop", schema_registry={"url": "http://sr:8081"})
    builder.stream("orders", name="orders", value_format="avro").to(
        "big",
        name="out",
        value_format="avro",
        value_schema=AVRO,
        subject_strategy="record",
    )
    topology = builder.build()
    assert topology.nodes["out"].params == {
        "topic": "big",
        "value_format": "avro",
        "value_schema": AVRO,
        "subject_strategy": "record",
    }
