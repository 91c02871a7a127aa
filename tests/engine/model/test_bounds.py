"""The bounds analysis (engine.model.bounds): what it proves bounded is bounded, ordinary
expressions are proven small (so sinks encode without walking values), and the hostile
forms stay refused or guarded."""

from __future__ import annotations

import pytest

from engine.model import guards
from engine.model.bounds import INPUT_STEPS, SAFE_STEPS, expression_bound, value_bounds
from engine.model.expressions import (
    RECORD_NAMES,
    BudgetExceededError,
    ExpressionLimitError,
    compile_expression,
)
from engine.model.guards import MAX_STEPS, size_of
from engine.model.topology import Edge, Node, Topology
from engine.runtime.local import LocalRun
from engine.runtime.serde import OutputTooLargeError

ORDINARY = [
    "value['amount'] * 2",
    "2 * value['amount']",
    "value['amount'] >= 0",
    "value['amount'] * value['rate']",
    "value['amount'] * 1.2 + value['fee'] - 3",
    "round(value['amount'] * 0.8, 2)",
    "value['amount'] / 3 + value['qty'] // 2 + value['qty'] % 7 + 2 ** 10",
    "abs(-value['amount']) + len(value['items'])",
    "value['name'].upper()",
    "value['name'].strip().lower().title()",
    "value['region'].split('-')[0]",
    "value['region'].startswith('eu') and value['amount'] > 50",
    "f\"{value['name']}/{value['region']}\"",
    "value['name'] * 3",
    "[value['name']] * 3",
    "{k: value[k] for k in ['name', 'region', 'amount']}",
    "[value[k] * 2 for k in ('amount', 'qty')]",
    "[t.upper() for t in ('eu', 'us') if value['region'].startswith(t)]",
    "{'id': value['id'], 'tags': [value['region'], value['name']]}",
    "value.get('missing', value['name'])",
    "str(value['amount'])",
    "int(value['qty']) + float(value['amount'])",
    "sum([value['amount'], value['fee']])",
    "max(value['amount'], value['fee'])",
    "value['name'] if value['amount'] > 10 else value['region']",
    "sorted(value['items'])",
    "list(value['name'])",
    "'-'.join([value['name'], value['region']])",
]

HOSTILE = [
    "value['s'] * value['n']",
    "[[value['s']] * 1000] * 1000",
    "[value, value, value]",
    "[[value, value], [value, value]]",
    "{k: value for k in ['a', 'b', 'c', 'd']}",
    "[value for x in value['items']]",
    "[x for x in value['items'] for y in value['items']]",
    "value['fmt'] % value",
    "f'{value}{value}'",
    "(value['s'] + value['s']).replace('x', 'yy')",
    "'%s-%s' % (value['name'], value['region'])",
]


def _record() -> dict:
    return {
        "id": 7,
        "amount": 12.5,
        "rate": 3,
        "fee": 0.25,
        "qty": 4,
        "name": "straße-ﬃ " * 20,
        "region": "eu-west",
        "items": [{"sku": f"s{i}", "qty": i} for i in range(20)],
        "s": "x" * 300,
        "n": 3,
        "fmt": "%(name)s%(name)s%(name)s",
    }


@pytest.mark.parametrize("text", ORDINARY + HOSTILE)
def test_what_an_expression_returns_is_within_its_bound(text):
    value = _record()
    inputs = max(size_of(value), size_of("key"), 1)
    fn = compile_expression(text).fn
    try:
        result = fn("key", value, 0, {})
    except (ExpressionLimitError, TypeError):
        return  # refused: nothing was built
    bound = expression_bound(text, RECORD_NAMES, inputs)
    if bound is not None:
        assert size_of(result, 1 << 62) <= bound


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_expressions_are_proven_small(text):
    bound = expression_bound(text, RECORD_NAMES, INPUT_STEPS)
    # small enough that a node adding it to its input is encoded without measuring
    assert bound is not None and bound <= SAFE_STEPS - INPUT_STEPS, (text, bound)


def test_a_number_times_a_constant_and_comparisons_cost_what_they_hold():
    assert expression_bound("value['amount'] >= 0", RECORD_NAMES, INPUT_STEPS) == 1
    assert expression_bound("value['amount'] * 1.5", RECORD_NAMES, INPUT_STEPS) == 1
    assert expression_bound("round(value['amount'] * 0.8, 2)", RECORD_NAMES, INPUT_STEPS) <= 10
    assert expression_bound("value['amount'] * 2", RECORD_NAMES, 100) == 2 * 100 + 1


def test_aliasing_is_counted_once_per_reference():
    one = expression_bound("value", RECORD_NAMES, 1000)
    assert expression_bound("[value, value, value]", RECORD_NAMES, 1000) == 3 * one + 1
    eight = "[value, value, value, value, value, value, value, value]"
    assert expression_bound(f"[{eight}, {eight}]", RECORD_NAMES, 1000) == 16 * one + 3
    comp = "{k: value for k in ['a', 'b', 'c', 'd']}"
    assert expression_bound(comp, RECORD_NAMES, 1000) >= 4 * one


