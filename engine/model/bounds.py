"""How large a value leaving each node can be, known before the first record.

Values read from Kafka are trees no larger than a message (``INPUT_STEPS``, in the steps
of ``engine.model.guards``). An expression can only make a value larger than its inputs
by referring to them several times (``[value, value]`` holds two references to one
object), or through guarded operations, whose result is charged to its budget. So the
logical size of every value is bounded statically; where the bound is small, sinks encode
without looking (and refuse what is too large once encoded), and only where a topology
could build something huge (a chain of maps each doubling its input) do they measure a
value before encoding it.

``expression_bound`` reads an expression's syntax and bounds its result from the bounds of
its inputs: a number times a constant, arithmetic, comparisons, a repetition by a constant,
string methods, literals (each reference counted: ``[x, x, x]`` is three times ``x``) and
comprehensions over literal lists. What it cannot bound falls back to what the budget
guarantees (``MAX_STEPS`` and 64 references to the inputs for a guarded expression).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from typing import Any

from engine.model.expressions import JOIN_NAMES, RECORD_NAMES, ExpressionError, compile_expression
from engine.model.guards import CHARS_PER_STEP, MAX_INT_BITS, MAX_SEQUENCE_LENGTH, MAX_STEPS
from engine.model.topology import Topology

INPUT_STEPS = 1_000_000  # a 1 MB message decodes to at most about this many steps
SAFE_STEPS = 20_000_000  # values up to this logical size are encoded without measuring them
_PASS_THROUGH = frozenset(
    {"filter", "branch", "merge", "kafka_sink", "console_sink", "file_sink", "dashboard_sink"}
)
_JOIN = "join"

# Bounds of results, in steps (engine.model.guards.size_of).
_NUMBER = 1 + (MAX_INT_BITS >> 8)  # a guarded integer (**, <<, *) or a float
_CHARGED = MAX_STEPS + 1  # a value a guard charged to the budget as it built it
_TEXT = 1 + MAX_SEQUENCE_LENGTH // CHARS_PER_STEP  # text a guard kept within its length
_AS_TEXT = 10  # str() / repr of a value: at most 10 steps (100 characters) per step
_WIDTH = 101  # what a format width (at most MAX_FORMAT_WIDTH characters) adds
_INT_TEXT = 57  # int() of text: at most 4300 digits (Python's limit), 14,300 bits
_SMALL = frozenset(
    {
        "len", "bool", "any", "all", "float", "startswith", "endswith", "find", "rfind",
        "count", "index", "isdigit", "isalpha", "isalnum", "isnumeric", "isspace",
        "islower", "isupper",
    }
)  # fmt: skip
_CASE = frozenset({"lower", "upper", "title", "capitalize", "casefold"})  # up to 3 chars each
_TRIM = frozenset({"strip", "lstrip", "rstrip", "removeprefix", "removesuffix"})
_PARTS = frozenset({"split", "rsplit", "splitlines", "partition", "rpartition"})
_COLLECTIONS = frozenset({"list", "tuple", "set", "sorted"})
_LITERALS = (ast.List, ast.Tuple, ast.Set)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)


_NUMERIC_CALLS = frozenset({"len", "int", "float", "abs", "round"})
_NUMERIC_OPS = (ast.Div, ast.FloorDiv, ast.Pow, ast.LShift, ast.RShift)


def _numeric(node: ast.AST) -> bool:
    """Whether ``node`` can only be a number (or raise)."""
    if isinstance(node, ast.Constant):
        return type(node.value) in (int, float, bool)
    if isinstance(node, ast.Call):
        return isinstance(node.func, ast.Name) and node.func.id in _NUMERIC_CALLS
    if isinstance(node, ast.BinOp):
        return isinstance(node.op, _NUMERIC_OPS)
    return isinstance(node, (ast.UnaryOp, ast.Compare))


class _Unbounded(Exception):
    """The analysis cannot bound this expression."""


class _Sizes:
    """Upper bounds of logical sizes over a checked expression's syntax tree, given the
    bound of every input name; ``env`` binds comprehension variables to their bounds."""

    def __init__(self, inputs: int):
        self.inputs = inputs

    def size(self, node: ast.AST, env: dict[str, int]) -> int:
        method = getattr(self, "_" + type(node).__name__, None)
        if method is None:
            raise _Unbounded
        return method(node, env)

    # -- what iterating or indexing a value gives ------------------------------------------

    def element(self, node: ast.AST, env: dict[str, int]) -> int:
        """A bound of each element (an item, a key, a character) of the value of ``node``."""
        if isinstance(node, _LITERALS):
            return max((self._item(e, env) for e in node.elts), default=1)
        if isinstance(node, ast.Dict):
            parts = [*node.keys, *node.values]
            return max((self.size(p, env) for p in parts if p is not None), default=1)
        if isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes)):
            return 1
        if isinstance(node, _COMPREHENSIONS):
            return self._comprehension(node, env)[1]
        return self.size(node, env)

    def count(self, node: ast.AST, env: dict[str, int]) -> int:
        """A bound of how many elements iterating the value of ``node`` gives."""
        if isinstance(node, _LITERALS) and not any(isinstance(e, ast.Starred) for e in node.elts):
            return len(node.elts)
        if isinstance(node, ast.Dict) and None not in node.keys:
            return len(node.keys)
        if isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes)):
            return len(node.value)
        # text of n steps holds fewer than 10 n characters; a structure, fewer than n elements
        return CHARS_PER_STEP * self.size(node, env)

    def _item(self, node: ast.AST, env: dict[str, int]) -> int:
        if isinstance(node, ast.Starred):  # *text: a character per step and a tenth
            return self.element(node.value, env)
        return self.size(node, env)

    # -- leaves ----------------------------------------------------------------------------

    def _Constant(self, node: ast.Constant, env: dict[str, int]) -> int:
        v = node.value
        if isinstance(v, (str, bytes)):
            return 1 + len(v) // CHARS_PER_STEP
        if isinstance(v, int):
            return 1 + (v.bit_length() >> 8)
        return 1

    def _Name(self, node: ast.Name, env: dict[str, int]) -> int:
        return env.get(node.id, self.inputs)

    # -- building values -------------------------------------------------------------------

    def _literal(self, elts: list[ast.expr], env: dict[str, int]) -> int:
        total = 1
        for e in elts:
            if isinstance(e, ast.Starred):  # *x: the elements of x (text: one per character)
                total += CHARS_PER_STEP * self.size(e.value, env)
            else:
                total += self.size(e, env)
        return total

    def _List(self, node: ast.List, env: dict[str, int]) -> int:
        return self._literal(node.elts, env)

    _Tuple = _Set = _List

    def _Dict(self, node: ast.Dict, env: dict[str, int]) -> int:
        total = 1
        for k, v in zip(node.keys, node.values, strict=True):
            total += self.size(v, env) + (0 if k is None else self.size(k, env))
        return total

    def _JoinedStr(self, node: ast.JoinedStr, env: dict[str, int]) -> int:
        """Charged as it is built (engine.model.guards._built)."""
        total = 1
        for part in node.values:
            if isinstance(part, ast.FormattedValue):
                total += _AS_TEXT * self.size(part.value, env) + _WIDTH
            else:
                total += self.size(part, env)
        return min(_CHARGED, total)

    def _comprehension(self, node: Any, env: dict[str, int]) -> tuple[int, int]:
        """(the size of the built collection, the bound of each of its elements)."""
        inner = dict(env)
        n = 1
        for gen in node.generators:
            n *= self.count(gen.iter, inner)
            each = self.element(gen.iter, inner)
            for target in ast.walk(gen.target):
                if isinstance(target, ast.Name):
                    inner[target.id] = each
        if isinstance(node, ast.DictComp):
            each = self.size(node.key, inner) + self.size(node.value, inner)
        else:
            each = self.size(node.elt, inner)
        return 1 + n * each, each

    def _ListComp(self, node: Any, env: dict[str, int]) -> int:
        return self._comprehension(node, env)[0]

    _SetComp = _GeneratorExp = _DictComp = _ListComp

    # -- operators -------------------------------------------------------------------------

    def _Subscript(self, node: ast.Subscript, env: dict[str, int]) -> int:
        if isinstance(node.slice, ast.Slice):  # a part of the value
            return self.size(node.value, env)
        return self.element(node.value, env)

    def _BinOp(self, node: ast.BinOp, env: dict[str, int]) -> int:
        op, left, right = node.op, node.left, node.right
        if isinstance(op, (ast.Pow, ast.LShift)):  # numbers of at most MAX_INT_BITS
            return _NUMBER
        if isinstance(op, (ast.Div, ast.MatMult)):  # a float (or an error)
            return 1
        a = self.size(left, env)
        if isinstance(op, (ast.RShift, ast.FloorDiv)):
            return a + 1
        b = self.size(right, env)
        if isinstance(op, ast.Mult):  # a guarded repetition is charged as it is built
            for n, other in ((left, b), (right, a)):
                c = n.value if isinstance(n, ast.Constant) else None
                if isinstance(c, float):
                    return 1  # a float, or an error
                if isinstance(c, int):  # bool too
                    return min(_CHARGED, max(c, 1) * other + 1 + (c.bit_length() >> 8))
            return _CHARGED
        if isinstance(op, ast.Mod):
            if isinstance(left, ast.Constant) and isinstance(left.value, (str, bytes)):
                fmt = left.value
                conversions = fmt.count(b"%") if isinstance(fmt, bytes) else fmt.count("%")
                return a + conversions * (_AS_TEXT * b + _WIDTH)
            if isinstance(right, ast.Constant) or _numeric(left):
                # a number's remainder, or text formatting one scalar: a single conversion
                return a + _AS_TEXT * b + _WIDTH
            raise _Unbounded  # a format read from the record, with many values
        return a + b  # +, -, |, &, ^: numbers, joined sequences, merged sets and dicts

    def _UnaryOp(self, node: ast.UnaryOp, env: dict[str, int]) -> int:
        if isinstance(node.op, ast.Not):
            return 1
        return self.size(node.operand, env) + 1

    def _BoolOp(self, node: ast.BoolOp, env: dict[str, int]) -> int:
        return max(self.size(v, env) for v in node.values)

    def _Compare(self, node: ast.Compare, env: dict[str, int]) -> int:
        return 1

    def _IfExp(self, node: ast.IfExp, env: dict[str, int]) -> int:
        return max(self.size(node.body, env), self.size(node.orelse, env))

    # -- calls -----------------------------------------------------------------------------

    def _Call(self, node: ast.Call, env: dict[str, int]) -> int:
        func = node.func
        args = node.args
        if any(isinstance(a, ast.Starred) for a in args):
            raise _Unbounded
        if isinstance(func, ast.Attribute):
            return self._method(func.attr, func.value, node, env)
        name = func.id if isinstance(func, ast.Name) else ""
        if name in _SMALL:
            return 1
        sizes = [self.size(a, env) for a in args]
        keywords = sum(self.size(k.value, env) + 1 + len(k.arg or "") for k in node.keywords)
        if name == "int":
            return (sizes[0] if sizes else 1) + _INT_TEXT
        if name in ("abs", "round"):
            return (sizes[0] if sizes else 1) + 5  # round(float): an int of at most 1024 bits
        if name == "str":
            return _AS_TEXT * sum(sizes) + _WIDTH
        if name in ("min", "max"):
            if len(args) == 1:
                return max(self.element(args[0], env), keywords)
            return max(sizes, default=1) + keywords
        if name == "sum":
            if len(args) == 1 and not node.keywords:  # numbers: a few bits more than each
                return self.element(args[0], env) + 2
            return sum(sizes) + keywords + 1  # sequences joined onto the start value
        if name in _COLLECTIONS or name == "dict":
            if name != "dict" and args and isinstance(args[0], (*_LITERALS, *_COMPREHENSIONS)):
                return sizes[0] + 1
            return CHARS_PER_STEP * sum(sizes) + keywords + 1  # list(text): one per character
        raise _Unbounded

    def _method(self, name: str, obj: ast.expr, node: ast.Call, env: dict[str, int]) -> int:
        if name in _SMALL:
            return 1
        o = self.size(obj, env)
        args = node.args
        if name in _TRIM or name in ("keys", "values", "items"):
            return o
        if name in _CASE:  # 'ß'.upper() is 'SS': at most three characters for one
            return min(_CHARGED, 3 * o)
        if name == "hex":
            return min(_CHARGED, 2 * o)
        if name in _PARTS:  # pieces of text: at most one per character
            return min(_CHARGED, CHARS_PER_STEP * o + o + 2)
        if name == "get":
            default = self.size(args[1], env) if len(args) > 1 else 1
            return max(self.element(obj, env), default)
        if name == "join":  # guarded: at most MAX_SEQUENCE_LENGTH characters
            return _TEXT
        if name in ("replace", "zfill"):  # guarded: longer text is at most that long
            return max(o, _TEXT)
        if name == "decode":  # 'backslashreplace' writes four characters for a byte
            return 4 * o + 1
        raise _Unbounded


def expression_bound(text: str, names: tuple[str, ...], inputs: int) -> int | None:
    """An upper bound of the logical size (steps) of what ``text`` returns when each of
    ``names`` is at most ``inputs`` steps, or None where the analysis cannot bound it."""
    try:
        tree = ast.parse(text.strip(), mode="eval")
        return _Sizes(inputs).size(tree.body, {})
    except (_Unbounded, SyntaxError, RecursionError, ValueError, TypeError):
        return None


def _expressions(params: Any) -> Iterator[tuple[str, tuple[str, ...] | None]]:
    """Every expression text in a node's params (the names are chosen by the caller)."""
    if not isinstance(params, dict):
        return
    for key in ("expr", "group_by", "timestamp"):
        if isinstance(params.get(key), str) and params[key] != "record":
            yield params[key], None
    fields = params.get("fields")
    if isinstance(fields, dict):
        for expr in fields.values():
            if isinstance(expr, str):
                yield expr, None
    for key in ("aggregations", "branches"):
        items = params.get(key)
        if isinstance(items, list):
            for item in items:
                if isinstance(item, dict) and isinstance(item.get("expr"), str):
                    yield item["expr"], None


