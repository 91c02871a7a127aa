"""The expression language of topology files: a safe subset of Python.

An expression is parsed, checked against an allow-list of syntax, names, functions
and methods, and compiled once into a plain Python function. A topology file from a
stranger cannot run code: there are no builtins, no attribute access beyond a fixed
list of str/dict/list methods, no dunders, no lambdas, imports or assignments, and
every operation whose cost grows with its operands (``**``, ``*``, ``<<``, ``%``,
comprehensions, ``str()``, ``sorted()``, comparisons of structures, ``join``, ``decode``...)
goes through a guard of ``engine.model.guards``, which charges it to a per-record budget
and refuses values beyond fixed limits. F-string format specs must be small constants: a
short expression must not be able to build a value of gigabytes or loop for hours.
"""

from __future__ import annotations

import ast
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, NoReturn

from engine.model import guard_rewrite, guards, small_records
from engine.model.guard_format import FORMAT_GUARDS, check_width
from engine.model.guards import (  # noqa: F401 - re-exported: the limits belong to the language
    FUNCTIONS,
    MAX_FORMAT_WIDTH,
    MAX_INT_BITS,
    MAX_POW_EXPONENT,
    MAX_SEQUENCE_LENGTH,
    MAX_STEPS,
    BudgetExceededError,
    ExpressionLimitError,
)
from engine.model.guards import GUARDS as _BASE_GUARDS

GUARDS = {**_BASE_GUARDS, **FORMAT_GUARDS}  # the names the rewritten tree calls

RECORD_NAMES: tuple[str, ...] = ("key", "value", "timestamp", "headers")
JOIN_NAMES: tuple[str, ...] = ("key", "left", "right")
REDUCE_NAMES: tuple[str, ...] = ("agg", "value")  # a reduce aggregation's expr
INIT_NAMES: tuple[str, ...] = ()  # a reduce aggregation's init: a constant

MAX_EXPRESSION_LENGTH = 4000
MAX_DEPTH = 200  # nesting levels of the syntax tree; deeper trees would exhaust the stack


class ExpressionError(ValueError):
    """An expression that is not valid, or not allowed.

    ``col``, where known, counts from the first non-blank character of the expression.
    """

    def __init__(self, message: str, col: int | None = None):
        super().__init__(message)
        self.message = message
        self.col = col


ALLOWED_FUNCTIONS: dict[str, Callable] = FUNCTIONS

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
    budgeted: bool = False  # has guarded operations: each evaluation pays from a budget
    references: int = 0  # how often the context names occur: a bound on aliasing the inputs
    # What Python warns of the text (``"is" with a literal``, ``invalid decimal literal``):
    # valid, but likely not what was meant. Validation shows them; nothing prints them.
    python_warnings: tuple[str, ...] = ()
    # The lambda's body as compiled (guards in), for ``compile_together``.
    body: ast.expr | None = field(default=None, repr=False, compare=False)
    # ``fn`` without its guards, exact for a value read unchanged from JSON text of at most
    # ``small_limit`` bytes (engine.model.small_records); None and 0 when there is no such.
    small_fn: Callable[..., Any] | None = field(default=None, repr=False, compare=False)
    small_limit: int = 0
    plain: ast.expr | None = field(default=None, repr=False, compare=False)  # its body

    def __call__(self, *args):
        return self.fn(*args)


def _describe(node: ast.AST) -> str:
    return type(node).__name__


class _Checker:
    """Walks the tree with lexical scopes for comprehension variables."""

    def __init__(self, names: tuple[str, ...]):
        self.context = frozenset(names)
        self.used: set[str] = set()
        self.references = 0

    def fail(self, node: ast.AST, message: str) -> NoReturn:
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
            self.fail(
                node,
                f"attribute access '.{node.attr}' is not allowed (only method calls such as .get(...))",
            )
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
        texts = [p.value for p in parts if isinstance(p, ast.Constant) and isinstance(p.value, str)]
        if len(texts) != len(parts):
            self.fail(node, "a format spec in an f-string must be a constant, e.g. {value:.2f}")
        try:
            check_width("".join(texts), "an f-string format spec")
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
            self.references += 1
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


