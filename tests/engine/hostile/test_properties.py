"""Property-based tests: whatever the input, the loader, the validator, the expression
checker and import answer with sentences (never a traceback) in bounded time."""

from __future__ import annotations

import json
import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.code.importer import ImportScriptError, import_script
from engine.model import fileformat
from engine.model.catalogue import NODE_TYPES
from engine.model.expressions import ExpressionError, ExpressionLimitError, compile_expression
from engine.model.validation import validate

SETTINGS = settings(
    max_examples=150,
    deadline=2000,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**400), max_value=10**400)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(alphabet=st.characters(), max_size=30)
    | st.sampled_from(
        [
            "1m",
            "0s",
            "-1s",
            "9" * 400 + "s",
            "value",
            "value[",
            "'%*d' % (9, 1)",
            "hopping",
            "tumbling",
            "session",
            "count",
            "sum",
            "out",
            "in",
            "else",
        ]
    )
)
_json = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.text(max_size=8)
            | st.sampled_from(
                ["type", "size", "advance", "gap", "grace", "expr", "name", "fn", "topic"]
            ),
            inner,
            max_size=4,
        )
    ),
    max_leaves=25,
)
_node = st.fixed_dictionaries(
    {
        "id": st.text(max_size=6) | st.sampled_from(["a", "b", "c"]),
        "type": st.sampled_from(list(NODE_TYPES)) | st.text(max_size=5),
    },
    optional={
        "params": st.dictionaries(
            st.sampled_from(
                [
                    "topic",
                    "expr",
                    "window",
                    "aggregations",
                    "fields",
                    "branches",
                    "group_by",
                    "rate",
                    "limit",
                    "emit",
                    "mode",
                    "path",
                    "timestamp",
                    "title",
                    "max_rows",
                ]
            ),
            _json,
            max_size=4,
        ),
        "position": _json,
    },
)
_edge = st.fixed_dictionaries(
    {
        "from": st.sampled_from(["a", "b", "c"]) | _scalars,
        "to": st.sampled_from(["a", "b", "c"]) | _scalars,
    },
    optional={"from_port": _scalars, "to_port": _scalars},
)
_topology = st.fixed_dictionaries(
    {"format": st.just("topology-studio/1") | _scalars, "name": st.just("t") | _scalars},
    optional={
        "nodes": st.lists(_node, max_size=5) | _json,
        "edges": st.lists(_edge, max_size=5) | _json,
        "settings": st.dictionaries(
            st.sampled_from(
                [
                    "processing_guarantee",
                    "commit_interval",
                    "topic_partitions",
                    "worker_memory_limit",
                    "x",
                ]
            ),
            _scalars,
            max_size=3,
        )
        | _json,
    },
)


def _sentences(problems) -> None:
    for p in problems:
        text = str(p)
        assert text and "Traceback" not in text
        text.encode("utf-8")  # printable


@SETTINGS
@given(_topology)
def test_loading_and_validating_any_structure_gives_sentences(data):
    start = time.thread_time()
    try:
        text = json.dumps(data)
    except (ValueError, TypeError):
        return
    topology, problems = fileformat.loads(text)
    _sentences(problems)
    if not problems:
        _sentences(validate(topology))
    assert time.thread_time() - start < 2


@SETTINGS
@given(st.text(max_size=300))
def test_loading_any_text_gives_sentences(text):
    _, problems = fileformat.loads(text)
    _sentences(problems)


_tokens = st.sampled_from(
    [
        "value",
        "key",
        "timestamp",
        "headers",
        "x",
        "_",
        "__class__",
        "[",
        "]",
        "(",
        ")",
        "{",
        "}",
        ",",
        ":",
        ".",
        "+",
        "*",
        "**",
        "%",
        "<<",
        "==",
        "<",
        "in",
        "not",
        "and",
        "for",
        "if",
        "else",
        "lambda",
        "'a'",
        "'%(a(b)c)9999s'",
        "10**9",
        "9",
        "-1",
        "1e400",
        "str",
        "sorted",
        "round",
        "len",
        "sum",
        "join",
        "replace",
        "decode",
        "'punycode'",
        "zfill",
        "f'{value}'",
        " ",
        "\ud800",
        "'\\ud800'",
        "*",
        "**",
        "[*value]",
        "{**value}",
        "value[1:]",
        "[::-1]",
        "f'{value:>5}'",
        "f'{value!r:^9}'",
        "upper()",
        ".split()",
        "get(",
        "(1, (2,))",
        "{(1,): 2}",
        "for x in value]",
        "[x",
    ]
)


@SETTINGS
@given(st.lists(_tokens, max_size=25).map("".join) | st.text(max_size=60))
def test_the_expression_checker_answers_with_a_sentence(source):
    start = time.thread_time()
    try:
        expr = compile_expression(source)
    except ExpressionError as exc:
        assert exc.message
        return
    for value in (None, "abc" * 10, [1, [2, 3]] * 5, {"a": 1}, 10**20, b"bytes"):
        try:
            expr(None, value, 0, {})
        except ExpressionLimitError as exc:
            assert str(exc)
        except Exception:  # noqa: BLE001, S110 - a record whose expression raises is dead-lettered
            pass
    assert time.thread_time() - start < 2


_script_lines = st.sampled_from(
    [
        "from engine.builder import StreamsBuilder, TumblingWindow, HoppingWindow, Aggregation",
        "import os",
        "b = StreamsBuilder('app')",
        "b = StreamsBuilder(" + "9" * 400 + ")",
        "s = b.stream('in')",
        "s = b.stream(topic=" + "9" * 400 + ")",
        "s.filter('value > 1').to('out')",
        "s.map('[value]*10**9').to('out')",
        "b.layout({'in': [1e400, 2]})",
        "b.layout({'x': [10**400, 1]})",
        "s.group_by('key').window(HoppingWindow('1d', '1ms')).count()",
        "s.filter('\\ud800').to('o')",
        "x = [" * 3 + "]" * 3,
        "def build():",
        "    return b",
        "s.to(",
        "eval('1')",
        "s.filter(value)",
        "s.aggregate([Aggregation('n', 'count')], window={'type': 'tumbling', 'size': '9' * 400})",
    ]
)


@SETTINGS
@given(st.lists(_script_lines, max_size=8).map("\n".join) | st.text(max_size=80))
def test_import_answers_with_a_sentence(source):
    start = time.thread_time()
    try:
        import_script(source)
    except ImportScriptError as exc:
        assert exc.message
        str(exc).encode("utf-8")
    assert time.thread_time() - start < 2
