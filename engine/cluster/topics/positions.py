"""Where a scan or an offset reset starts: ``earliest``, ``latest``, an offset or a time.

A time is ISO 8601 (``2026-12-06T10:00:00Z``; no zone is UTC) or epoch milliseconds; a
number of 13 digits is epoch ms, a shorter one an offset (reference §9.12).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum


class StartKind(Enum):
    EARLIEST = "earliest"
    LATEST = "latest"
    OFFSET = "offset"
    TIME = "time"


@dataclass(frozen=True)
class Start:
    kind: StartKind
    value: int = 0  # the offset, or the time in epoch ms

    def describe(self) -> str:
        if self.kind is StartKind.OFFSET:
            return f"offset {self.value}"
        if self.kind is StartKind.TIME:
            return format_time(self.value)
        return self.kind.value


EARLIEST = Start(StartKind.EARLIEST)
LATEST = Start(StartKind.LATEST)


class PositionError(ValueError):
    """A start position that cannot be understood; the message says what is accepted."""


_EPOCH_MS_DIGITS = 13


def parse_start(text: str) -> Start:
    """``earliest`` | ``latest`` | OFFSET | TIME (ISO 8601, or epoch ms as 13 digits)."""
    word = (text or "").strip()
    low = word.lower()
    if low in ("earliest", "beginning"):
        return EARLIEST
    if low in ("latest", "end"):
        return LATEST
    if re.fullmatch(r"\d+", word):
        if len(word) == _EPOCH_MS_DIGITS:
            return Start(StartKind.TIME, int(word))
        if len(word) > _EPOCH_MS_DIGITS:
            raise PositionError(
                f"{word!r} has {len(word)} digits: an offset has at most 12, "
                "a time in epoch milliseconds 13"
            )
        return Start(StartKind.OFFSET, int(word))
    if word.startswith("-") and re.fullmatch(r"-\d+", word):
        raise PositionError(f"{word!r} is negative: an offset is 0 or more")
    return Start(StartKind.TIME, parse_time(word))


def parse_time(text: str) -> int:
    """Epoch ms of an ISO 8601 time (UTC when it names no zone)."""
    word = text.strip()
    iso = word[:-1] + "+00:00" if word.endswith(("Z", "z")) else word
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        raise PositionError(
            f"{text!r} is neither earliest, latest, an offset nor a time "
            "(ISO 8601 such as 2026-12-06T10:00:00Z, or epoch milliseconds)"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def format_time(ms: int) -> str:
    """Epoch ms as ISO 8601 in UTC, to the millisecond."""
    try:
        moment = datetime.fromtimestamp(ms / 1000, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return f"{ms} ms"
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