def _depth(tree: ast.AST) -> int:
    """Nesting depth of the tree, measured without recursion."""
    deepest, stack = 0, [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    return deepest


_GLOBALS: dict[str, Any] = {"__builtins__": {}, **ALLOWED_FUNCTIONS, **GUARDS}


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
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ExpressionError(
                "the expression holds a lone surrogate (\\ud800-\\udfff), which is not text",
                exc.start,
            ) from None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        expression = _parse_and_compile(source, text, names)
    said = tuple(
        dict.fromkeys(str(w.message) for w in caught if issubclass(w.category, SyntaxWarning))
    )
    return replace(expression, python_warnings=said) if said else expression


def _parse_and_compile(source: str, text: str, names: tuple[str, ...]) -> Expression:
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

    guard = guard_rewrite.Guard()
    container = guard_rewrite.may_return_container(tree.body)  # before the tree is rewritten
    guarded = guard.visit(tree)
    # Constant sub-expressions are evaluated now, so ``9**9**9`` is refused when the
    # topology is validated rather than when the first record arrives.
    _evaluate_constants(guarded.body)
    references = checker.references * guard.reference_factor
    small = (
        small_records.limit(guarded.body, references, len(source), container)
        if guard.guarded
        else 0
    )
    body = guard_rewrite.budgeted(guarded.body, guard, container)
    # The text as checked, parsed again: its tree was rewritten in place.
    plain = ast.parse(source.strip(), mode="eval").body if small else None
    return Expression(
        source=source,
        names=names,
        fn=_function(names, body, "<expression>"),
        used_names=frozenset(checker.used),
        budgeted=guard.guarded,
        references=references,
        body=body,
        small_fn=_function(names, plain, "<expression>") if plain is not None else None,
        small_limit=small,
        plain=plain,
    )


def _function(
    names: tuple[str, ...], body: ast.expr, filename: str, quiet: bool = False
) -> Callable[..., Any]:
    """A lambda of ``names`` returning ``body``, in the expressions' restricted globals.
    ``quiet``: Python's warnings of the text were said when it was compiled alone."""
    args = ast.arguments(
        posonlyargs=[], args=[ast.arg(arg=n) for n in names], vararg=None,
        kwonlyargs=[], kw_defaults=[], kwarg=None, defaults=[],
    )  # fmt: skip
    lam = ast.Expression(body=ast.Lambda(args=args, body=body))
    ast.fix_missing_locations(lam)
    if not quiet:
        return eval(compile(lam, filename, "eval"), dict(_GLOBALS))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return eval(compile(lam, filename, "eval"), dict(_GLOBALS))


def compile_together(expressions: list[Expression]) -> Callable[..., tuple]:
    """One function of the expressions' names returning their values as a tuple: each
    evaluated as its own ``fn`` evaluates it, left to right, a guarded one with its own
    budget (it resets the budget first); the first that raises ends the call. The bodies
    are the expressions' own, checked and guarded, in the same globals: a set_fields node
    computes its fields in one call rather than one each. Expressions share no names
    (assignment expressions and lambdas are refused), so one cannot see another's."""
    names = expressions[0].names
    bodies = [e.body for e in expressions if e.body is not None and e.names == names]
    if len(bodies) != len(expressions):
        raise ValueError("expressions compiled together take the same names")
    return _function(names, ast.Tuple(elts=bodies, ctx=ast.Load()), "<expressions>", quiet=True)


def small_together(expressions: list[Expression]) -> tuple[Callable[..., tuple], int] | None:
    """``compile_together`` without the guards, and the longest JSON text (bytes) for which
    it is exact (``Expression.small_limit``, the least of the expressions'); None unless
    every guarded expression has such a version."""
    bodies, limits = [], []
    for e in expressions:
        if e.budgeted:
            if e.plain is None:
                return None
            bodies.append(e.plain)
            limits.append(e.small_limit)
        elif e.body is not None:
            bodies.append(e.body)
        else:
            return None
    if not limits:
        return None
    names = expressions[0].names
    together = _function(names, ast.Tuple(elts=bodies, ctx=ast.Load()), "<expressions>", True)
    return together, min(limits)


def _evaluate_constants(node: ast.AST) -> None:
    """Evaluate each outermost guarded call whose operands are constants."""
    stack = [node]
    while stack:
        child = stack.pop()
        if (
            isinstance(child, ast.Call)
            and isinstance(child.func, ast.Name)
            and child.func.id in GUARDS
            and child.func.id not in _WRAPPERS
            and not _has_names_except_guards(child)
        ):
            expr = ast.Expression(body=child)
            ast.fix_missing_locations(expr)
            guards.reset()
            try:
                eval(compile(expr, "<constant>", "eval"), dict(_GLOBALS))
            except ExpressionLimitError as exc:
                raise ExpressionError(str(exc)) from None
            except Exception:  # noqa: BLE001 - e.g. 1/0 in a constant: fails per record later
                pass
            continue  # the inner guarded calls were evaluated with this one
        stack.extend(ast.iter_child_nodes(child))


_LOOPS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
# Guards that only charge what surrounds them (a loop, a comparison): their operands are
# evaluated as constants on their own.
_WRAPPERS = frozenset({"_ts_loop", "_ts_sized", "_ts_result", "_ts_reset"})


def _has_names_except_guards(node: ast.AST) -> bool:
    """Whether ``node`` depends on anything but constants (loops count: they can run long)."""
    for n in ast.walk(node):
        if (isinstance(n, ast.Name) and n.id not in GUARDS) or isinstance(n, _LOOPS):
            return True
    return False


def headers_dict(headers: list[tuple[str, bytes]] | None) -> dict[str, Any]:
    """Kafka headers as the ``headers`` dict of expressions (UTF-8 text where it decodes)."""
    if not headers:
        return {}
    out: dict[str, Any] = {}
    for k, v in headers:
        out[k] = v
        if isinstance(v, bytes):
            try:
                out[k] = v.decode()
            except UnicodeDecodeError:
                pass
    return out
