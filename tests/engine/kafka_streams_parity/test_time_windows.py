"""Tumbling and hopping windows, grace, late drops and final results, ported from Kafka
Streams' KStreamWindowAggregateTest and SuppressScenarioTest: the inputs in the same order,
the expected outputs as written there.

Differences, deliberate (README, "Differences from Kafka Streams"): the output key is the
group key with the window in the value (``Driver.windowed()`` shows ``[key@start/end]``);
the tests' string-concatenating aggregator has no counterpart, so the ports aggregate the
count and the sum of the values and compare them with what the expected strings hold.
"""

from __future__ import annotations

import pytest

from tests.engine.kafka_streams_parity.driver import (
    ADDER,
    Driver,
    adder,
    adder_row,
    windowed_count,
)

EMITS = ["update", "final"]  # StrategyType.ON_WINDOW_UPDATE, ON_WINDOW_CLOSE


def hopping(size, advance, grace):
    return {
        "type": "hopping",
        "size": f"{size}ms",
        "advance": f"{advance}ms",
        "grace": f"{grace}ms",
    }


def tumbling(size, grace):
    return {"type": "tumbling", "size": f"{size}ms", "grace": f"{grace}ms"}


def windowed_adder(expected):
    """Kafka Streams' expected (``[key@start/end]``, "0+1+1", ts) as the ports' outputs."""
    return [(key, adder(text), ts) for key, text, ts in expected]


# -- KStreamWindowAggregateTest ----------------------------------------------------------------


@pytest.mark.parametrize("emit", EMITS)
def test_agg_basic(state, tmp_path, emit):
    """KStreamWindowAggregateTest.testAggBasic: TimeWindows.ofSizeAndGrace(10, 100).advanceBy(5)"""
    driver = Driver(windowed_count(hopping(10, 5, 100), emit, "topic1", ADDER), state, tmp_path)
    topic = driver.input("topic1", key_format="string")
    topic.pipeInput("A", "1", 0)
    topic.pipeInput("B", "2", 1)
    topic.pipeInput("C", "3", 2)
    topic.pipeInput("D", "4", 3)
    topic.pipeInput("A", "1", 4)

    topic.pipeInput("A", "1", 5)
    topic.pipeInput("B", "2", 6)
    topic.pipeInput("D", "4", 7)
    topic.pipeInput("B", "2", 8)
    topic.pipeInput("C", "3", 9)

    topic.pipeInput("A", "1", 10)
    topic.pipeInput("B", "2", 11)
    topic.pipeInput("D", "4", 12)
    topic.pipeInput("B", "2", 13)
    topic.pipeInput("C", "3", 14)

    topic.pipeInput("B", "1", 3)
    topic.pipeInput("B", "2", 2)
    topic.pipeInput("B", "3", 9)
    if emit == "final":
        # Nothing processed since grace is 100L and no window closes
        assert driver.windowed(adder_row) == []
    else:
        assert driver.windowed(adder_row) == windowed_adder(
            [
                ("[A@0/10]", "0+1", 0),
                ("[B@0/10]", "0+2", 1),
                ("[C@0/10]", "0+3", 2),
                ("[D@0/10]", "0+4", 3),
                ("[A@0/10]", "0+1+1", 4),
                ("[A@0/10]", "0+1+1+1", 5),
                ("[A@5/15]", "0+1", 5),
                ("[B@0/10]", "0+2+2", 6),
                ("[B@5/15]", "0+2", 6),
                ("[D@0/10]", "0+4+4", 7),
                ("[D@5/15]", "0+4", 7),
                ("[B@0/10]", "0+2+2+2", 8),
                ("[B@5/15]", "0+2+2", 8),
                ("[C@0/10]", "0+3+3", 9),
                ("[C@5/15]", "0+3", 9),
                ("[A@5/15]", "0+1+1", 10),
                ("[A@10/20]", "0+1", 10),
                ("[B@5/15]", "0+2+2+2", 11),
                ("[B@10/20]", "0+2", 11),
                ("[D@5/15]", "0+4+4", 12),
                ("[D@10/20]", "0+4", 12),
                ("[B@5/15]", "0+2+2+2+2", 13),
                ("[B@10/20]", "0+2+2", 13),
                ("[C@5/15]", "0+3+3", 14),
                ("[C@10/20]", "0+3", 14),
                ("[B@0/10]", "0+2+2+2+1", 8),
                ("[B@0/10]", "0+2+2+2+1+2", 8),
                ("[B@0/10]", "0+2+2+2+1+2+3", 9),
                ("[B@5/15]", "0+2+2+2+2+3", 13),
            ]
        )


