"""Per-record bounds of compiled expressions: the budget and the guarded operations.

A compiled expression (see ``engine.model.expressions``) is rewritten
(``engine.model.guard_rewrite``) so that every operation whose cost or result grows with
the size of its operands goes through a guard of this module. Each evaluation of an
expression has a budget of ``MAX_STEPS`` steps: a comprehension charges one step per
element it iterates (charged by the iterable's length, before the loop runs), building
text charges one step per ten characters (so do copies: slices, unpacking, f-strings,
methods such as ``upper`` or ``split``), and building,
converting, sorting, comparing or formatting a list, tuple, set or dict charges its
*logical* size: every element counted as often as it is referenced, so a small list of
aliased big lists costs what printing or comparing it would. No single value is built
beyond ``MAX_SEQUENCE_LENGTH`` elements or characters, and what an expression returns is
charged too, so a sink never receives a structure it cannot encode.

Guards raise ``ExpressionLimitError`` (a value too large) or ``BudgetExceededError``
(the budget spent); the runtime sends such a record to the dead letters with the message
as its reason, and goes on. Expressions without any guarded operation (plain field access,
comparisons with constants, arithmetic-free dict building) pay nothing.
"""

from __future__ import annotations

import codecs
import functools
import itertools
import math

MAX_STEPS = 1_000_000
MAX_POW_EXPONENT = 10_000
MAX_INT_BITS = 4096
MAX_SEQUENCE_LENGTH = 1_000_000
MAX_FORMAT_WIDTH = 1000  # widths and precisions in f-string specs and % formatting
CHARS_PER_STEP = 10
MAX_ROUND_DIGITS = 5000
# Codecs whose cost is linear in the input; punycode and idna are quadratic.
LINEAR_CODECS = frozenset(
    {
        "utf-8",
        "ascii",
        "latin-1",
        "iso8859-1",
        "utf-16",
        "utf-16-le",
        "utf-16-be",
        "utf-32",
        "utf-32-le",
        "utf-32-be",
        "cp1252",
        "utf-8-sig",
    }
)


class ExpressionLimitError(ArithmeticError):
    """Raised at evaluation when an operation would build a value beyond the limits."""


class BudgetExceededError(ExpressionLimitError):
    """Raised at evaluation when one record's expression spends more than ``MAX_STEPS``."""


_used = [0]  # steps spent by the evaluation in progress (a worker evaluates one at a time)
_SCALARS = frozenset({int, float, bool, type(None)})
_CONTAINERS = frozenset({list, tuple, set, frozenset, dict})


def _over() -> BudgetExceededError:
    return BudgetExceededError(
        f"the expression needs more than {MAX_STEPS:,} steps (its limit per record) "
        "(loops, or building, sorting or comparing large values)"
    )


def charge(steps: int) -> None:
    used = _used[0] + steps
    _used[0] = used
    if used > MAX_STEPS:
        raise _over()


def reset() -> None:
    """Start an evaluation's budget (the compiled expression calls it first)."""
    _used[0] = 0


_reset_fast = functools.partial(_used.__setitem__, 0, 0)  # reset() without a Python frame


def size_of(value, limit: int = MAX_STEPS) -> int:
    """The logical size of ``value`` in steps: containers count every reference to an element,
    text one step per ten characters. Raises BudgetExceededError beyond ``limit``; the walk
    costs the number of distinct containers' elements, not the logical size."""
    memo: dict[int, int] = {}

    def walk(v) -> int:
        t = type(v)
        if t is str or t is bytes:
            return 1 + len(v) // CHARS_PER_STEP
        if t not in _CONTAINERS:
            return 1 + (v.bit_length() >> 8 if t is int else 0)
        got = memo.get(id(v))
        if got is not None:
            return got
        n = 1
        for item in itertools.chain.from_iterable(v.items()) if t is dict else v:
            n += walk(item)
            if n > limit:
                raise _over()
        memo[id(v)] = n
        return n

    try:
        return walk(value)
    except RecursionError:
        raise ExpressionLimitError("the value is nested too deeply") from None


