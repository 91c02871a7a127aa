"""Expressions without their guards on short JSON records (engine.model.small_records):
which expressions have such a version, that it returns or raises exactly what the guarded
one does, and that no guard can fire on a record as long as the limit, however its text
is made to grow."""

from __future__ import annotations

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.model import guards
from engine.model.expressions import compile_expression, small_together
from engine.model.small_records import DEEP_LIMIT, MAX_LIMIT

BOUNDED = [
    "value['customer'].upper()",
    "value['region'].split('-')[0]",
    "f\"{value['customer']}/{value['currency']}\"",
    "value['amount'] * 2",
    "value.get('name', '').strip().lower()",
    "value['a'] + '-' + value['b']",
    "value['s'][1:3]",
    "{**value, 'seen': True}",
    "value['a'] == value['b']",
    "value['l'] * 64",
    "f\"{value['a']!r:>1000}{value['b']:,.1000f}\"",
    "f'{value!r}' + f'{value!r}'",
    "value['a'].casefold().upper().title()",
    "value['a'].partition(':')[2].rsplit(',', 1)",
]
UNBOUNDED = [
    "key.upper()",  # the key is not in the JSON text of the value
    "value['a'] * value['b']",  # repeated by the record: no bound but the guard's
    "value['t'] * 65",
    "(value['a'] + value['b']) * 2",
    "str(value)",  # charges the budget itself
    "[x.upper() for x in value['l']]",  # a loop multiplies what each turn builds
    "'x'.join(value['l'])",
    "value['a'].replace('a', value['b'])",
    "value['a'].upper() * 2",
    "headers['h'].upper()",
    "value['f'] % value['x']",
]


@pytest.mark.parametrize("source", BOUNDED)
def test_operations_on_the_records_own_fields_are_bounded_by_its_length(source):
    expression = compile_expression(source)
    assert expression.budgeted
    assert 256 <= expression.small_limit <= MAX_LIMIT
    assert expression.small_fn is not None


@pytest.mark.parametrize("source", UNBOUNDED)
def test_what_the_record_does_not_bound_keeps_its_guards(source):
    expression = compile_expression(source)
    assert expression.budgeted
    assert expression.small_limit == 0 and expression.small_fn is None


def test_an_expression_with_nothing_to_guard_needs_no_second_version():
    expression = compile_expression("value['region'].startswith('eu') and value['n'] > 50")
    assert not expression.budgeted and expression.small_fn is None


def _outcome(fn, value):
    guards._used[0] = 0
    try:
        return "value", fn("k", value, 0, {})
    except Exception as exc:  # noqa: BLE001 - compared, type and message
        return type(exc).__name__, str(exc)


TEXT = st.text(
    st.sampled_from(
        ["a", "Z", "ß", "ΐ", "ŉ", "'", '"', "\\", "\x01", "\U000e0001", "😀", ",", ":", "-"]
    )
)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.sampled_from([1e15, -1e308, 1.5, 0.1, 9e15])
    | TEXT
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=12,
)
FIELDS = st.fixed_dictionaries(
    {},
    optional={
        k: JSON for k in ("customer", "region", "currency", "amount", "name", "a", "b", "s", "l")
    },
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=FIELDS)
def test_without_its_guards_an_expression_returns_or_raises_the_same(value):
    value = orjson.loads(orjson.dumps(value))  # as a source reads it
    for source in BOUNDED:
        expression = compile_expression(source)
        if len(orjson.dumps(value)) > expression.small_limit:
            continue  # such a record pays for its guards
        guarded = _outcome(expression.fn, value)
        assert guarded[0] not in ("ExpressionLimitError", "BudgetExceededError"), (source, guarded)
        assert _outcome(expression.small_fn, value) == guarded, source


def _longest(text: str, limit: int, room: int = 64) -> str:
    """``text`` repeated to as long as JSON text of ``limit`` bytes holds, with room."""
    each = len(orjson.dumps(text)) - 2
    return text * ((limit - room) // each)


@pytest.mark.parametrize("source", BOUNDED)
@pytest.mark.parametrize("grows", ["ΐ", "\U000e0001", "ŉ", "'", "\x01"])
def test_no_guard_fires_on_a_record_as_long_as_the_limit(source, grows):
    """The characters that grow most: three upper-case characters from one (ΐ, ŉ), ten
    from four bytes in a repr (an unassigned character), an escape in both the JSON and
    the repr (\\x01), a quote. Each field alone as long as the record can be."""
    expression = compile_expression(source)
    limit = expression.small_limit
    for field in ("customer", "region", "currency", "name", "a", "b", "s"):
        value = {field: _longest(grows + "-:,", limit)}
        assert len(orjson.dumps(value)) <= limit
        guarded = _outcome(expression.fn, value)
        assert guarded[0] not in ("ExpressionLimitError", "BudgetExceededError"), (source, field)
    numbers = {"b": 1e308, "amount": 2**63 - 1, "l": [1e15] * ((min(limit, 1024) - 16) // 17)}
    assert _outcome(expression.fn, numbers)[0] not in (
        "ExpressionLimitError",
        "BudgetExceededError",
    )


def test_fields_together_take_the_least_limit_and_need_every_guarded_one_bounded():
    bounded = [compile_expression(s) for s in BOUNDED[:4]] + [compile_expression("value['n'] > 1")]
    together, limit = small_together(bounded)
    assert limit == min(e.small_limit for e in bounded if e.budgeted)
    value = {"customer": "c", "region": "eu-west", "currency": "EUR", "amount": 2, "n": 3}
    assert together("k", value, 0, {}) == tuple(e.fn("k", value, 0, {}) for e in bounded)
    assert small_together([*bounded, compile_expression("str(value)")]) is None
    assert small_together([compile_expression("value['n'] > 1")]) is None


@pytest.mark.parametrize(
    "source", [s for s in BOUNDED if compile_expression(s).small_limit <= DEEP_LIMIT]
)
def test_a_value_nested_as_deep_as_the_limit_allows_gives_the_same(source):
    """Guards walk structures in Python frames and would fail deep down ("nested too
    deeply") where the operation alone would not: a guard that may walk one keeps the limit
    to what nests far from the recursion limit."""
    expression = compile_expression(source)
    deep: list = []
    for _ in range(DEEP_LIMIT // 2 - 8):
        deep = [deep]
    for field in ("a", "b", "s", "customer", "amount", "l"):
        value = {field: deep}
        assert len(orjson.dumps(value)) <= expression.small_limit
        assert _outcome(expression.small_fn, value) == _outcome(expression.fn, value), source
