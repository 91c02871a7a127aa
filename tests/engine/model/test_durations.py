"""Duration strings: 500ms, 10s, 1m, 1h, 1d."""

from __future__ import annotations

import pytest

from engine.model.durations import DurationError, format_duration, parse_duration


@pytest.mark.parametrize(
    "text,ms",
    [
        ("500ms", 500),
        ("0ms", 0),
        ("0s", 0),
        ("10s", 10_000),
        ("1m", 60_000),
        ("90m", 5_400_000),
        ("1h", 3_600_000),
        ("1d", 86_400_000),
        (" 5 s ", 5000),
        ("007s", 7000),
        (250, 250),
        (0, 0),
    ],
)
def test_parse(text, ms):
    assert parse_duration(text) == ms


@pytest.mark.parametrize(
    "text",
    [
        "",
        "s",
        "10",
        "1.5s",
        "-1s",
        "+1s",
        "1 min",
        "1M",
        "1S",
        "1w",
        "1m1s",
        "1e3ms",
        "١٠s",  # non-ASCII digits
        -1,
        True,
        False,
        1.5,
        None,
        [],
        {},
        b"1s",
    ],
)
def test_refused(text):
    with pytest.raises(DurationError):
        parse_duration(text)


def test_message_says_how_to_write_one():
    with pytest.raises(
        DurationError, match="write a number and a unit, e.g. 500ms, 10s, 1m, 1h, 1d"
    ):
        parse_duration("5 minutes")


@pytest.mark.parametrize(
    "ms,text",
    [
        (0, "0ms"),
        (1, "1ms"),
        (1500, "1500ms"),
        (1000, "1s"),
        (61_000, "61s"),
        (60_000, "1m"),
        (3_600_000, "1h"),
        (5_400_000, "90m"),
        (86_400_000, "1d"),
        (172_800_000, "2d"),
    ],
)
def test_format(ms, text):
    assert format_duration(ms) == text


@pytest.mark.parametrize(
    "ms", [0, 1, 999, 1000, 59_999, 60_000, 3_599_000, 86_400_000, 123_456_789]
)
def test_format_round_trips(ms):
    assert parse_duration(format_duration(ms)) == ms
