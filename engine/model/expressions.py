"""The expression language of topology files: a safe subset of Python.

An expression is parsed, checked against an allow-list of syntax, names, functions
and methods, and compiled once into a plain Python function. A topology file from a
stranger cannot run code: there are no builtins, no attribute access beyond a fixed
list of str/dict/list methods, no dunders, no lambdas, imports or assignments, and
the operators that can build huge values (``**``, ``*``, ``<<``) are replaced with
guarded versions that refuse results beyond fixed limits.
So are the calls that can amplify text (``join``, ``replace``, ``zfill``, ``sum`` of
lists, ``%`` formatting), and f-string format specs must be small constants: a short
expression must not be able to build a value of gigabytes.
"""

from __future__ import annotations

import ast
import itertools
import math
import re
from dataclasses import dataclass, field
from typing import Any, Callable

RECORD_NAMES: tuple[str, ...] = ("key", "value", "timestamp", "headers")
JOIN_NAMES: tuple[str, ...] = ("key", "left", "right")

MAX_EXPRESSION_LENGTH = 4000
MAX_POW_EXPONENT = 10_000
MAX_INT_BITS = 4096
MAX_SEQUENCE_LENGTH = 1_000_000
MAX_FORMAT_WIDTH = 1000  # widths and precisions in f-string specs and % formatting
MAX_DEPTH = 200  # nesting levels of the syntax tree; deeper trees would exhaust the stack


class ExpressionError(ValueError):
    """An expression that is not valid, or not allowed.

    ``col``, where known, counts from the first non-blank character of the expression.
    """

    def __init__(self, message: str, col: int | None = None):
        super().__init__(message)
        self.message = message
        self.col = col


class ExpressionLimitError(ArithmeticError):
    """Raised at evaluation when an operation would build a value beyond the limits."""


def _is_int(x) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _safe_pow(base, exp):
    if _is_int(exp) and isinstance(base, int):
        if abs(exp) > MAX_POW_EXPONENT or (
            exp > 0 and abs(base) > 1 and exp * math.log2(abs(base)) > MAX_INT_BITS
        ):
            raise ExpressionLimitError(f"{_short(base)} ** {exp} is too large")
    result = base**exp
    if isinstance(result, complex):
        raise ExpressionLimitError("complex results are not supported")
    return result


_SEQUENCES = (str, bytes, list, tuple)


def _short(x) -> str:
    text = repr(x)
    return text if len(text) <= 40 else f"{text[:37]}..."


def _too_long(seq, n) -> bool:
    return isinstance(n, int) and isinstance(seq, _SEQUENCES) and len(seq) * n > MAX_SEQUENCE_LENGTH


def _safe_mul(a, b):
    if _too_long(a, b) or _too_long(b, a):
        raise ExpressionLimitError("the repeated sequence would be too long")
    if _is_int(a) and _is_int(b) and a.bit_length() + b.bit_length() > MAX_INT_BITS:
        raise ExpressionLimitError(f"the product would be larger than {MAX_INT_BITS} bits")
    return a * b


def _safe_add(a, b):
    if isinstance(a, _SEQUENCES) and isinstance(b, _SEQUENCES) and len(a) + len(b) > MAX_SEQUENCE_LENGTH:
        raise ExpressionLimitError("the joined sequence would be too long")
    return a + b


def _safe_lshift(a, b):
    if _is_int(b) and b > 0 and (b > MAX_INT_BITS or (_is_int(a) and a.bit_length() + b > MAX_INT_BITS)):
        raise ExpressionLimitError(f"{_short(a)} << {b} is too large")
    return a << b


_PRINTF_SPEC = re.compile(r"%%|%(?:\([^)]*\))?([^a-zA-Z%]*)")


def _check_width(spec: str, what: str) -> None:
    if "*" in spec or any(int(d) > MAX_FORMAT_WIDTH for d in re.findall(r"\d+", spec)):
        raise ExpressionLimitError(f"{what}: widths and precisions must be at most {MAX_FORMAT_WIDTH}")


def _safe_mod(a, b):
    if isinstance(a, (str, bytes)):
        text = a.decode("latin-1") if isinstance(a, bytes) else a
        for spec in _PRINTF_SPEC.findall(text):
            _check_width(spec, "% formatting")
    return a % b


def _safe_join(obj, *args, **kwargs):
    if isinstance(obj, (str, bytes)) and len(args) == 1 and not kwargs:
        items = list(args[0])
        total = len(obj) * max(len(items) - 1, 0)
        total += sum(len(i) for i in items if isinstance(i, (str, bytes)))
        if total > MAX_SEQUENCE_LENGTH:
            raise ExpressionLimitError("the joined text would be too long")
        return obj.join(items)
    return obj.join(*args, **kwargs)