def _reduces(params: Any) -> bool:
    """Whether a node's aggregations include a reduce (``fn: reduce``)."""
    items = params.get("aggregations") if isinstance(params, dict) else None
    return isinstance(items, list) and any(
        isinstance(item, dict) and item.get("fn") == "reduce" for item in items
    )


def _bound(text: str, names: tuple[str, ...], upstream: int) -> int | None:
    """The bound of one expression's result: the budget's (a guarded expression pays for
    what it builds, a plain one holds references to its inputs) or the analysis', the
    smaller; None for a text that does not compile (validation says why)."""
    try:
        expr = compile_expression(text, names)
    except ExpressionError:
        return None
    if expr.budgeted:
        budget = MAX_STEPS + 64 * upstream
    else:
        budget = expr.references * upstream + len(text)
    analysed = expression_bound(text, names, upstream)
    return budget if analysed is None else min(budget, analysed)


def value_bounds(topology: Topology) -> dict[str, int]:
    """Per node id, an upper bound of the logical size (steps) of the keys and values it emits."""
    bounds: dict[str, int] = {}
    incoming: dict[str, list[str]] = {n: [] for n in topology.nodes}
    outgoing: dict[str, list[str]] = {n: [] for n in topology.nodes}
    for e in topology.edges:
        if e.source in incoming and e.target in incoming:
            incoming[e.target].append(e.source)
            outgoing[e.source].append(e.target)
    pending = {n: len(v) for n, v in incoming.items()}
    ready = [n for n, c in pending.items() if c == 0]
    while ready:
        node_id = ready.pop()
        node = topology.nodes[node_id]
        upstream = max((bounds[s] for s in incoming[node_id]), default=INPUT_STEPS)
        bound = upstream
        if _reduces(node.params):
            # A reduce folds each record into the last result: what it keeps can grow with
            # every record, past any bound of one record's expressions. Its values and
            # everything downstream are measured before they are encoded.
            bound = 1 << 62
        elif node.type not in _PASS_THROUGH:
            names = JOIN_NAMES if node.type == _JOIN else RECORD_NAMES
            for text, _ in _expressions(node.params):
                got = _bound(text, names, upstream)
                if got is not None:
                    bound += got
        bounds[node_id] = bound
        for target in outgoing[node_id]:
            pending[target] -= 1
            if pending[target] == 0:
                ready.append(target)
    for node_id in topology.nodes:  # in a cycle (refused by validation): assume the worst
        bounds.setdefault(node_id, 1 << 62)
    return bounds
