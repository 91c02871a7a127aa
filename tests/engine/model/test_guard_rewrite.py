"""The rewrite pays for what an expression does, and no more where it cannot build much:
variables of comprehensions over literal scalars are hashed and formatted as constants,
pieces of split text are charged in one pass, exactly as before."""

from __future__ import annotations

import ast

import pytest

from engine.model import guards
from engine.model.expressions import BudgetExceededError, compile_expression
from engine.model.guard_rewrite import Guard, may_return_container


def _rewritten(text: str) -> str:
    return ast.unparse(Guard().visit(ast.parse(text, mode="eval")))


def test_a_variable_over_literal_scalars_is_used_as_a_constant():
    assert _rewritten("{k: value[k] for k in ['id', 'name']}") == (
        "{k: value[k] for k in ['id', 'name']}"
    )
    # inside another loop it pays per turn
    assert _rewritten("[{k: v for k in ['id', 'name']} for v in value]") == (
        "[{k: v for k in _ts_loop(['id', 'name'])} for v in _ts_loop(value)]"
    )
    assert "_ts_sized" not in _rewritten("[f'{t}' for t in ('eu', 'us') if t == value['r']]")


def test_a_name_that_may_hold_a_structure_keeps_its_guard():
    # the first iterable is evaluated outside: there ``key`` is the record's key
    assert "_ts_sized(key)" in _rewritten("[1 for v in value[key] for key in ('a',)]")
    # rebound to record data in an inner comprehension
    assert "_ts_sized(k)" in _rewritten("[[value[k] for k in value['ks']] for k in ('a', 'b')]")
    assert "_ts_sized(k)" in _rewritten("{k: 1 for k in value['keys']}")


def test_a_huge_tuple_key_from_the_record_is_still_charged():
    fn = compile_expression("[1 for v in value.get(key, []) for key in ('a',)]").fn
    key = ((((1,) * 100,) * 100,) * 100,) * 2  # 2,000,000 references
    with pytest.raises(BudgetExceededError):
        fn(key, {}, 0, {})


@pytest.mark.parametrize(
    "text, value",
    [
        ("value.split(',')", "ab," * 1000),
        ("value.rsplit('b', 3)", "ab," * 1000),
        ("value.partition(',')", "ab," * 10),
        ("value.splitlines()", "line\n" * 500),
        ("value.split(b',')", b"ab," * 1000),
    ],
)
def test_pieces_of_text_are_charged_as_any_built_value(text, value):
    fn = compile_expression(text).fn
    guards.reset()
    pieces = fn(None, value, 0, {})
    used = guards._used[0]
    guards.reset()
    guards._built(pieces)
    assert used >= guards._used[0] > 0


def test_splitting_a_long_text_in_a_loop_exhausts_the_budget():
    fn = compile_expression("[value.split(',') for i in [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]]").fn
    with pytest.raises(BudgetExceededError):
        fn(None, "a," * 150_000, 0, {})


@pytest.mark.parametrize(
    "text, container",
    [
        ("round(value['a'] * 0.8, 2)", False),
        ("value['r'].split('-')[0]", False),
        ("f\"{value['a']}/{value['b']}\"", False),
        ("value['r'].upper() if value['a'] > 1 else str(value['b'])", False),
        ("value['r'].startswith('eu') and value['a'] > 50", False),
        ("'%s' % (value['a'],)", False),
        ("value['a'] * 2", True),  # a list repeated
        ("value['a'] + value['b']", True),
        ("value['r'].split('-')", True),
        ("value['items'][0]", True),
        ("value.get('a')", True),
        ("value['a'] or []", True),
        ("sorted(value['a'])", True),
    ],
)
def test_only_a_result_that_may_be_a_container_pays_for_its_size(text, container):
    assert may_return_container(ast.parse(text, mode="eval").body) is container


def test_a_huge_structure_returned_is_still_charged():
    fn = compile_expression("value['a'] if value['c'] * 2 > 0 else 0").fn
    aliased = [[[0] * 100] * 100] * 200  # 2,000,000 references
    with pytest.raises(BudgetExceededError):
        fn(None, {"a": aliased, "c": 1}, 0, {})
    assert fn(None, {"a": [1, 2], "c": 1}, 0, {}) == [1, 2]


@pytest.mark.parametrize(
    "text",
    [
        "value['region'].startswith('eu') and value['amount'] > 50",
        "value['name'].find('x') >= 0 or value.get('a') == 1",
        "round(value['amount'] * 0.8, 2)",
        "value['amount'] * -2.5 + 1.0",
        "[t.upper() for t in ('eu', 'us') if value['region'].startswith(t)]",
        "{k: value[k] for k in ['id', 'customer', 'amount', 'region']}",
    ],
)
def test_what_cannot_build_or_loop_much_pays_nothing(text):
    """No reset, no result charged, no guard call: the plain expression, which costs what
    Python costs (issue: the guards on ordinary expressions)."""
    assert "_ts_" not in _compiled_source(text)
    assert compile_expression(text).budgeted is False


def _compiled_source(text: str) -> str:
    from engine.model.guard_rewrite import budgeted

    tree = ast.parse(text, mode="eval")
    guard = Guard()
    container = may_return_container(tree.body)
    body = budgeted(guard.visit(tree).body, guard, container)
    return ast.unparse(body)


@pytest.mark.parametrize(
    "text",
    [
        "value['amount'] * 2",  # a sequence repeated
        "value['a'] + value['b']",
        "value['s'].upper()",
        "[value for k in [" + ", ".join(map(str, range(65))) + "]]",  # longer than 64
        "[value for a in (1, 2) for b in (3, 4)]",  # two loops
        "[[v for k in ('a', 'b')] for v in value['xs']]",  # inside another loop
        "sorted(value['xs'])",
        "value.get(key)",  # the record's key may be a huge tuple
    ],
)
def test_what_can_build_or_loop_still_pays(text):
    assert "_ts_reset" in _compiled_source(text)


def test_a_float_constant_changes_nothing_but_the_cost():
    for text, value, want in [
        ("value['a'] * 0.5", {"a": 3}, 1.5),
        ("0.5 + value['a']", {"a": 1}, 1.5),
        ("value['a'] * -2.0", {"a": 2.5}, -5.0),
    ]:
        assert compile_expression(text).fn(None, value, 0, {}) == want
    with pytest.raises(TypeError):
        compile_expression("value['s'] * 2.5").fn(None, {"s": "ab"}, 0, {})
    with pytest.raises(TypeError):
        compile_expression("value['s'] + 2.5").fn(None, {"s": [1]}, 0, {})
    with pytest.raises(OverflowError):
        compile_expression("value['n'] * 0.5").fn(None, {"n": 1 << 4000}, 0, {})


def test_an_uncharged_literal_loop_still_charges_what_its_body_builds():
    fn = compile_expression("[value['s'] * 3 for k in (" + ", ".join("1" * 64) + ")]").fn
    with pytest.raises(BudgetExceededError):
        fn(None, {"s": "x" * 100_000}, 0, {})  # 64 x 300,000 characters
    assert len(fn(None, {"s": "x"}, 0, {})) == 64


def test_the_bounds_count_the_inputs_an_uncharged_loop_repeats():
    from engine.model.bounds import _bound
    from engine.model.expressions import RECORD_NAMES

    text = "[(value, value) for k in (" + ", ".join("1" * 64) + ")]"
    assert compile_expression(text).budgeted is False
    assert _bound(text, RECORD_NAMES, 1_000_000) >= 128 * 1_000_000
