"""Validation of the schema formats (reference §7.6): sinks' schemas parsed with each format's own
library, files beside the topology file, settings.schema_registry, a registry to use."""

import json

import pytest

from engine.model import fileformat
from engine.model.schemas import SchemaTextError, compile_proto, parse_ref
from engine.model.topology import Edge, Node, Topology
from engine.model.validation import errors, registry_problems, validate

AVRO = '{"type": "record", "name": "Order", "fields": [{"name": "id", "type": "string"}]}'


def sink_topology(fmt, schema=None, settings=None):
    t = Topology("app", settings or {})
    t.add_node(Node("src", "kafka_source", {"topic": "in", "value_format": fmt}))
    params = {"topic": "out", "value_format": fmt}
    if schema is not None:
        params["value_schema"] = schema
    t.add_node(Node("sink", "kafka_sink", params))
    t.add_edge(Edge("src", "sink"))
    return t


def messages(t):
    return [str(p) for p in validate(t)]


@pytest.mark.parametrize(
    ("fmt", "schema", "expected"),
    [
        ("avro", AVRO, []),
        (
            "avro",
            '{"type": "record", "name": "A", "fields": [{"name": "x", "type": "strin"}]}',
            ["sink: value_schema: not a valid Avro schema: unknown type 'strin'"],
        ),
        ("avro", "{not json", ["sink: value_schema: not a valid Avro schema: not JSON"]),
        ("json_schema", '{"type": "object"}', []),
        (
            "json_schema",
            '{"type": "objec"}',
            ["sink: value_schema: not a valid JSON Schema: 'objec' is not valid"],
        ),
        ("protobuf", 'syntax = "proto3"; message A { string x = 1; }', []),
        (
            "protobuf",
            'syntax = "proto3"; message A { strin x = 1; }',
            [
                'sink: value_schema: not a valid Protobuf schema: schema.proto:1:32: "strin" is not defined.'
            ],
        ),
        (
            "protobuf",
            'syntax = "proto3";',
            ["sink: value_schema: not a valid Protobuf schema: it defines no message"],
        ),
        ("avro", "subject:orders-value", []),
        ("avro", "subject:orders-value:3", []),
        (
            "avro",
            None,
            [
                "sink: value_format avro needs a value_schema: the schema text, a file beside the topology, or subject:<name> for one already registered"
            ],
        ),
    ],
)
def test_sink_schemas(fmt, schema, expected):
    found = messages(sink_topology(fmt, schema))
    assert len(found) == len(expected), found
    for got, want in zip(found, expected, strict=True):
        assert got.startswith(want)


def test_a_schema_on_a_format_without_one_is_a_warning():
    t = sink_topology("json", AVRO)
    (problem,) = validate(t)
    assert not problem.is_error
    assert "value_schema has no effect: value_format is json" in problem.message


def test_schema_files_are_relative_to_the_topology_file(tmp_path):
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "order.avsc").write_text(AVRO)
    path = tmp_path / "app.topology.json"
    fileformat.write(sink_topology("avro", "schemas/order.avsc"), path)
    topology, problems = fileformat.read(path)
    assert problems == [] and validate(topology) == []
    assert topology.copy().folder == str(tmp_path)
    (tmp_path / "schemas" / "order.avsc").write_text(AVRO.replace('"string"', '"nope"'))
    assert [str(p) for p in errors(validate(topology))] == [
        "sink: value_schema: not a valid Avro schema: unknown type 'nope'"
    ]
    (tmp_path / "schemas" / "order.avsc").unlink()
    (problem,) = errors(validate(topology))
    assert "there is no schema file schemas/order.avsc" in problem.message


def test_hostile_schemas_are_refused_quickly():
    huge = json.dumps({"type": "record", "name": "A", "fields": [], "doc": "x" * 2_000_000})
    assert "at most 1,000,000 are read" in messages(sink_topology("avro", huge))[0]
    deep = 'syntax = "proto3"; ' + "message M { " * 80 + "}" * 80
    with pytest.raises(SchemaTextError, match="nested"):
        compile_proto(deep)
    nested = "[" * 100_000 + "]" * 100_000
    assert "value_schema" in messages(sink_topology("json_schema", nested))[0]
    symbols = json.dumps(
        {"type": "enum", "name": "E", "symbols": [f"S{i}" for i in range(100_000)]}
    )
    assert messages(sink_topology("avro", symbols)) == []  # large, but a schema; parsed once


def test_parse_ref():
    assert parse_ref("subject:orders-value").subject == "orders-value"
    assert parse_ref("subject:orders-value:4").version == 4
    assert parse_ref("subject:orders-value:latest").version is None
    assert parse_ref("order.proto").kind == "file"
    assert parse_ref(AVRO).kind == "text"
    with pytest.raises(SchemaTextError):
        parse_ref("subject:")


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ({"url": "http://sr:8081"}, None),
        ({"url": "http://sr:8081", "basic_auth_user_info": "${KEY}:${SECRET}"}, None),
        ({"url": "sr:8081"}, "url must start with http:// or https://"),
        ({"url": "http://sr", "token": "x"}, "has unknown keys token"),
        ({"url": "http://sr", "auto_register": "yes"}, "auto_register must be true or false"),
        ({"url": "https://sr", "ca_location": "certs/ca.pem"}, None),
        ({"url": "https://sr", "ca_location": ""}, "ca_location must be the path of a CA"),
        ("http://sr", "must be an object"),
    ],
)
def test_settings_schema_registry(setting, message):
    found = messages(Topology("app", {"schema_registry": setting}))
    if message is None:
        assert found == []
    else:
        assert len(found) == 1 and message in found[0]


def test_a_schema_format_needs_a_registry_to_run():
    t = sink_topology("avro", AVRO)
    assert [str(p) for p in registry_problems(t, None)] == [
        "src: value_format avro needs a schema registry: set settings.schema_registry.url, "
        "pass --schema-registry URL, or set SCHEMA_REGISTRY_URL",
        "sink: value_format avro needs a schema registry: set settings.schema_registry.url, "
        "pass --schema-registry URL, or set SCHEMA_REGISTRY_URL",
    ]
    assert registry_problems(t, "http://sr:8081") == []
    assert registry_problems(sink_topology("json"), None) == []


def test_json_schema_patterns_that_backtrack_exponentially_are_refused():
    bad = json.dumps(
        {"type": "object", "properties": {"s": {"type": "string", "pattern": "^(a+)+$"}}}
    )
    (message,) = messages(sink_topology("json_schema", bad))
    assert "pattern '^(a+)+$' repeats a repeated part" in message
    fine = json.dumps({"type": "string", "pattern": "^([a-z]+\\.)+[a-z]+$"})
    assert messages(sink_topology("json_schema", fine)) == []


def test_a_schema_param_applies_where_a_format_takes_a_schema_or_it_holds_one():
    from engine.model.catalogue import NODE_TYPES

    sink = NODE_TYPES["kafka_sink"]
    specs = {p.name: p for p in sink.params}

    def applies(name, params):
        return specs[name].applies(params, sink.params)

    assert not applies("value_schema", {})  # value_format's default is json
    assert applies("value_schema", {"value_format": "protobuf"})
    assert not applies("key_schema", {"value_format": "avro"})
    assert applies("subject_strategy", {"key_format": "json_schema"})
    assert applies("value_schema", {"value_format": "json", "value_schema": "subject:x"})
    assert applies("topic", {})  # no condition: always
    # Every condition names a param of the same node type.
    for node_type in NODE_TYPES.values():
        names = {p.name for p in node_type.params}
        for param in node_type.params:
            assert all(other in names for other, _ in param.applies_when), param.name
