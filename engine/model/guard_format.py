"""The guard of ``%`` formatting (``engine.model.guards``, reference §15.2): each conversion
pays for the value it writes, each time it writes it, and text longer than
``MAX_SEQUENCE_LENGTH`` is refused before it is built. Widths and precisions are checked
(``check_width``, also for f-string format specs) and added up."""

from __future__ import annotations

import functools

from engine.model import guards
from engine.model.guards import (
    _CONTAINERS,
    CHARS_PER_STEP,
    MAX_FORMAT_WIDTH,
    MAX_SEQUENCE_LENGTH,
    MAX_STEPS,
    ExpressionLimitError,
    _over,
    charge,
    size_of,
)


def printf_fields(text: str):
    """(mapping key or None, width/precision part) of each conversion of a %-format, parsed
    as CPython does: a key may hold nested parentheses, so ``%(a(b)c)9999s`` has width 9999."""
    i, n = 0, len(text)
    while True:
        i = text.find("%", i)
        if i < 0 or i + 1 >= n:
            return
        i += 1
        if text[i] == "%":
            i += 1
            continue
        key = None
        if text[i] == "(":
            depth, i = 1, i + 1
            start = i
            while i < n and depth:
                depth += {"(": 1, ")": -1}.get(text[i], 0)
                i += 1
            key = text[start : i - 1]
        start = i
        while i < n and text[i] in "-+ #0123456789.*hlL":
            i += 1
        yield key, text[start:i]


def check_width(spec: str, what: str) -> None:
    if "*" in spec or any(
        len(d) > 4 or int(d) > MAX_FORMAT_WIDTH
        for d in "".join(c if c.isdigit() else " " for c in spec).split()
    ):
        raise ExpressionLimitError(
            f"{what}: widths and precisions must be at most {MAX_FORMAT_WIDTH}"
        )


def _printf_plan(text: str, raw: bool) -> tuple[tuple[str | bytes | None, ...], int]:
    """A %-format's conversions (their mapping keys, None where there is none; bytes keys
    for a bytes format) and the characters its widths and precisions can add, checked."""
    keys: list[str | bytes | None] = []
    extra = 0
    for key, spec in printf_fields(text):
        check_width(spec, "% formatting")
        keys.append(key.encode("latin-1") if raw and key is not None else key)
        extra += sum(int(d) for d in "".join(c if c.isdigit() else " " for c in spec).split())
    return tuple(keys), extra


_printf_plan_cached = functools.lru_cache(maxsize=256)(_printf_plan)  # formats in expressions
_SHORT_FORMAT = 4000  # formats as long as an expression are kept; longer ones parsed each time
_FLOAT_TEXT = 330  # '%f' of the largest float: 309 digits, a sign and a point


def _text_length(value) -> int:
    """About how many characters formatting ``value`` writes (containers: charged, and
    measured once written)."""
    t = type(value)
    if t is str:
        return len(value)
    if t is bytes:  # written as b'...'
        return len(value) + 3
    if t is int:
        return value.bit_length() // 3 + 2
    if t is float:
        return _FLOAT_TEXT
    if t in _CONTAINERS:
        charge(size_of(value, MAX_STEPS - guards._used[0] + 1))
    return 0


def _too_long_text() -> ExpressionLimitError:
    n = MAX_SEQUENCE_LENGTH
    return ExpressionLimitError(f"the formatted text would be longer than {n:,} characters")


def _safe_mod(a, b):
    """% formatting: every conversion pays for the value it writes, each time it writes it
    (``'%(s)s' * 400 % value`` writes ``value['s']`` 400 times), and text longer than
    ``MAX_SEQUENCE_LENGTH`` is refused before it is built."""
    ta = type(a)
    if ta is not str and ta is not bytes:
        return a % b
    text = a.decode("latin-1") if ta is bytes else a
    plan = _printf_plan_cached if len(text) <= _SHORT_FORMAT else _printf_plan
    keys, extra = plan(text, ta is bytes)
    total = len(a) + extra
    tb = type(b)
    if tb is tuple:
        for item in b:
            total += _text_length(item)
    elif tb is dict and any(k is not None for k in keys):
        get = b.get
        for k in keys:
            total += _text_length(b if k is None else get(k))
    else:  # one value, written by each conversion (Python refuses more than one)
        total += len(keys) * _text_length(b)
    if total > MAX_SEQUENCE_LENGTH:
        raise _too_long_text()
    result = a % b
    n = len(result)
    if n > MAX_SEQUENCE_LENGTH:  # repr of text or of a container: up to ten times as long
        raise _too_long_text()
    used = guards._used[0] + n // CHARS_PER_STEP  # charge(...), without a call
    guards._used[0] = used
    if used > MAX_STEPS:
        raise _over()
    return result


FORMAT_GUARDS = {"_ts_mod": _safe_mod}
