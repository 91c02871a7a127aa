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
        "{k: value[k] for k in _ts_loop(['id', 'name'])}"
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
