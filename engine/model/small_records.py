"""When an expression's guards cannot fire: records read as JSON text of a few kilobytes.

A guarded expression (``engine.model.guard_rewrite``) pays for what it builds on every
record, and most of what users write builds little: ``value['customer'].upper()``, an
f-string of two fields, ``value['region'].split('-')[0]``, ``value['amount'] * 2``. When
every guarded operation of an expression works on the record's own fields (``value``,
constant subscripts of it, ``.get`` of a constant), outside any loop, with constants
beside them, what it builds is bounded by the size of the record: a text method at most
triples a field's characters, a piece of an f-string is at most ten characters per byte
of JSON plus what its format spec adds, a repetition by a constant ``c`` is ``c`` times
the field. ``limit`` works out, from such bounds, the largest JSON text (in bytes) for
which no guard of the expression can fire: neither the budget of ``MAX_STEPS`` nor
``MAX_SEQUENCE_LENGTH`` nor ``MAX_INT_BITS`` (orjson reads integers of 64 bits at most).

A record whose value was read from JSON text no longer than that, and not changed since
(``Record.json``), is then evaluated by the expression without its guards: the same
operations in the same order, so the same result or the same error, with nothing to pay.
Any other record (longer text, another format, a value a node built) pays as before.
"""

from __future__ import annotations

import ast

from engine.model.guard_rewrite import _PARTS_METHODS, _UNCHARGED_CALLS
from engine.model.guard_rewrite import _SCALAR_CONSTANTS as _SCALARS
from engine.model.guards import MAX_FORMAT_WIDTH, MAX_SEQUENCE_LENGTH, MAX_STEPS

MAX_LIMIT = 1 << 16  # no more is needed for the fast case, and the bounds stay far from the limits
MIN_LIMIT = 256  # below this, no record is worth a second version of the expression
INT_LIMIT = 1024  # with a repetition: a JSON integer of 1024 digits stays within MAX_INT_BITS
# With a guard that walks a structure (``guards.size_of``, in Python frames): JSON text of
# 512 bytes nests 256 levels at most, far from the recursion limit, where the walk would
# fail ("nested too deeply") and the same operation without it would not, or otherwise.
DEEP_LIMIT = 512
MAX_REPEAT = 64  # the largest constant a field may be repeated by
CHARS_PER_BYTE = 10  # a field formatted (repr, floats, separators) per byte of JSON, at most
FORMATTED = 3 * MAX_FORMAT_WIDTH  # what a format spec (width, precision, grouping) adds

# Methods that build text at most three times the characters of their object (upper,
# casefold ... expand some characters to three) and take constants beside it.
_TEXT_METHODS = frozenset(
    {
        "lower", "upper", "strip", "lstrip", "rstrip", "title", "capitalize", "casefold",
        "removeprefix", "removesuffix", "hex",
    }
)  # fmt: skip
_LOOPS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


def _guard(node: ast.AST, name: str | None = None) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id.startswith("_ts_")
        and (name is None or node.func.id == name)
    )


def _constant(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, _SCALARS)


def _constant_size(node: ast.AST) -> int:
    value = node.value if isinstance(node, ast.Constant) else None
    return len(value) if isinstance(value, (str, bytes)) else 32


def _field(node: ast.AST) -> bool:
    """``value``, a constant subscript of a field, or ``.get`` of a constant on one: a part
    of the record, as large as its JSON text at most."""
    if isinstance(node, ast.Name):
        return node.id == "value"
    if isinstance(node, ast.Subscript):
        key = node.slice
        if _guard(key, "_ts_sized"):
            key = key.args[0]  # type: ignore[attr-defined]
        return _field(node.value) and (_constant(key) or _field(key))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        args = node.args
        return (
            node.func.attr == "get"
            and not node.keywords
            and 1 <= len(args) <= 2
            and _field(node.func.value)
            and _constant(args[0])
            and (len(args) == 1 or (_constant(args[1]) and _constant_size(args[1]) <= 64))
        )
    return False


def _method_of(node: ast.AST, methods: frozenset[str]) -> ast.expr | None:
    """The object of a call of one of ``methods`` with constant arguments, else None."""
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in methods
        and all(_constant(a) for a in node.args)
        and all(_constant(k.value) for k in node.keywords)
    ):
        return node.func.value
    return None


def _plus(*bounds: tuple[int, int] | None, times: int = 1, more: int = 0) -> tuple[int, int] | None:
    if any(x is None for x in bounds):
        return None
    return (
        times * sum(x[0] for x in bounds if x),
        times * sum(x[1] for x in bounds if x) + more,
    )


def _size(node: ast.AST) -> tuple[int, int] | None:
    """How large a value can be, as ``a * L + b`` for JSON text of ``L`` bytes: characters
    of text, the logical size of a container; None when the record does not bound it."""
    if _field(node):
        return 1, 1
    if _constant(node):
        return 0, _constant_size(node)
    if _guard(node):
        return _bound(node)  # type: ignore[arg-type]
    if isinstance(node, ast.Subscript) and _constant(node.slice):  # a part of a bounded value
        return _size(node.value)
    return None


