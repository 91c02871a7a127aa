"""Hostile expressions: each is refused when the topology is checked, or bounded per record
(reference §15.2): it raises ExpressionLimitError (dead-lettered with its message) in well under a
second, never running for minutes or building gigabytes."""

from __future__ import annotations

import time

import pytest

from engine.model.expressions import (
    BudgetExceededError,
    ExpressionError,
    ExpressionLimitError,
    compile_expression,
)
from engine.model.guards import MAX_STEPS

LONG = "x" * 5000
NESTED_PAIRS = "[(z, z) for z in [1]]"
for _ in range(40):
    NESTED_PAIRS = f"[(y, y) for y in {NESTED_PAIRS}]"

# (expression, value) pairs that must be refused or stopped
CORPUS = [
    # loops: nested comprehensions over long text
    ("[a + b for a in value for b in value]", LONG),
    ("[[c for c in value] for a in value for b in value]", "x" * 300),
    ("[x for x in value for y in value for z in value]", list(range(200))),
    ("sum(1 for a in value for b in value for c in value)", "y" * 500),
    ("len([1 for a in value for b in value])", "y" * 2000),
    ("{a: b for a in value for b in value}", list(range(2000))),
    # round with a huge ndigits (10 ** ndigits would be computed)
    ("round(value, 10**8)", 5.0),
    ("round(value, -10**8)", 5.5),
    # str() of a small list of aliased big lists
    ("str([value * 1000] * 1000)", [0]),
    ("str([[value] * 1000] * 1000)", [0] * 1000),
    ("len(str(value))", [[[0] * 100] * 100] * 100),
    ("f'{value}'", [[[0] * 100] * 100] * 100),
    ("'%s' % (value,)", [[[0] * 100] * 100] * 100),
    # %-format amplification, also with the width behind a mapping key with nested parentheses
    ("'%(a(b)c)999999s' % value", {"a(b)c": 1}),
    ("value % {'a(b)c': 1}", "%(a(b)c)999999s"),
    ("value % {'k': 1}", "%(k)*s"),
    ("value % (1,)", "%.99999999f"),
    # comparing and sorting aliased lists
    ("value == [[[0] * 100] * 100] * 100", [[[0] * 100] * 100] * 100),
    ("value[0] == value[1]", [[[[0] * 100] * 100] * 100, [[[0] * 100] * 100] * 100]),
    ("sorted(value)", [[[0] * 100] * 100] * 100),
    ("max(value)", [[[0] * 100] * 100] * 100),
    ("value in [value]", [[[0] * 100] * 100] * 100),
    ("value.count(value[0])", [[[0] * 1000] * 1000] * 2),
    ("set(value)", [(0,) * 1000] * 1000),
    # hashing a tuple of aliased tuples built by nested loops (2**40 leaves)
    ("len({t: 1 for t in " + NESTED_PAIRS + "})", None),
    ("len({t for t in " + NESTED_PAIRS + "})", None),
    ("{'a': 1}.get(" + NESTED_PAIRS + "[0])", None),
    ("{(1,): 2}[" + NESTED_PAIRS + "[0]]", None),
    ("len({" + NESTED_PAIRS + "[0]: 1})", None),
    # quadratic codecs
    ("value.decode('punycode')", b"a" * 100_000 + b"-" + b"b" * 1000),
    ("value.decode('idna')", b"a" * 100_000),
    # building: repetition, joining, replacing of input-sized text
    ("value * 1000", "x" * 10_000),
    ("[value] * 1000", ["x" * 1000] * 1000),
    ("value.replace('', value)", "x" * 10_000),
    ("value.join(value)", "x" * 10_000),
    ("sum([[value]] * 1000, [])", [0] * 10_000),
    ("[value, value, value, value] * 10**6", 1),
    ("[value, value] * 400_000", [0, 0]),
]


@pytest.mark.parametrize(("source", "value"), CORPUS, ids=[c[0] for c in CORPUS])
def test_hostile_expression_is_refused_or_bounded(source, value):
    start = time.thread_time()
    try:
        expr = compile_expression(source)
    except ExpressionError as exc:
        assert exc.message  # refused when the topology is validated, with a sentence
        return
    with pytest.raises(ExpressionLimitError) as info:
        expr(None, value, 0, {})
    assert str(info.value)
    assert time.thread_time() - start < 2, "a hostile record must be stopped quickly"


def test_the_budget_counts_loop_steps_not_calls():
    expr = compile_expression("len([a for a in value for b in value])")
    expr(None, "x" * 900, 0, {})  # 900 + 900 * 900 = 810,900 steps: within the budget
    with pytest.raises(BudgetExceededError, match="1,000,000 steps"):
        expr(None, "x" * 1100, 0, {})  # 1,211,100 steps


