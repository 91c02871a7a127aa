"""Window assignment and closing rules (engine/windows.py)."""

import pytest

from engine.runtime.windows import WindowSpec


def test_no_window_param_means_unwindowed():
    assert WindowSpec.from_param(None).kind == "none"
    assert WindowSpec.from_param({"type": "none"}).windowed is False


def test_durations_are_parsed_and_grace_defaults_to_zero():
    spec = WindowSpec.from_param({"type": "hopping", "size": "1m", "advance": "10s"})
    assert (spec.size, spec.advance, spec.grace) == (60_000, 10_000, 0)
    assert WindowSpec.from_param({"type": "session", "gap": "5s", "grace": "2s"}).grace == 2000
    assert WindowSpec.from_param({"type": "tumbling", "size": "1s", "grace": "0s"}).grace == 0


@pytest.mark.parametrize(
    "ts, expected", [(0, (0, 10)), (9, (0, 10)), (10, (10, 20)), (25, (20, 30))]
)
def test_tumbling_windows_are_aligned_to_the_epoch_and_half_open(ts, expected):
    assert WindowSpec.from_param({"type": "tumbling", "size": "10ms"}).windows_for(ts) == [expected]


def test_hopping_windows_are_every_aligned_window_containing_the_timestamp():
    spec = WindowSpec.from_param({"type": "hopping", "size": "10ms", "advance": "5ms"})
    assert spec.windows_for(12) == [(5, 15), (10, 20)]
    assert spec.windows_for(10) == [(5, 15), (10, 20)]
    assert spec.windows_for(9) == [(0, 10), (5, 15)]
    # as in Kafka Streams, no window starts before the epoch
    assert spec.windows_for(2) == [(0, 10)]


def test_hopping_brute_force():
    spec = WindowSpec.from_param({"type": "hopping", "size": "12ms", "advance": "4ms"})
    for ts in range(100):
        expected = [(s, s + 12) for s in range(0, 200, 4) if s <= ts < s + 12]
        assert spec.windows_for(ts) == expected


def test_time_window_closes_at_end_plus_grace():
    spec = WindowSpec.from_param({"type": "tumbling", "size": "10ms", "grace": "5ms"})
    assert not spec.is_closed(10, 14)
    assert spec.is_closed(10, 15)


def test_session_closes_at_end_plus_gap_plus_grace_and_merges_at_most_gap_away():
    spec = WindowSpec.from_param({"type": "session", "gap": "10ms", "grace": "5ms"})
    assert not spec.is_closed(100, 114)
    assert spec.is_closed(100, 115)
    assert spec.session_touches(50, 100, 109)
    assert spec.session_touches(50, 100, 110)  # exactly gap away: merges, as Kafka Streams
    assert not spec.session_touches(50, 100, 111)
    assert spec.session_touches(50, 100, 40)
    assert not spec.session_touches(50, 100, 39)


def test_a_session_record_is_late_only_when_its_session_ends_before_stream_time_minus_gap_and_grace():
    spec = WindowSpec.from_param({"type": "session", "gap": "10ms", "grace": "5ms"})
    assert not spec.session_is_late(85, 100)
    assert spec.session_is_late(84, 100)
    # kept while a record that is not late (ts >= st - 15) can reach it (ts <= end + 10)
    assert spec.session_expiry(100) == 126
