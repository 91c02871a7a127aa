"""Duration strings of the topology file: ``500ms``, ``10s``, ``1m``, ``1h``, ``1d``."""

from __future__ import annotations

import re

_UNITS_MS = {"ms": 1, "s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000}
_PATTERN = re.compile(r"\s*([0-9]+)\s*(ms|s|m|h|d)\s*")


class DurationError(ValueError):
    """A duration string that does not parse."""


def parse_duration(text: str | int) -> int:
    """Milliseconds in a duration string; a bare integer is taken as milliseconds."""
    if isinstance(text, bool):
        raise DurationError(f"{text!r} is not a duration")
    if isinstance(text, int):
        if text < 0:
            raise DurationError(f"{text} is negative")
        if text.bit_length() > 53:
            raise DurationError("the duration is too long: at most 2**53 ms")
        return text
    if not isinstance(text, str):
        raise DurationError(f"{text!r} is not a duration")
    match = _PATTERN.fullmatch(text) if len(text) <= 64 else None
    if match is None and len(text) > 64:
        raise DurationError(
            f"{text[:20]!r}... is not a duration: it is {len(text):,} characters long"
        )
    if match is not None and len(match.group(1)) > 15:
        raise DurationError(f"{text.strip()[:20]!r}... is too long a duration: at most 15 digits")
    if not match:
        raise DurationError(
            f"{text!r} is not a duration; write a number and a unit, e.g. 500ms, 10s, 1m, 1h, 1d"
        )
    return int(match.group(1)) * _UNITS_MS[match.group(2)]


def format_duration(ms: int) -> str:
    """The shortest exact duration string for ``ms``."""
    for unit in ("d", "h", "m", "s"):
        size = _UNITS_MS[unit]
        if ms and ms % size == 0:
            return f"{ms // size}{unit}"
    return f"{ms}ms"