def test_each_record_gets_a_fresh_budget():
    expr = compile_expression("len([a for a in value for b in value])")
    for _ in range(50):  # 50 x 810,900 steps: only the per-record budget matters
        assert expr(None, "x" * 900, 0, {}) == 810_000


def test_a_failed_record_does_not_spend_the_next_ones_budget():
    expr = compile_expression("len([a for a in value for b in value])")
    with pytest.raises(BudgetExceededError):
        expr(None, "x" * 2000, 0, {})
    assert expr(None, "x" * 900, 0, {}) == 810_000


def test_aliased_structures_cost_their_logical_size():
    expr = compile_expression("str(value)")
    small_but_aliased = [[0] * 1000] * 1001  # 1,001,001 elements once printed
    with pytest.raises(BudgetExceededError):
        expr(None, small_but_aliased, 0, {})
    assert expr(None, [[0] * 1000] * 10, 0, {}).startswith("[[0, 0")


def test_what_an_expression_returns_is_charged():
    expr = compile_expression("[value for x in key]")  # 1,000 references to one big list
    with pytest.raises(BudgetExceededError):
        expr("k" * 1000, list(range(5000)), 0, {})


def test_limits_are_in_the_budget_error_message():
    assert MAX_STEPS == 1_000_000


@pytest.mark.parametrize(
    "source",
    [
        "value['status'] == 'paid'",
        "{'id': value['id'], 'n': len(value['items']), 'big': value['amount'] >= 100}",
        "value['amount'] > 100 and value['region'] in ('eu', 'us')",
    ],
)
def test_plain_expressions_pay_nothing(source):
    # no guarded operation: no budget, no extra call per record
    assert not compile_expression(source).budgeted


@pytest.mark.parametrize(
    ("source", "value", "expected"),
    [
        ("round(value, -3)", 123456, 123000),
        ("round(value, 2)", 1.23456, 1.23),
        ("round(value, -10**8)", 123456, 0),
        ("round(value, 10**8)", 7, 7),
        ("sorted(value)", [3, 1, 2], [1, 2, 3]),
        ("'%(a)5s|' % value", {"a": "x"}, "    x|"),
        ("value.decode('utf-8')", b"caf\xc3\xa9", "café"),
        ("[x * 2 for x in value if x > 1]", [1, 2, 3], [4, 6]),
        ("str(value)", [[1, 2]] * 3, "[[1, 2], [1, 2], [1, 2]]"),
        ("value == [[0] * 10] * 10", [[0] * 10] * 10, True),
        ("sum([[1], [2]], [])", None, [1, 2]),
    ],
)
def test_bounded_operations_still_give_python_results(source, value, expected):
    assert compile_expression(source)(None, value, 0, {}) == expected


BUILT_IN_LOOPS = [
    # each iteration copies something as large as the input: without a charge per copy these
    # finish unstopped at ~200 MB (the result is only charged once it is built); with it, the
    # budget stops them at ~10-40 MB
    ("[[*value, *value] for x in key]", "k" * 3_500, list(range(3_500))),
    ("[f'{value}{value}' for x in key]", "k" * 10_000, "x" * 10_000),
    ("[value.upper() for x in key]", "k" * 14_000, "x" * 14_000),
    ("[value.split() for x in key]", "k" * 25_000, "a " * 1_000),
    ("[value[1:] for x in key]", "k" * 5_000, list(range(5_000))),
    ("[{**value} for x in key]", "k" * 2_500, {str(i): i for i in range(2_000)}),
    ("[value.partition('-') for x in key]", "k" * 14_000, "x" * 7_000 + "-" + "x" * 7_000),
]


@pytest.mark.parametrize(
    ("source", "key", "value"), BUILT_IN_LOOPS, ids=[c[0] for c in BUILT_IN_LOOPS]
)
def test_copies_built_in_a_loop_are_charged(source, key, value):
    import tracemalloc

    expr = compile_expression(source)
    tracemalloc.start()
    try:
        with pytest.raises(BudgetExceededError):
            expr(key, value, 0, {})
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 60 * 1024 * 1024, f"{peak / 2**20:.0f} MB built before the budget stopped it"


def test_format_specs_and_small_copies_still_work():
    assert compile_expression("f'{value:>8.2f}|{key!r}'")("k", 3.14159, 0, {}) == "    3.14|'k'"
    assert compile_expression("[value[1:] for x in key]")("ab", [1, 2, 3], 0, {}) == [
        [2, 3],
        [2, 3],
    ]
    assert compile_expression("{**value, 'b': 2}")(None, {"a": 1}, 0, {}) == {"a": 1, "b": 2}
    assert compile_expression("[*value, *key]")([3], [1, 2], 0, {}) == [1, 2, 3]