@pytest.mark.parametrize("emit", EMITS)
def test_should_log_and_meter_when_skipping_expired_window(state, tmp_path, emit):
    """KStreamWindowAggregateTest.shouldLogAndMeterWhenSkippingExpiredWindow:
    TimeWindows.ofSizeAndGrace(10, 90).advanceBy(5)"""
    driver = Driver(windowed_count(hopping(10, 5, 90), emit, "topic", ADDER), state, tmp_path)
    topic = driver.input("topic", key_format="string")
    topic.pipeInput("k", "100", 100)
    topic.pipeInput("k", "0", 0)
    topic.pipeInput("k", "1", 1)
    topic.pipeInput("k", "2", 2)
    topic.pipeInput("k", "3", 3)
    topic.pipeInput("k", "4", 4)
    topic.pipeInput("k", "5", 5)
    topic.pipeInput("k", "6", 6)
    topic.pipeInput("k", "105", 105)
    topic.pipeInput("k", "106", 106)
    assert driver.late_records() == 7  # how many events get dropped
    if emit == "final":
        # Window close time is 15 when timestamp is 105
        assert driver.windowed(adder_row) == windowed_adder([("[k@5/15]", "+5+6", 6)])
    else:
        assert driver.windowed(adder_row) == windowed_adder(
            [
                ("[k@95/105]", "+100", 100),
                ("[k@100/110]", "+100", 100),
                ("[k@5/15]", "+5", 5),
                ("[k@5/15]", "+5+6", 6),
                ("[k@100/110]", "+100+105", 105),
                ("[k@105/115]", "+105", 105),
                ("[k@100/110]", "+100+105+106", 106),
                ("[k@105/115]", "+105+106", 106),
            ]
        )


@pytest.mark.parametrize("emit", EMITS)
def test_should_log_and_meter_when_skipping_expired_window_by_grace(state, tmp_path, emit):
    """KStreamWindowAggregateTest.shouldLogAndMeterWhenSkippingExpiredWindowByGrace:
    TimeWindows.ofSizeAndGrace(10, 90).advanceBy(10)"""
    driver = Driver(windowed_count(hopping(10, 10, 90), emit, "topic", ADDER), state, tmp_path)
    topic = driver.input("topic", key_format="string")
    topic.pipeInput("k", "100", 200)
    topic.pipeInput("k", "0", 100)
    topic.pipeInput("k", "1", 101)
    topic.pipeInput("k", "2", 102)
    topic.pipeInput("k", "3", 103)
    topic.pipeInput("k", "4", 104)
    topic.pipeInput("k", "5", 105)
    topic.pipeInput("k", "6", 6)
    assert driver.late_records() == 7
    if emit == "update":
        assert driver.windowed(adder_row) == windowed_adder([("[k@200/210]", "+100", 200)])
    else:
        assert driver.windowed(adder_row) == []


# -- SuppressScenarioTest ----------------------------------------------------------------------


def raw_and_suppressed(state, tmp_path, window):
    """The test's two outputs: output-raw (the count, emit update) and output-suppressed
    (suppress(untilWindowCloses), emit final)."""
    raw = Driver(windowed_count(window, "update"), state, tmp_path / "raw")
    final = Driver(windowed_count(window, "final"), state, tmp_path / "final")
    topics = [raw.input("input", key_format="string"), final.input("input", key_format="string")]

    def pipe(key, value, ts):
        for topic in topics:
            topic.pipeInput(key, value, ts)

    return raw, final, pipe


def test_should_support_final_results_for_time_windows(state, tmp_path):
    """SuppressScenarioTest.shouldSupportFinalResultsForTimeWindows:
    TimeWindows.ofSizeAndGrace(2, 1)"""
    raw, final, pipe = raw_and_suppressed(state, tmp_path, tumbling(2, 1))
    pipe("k1", "v1", 0)
    pipe("k1", "v1", 1)
    pipe("k1", "v1", 2)
    pipe("k1", "v1", 1)
    pipe("k1", "v1", 0)
    pipe("k1", "v1", 5)
    # note this last record gets dropped because it is out of the grace period
    pipe("k1", "v1", 0)
    assert raw.windowed() == [
        ("[k1@0/2]", 1, 0),
        ("[k1@0/2]", 2, 1),
        ("[k1@2/4]", 1, 2),
        ("[k1@0/2]", 3, 1),
        ("[k1@0/2]", 4, 1),
        ("[k1@4/6]", 1, 5),
    ]
    assert final.windowed() == [
        ("[k1@0/2]", 4, 1),
        ("[k1@2/4]", 1, 2),
    ]


def test_should_support_final_results_for_time_windows_with_large_jump(state, tmp_path):
    """SuppressScenarioTest.shouldSupportFinalResultsForTimeWindowsWithLargeJump:
    TimeWindows.ofSizeAndGrace(2, 2)"""
    raw, final, pipe = raw_and_suppressed(state, tmp_path, tumbling(2, 2))
    pipe("k1", "v1", 0)
    pipe("k1", "v1", 1)
    pipe("k1", "v1", 2)
    pipe("k1", "v1", 0)
    pipe("k1", "v1", 3)
    pipe("k1", "v1", 0)
    pipe("k1", "v1", 4)
    # this update should get dropped, since the previous event advanced the stream time and
    # closed the window.
    pipe("k1", "v1", 0)
    pipe("k1", "v1", 30)
    assert raw.windowed() == [
        ("[k1@0/2]", 1, 0),
        ("[k1@0/2]", 2, 1),
        ("[k1@2/4]", 1, 2),
        ("[k1@0/2]", 3, 1),
        ("[k1@2/4]", 2, 3),
        ("[k1@0/2]", 4, 1),
        ("[k1@4/6]", 1, 4),
        ("[k1@30/32]", 1, 30),
    ]
    assert final.windowed() == [
        ("[k1@0/2]", 4, 1),
        ("[k1@2/4]", 2, 3),
        ("[k1@4/6]", 1, 4),
    ]
