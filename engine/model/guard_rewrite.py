"""Rewriting a checked expression's syntax tree so that it pays for what it does.

Operators and calls whose cost or result grows with their operands are replaced with the
guards of ``engine.model.guards``; comprehension loops, comparisons of structures, hashed
keys, copies (slices, unpacking, f-strings, methods that build) and the result are charged
to the evaluation's budget. An expression with nothing to guard is left as it was, so it
pays nothing per record.
"""

from __future__ import annotations

import ast
import itertools

_GUARDED_OPS = {
    ast.Pow: "_ts_pow",
    ast.Mult: "_ts_mul",
    ast.LShift: "_ts_lshift",
    ast.Add: "_ts_add",
    ast.Mod: "_ts_mod",
}
_GUARDED_METHODS = {
    "join": "_ts_join",
    "replace": "_ts_replace",
    "zfill": "_ts_zfill",
    "decode": "_ts_decode",
    "index": "_ts_index",
    "count": "_ts_count",
}
# Methods that build a new value as large as their object (copies, parts).
_BUILDING_METHODS = frozenset(
    {
        "lower",
        "upper",
        "strip",
        "lstrip",
        "rstrip",
        "split",
        "rsplit",
        "title",
        "capitalize",
        "casefold",
        "removeprefix",
        "removesuffix",
        "partition",
        "rpartition",
        "splitlines",
        "hex",
    }
)
# Of those, the methods that cut text into pieces: lists or tuples of str (or bytes) only.
_PARTS_METHODS = frozenset({"split", "rsplit", "splitlines", "partition", "rpartition"})
# Calls whose cost does not grow with their arguments (their results are small).
_FREE_CALLS = frozenset({"len", "int", "float", "bool", "abs"})
# Calls that spend nothing from the budget (``round`` refuses absurd digits, nothing more).
_UNCHARGED_CALLS = _FREE_CALLS | {"round"}
# A top-level comprehension over a literal of at most this many scalar constants is not
# charged per loop: it runs that many times per evaluation at most.
MAX_LITERAL_LOOP = 64
_SCALAR_CONSTANTS = (str, int, float, bool, type(None), bytes)