def test_big_integers_built_in_a_loop_are_charged():
    # 4,000-bit products are allowed one by one; 200,000 of them would be 100 MB
    expr = compile_expression("len([value * value for x in key])")
    with pytest.raises(BudgetExceededError):
        expr("k" * 200_000, 2**2000, 0, {})
    assert expr("k" * 1000, 2**2000, 0, {}) == 1000


# % formatting that writes one argument many times: the mapping or tuple is small, the text
# written from it is not (reference §15.2: each value counted as often as it is referenced)
REPEATED_FIELDS = [
    ("'%(s)s' * 400 % value", {"s": "x" * 100_000}),  # 40,000,000 characters from 100,000
    ("b'%(s)s' * 400 % value", {b"s": b"x" * 100_000}),
    ("('%(s)s' * 400) % {'s': value}", "x" * 100_000),
    ("'%(s)s' * 20 % value", {"s": "x" * 60_000}),  # 1,200,000 characters: over the limit
    ("'%s' * 400 % ((value,) * 400)", "x" * 3_000),  # a tuple of one field repeated
    ("'%(s)r' * 3 % value", {"s": "\x00" * 300_000}),  # repr: four characters for one
    ("value % ((1e300,) * 2000)", "%.999f" * 2000),  # widths and precisions add up
]


@pytest.mark.parametrize(("source", "value"), REPEATED_FIELDS, ids=[c[0] for c in REPEATED_FIELDS])
def test_repeated_format_fields_are_refused_before_the_text_is_built(source, value):
    import tracemalloc

    expr = compile_expression(source)
    tracemalloc.start()
    try:
        with pytest.raises(ExpressionLimitError, match=r"longer than 1,000,000 characters"):
            expr(None, value, 0, {})
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 12 * 1024 * 1024, f"{peak / 2**20:.0f} MB built before the text was refused"


@pytest.mark.parametrize(
    "source",
    ["'{0}{0}{0}'.format(value)", "('{s}' * 400).format(**value)", "'{s}'.format_map(value)"],
)
def test_str_format_is_not_in_the_language(source):
    # str.format can write one argument any number of times; % and f-strings are guarded
    with pytest.raises(ExpressionError, match="is not allowed"):
        compile_expression(source)


@pytest.mark.parametrize(
    ("source", "value", "expected"),
    [
        ("'%(s)s' * 10 % value", {"s": "x" * 90_000}, "x" * 900_000),
        ("'%s-%s' % (value['a'], value['b'])", {"a": 1, "b": "x"}, "1-x"),
        ("'%(a)s/%(a)s/%(b)05.1f' % value", {"a": "p", "b": 2.25}, "p/p/002.2"),
        ("b'%(k)s=%(k)s' % value", {b"k": b"v"}, b"v=v"),
        ("'%s' % value", [1, [2]], "[1, [2]]"),
        ("'100%%: %d' % value", 7, "100%: 7"),
    ],
)
def test_repeated_format_fields_within_the_limit_still_format(source, value, expected):
    assert compile_expression(source)(None, value, 0, {}) == expected


REPEATED_PIECES = [
    # an f-string writing one field many times pays for each piece before it is built
    ('f"' + "{value['s']}" * 300 + '"', {"s": "x" * 900_000}, BudgetExceededError, None),
    # ... and what it builds is held to the limit, as other text
    ("f\"{value['s']}{value['s']}\"", {"s": "x" * 900_000}, ExpressionLimitError, "1,000,000"),
    ("value['s'].upper()", {"s": "ß" * 600_000}, ExpressionLimitError, "1,000,000"),
]


@pytest.mark.parametrize(
    ("source", "value", "error", "words"), REPEATED_PIECES, ids=[c[0][:40] for c in REPEATED_PIECES]
)
def test_text_written_many_times_is_refused_before_it_is_built(source, value, error, words):
    import tracemalloc

    expr = compile_expression(source)
    tracemalloc.start()
    try:
        with pytest.raises(error, match=words):
            expr(None, value, 0, {})
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 40 * 1024 * 1024, f"{peak / 2**20:.0f} MB built before the text was refused"


def test_an_f_string_within_the_limit_is_what_python_writes():
    expr = compile_expression("f\"{value['a']}/{value['b']!r}/{value['c']:>5}\"")
    assert expr(None, {"a": "x" * 400_000, "b": [1], "c": 2}, 0, {}) == "x" * 400_000 + "/[1]/    2"