def test_repetition_is_bounded_by_the_guard_that_charges_it():
    for text in ("value['s'] * value['n']", "[[value['s']] * 1000] * 1000", "[value] * 5"):
        assert expression_bound(text, RECORD_NAMES, INPUT_STEPS) == MAX_STEPS + 1


def test_a_format_read_from_the_record_is_not_bounded():
    assert expression_bound("value['fmt'] % value", RECORD_NAMES, INPUT_STEPS) is None


def _pipeline(*transforms: tuple[str, dict]) -> Topology:
    topology = Topology("bounds")
    topology.add_node(Node("src", "kafka_source", {"topic": "in"}))
    previous = "src"
    for i, (type_name, params) in enumerate(transforms):
        topology.add_node(Node(f"t{i}", type_name, params))
        topology.add_edge(Edge(previous, f"t{i}"))
        previous = f"t{i}"
    topology.add_node(Node("out", "kafka_sink", {"topic": "out"}))
    topology.add_edge(Edge(previous, "out"))
    return topology


ORDINARY_JOB = _pipeline(
    ("filter", {"expr": "value['amount'] >= 0"}),
    ("set_fields", {"fields": {"amount2": "value['amount'] * 2"}}),
    ("map", {"expr": "{k: value[k] for k in ['id', 'amount', 'amount2', 'name']}"}),
    (
        "set_fields",
        {
            "fields": {
                "label": "f\"{value['name']}/{value['id']}\"",
                "zone": "value['name'].split('-')[0].upper()",
                "net": "round(value['amount'] * 0.8, 2)",
            }
        },
    ),
)


def test_an_ordinary_topology_is_encoded_without_walking_its_values(monkeypatch):
    assert value_bounds(ORDINARY_JOB)["out"] <= SAFE_STEPS
    walked = []
    real = guards.size_of
    monkeypatch.setattr(guards, "size_of", lambda v, *a: walked.append(1) or real(v, *a))
    run = LocalRun(ORDINARY_JOB)
    for i in range(50):
        run.send("in", {"id": i, "amount": i + 0.5, "name": f"eu-{i}"})
    assert len(run.values("out")) == 50 and not run.dead_letters
    assert walked == [], "the sink measured values the analysis proves small"
    assert run.values("out")[3] == {
        "id": 3,
        "amount": 3.5,
        "amount2": 7.0,
        "name": "eu-3",
        "label": "eu-3/3",
        "zone": "EU",
        "net": 2.8,
    }


def test_a_triple_alias_chain_is_still_measured_and_refused_before_encoding(monkeypatch):
    chain = _pipeline(*[("map", {"expr": "[value, value, value]"})] * 14)  # 3 ** 14 each
    assert value_bounds(chain)["out"] > SAFE_STEPS
    from engine.runtime import serde

    encoded = []
    real = serde._orjson_dumps
    monkeypatch.setattr(serde, "_orjson_dumps", lambda v, **kw: encoded.append(1) or real(v, **kw))
    run = LocalRun(chain)
    run.send_raw("in", None, b"[" + b",".join([b"0"] * 100) + b"]")
    [dead] = run.dead_letters
    assert (dead.node_id, type(dead.error)) == ("out", OutputTooLargeError)
    assert encoded == []
    run.dead_letters.clear()


def test_the_guard_still_fires_at_run_time_for_an_unbounded_expression():
    topology = _pipeline(("map", {"expr": "[value for x in value for y in value]"}))
    assert value_bounds(topology)["out"] > SAFE_STEPS
    run = LocalRun(topology)
    run.send("in", list(range(2000)))  # 4,000,000 references to a list of 2,000
    run.send("in", [1, 2])
    assert run.values("out") == [[[1, 2]] * 4]
    [dead] = run.dead_letters
    assert dead.node_id == "t0" and isinstance(dead.error, BudgetExceededError)


def test_a_repetition_by_a_record_field_is_still_refused_at_run_time():
    run = LocalRun(_pipeline(("map", {"expr": "value['s'] * value['n']"})))
    run.send("in", {"s": "x" * 1000, "n": 10**6})
    run.send("in", {"s": "ab", "n": 2})
    assert run.values("out") == ["abab"]
    [dead] = run.dead_letters
    assert dead.node_id == "t0" and isinstance(dead.error, ExpressionLimitError)


def test_a_reduce_is_measured_before_encoding_whatever_its_expression():
    # One record's expression is small, but a reduce keeps folding records into its result:
    # "agg + value['s']" grows with every record, so the aggregate and what follows it are
    # never taken as bounded.
    topology = _pipeline(
        (
            "aggregate",
            {
                "group_by": "key",
                "aggregations": [{"name": "all", "fn": "reduce", "expr": "agg + value['s']"}],
            },
        ),
    )
    bounds = value_bounds(topology)
    assert bounds["t0"] > SAFE_STEPS and bounds["out"] > SAFE_STEPS
    counted = _pipeline(
        ("aggregate", {"group_by": "key", "aggregations": [{"name": "n", "fn": "count"}]}),
    )
    assert value_bounds(counted)["t0"] <= SAFE_STEPS
