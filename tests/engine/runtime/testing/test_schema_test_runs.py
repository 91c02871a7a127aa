"""Test runs and traces of topologies with schema formats need no registry (reference §13, §14):
records are given decoded, and sinks' schemas are checked in-process, so a value a schema
refuses is reported there as on a cluster."""

import pytest

from engine.model.topology import Edge, Node, Topology
from engine.runtime.testing.testcases import parse_cases, run_case
from engine.runtime.testing.trace import InputRecord, run_trace

AVRO = """{"type": "record", "name": "Big", "fields": [
  {"name": "id", "type": "string"}, {"name": "amount", "type": "double"}]}"""
PROTO = 'syntax = "proto3"; message Big { string id = 1; double amount = 2; }'
JSON_SCHEMA = """{"type": "object", "properties": {"id": {"type": "string"},
  "amount": {"type": "number"}}, "required": ["id", "amount"]}"""


def topology(fmt, schema):
    t = Topology("app")
    t.add_node(Node("orders", "kafka_source", {"topic": "orders", "value_format": fmt}))
    t.add_node(Node("big", "filter", {"expr": "value['amount'] > 10"}))
    t.add_node(
        Node("out", "kafka_sink", {"topic": "big", "value_format": fmt, "value_schema": schema})
    )
    t.add_edge(Edge("orders", "big"))
    t.add_edge(Edge("big", "out"))
    return t


@pytest.mark.parametrize(
    ("fmt", "schema"), [("avro", AVRO), ("protobuf", PROTO), ("json_schema", JSON_SCHEMA)]
)
def test_a_trace_checks_sink_schemas_in_process(fmt, schema):
    refused = {
        "avro": {"id": "c", "amount": "lots"},
        "protobuf": {"id": "c", "amount": 30, "extra": "not in the schema"},
        "json_schema": {"amount": 30},
    }[fmt]
    records = [
        InputRecord({"id": "a", "amount": 20}, key="k1"),
        InputRecord({"id": "b", "amount": 5}),
        InputRecord(refused),
    ]
    t = topology(fmt, schema)
    t.set_param("big", "expr", "value['amount'] != 5")
    trace = run_trace(t, {"orders": records})
    assert trace.outputs()["out"] == [{"key": "k1", "value": {"id": "a", "amount": 20}}]
    failed = [r for r in trace.records if r.error]
    assert len(failed) == 1 and failed[0].node == "out"
    assert (
        failed[0].error
        == "SerdeError: "
        + {
            "avro": "field 'amount': expected double, got 'lots'",
            "protobuf": "field 'extra': is not a field of Big",
            "json_schema": "field 'id': missing, and the schema requires it",
        }[fmt]
    )


def test_avro_refusal_names_the_field_in_a_test_case():
    (case,) = parse_cases(
        {
            "cases": [
                {
                    "name": "big orders",
                    "inputs": {
                        "orders": [
                            {"value": {"id": "a", "amount": 20}},
                            {"value": {"id": "b", "amount": "lots"}},
                        ]
                    },
                    "expect": {"out": [{"key": None, "value": {"id": "a", "amount": 20}}]},
                    "expect_dead_letters": 1,
                }
            ]
        }
    )
    t = topology("avro", AVRO)
    t.set_param("big", "expr", "True")
    result = run_case(t, case)
    assert result.passed, result.diffs
    (failed,) = [r for r in result.trace.records if r.error]
    assert failed.error == "SerdeError: field 'amount': expected double, got 'lots'"