def _safe_replace(obj, *args, **kwargs):
    if isinstance(obj, (str, bytes)) and len(args) >= 2:
        old, new = args[0], args[1]
        if isinstance(old, type(obj)) and isinstance(new, type(obj)) and len(new) > len(old):
            n = len(obj) + 1 if not old else obj.count(old)
            count = args[2] if len(args) > 2 else kwargs.get("count", -1)
            if _is_int(count) and count >= 0:
                n = min(n, count)
            if len(obj) + n * (len(new) - len(old)) > MAX_SEQUENCE_LENGTH:
                raise ExpressionLimitError("the replaced text would be too long")
    return obj.replace(*args, **kwargs)


def _safe_zfill(obj, *args, **kwargs):
    if args and _is_int(args[0]) and args[0] > MAX_SEQUENCE_LENGTH:
        raise ExpressionLimitError("the padded text would be too long")
    return obj.zfill(*args, **kwargs)


def _safe_sum(iterable, /, start=0):
    if not isinstance(start, (list, tuple)):
        return sum(iterable, start)
    items = list(iterable)
    if len(start) + sum(len(i) for i in items if isinstance(i, _SEQUENCES)) > MAX_SEQUENCE_LENGTH:
        raise ExpressionLimitError("the summed sequence would be too long")
    if all(type(i) is type(start) for i in items):  # linear, where sum() would be quadratic
        return type(start)(itertools.chain(start, *items))
    return sum(items, start)


ALLOWED_FUNCTIONS: dict[str, Callable] = {
    "len": len, "str": str, "int": int, "float": float, "round": round, "abs": abs,
    "min": min, "max": max, "sum": _safe_sum, "sorted": sorted, "bool": bool, "dict": dict,
    "list": list, "set": set, "tuple": tuple, "any": any, "all": all,
}

ALLOWED_METHODS: frozenset[str] = frozenset(
    # str
    "lower upper strip lstrip rstrip startswith endswith split rsplit replace join title "
    "capitalize casefold find rfind count isdigit isalpha isalnum isnumeric isspace "
    "islower isupper zfill removeprefix removesuffix partition rpartition splitlines "
    # dict
    "get keys values items "
    # list / tuple
    "index "
    # bytes
    "decode hex".split()
)

_GUARDS = {
    "_ts_pow": _safe_pow, "_ts_mul": _safe_mul, "_ts_lshift": _safe_lshift, "_ts_add": _safe_add,
    "_ts_mod": _safe_mod, "_ts_join": _safe_join, "_ts_replace": _safe_replace,
    "_ts_zfill": _safe_zfill,
}  # fmt: skip
_GUARDED_OPS = {ast.Pow: "_ts_pow", ast.Mult: "_ts_mul", ast.LShift: "_ts_lshift",
                ast.Add: "_ts_add", ast.Mod: "_ts_mod"}
_GUARDED_METHODS = {"join": "_ts_join", "replace": "_ts_replace", "zfill": "_ts_zfill"}

_ALLOWED_NODES = (
    ast.Expression, ast.Constant, ast.Name, ast.Load, ast.Store,
    ast.BinOp, ast.UnaryOp, ast.BoolOp, ast.Compare, ast.IfExp,
    ast.Subscript, ast.Slice, ast.Dict, ast.List, ast.Tuple, ast.Set,
    ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp, ast.comprehension,
    ast.Call, ast.keyword, ast.Attribute, ast.Starred, ast.JoinedStr, ast.FormattedValue,
    ast.operator, ast.unaryop, ast.boolop, ast.cmpop,
)  # fmt: skip

_REFUSED_SENTENCES = {
    ast.Lambda: "lambdas are not allowed",
    ast.NamedExpr: "assignment expressions (:=) are not allowed",
    ast.Await: "await is not allowed",
    ast.Yield: "yield is not allowed",
    ast.YieldFrom: "yield is not allowed",
}


@dataclass(frozen=True)
class Expression:
    """A checked, compiled expression. ``fn`` takes the context names positionally."""

    source: str
    names: tuple[str, ...]
    fn: Callable[..., Any] = field(repr=False, compare=False)
    used_names: frozenset[str] = frozenset()

    def __call__(self, *args):
        return self.fn(*args)


def _describe(node: ast.AST) -> str:
    return type(node).__name__