def _may_be_container(node: ast.AST) -> bool:
    """Whether a value may be a list, tuple, set or dict, which a guard walks."""
    if _constant(node) or isinstance(node, ast.JoinedStr):
        return False
    if _guard(node, "_ts_built"):
        arg = node.args[0]  # type: ignore[attr-defined]
        return not (isinstance(arg, ast.JoinedStr) or _method_of(arg, _TEXT_METHODS) is not None)
    return True


def _walks(call: ast.Call) -> bool:
    """Whether a guard may walk a structure: an operand written, compared or hashed that may
    be one, a repeated list."""
    name = call.func.id  # type: ignore[attr-defined]
    if name in ("_ts_piece", "_ts_sized"):
        return _may_be_container(call.args[0])
    return name == "_ts_mul"


def _formatted(node: ast.JoinedStr) -> tuple[int, int] | None:
    """An f-string of bounded values and constants: ten characters per unit of a value
    formatted, and what a format spec adds."""
    pieces: list[tuple[int, int] | None] = []
    for part in node.values:
        if isinstance(part, ast.Constant):
            pieces.append((0, _constant_size(part)))
        elif isinstance(part, ast.FormattedValue):
            value = part.value
            if _guard(value, "_ts_piece"):
                value = value.args[0]  # type: ignore[attr-defined]
            pieces.append(_plus(_size(value), times=CHARS_PER_BYTE, more=FORMATTED))
        else:
            return None
    return _plus(*pieces)


def _bound(call: ast.Call) -> tuple[int, int] | None:
    """What a guarded operation builds and charges at most, as ``a * L + b`` for JSON text
    of ``L`` bytes; None when nothing bounds it by the record."""
    name = call.func.id  # type: ignore[attr-defined]
    args = call.args
    if name == "_ts_reset":
        return 0, 0
    if name in ("_ts_sized", "_ts_piece"):
        return _size(args[0])
    if name == "_ts_built_parts":
        inner = _method_of(args[0], _PARTS_METHODS)
        return None if inner is None else _plus(_size(inner), times=2, more=2)
    if name == "_ts_built":
        arg = args[0]
        if isinstance(arg, ast.Subscript) and isinstance(arg.slice, ast.Slice):
            ends = (arg.slice.lower, arg.slice.upper, arg.slice.step)
            return _size(arg.value) if all(e is None or _constant(e) for e in ends) else None
        inner = _method_of(arg, _TEXT_METHODS)
        if inner is not None:
            return _plus(_size(inner), times=3, more=32)
        return _formatted(arg) if isinstance(arg, ast.JoinedStr) else _size(arg)
    if name == "_ts_mul":  # a field or a constant repeated: integers stay within 64 + 7 bits
        for field, times in (args, args[::-1]):
            if (_field(field) or _constant(field)) and _constant(times):
                count = times.value  # type: ignore[attr-defined]
                if type(count) is int and abs(count) <= MAX_REPEAT:
                    return _plus(_size(field), times=max(1, abs(count)))
        return None
    if name == "_ts_add":
        return _plus(*map(_size, args))
    return None


def limit(body: ast.expr, references: int, source_length: int, container: bool) -> int:
    """The largest JSON text, in bytes, whose unchanged value the guarded ``body`` (the
    rewritten tree, before ``guard_rewrite.budgeted``) evaluates without any guard firing;
    0 when there is none worth having. ``references``: how often the expression refers to
    its inputs (``Expression.references``), which bounds the size of what it returns;
    ``container``: whether that may be a structure, which ``_ts_result`` pays for."""
    bounds: list[tuple[int, int]] = []
    repeats = False
    result = walks = container
    for node in ast.walk(body):
        if isinstance(node, _LOOPS) and any(_guard(n) for n in ast.walk(node)):
            return 0  # a loop multiplies what each turn builds
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
            continue
        name = node.func.id
        if not name.startswith("_ts_"):
            if name not in _UNCHARGED_CALLS:
                return 0  # str(), sorted(), sum() ... charge the budget themselves
            continue
        walks = walks or _walks(node)
        bound = _bound(node)
        if bound is None:
            return 0
        repeats = repeats or name == "_ts_mul"
        bounds.append(bound)
    a, b = sum(x for x, _ in bounds), sum(y for _, y in bounds)
    if result:  # what it returns: what it built, and the inputs as often as it names them
        a, b = 2 * a + references, 2 * b + source_length
    candidates = [
        MAX_LIMIT,
        INT_LIMIT if repeats else MAX_LIMIT,
        DEEP_LIMIT if walks else MAX_LIMIT,
    ]
    if a:
        candidates.append((MAX_STEPS - b) // a)
    elif b > MAX_STEPS:
        return 0
    candidates += [(MAX_SEQUENCE_LENGTH - y) // x for x, y in bounds if x]
    found = min(candidates)
    return found if found >= MIN_LIMIT else 0