def _charge_size(value) -> None:
    t = type(value)
    if t in _CONTAINERS:
        charge(size_of(value, MAX_STEPS - _used[0] + 1))
    elif t is str or t is bytes:
        charge(len(value) // CHARS_PER_STEP)


def _sized(value):
    """An operand whose size the operation around it pays for (a comparison, a format)."""
    if type(value) in _CONTAINERS:
        charge(size_of(value, MAX_STEPS - _used[0] + 1))
    return value


def _piece(value):
    """A value an f-string writes: text pays for its characters before the f-string is
    built (``f"{v}{v}..."`` cannot build many times its field first), a container its size."""
    t = type(value)
    if t is str:
        used = _used[0] + len(value) // CHARS_PER_STEP  # charge(...), without a call
        _used[0] = used
        if used > MAX_STEPS:
            raise _over()
    elif t in _CONTAINERS:
        charge(size_of(value, MAX_STEPS - _used[0] + 1))
    return value


_FLAT = frozenset({int, float, bool, type(None), str})


def _result(value):
    """What an expression returns: containers pay their logical size (a small flat one,
    the common case, without walking it)."""
    t = type(value)
    if t in _CONTAINERS:
        n = len(value)
        if n <= 64 and _FLAT.issuperset(map(type, value.values() if t is dict else value)):
            used = _used[0] + n  # charge(n), without a call
            _used[0] = used
            if used > MAX_STEPS:
                raise _over()
        else:
            charge(size_of(value, MAX_STEPS - _used[0] + 1))
    return value


def _built(value):
    """A value just built by a method, a slice, an f-string or an unpacking: it pays for its
    size, so building copies in a loop is bounded like the loop itself."""
    t = type(value)
    if t is str or t is bytes:
        if len(value) > MAX_SEQUENCE_LENGTH:
            raise ExpressionLimitError(
                f"the text would be longer than {MAX_SEQUENCE_LENGTH:,} characters"
            )
        steps = len(value) // CHARS_PER_STEP
    elif t in _CONTAINERS:
        steps = (
            len(value) + sum(len(v) for v in value if type(v) is str) // CHARS_PER_STEP
            if t is not dict
            else len(value)
        )
    else:
        return value
    used = _used[0] + steps
    _used[0] = used
    if used > MAX_STEPS:
        raise _over()
    return value


def _built_parts(value):
    """The pieces ``split``, ``partition`` and the like cut from text: ``_built``'s charge,
    the characters of str pieces summed in one C loop (such pieces are all str, or all bytes)."""
    t = type(value)
    if (t is list or t is tuple) and value and type(value[0]) is str:
        used = _used[0] + len(value) + sum(map(len, value)) // CHARS_PER_STEP
        _used[0] = used
        if used > MAX_STEPS:
            raise _over()
        return value
    return _built(value)


def _loop(iterable):
    """The iterable of a comprehension: its length is charged before the loop runs (an
    iterable without a length is a generator expression, which charges its own loop)."""
    try:
        n = len(iterable)
    except TypeError:
        return iterable
    used = _used[0] + n
    _used[0] = used
    if used > MAX_STEPS:
        raise _over()
    return iterable


# -- operators ---------------------------------------------------------------------------


def _is_int(x) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _short(x) -> str:
    if type(x) in _CONTAINERS:
        return type(x).__name__
    text = repr(x) if not isinstance(x, int) or x.bit_length() < 200 else "a large integer"
    return text if len(text) <= 40 else f"{text[:37]}..."


def _safe_pow(base, exp):
    if (
        _is_int(exp)
        and isinstance(base, int)
        and (
            abs(exp) > MAX_POW_EXPONENT
            or (exp > 0 and abs(base) > 1 and exp * math.log2(abs(base)) > MAX_INT_BITS)
        )
    ):
        raise ExpressionLimitError(f"{_short(base)} ** {exp} is too large")
    result = base**exp
    if isinstance(result, complex):
        raise ExpressionLimitError("complex results are not supported")
    if type(result) is int and result.bit_length() > 256:
        charge(result.bit_length() >> 6)
    return result


_SEQUENCES = (str, bytes, list, tuple)
_NUMBERS = frozenset({int, float, bool})  # adding a sequence to a number raises


def _too_long(seq, n) -> bool:
    return isinstance(n, int) and isinstance(seq, _SEQUENCES) and len(seq) * n > MAX_SEQUENCE_LENGTH


def _repeat_cost(seq, n) -> int:
    if isinstance(seq, (str, bytes)):
        return len(seq) * n // CHARS_PER_STEP
    return max(n, 0) * max(size_of(seq, MAX_STEPS) - 1, 1)


def _safe_mul(a, b):
    ta, tb = type(a), type(b)
    if ta is float or tb is float:  # numbers, the common case; float * sequence raises
        return a * b
    if ta is int and tb is int:
        bits = a.bit_length() + b.bit_length()
        if bits > MAX_INT_BITS:
            raise ExpressionLimitError(f"the product would be larger than {MAX_INT_BITS} bits")
        if bits > 256:  # big integers built in a loop pay for their size (10 bytes a step)
            charge(bits >> 6)
        return a * b
    if _too_long(a, b) or _too_long(b, a):
        raise ExpressionLimitError("the repeated sequence would be too long")
    if _is_int(a) and _is_int(b):
        bits = a.bit_length() + b.bit_length()
        if bits > MAX_INT_BITS:
            raise ExpressionLimitError(f"the product would be larger than {MAX_INT_BITS} bits")
        if bits > 256:  # big integers built in a loop pay for their size (10 bytes a step)
            charge(bits >> 6)
    elif isinstance(a, _SEQUENCES) and isinstance(b, int):
        charge(_repeat_cost(a, b))
    elif isinstance(b, _SEQUENCES) and isinstance(a, int):
        charge(_repeat_cost(b, a))
    return a * b


def _safe_add(a, b):
    if type(a) in _NUMBERS:
        return a + b
    if isinstance(a, _SEQUENCES) and isinstance(b, _SEQUENCES):
        if len(a) + len(b) > MAX_SEQUENCE_LENGTH:
            raise ExpressionLimitError("the joined sequence would be too long")
        charge((len(a) + len(b)) // (CHARS_PER_STEP if isinstance(a, (str, bytes)) else 1))
    return a + b


def _safe_lshift(a, b):
    if (
        _is_int(b)
        and b > 0
        and (b > MAX_INT_BITS or (_is_int(a) and a.bit_length() + b > MAX_INT_BITS))
    ):
        raise ExpressionLimitError(f"{_short(a)} << {b} is too large")
    result = a << b
    if type(result) is int and result.bit_length() > 256:
        charge(result.bit_length() >> 6)
    return result


# -- methods and functions -----------------------------------------------------------------


def _safe_join(obj, *args, **kwargs):
    if isinstance(obj, (str, bytes)) and len(args) == 1 and not kwargs:
        items = list(args[0])
        total = len(obj) * max(len(items) - 1, 0)
        total += sum(len(i) for i in items if isinstance(i, (str, bytes)))
        if total > MAX_SEQUENCE_LENGTH:
            raise ExpressionLimitError("the joined text would be too long")
        charge(len(items) + total // CHARS_PER_STEP)
        return obj.join(items)
    return obj.join(*args, **kwargs)


def _safe_replace(obj, *args, **kwargs):
    if isinstance(obj, (str, bytes)) and len(args) >= 2:
        old, new = args[0], args[1]
        if isinstance(old, type(obj)) and isinstance(new, type(obj)) and len(new) > len(old):
            # old has obj's type (checked above), which mypy cannot follow through type(obj)
            n = len(obj) + 1 if not old else obj.count(old)  # type: ignore[arg-type]
            count = args[2] if len(args) > 2 else kwargs.get("count", -1)
            if _is_int(count) and count >= 0:
                n = min(n, count)
            if len(obj) + n * (len(new) - len(old)) > MAX_SEQUENCE_LENGTH:
                raise ExpressionLimitError("the replaced text would be too long")
        charge(len(obj) // CHARS_PER_STEP)
    return obj.replace(*args, **kwargs)


def _safe_zfill(obj, *args, **kwargs):
    if args and _is_int(args[0]) and args[0] > MAX_SEQUENCE_LENGTH:
        raise ExpressionLimitError("the padded text would be too long")
    return obj.zfill(*args, **kwargs)


def _safe_decode(obj, *args, **kwargs):
    encoding = args[0] if args else kwargs.get("encoding", "utf-8")
    if isinstance(obj, (bytes, bytearray)) and isinstance(encoding, str):
        try:
            name = codecs.lookup(encoding).name
        except LookupError:
            name = encoding
        if name not in LINEAR_CODECS:
            raise ExpressionLimitError(
                f"decoding as {encoding!r} is not allowed; use utf-8, "
                "ascii, latin-1, cp1252, utf-16 or utf-32"
            )
    return obj.decode(*args, **kwargs)


def _safe_scan(name):
    """list.index / count: each element compared, so the list's logical size is charged."""

    def scan(obj, *args, **kwargs):
        if type(obj) in _CONTAINERS:
            _charge_size(obj)
            for a in args:
                _charge_size(a)
        elif isinstance(obj, (str, bytes)):
            charge(len(obj) // CHARS_PER_STEP)
        return getattr(obj, name)(*args, **kwargs)

    return scan


def _safe_sum(iterable, /, start=0):
    if not isinstance(start, (list, tuple)):
        if type(iterable) in _CONTAINERS:
            charge(len(iterable))
        return sum(iterable, start)
    items = list(iterable)
    if len(start) + sum(len(i) for i in items if isinstance(i, _SEQUENCES)) > MAX_SEQUENCE_LENGTH:
        raise ExpressionLimitError("the summed sequence would be too long")
    charge(len(items))
    if all(type(i) is type(start) for i in items):  # linear, where sum() would be quadratic
        return _result(type(start)(itertools.chain(start, *items)))
    return _result(sum(items, start))


def _safe_round(number, ndigits=None):
    if ndigits is None or type(ndigits) is not int:  # (bool digits: as round() takes them)
        return round(number, ndigits) if ndigits is not None else round(number)
    if type(number) is int:
        if ndigits >= 0:
            return number
        if -ndigits > number.bit_length() * 0.31 + 2:  # 10**-ndigits > 2|number|
            return 0
    elif abs(ndigits) > MAX_ROUND_DIGITS:
        raise ExpressionLimitError(f"round() with {ndigits} digits is not supported")
    return round(number, ndigits)


def _sizing(fn):
    """A function whose cost grows with its argument's logical size (str, sorted, ...)."""

    def guarded(*args, **kwargs):
        for a in args:
            _charge_size(a)
        return fn(*args, **kwargs)

    guarded.__name__ = getattr(fn, "__name__", "guarded")
    return guarded


def _safe_str(*args, **kwargs):
    if len(args) == 1 and not kwargs:
        value = args[0]
        t = type(value)
        if t is str:
            return value
        if t in _CONTAINERS:
            _charge_size(value)
        elif t is int and value.bit_length() > 14_000:
            raise ExpressionLimitError("the integer is too large to write as text")
        return str(value)
    for a in args:
        _charge_size(a)
    return str(*args, **kwargs)


FUNCTIONS = {
    "len": len, "str": _safe_str, "int": int, "float": float, "round": _safe_round, "abs": abs,
    "min": _sizing(min), "max": _sizing(max), "sum": _safe_sum, "sorted": _sizing(sorted),
    "bool": bool, "dict": _sizing(dict), "list": _sizing(list), "set": _sizing(set),
    "tuple": _sizing(tuple), "any": _sizing(any), "all": _sizing(all),
}  # fmt: skip

GUARDS = {
    "_ts_pow": _safe_pow, "_ts_mul": _safe_mul, "_ts_lshift": _safe_lshift, "_ts_add": _safe_add,
    "_ts_join": _safe_join, "_ts_replace": _safe_replace,
    "_ts_zfill": _safe_zfill, "_ts_decode": _safe_decode, "_ts_index": _safe_scan("index"),
    "_ts_count": _safe_scan("count"), "_ts_loop": _loop, "_ts_sized": _sized, "_ts_piece": _piece,
    "_ts_result": _result, "_ts_reset": _reset_fast, "_ts_built": _built,
    "_ts_built_parts": _built_parts,
}  # fmt: skip