class _Checker:
    """Walks the tree with lexical scopes for comprehension variables."""

    def __init__(self, names: tuple[str, ...]):
        self.context = frozenset(names)
        self.used: set[str] = set()

    def fail(self, node: ast.AST, message: str):
        raise ExpressionError(message, getattr(node, "col_offset", None))

    def check(self, node: ast.AST, bound: frozenset[str]) -> None:
        refused = _REFUSED_SENTENCES.get(type(node))
        if refused:
            self.fail(node, refused)
        if not isinstance(node, _ALLOWED_NODES):
            self.fail(node, f"{_describe(node)} is not allowed in an expression")
        if isinstance(node, ast.Name):
            self.check_name(node, bound)
            return
        if isinstance(node, ast.Attribute):
            # Reached only outside a call: bare attribute access is never allowed.
            self.fail(node, f"attribute access '.{node.attr}' is not allowed (only method calls such as .get(...))")
        if isinstance(node, ast.Call):
            self.check_call(node, bound)
            return
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)):
            self.check_comprehension(node, bound)
            return
        if isinstance(node, ast.Constant) and isinstance(node.value, (complex, type(Ellipsis))):
            self.fail(node, f"the constant {node.value!r} is not allowed")
        if isinstance(node, ast.FormattedValue) and node.format_spec is not None:
            self.check_format_spec(node)
        for child in ast.iter_child_nodes(node):
            self.check(child, bound)

    def check_format_spec(self, node: ast.FormattedValue) -> None:
        spec = node.format_spec
        parts = spec.values if isinstance(spec, ast.JoinedStr) else [spec]
        if not all(isinstance(p, ast.Constant) and isinstance(p.value, str) for p in parts):
            self.fail(node, "a format spec in an f-string must be a constant, e.g. {value:.2f}")
        try:
            _check_width("".join(p.value for p in parts), "an f-string format spec")
        except ExpressionLimitError as exc:
            self.fail(node, str(exc))

    def check_name(self, node: ast.Name, bound: frozenset[str]) -> None:
        name = node.id
        if name.startswith("_"):
            self.fail(node, f"the name '{name}' is not allowed")
        if isinstance(node.ctx, ast.Store):
            return
        if name in bound:
            return
        if name in self.context:
            self.used.add(name)
            return
        if name in ALLOWED_FUNCTIONS:
            self.fail(node, f"'{name}' can only be called, e.g. {name}(...)")
        allowed = ", ".join(sorted(self.context))
        self.fail(node, f"unknown name '{name}'; an expression can use {allowed}")

    def check_call(self, node: ast.Call, bound: frozenset[str]) -> None:
        func = node.func
        if isinstance(func, ast.Name):
            if func.id not in ALLOWED_FUNCTIONS or func.id in bound:
                self.fail(func, f"calling '{func.id}' is not allowed")
        elif isinstance(func, ast.Attribute):
            if func.attr.startswith("_") or func.attr not in ALLOWED_METHODS:
                self.fail(func, f"the method '.{func.attr}()' is not allowed")
            self.check(func.value, bound)
        else:
            self.fail(func, "only named functions and methods can be called")
        for arg in node.args:
            self.check(arg, bound)
        for kw in node.keywords:
            self.check(kw.value, bound)

    def check_comprehension(self, node, bound: frozenset[str]) -> None:
        scope = bound
        for gen in node.generators:
            if gen.is_async:
                self.fail(node, "async comprehensions are not allowed")
            self.check(gen.iter, scope)
            scope = scope | self.targets(gen.target)
            for cond in gen.ifs:
                self.check(cond, scope)
        if isinstance(node, ast.DictComp):
            self.check(node.key, scope)
            self.check(node.value, scope)
        else:
            self.check(node.elt, scope)

    def targets(self, target: ast.AST) -> frozenset[str]:
        if isinstance(target, ast.Name):
            if target.id.startswith("_") or target.id in ALLOWED_FUNCTIONS:
                self.fail(target, f"'{target.id}' cannot be used as a loop variable")
            return frozenset([target.id])
        if isinstance(target, (ast.Tuple, ast.List)) and target.elts:
            names: frozenset[str] = frozenset()
            for elt in target.elts:
                names |= self.targets(elt)
            return names
        self.fail(target, "a comprehension can only bind plain names")
        return frozenset()


