"""Start positions: earliest, latest, offsets, times (ISO 8601 or 13-digit epoch ms)."""

from __future__ import annotations

import pytest

from engine.cluster.topics.positions import (
    EARLIEST,
    LATEST,
    PositionError,
    Start,
    StartKind,
    format_time,
    parse_start,
)


def test_words_offsets_and_times():
    assert parse_start("earliest") is EARLIEST
    assert parse_start("LATEST") is LATEST
    assert parse_start("42") == Start(StartKind.OFFSET, 42)
    assert parse_start("999999999999") == Start(StartKind.OFFSET, 999_999_999_999)
    assert parse_start("1765015200000") == Start(StartKind.TIME, 1_765_015_200_000)
    assert parse_start("2025-12-06T10:00:00Z") == Start(StartKind.TIME, 1_765_015_200_000)
    assert parse_start("2025-12-06T10:00:00") == Start(StartKind.TIME, 1_765_015_200_000)
    assert parse_start("2025-12-06T11:00:00+01:00") == Start(StartKind.TIME, 1_765_015_200_000)


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("yesterday", "is neither earliest, latest, an offset nor a time"),
        ("-5", "is negative"),
        ("12345678901234", "has 14 digits"),
        ("", "is neither"),
    ],
)
def test_what_is_not_a_position_is_a_sentence(text, said):
    with pytest.raises(PositionError, match=said):
        parse_start(text)


def test_times_are_shown_in_utc():
    assert format_time(1_765_015_200_000) == "2025-12-06T10:00:00.000Z"
    assert parse_start("2025-12-06T10:00:00Z").describe() == "2025-12-06T10:00:00.000Z"
