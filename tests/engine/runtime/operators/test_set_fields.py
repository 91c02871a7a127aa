"""set_fields computes its fields in one call (expressions.compile_together): each field
is still evaluated as on its own, with its own budget, in order, seeing the incoming value."""

from __future__ import annotations

import pytest

from engine.model import guards
from engine.model.expressions import (
    BudgetExceededError,
    ExpressionLimitError,
    compile_expression,
    compile_together,
)
from engine.model.topology import Edge, Node, Topology
from engine.runtime.local import LocalRun

SPENDS_640K = "len([a for a in value['s'] for b in value['s']])"  # 800 x 800 steps


def _set_fields(fields: dict) -> LocalRun:
    topology = Topology("fields")
    topology.add_node(Node("src", "kafka_source", {"topic": "in"}))
    topology.add_node(Node("set", "set_fields", {"fields": fields}))
    topology.add_node(Node("out", "kafka_sink", {"topic": "out"}))
    topology.add_edge(Edge("src", "set"))
    topology.add_edge(Edge("set", "out"))
    return LocalRun(topology)


def test_each_field_has_its_own_budget():
    run = _set_fields({"a": SPENDS_640K, "b": SPENDS_640K, "c": "value['s'].upper()[:3]"})
    run.send("in", {"s": "x" * 800})  # 1,280,000 steps in all: over one budget, not two
    assert run.values("out") == [{"s": "x" * 800, "a": 640_000, "b": 640_000, "c": "XXX"}]
    assert not run.dead_letters


def test_a_failing_field_dead_letters_the_record_as_it_came_and_the_next_goes_on():
    run = _set_fields(
        {"a": "value['n'] * 2", "b": "len([a for a in value['s'] for b in value['s']])"}
    )
    run.send("in", {"n": 1, "s": "x" * 2000})  # b: 4,000,000 steps
    run.send("in", {"n": 2, "s": "xy"})
    assert run.values("out") == [{"n": 2, "s": "xy", "a": 4, "b": 4}]
    [dead] = run.dead_letters
    assert dead.node_id == "set" and isinstance(dead.error, BudgetExceededError)
    assert dead.record.value == {"n": 1, "s": "x" * 2000}


def test_fields_see_the_incoming_value_not_each_other():
    run = _set_fields({"a": "1", "b": "value.get('a', 'none')", "s": "value['s'] + '!'"})
    run.send("in", {"s": "hi"})
    assert run.values("out") == [{"s": "hi!", "a": 1, "b": "none"}]


def test_expressions_together_return_what_each_returns_alone():
    sources = ["value['x'] + 1", "f\"{value['x']}-{key}\"", "sorted(value['l'])", "key"]
    expressions = [compile_expression(s) for s in sources]
    together = compile_together(expressions)
    args = ("k", {"x": 41, "l": [3, 1, 2]}, 0, {})
    assert together(*args) == tuple(e.fn(*args) for e in expressions)
    with pytest.raises(ValueError, match="same names"):
        compile_together([expressions[0], compile_expression("left", ("key", "left", "right"))])


def test_a_short_json_record_pays_no_guard_and_a_long_or_changed_one_still_does():
    """Fields bounded by the record (engine.model.small_records) are computed without their
    guards when the value is still the one read from JSON text that short; a longer record,
    or a value a node before changed, pays as before, and a guard still fires."""
    fields = {"u": "value['s'].upper()", "p": "value['s'].split('-')[0]", "f": "f\"{value['s']}!\""}
    run = _set_fields(fields)
    guards._used[0] = 12_345  # what the guards would reset
    run.send("in", {"s": "ab-c"})
    assert run.values("out") == [{"s": "ab-c", "u": "AB-C", "p": "ab", "f": "ab-c!"}]
    assert guards._used[0] == 12_345, "a short record must not reach the guards"
    run.send("in", {"s": "é" * 1_000_001})  # longer than the limit: upper() is refused
    [dead] = run.dead_letters
    assert isinstance(dead.error, ExpressionLimitError)
    assert "longer than 1,000,000 characters" in str(dead.error)

    changed = Topology("changed")  # a map before: the value is no longer the JSON text's
    changed.add_node(Node("src", "kafka_source", {"topic": "in"}))
    changed.add_node(Node("m", "map", {"expr": "{'s': value['s']}"}))
    changed.add_node(Node("set", "set_fields", {"fields": fields}))
    changed.add_node(Node("out", "kafka_sink", {"topic": "out"}))
    for a, b in (("src", "m"), ("m", "set"), ("set", "out")):
        changed.add_edge(Edge(a, b))
    after_map = LocalRun(changed)
    guards._used[0] = 12_345
    after_map.send("in", {"s": "ab-c"})
    assert after_map.values("out") == [{"s": "ab-c", "u": "AB-C", "p": "ab", "f": "ab-c!"}]
    assert guards._used[0] != 12_345, "a value a node changed must pay for its fields"