class _Guard(ast.NodeTransformer):
    """Replaces operators and methods that can build huge values with guarded calls."""

    def visit_Call(self, node: ast.Call):
        self.generic_visit(node)
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in _GUARDED_METHODS:
            call = ast.Call(func=ast.Name(id=_GUARDED_METHODS[func.attr], ctx=ast.Load()),
                            args=[func.value, *node.args], keywords=node.keywords)
            return ast.copy_location(call, node)
        return node

    def visit_BinOp(self, node: ast.BinOp):
        self.generic_visit(node)
        guard = _GUARDED_OPS.get(type(node.op))
        if guard is None:
            return node
        call = ast.Call(func=ast.Name(id=guard, ctx=ast.Load()), args=[node.left, node.right], keywords=[])
        return ast.copy_location(call, node)


def _depth(tree: ast.AST) -> int:
    """Nesting depth of the tree, measured without recursion."""
    deepest, stack = 0, [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    return deepest


_GLOBALS: dict[str, Any] = {"__builtins__": {}, **ALLOWED_FUNCTIONS, **_GUARDS}


def compile_expression(source: str, names: tuple[str, ...] = RECORD_NAMES) -> Expression:
    """Check ``source`` and compile it into a function of ``names``.

    Raises ExpressionError with a human sentence when it is not valid or not allowed.
    """
    if not isinstance(source, str):
        raise ExpressionError("an expression must be a string")
    text = source.strip()
    if not text:
        raise ExpressionError("the expression is empty")
    if len(text) > MAX_EXPRESSION_LENGTH:
        raise ExpressionError(f"the expression is longer than {MAX_EXPRESSION_LENGTH} characters")
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        # offset 0: the text ended too early, so the error is at its end
        col = min(exc.offset - 1, len(text)) if exc.offset else len(text)
        raise ExpressionError(f"syntax error: {exc.msg}", col) from None
    except (RecursionError, MemoryError):
        raise ExpressionError(_TOO_DEEP) from None
    if _depth(tree) > MAX_DEPTH:
        raise ExpressionError(_TOO_DEEP)
    try:
        return _compile_checked(source, tree, names)
    except RecursionError:  # a backstop: MAX_DEPTH keeps well within the stack
        raise ExpressionError(_TOO_DEEP) from None


_TOO_DEEP = f"the expression is nested too deeply (more than {MAX_DEPTH} levels)"


def _compile_checked(source: str, tree: ast.Expression, names: tuple[str, ...]) -> Expression:
    checker = _Checker(names)
    checker.check(tree, frozenset())

    guarded = _Guard().visit(tree)
    # Constant sub-expressions are evaluated now, so ``9**9**9`` is refused when the
    # topology is validated rather than when the first record arrives.
    _evaluate_constants(guarded.body)

    args = ast.arguments(
        posonlyargs=[], args=[ast.arg(arg=n) for n in names], vararg=None,
        kwonlyargs=[], kw_defaults=[], kwarg=None, defaults=[],
    )  # fmt: skip
    lam = ast.Expression(body=ast.Lambda(args=args, body=guarded.body))
    ast.fix_missing_locations(lam)
    code = compile(lam, "<expression>", "eval")
    fn = eval(code, dict(_GLOBALS))  # noqa: S307 - the tree was checked above
    return Expression(source=source, names=names, fn=fn, used_names=frozenset(checker.used))


def _evaluate_constants(node: ast.AST) -> None:
    """Evaluate each outermost guarded call whose operands are constants."""
    stack = [node]
    while stack:
        child = stack.pop()
        if (isinstance(child, ast.Call) and isinstance(child.func, ast.Name)
                and child.func.id in _GUARDS and not _has_names_except_guards(child)):
            expr = ast.Expression(body=child)
            ast.fix_missing_locations(expr)
            try:
                eval(compile(expr, "<constant>", "eval"), dict(_GLOBALS))  # noqa: S307
            except ExpressionLimitError as exc:
                raise ExpressionError(str(exc)) from None
            except Exception:  # noqa: BLE001 - e.g. 1/0 in a constant: fails per record later
                pass
            continue  # the inner guarded calls were evaluated with this one
        stack.extend(ast.iter_child_nodes(child))


_LOOPS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def _has_names_except_guards(node: ast.AST) -> bool:
    """Whether ``node`` depends on anything but constants (loops count: they can run long)."""
    for n in ast.walk(node):
        if (isinstance(n, ast.Name) and n.id not in _GUARDS) or isinstance(n, _LOOPS):
            return True
    return False


def headers_dict(headers: list[tuple[str, bytes]] | None) -> dict[str, Any]:
    """Kafka headers as the ``headers`` dict of expressions (UTF-8 text where it decodes)."""
    if not headers:
        return {}
    out: dict[str, Any] = {}
    for k, v in headers:
        if isinstance(v, bytes):
            try:
                v = v.decode()
            except UnicodeDecodeError:
                pass
        out[k] = v
    return out