def _float_constant(node: ast.AST) -> bool:
    """A float literal, signed or not: multiplying or adding it never builds a sequence."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        node = node.operand
    return isinstance(node, ast.Constant) and type(node.value) is float


def _scalar_constant(node: ast.AST) -> bool:
    """A constant whose comparison with anything is cheap: a scalar, or a short literal tuple,
    list or set of scalars (``region in ('eu', 'us')``)."""
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return len(node.elts) <= 64 and all(
            isinstance(e, ast.Constant) and isinstance(e.value, _SCALAR_CONSTANTS)
            for e in node.elts
        )
    return isinstance(node, ast.Constant) and isinstance(node.value, _SCALAR_CONSTANTS)


class Guard(ast.NodeTransformer):
    """Rewrites a checked expression tree so that it pays for what it does (see the module
    docstring). ``guarded`` tells whether anything was rewritten: an expression with no
    guarded operation needs no budget at all."""

    def __init__(self) -> None:
        self.guarded = False
        # Comprehension variables that can only hold a scalar constant (``for k in ('a',
        # 'b')``): hashing, comparing or formatting them costs nothing, as for a constant.
        self.scalars: frozenset[str] = frozenset()
        self.depth = 0  # comprehensions around the node being visited
        self.single = False  # the innermost of them has one generator
        # How many times the references to the inputs may be repeated in the result: the
        # length of each literal loop left uncharged (see ``visit_comprehension``).
        self.reference_factor = 1

    def _scalar(self, node: ast.AST) -> bool:
        return _scalar_constant(node) or (isinstance(node, ast.Name) and node.id in self.scalars)

    def _call(self, name: str, args: list, node: ast.AST) -> ast.Call:
        self.guarded = True
        return ast.copy_location(
            ast.Call(func=ast.Name(id=name, ctx=ast.Load()), args=args, keywords=[]), node
        )

    def visit_Call(self, node: ast.Call):
        self.generic_visit(node)
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in _GUARDED_METHODS:
            call = self._call(_GUARDED_METHODS[func.attr], [func.value, *node.args], node)
            call.keywords = node.keywords
            return call
        if isinstance(func, ast.Name) and func.id not in _UNCHARGED_CALLS:
            self.guarded = True  # str(), sorted(), sum() ...: charged
        if isinstance(func, ast.Attribute) and func.attr == "get" and node.args:
            node.args[0] = self._key(node.args[0])
        if isinstance(func, ast.Attribute) and self._scalar(func.value):
            return node  # a method of a scalar constant ('eu'.upper()) builds little
        if isinstance(func, ast.Attribute) and func.attr in _PARTS_METHODS:
            return self._call("_ts_built_parts", [node], node)
        if isinstance(func, ast.Attribute) and func.attr in _BUILDING_METHODS:
            return self._call("_ts_built", [node], node)
        # other methods (startswith, find, get, items ...) neither charge nor build
        return node

    def visit_JoinedStr(self, node: ast.JoinedStr):
        self.generic_visit(node)
        return self._call("_ts_built", [node], node)

    def visit_Starred(self, node: ast.Starred):
        self.generic_visit(node)
        node.value = self._call("_ts_built", [node.value], node.value)
        return node

    def visit_BinOp(self, node: ast.BinOp):
        self.generic_visit(node)
        guard = _GUARDED_OPS.get(type(node.op))
        if guard is None:
            return node
        if isinstance(node.op, (ast.Mult, ast.Add)) and (
            _float_constant(node.left) or _float_constant(node.right)
        ):
            return node  # a number, or a TypeError: what the guard would do (``_safe_mul``)
        return self._call(guard, [node.left, node.right], node)

    def visit_Compare(self, node: ast.Compare):
        self.generic_visit(node)
        operands = [node.left, *node.comparators]
        # Comparing with a scalar constant never walks a structure; anything else may.
        if all(self._scalar(a) or self._scalar(b) for a, b in itertools.pairwise(operands)):
            return node
        node.left = self._call("_ts_sized", [node.left], node.left)
        node.comparators = [
            c if self._scalar(c) else self._call("_ts_sized", [c], c) for c in node.comparators
        ]
        return node

    # Hashing a tuple walks all of it: keys of dicts and sets, subscripts and .get() pay for
    # their size (a tuple of aliased tuples built in a few nested loops can stand for 2**60).
    def _key(self, node: ast.expr) -> ast.expr:
        if self._scalar(node) or isinstance(node, (ast.Starred, ast.Slice)):
            return node
        return self._call("_ts_sized", [node], node)

    def visit_Dict(self, node: ast.Dict):
        self.generic_visit(node)
        node.values = [
            self._call("_ts_built", [v], v) if k is None else v  # {**mapping}
            for k, v in zip(node.keys, node.values, strict=True)
        ]
        node.keys = [None if k is None else self._key(k) for k in node.keys]
        return node

    def visit_Set(self, node: ast.Set):
        self.generic_visit(node)
        node.elts = [self._key(e) for e in node.elts]
        return node

    def _comprehension(self, node):
        """Visits a comprehension with the scalars its generators bind (a name bound to
        anything else, here, is not one), then restores the enclosing scope's."""
        outer = self.scalars
        scalars, others = set(outer), set()
        for gen in node.generators:
            names = {n.id for n in ast.walk(gen.target) if isinstance(n, ast.Name)}
            if isinstance(gen.target, ast.Name) and _scalar_constant(gen.iter):
                scalars |= names
            else:
                others |= names
        # the first iterable is evaluated in the enclosing scope: names it uses keep their
        # outer meaning there (a context name may hold anything)
        others |= {n.id for n in ast.walk(node.generators[0].iter) if isinstance(n, ast.Name)}
        self.scalars = frozenset(scalars - others)
        outer_single = self.single
        self.depth += 1
        self.single = len(node.generators) == 1
        try:
            self.generic_visit(node)
            if isinstance(node, ast.DictComp):
                node.key = self._key(node.key)
            elif isinstance(node, ast.SetComp):
                node.elt = self._key(node.elt)
        finally:
            self.scalars = outer
            self.depth -= 1
            self.single = outer_single
        return node

    visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = _comprehension

    def visit_Subscript(self, node: ast.Subscript):
        self.generic_visit(node)
        if isinstance(node.slice, ast.Slice):  # a copy
            return self._call("_ts_built", [node], node)
        node.slice = self._key(node.slice)
        return node

    def visit_FormattedValue(self, node: ast.FormattedValue):
        # the format spec is a small constant (checked) and must stay a JoinedStr
        value = self.visit(node.value)
        node.value = value if self._scalar(value) else self._call("_ts_piece", [value], value)
        return node

    def visit_comprehension(self, node: ast.comprehension):
        self.generic_visit(node)
        literal = node.iter
        if (
            self.depth == 1
            and self.single
            and isinstance(literal, (ast.List, ast.Tuple))
            and len(literal.elts) <= MAX_LITERAL_LOOP
            and _scalar_constant(literal)
        ):
            # The only loop of a comprehension in no other: at most MAX_LITERAL_LOOP turns
            # per evaluation, whatever the record; its result holds the inputs at most that
            # many times over (``reference_factor``, for the bounds of engine.model.bounds).
            self.reference_factor *= max(1, len(literal.elts))
            return node
        node.iter = self._call("_ts_loop", [node.iter], node.iter)
        return node


# Calls and methods whose result is never a list, tuple, set or dict.
_SCALAR_CALLS = frozenset({"len", "int", "float", "bool", "round", "abs", "str", "any", "all"})
_SCALAR_METHODS = frozenset(
    {
        "lower", "upper", "strip", "lstrip", "rstrip", "title", "capitalize", "casefold",
        "removeprefix", "removesuffix", "zfill", "replace", "join", "startswith", "endswith",
        "find", "rfind", "count", "index", "isdigit", "isalpha", "isalnum", "isnumeric",
        "isspace", "islower", "isupper", "decode", "hex",
    }
)  # fmt: skip
_SCALAR_OPS = (ast.Div, ast.FloorDiv, ast.Mod, ast.Pow, ast.LShift, ast.RShift, ast.MatMult)


def may_return_container(node: ast.expr) -> bool:
    """Whether a checked (not yet rewritten) expression may return a list, tuple, set or
    dict: only such a result has a size for ``_ts_result`` to charge."""
    if isinstance(node, (ast.Compare, ast.JoinedStr, ast.UnaryOp)):
        return False
    if isinstance(node, ast.Constant):
        return isinstance(node.value, tuple)
    if isinstance(node, ast.BoolOp):
        return any(may_return_container(v) for v in node.values)
    if isinstance(node, ast.IfExp):
        return may_return_container(node.body) or may_return_container(node.orelse)
    if isinstance(node, ast.BinOp):  # % never builds a container; * + - | & ^ may
        if isinstance(node.op, _SCALAR_OPS):
            return False
        return may_return_container(node.left) or may_return_container(node.right)
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Name):
            return func.id not in _SCALAR_CALLS
        return not (isinstance(func, ast.Attribute) and func.attr in _SCALAR_METHODS)
    if isinstance(node, ast.Subscript) and not isinstance(node.slice, ast.Slice):
        inner = node.value  # a piece of split text, a character of a string
        if isinstance(inner, ast.Call) and isinstance(inner.func, ast.Attribute):
            return inner.func.attr not in _PARTS_METHODS
        return not (isinstance(inner, ast.Constant) and isinstance(inner.value, (str, bytes)))
    return True


def budgeted(body: ast.expr, guard: Guard, container: bool = True) -> ast.expr:
    """The lambda body of a compiled expression: guarded ones reset the budget first and
    pay for their result (where it may be a container: ``_ts_result`` charges nothing else)."""
    if not guard.guarded:
        return body
    reset_call = ast.Call(func=ast.Name(id="_ts_reset", ctx=ast.Load()), args=[], keywords=[])
    first = ast.BoolOp(op=ast.Or(), values=[reset_call, body])
    if not container:
        return first
    return ast.Call(func=ast.Name(id="_ts_result", ctx=ast.Load()), args=[first], keywords=[])
