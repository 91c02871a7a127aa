"""Sliding windows, ported from Kafka Streams' KStreamSlidingWindowAggregateTest: the inputs in
the same order, the expected outputs as written there, for both emit strategies
(ON_WINDOW_UPDATE: ``emit: update``; ON_WINDOW_CLOSE: ``emit: final``).

MockInitializer.STRING_INIT with MockAggregator.TOSTRING_ADDER is a reduce from ``'0'``;
MockReducer.STRING_ADDER a reduce without init.

Differences, deliberate (README, "Differences from Kafka Streams"): the output key is the
group key with the window in the value (``window_start``, ``window_end``); no record cache
(the tests' ``withCache`` parameter changes nothing they assert).
"""

from __future__ import annotations

import json
from collections import defaultdict

import pytest

from engine.code.builder import Aggregation, StreamsBuilder
from tests.engine.kafka_streams_parity.driver import Driver

EMITS = ["update", "final"]  # StrategyType.ON_WINDOW_UPDATE, ON_WINDOW_CLOSE
ADDER = "agg + '+' + value"


def sliding(state, tmp_path, size, grace, emit, aggregation, topic="topic"):
    b = StreamsBuilder("ks-sliding")
    b.stream(topic, name="src", key_format="string", value_format="string").aggregate(
        [aggregation],
        name="agg",
        window={"type": "sliding", "size": f"{size}ms", "grace": f"{grace}ms"},
        emit=emit,
    ).to("out", name="out", key_format="string", value_format="json")
    driver = Driver(b.build(), state, tmp_path)
    return driver, driver.input(topic, key_format="string")


def outputs(driver):
    """(key, start, end, value, timestamp) of the new outputs, in order."""
    out = []
    for m in driver.read():
        row = json.loads(m.value())
        out.append(
            (m.key().decode(), row["window_start"], row["window_end"], row["r"], m.timestamp()[1])
        )
    return out


def gather_output(driver):
    """gatherOutput: window start -> {(value, timestamp)}."""
    gathered = defaultdict(set)
    for _key, start, _end, value, ts in outputs(driver):
        gathered[start].add((value, ts))
    return dict(gathered)


@pytest.mark.parametrize("emit", EMITS)
def test_aggregate_small_input(state, tmp_path, emit):
    """KStreamSlidingWindowAggregateTest.testAggregateSmallInput:
    SlidingWindows.ofTimeDifferenceAndGrace(10, 5), aggregate(STRING_INIT, TOSTRING_ADDER)"""
    aggregation = Aggregation("r", "reduce", ADDER, init="'0'")
    driver, topic = sliding(state, tmp_path, 10, 5, emit, aggregation)
    topic.pipeInput("A", "1", 10)
    topic.pipeInput("A", "2", 10)
    topic.pipeInput("A", "3", 14)
    topic.pipeInput("A", "4", 15)
    topic.pipeInput("A", "5", 20)
    topic.pipeInput("A", "6", 22)
    topic.pipeInput("A", "7", 30)
    if emit == "final":
        expected = {
            0: {("0+1+2", 10)},
            4: {("0+1+2+3", 14)},
            5: {("0+1+2+3+4", 15)},
            10: {("0+1+2+3+4+5", 20)},
            11: {("0+3+4+5", 20)},
            12: {("0+3+4+5+6", 22)},
        }
    else:
        expected = {
            0: {("0+1", 10), ("0+1+2", 10)},
            4: {("0+1+2+3", 14)},
            5: {("0+1+2+3+4", 15)},
            10: {("0+1+2+3+4+5", 20)},
            11: {("0+3", 14), ("0+3+4", 15), ("0+3+4+5", 20)},
            12: {("0+3+4+5+6", 22)},
            15: {("0+4", 15), ("0+4+5", 20), ("0+4+5+6", 22)},
            16: {("0+5", 20), ("0+5+6", 22)},
            20: {("0+5+6+7", 30)},
            21: {("0+6", 22), ("0+6+7", 30)},
            23: {("0+7", 30)},
        }
    assert gather_output(driver) == expected


@pytest.mark.parametrize("emit", EMITS)
def test_reduce_small_input(state, tmp_path, emit):
    """KStreamSlidingWindowAggregateTest.testReduceSmallInput:
    SlidingWindows.ofTimeDifferenceAndGrace(10, 5), reduce(STRING_ADDER)"""
    driver, topic = sliding(state, tmp_path, 10, 5, emit, Aggregation("r", "reduce", ADDER))
    topic.pipeInput("A", "1", 10)
    topic.pipeInput("A", "2", 14)
    topic.pipeInput("A", "3", 15)
    topic.pipeInput("A", "4", 22)
    topic.pipeInput("A", "5", 26)
    topic.pipeInput("A", "6", 30)
    if emit == "final":
        expected = {
            0: {("1", 10)},
            4: {("1+2", 14)},
            5: {("1+2+3", 15)},
            11: {("2+3", 15)},
            12: {("2+3+4", 22)},
        }
    else:
        expected = {
            0: {("1", 10)},
            4: {("1+2", 14)},
            5: {("1+2+3", 15)},
            11: {("2", 14), ("2+3", 15)},
            12: {("2+3+4", 22)},
            15: {("3", 15), ("3+4", 22)},
            16: {("4", 22), ("4+5", 26)},
            20: {("4+5+6", 30)},
            23: {("5", 26), ("5+6", 30)},
            27: {("6", 30)},
        }
    assert gather_output(driver) == expected


@pytest.mark.parametrize("emit", EMITS)
def test_aggregate_large_input(state, tmp_path, emit):
    """KStreamSlidingWindowAggregateTest.testAggregateLargeInput:
    SlidingWindows.ofTimeDifferenceAndGrace(10, 10 or 50), aggregate(STRING_INIT, TOSTRING_ADDER),
    outputs sorted by key and window start"""
    grace = 10 if emit == "final" else 50
    aggregation = Aggregation("r", "reduce", ADDER, init="'0'")
    driver, topic = sliding(state, tmp_path, 10, grace, emit, aggregation, "topic1")
    for key, value, ts in [
        ("A", "1", 10), ("A", "2", 20), ("A", "3", 22), ("A", "4", 15),
        ("B", "1", 12), ("B", "2", 13), ("B", "3", 18), ("B", "4", 19), ("B", "5", 25),
        ("B", "6", 14),  # skip for emit final [4, 14], close time 15
        ("C", "1", 11),  # skip for emit final [1, 11], close time 15
        ("C", "2", 15), ("C", "3", 16), ("C", "4", 21), ("C", "5", 23),
        ("D", "4", 11),  # skip for emit final [1, 11], close time 15
        ("D", "2", 12),  # skip for emit final [2, 12], close time 15
        ("D", "3", 29),
        ("D", "5", 16),  # skip for emit final [6, 16], close time: 19
    ]:  # fmt: skip
        topic.pipeInput(key, value, ts)
    actual = sorted(outputs(driver), key=lambda o: (o[0], o[1]))  # stable, as Java's sort
    if emit == "final":
        assert actual == [
            ("A", 0, 10, "0+1", 10),
            ("A", 5, 15, "0+1+4", 15),
            ("B", 2, 12, "0+1", 12),
            ("B", 3, 13, "0+1+2", 13),
            ("B", 8, 18, "0+1+2+3+6", 18),
            ("C", 5, 15, "0+2", 15),
            ("C", 6, 16, "0+2+3", 16),
        ]
    else:
        assert actual == [
            ("A", 0, 10, "0+1", 10),
            ("A", 5, 15, "0+1+4", 15),
            ("A", 10, 20, "0+1+2", 20),
            ("A", 10, 20, "0+1+2+4", 20),
            ("A", 11, 21, "0+2", 20),
            ("A", 11, 21, "0+2+4", 20),
            ("A", 12, 22, "0+2+3", 22),
            ("A", 12, 22, "0+2+3+4", 22),
            ("A", 16, 26, "0+2+3", 22),
            ("A", 21, 31, "0+3", 22),
            ("B", 2, 12, "0+1", 12),
            ("B", 3, 13, "0+1+2", 13),
            ("B", 4, 14, "0+1+2+6", 14),
            ("B", 8, 18, "0+1+2+3", 18),
            ("B", 8, 18, "0+1+2+3+6", 18),
            ("B", 9, 19, "0+1+2+3+4", 19),
            ("B", 9, 19, "0+1+2+3+4+6", 19),
            ("B", 13, 23, "0+2", 13),
            ("B", 13, 23, "0+2+3", 18),
            ("B", 13, 23, "0+2+3+4", 19),
            ("B", 13, 23, "0+2+3+4+6", 19),
            ("B", 14, 24, "0+3", 18),
            ("B", 14, 24, "0+3+4", 19),
            ("B", 14, 24, "0+3+4+6", 19),
            ("B", 15, 25, "0+3+4+5", 25),
            ("B", 19, 29, "0+4", 19),
            ("B", 19, 29, "0+4+5", 25),
            ("B", 20, 30, "0+5", 25),
            ("C", 1, 11, "0+1", 11),
            ("C", 5, 15, "0+1+2", 15),
            ("C", 6, 16, "0+1+2+3", 16),
            ("C", 11, 21, "0+1+2+3+4", 21),
            ("C", 12, 22, "0+2", 15),
            ("C", 12, 22, "0+2+3", 16),
            ("C", 12, 22, "0+2+3+4", 21),
            ("C", 13, 23, "0+2+3+4+5", 23),
            ("C", 16, 26, "0+3", 16),
            ("C", 16, 26, "0+3+4", 21),
            ("C", 16, 26, "0+3+4+5", 23),
            ("C", 17, 27, "0+4", 21),
            ("C", 17, 27, "0+4+5", 23),
            ("C", 22, 32, "0+5", 23),
            ("D", 1, 11, "0+4", 11),
            ("D", 2, 12, "0+4+2", 12),
            ("D", 6, 16, "0+4+2+5", 16),
            ("D", 12, 22, "0+2", 12),
            ("D", 12, 22, "0+2+5", 16),
            ("D", 13, 23, "0+5", 16),
            ("D", 19, 29, "0+3", 29),
        ]


def last_per_start(driver):
    """The tests' map of window start -> the last (value, timestamp) forwarded for it."""
    return {start: (value, ts) for _key, start, _end, value, ts in outputs(driver)}


EARLY_SMALL = [("1", 0), ("2", 5), ("3", 6), ("4", 3), ("5", 13), ("6", 10)]
EARLY_SMALL_EXPECTED = {
    0: ("0+1+2+3+4+5+6", 13),
    1: ("0+2+3+4+5+6", 13),
    4: ("0+2+3+5+6", 13),
    6: ("0+3+5+6", 13),
    7: ("0+5+6", 13),
    11: ("0+5", 13),
}


def test_early_records_small_input(state, tmp_path):
    """KStreamSlidingWindowAggregateTest.testEarlyRecordsSmallInput:
    SlidingWindows.ofTimeDifferenceAndGrace(50, 200)"""
    aggregation = Aggregation("r", "reduce", ADDER, init="'0'")
    driver, topic = sliding(state, tmp_path, 50, 200, "update", aggregation)
    for value, ts in EARLY_SMALL:
        topic.pipeInput("A", value, ts)
    assert last_per_start(driver) == EARLY_SMALL_EXPECTED


def test_early_no_grace_period_small_input(state, tmp_path):
    """KStreamSlidingWindowAggregateTest.testEarlyNoGracePeriodSmallInput:
    SlidingWindows.ofTimeDifferenceWithNoGrace(50); every record is early"""
    aggregation = Aggregation("r", "reduce", ADDER, init="'0'")
    driver, topic = sliding(state, tmp_path, 50, 0, "update", aggregation)
    for value, ts in EARLY_SMALL:
        topic.pipeInput("A", value, ts)
    assert last_per_start(driver) == EARLY_SMALL_EXPECTED


def test_early_records_repeated_input(state, tmp_path):
    """KStreamSlidingWindowAggregateTest.testEarlyRecordsRepeatedInput:
    SlidingWindows.ofTimeDifferenceAndGrace(5, 20)"""
    aggregation = Aggregation("r", "reduce", ADDER, init="'0'")
    driver, topic = sliding(state, tmp_path, 5, 20, "update", aggregation)
    for value, ts in [("1", 0), ("2", 2), ("3", 4), ("4", 0), ("5", 2), ("6", 2), ("7", 0)]:
        topic.pipeInput("A", value, ts)
    assert last_per_start(driver) == {
        0: ("0+1+2+3+4+5+6+7", 4),
        1: ("0+2+3+5+6", 4),
        3: ("0+3", 4),
    }


def test_early_records_large_input(state, tmp_path):
    """KStreamSlidingWindowAggregateTest.testEarlyRecordsLargeInput:
    SlidingWindows.ofTimeDifferenceAndGrace(10, 50), outputs sorted by key and window start"""
    aggregation = Aggregation("r", "reduce", ADDER, init="'0'")
    driver, topic = sliding(state, tmp_path, 10, 50, "update", aggregation)
    for value, ts in [
        ("1", 0), ("3", 5), ("4", 6), ("2", 3), ("6", 13), ("5", 10), ("7", 4), ("8", 2),
        ("9", 15),
    ]:  # fmt: skip
        topic.pipeInput("E", value, ts)
    actual = sorted(outputs(driver), key=lambda o: (o[0], o[1]))
    assert [(start, end, value, ts) for _key, start, end, value, ts in actual] == [
        (0, 10, "0+1", 0),
        (0, 10, "0+1+3", 5),
        (0, 10, "0+1+3+4", 6),
        (0, 10, "0+1+3+4+2", 6),
        (0, 10, "0+1+3+4+2+5", 10),
        (0, 10, "0+1+3+4+2+5+7", 10),
        (0, 10, "0+1+3+4+2+5+7+8", 10),
        (1, 11, "0+3", 5),
        (1, 11, "0+3+4", 6),
        (1, 11, "0+3+4+2", 6),
        (1, 11, "0+3+4+2+5", 10),
        (1, 11, "0+3+4+2+5+7", 10),
        (1, 11, "0+3+4+2+5+7+8", 10),
        (3, 13, "0+3+4+2+6", 13),
        (3, 13, "0+3+4+2+6+5", 13),
        (3, 13, "0+3+4+2+6+5+7", 13),
        (4, 14, "0+3+4", 6),
        (4, 14, "0+3+4+6", 13),
        (4, 14, "0+3+4+6+5", 13),
        (4, 14, "0+3+4+6+5+7", 13),
        (5, 15, "0+3+4+6+5", 13),
        (5, 15, "0+3+4+6+5+9", 15),
        (6, 16, "0+4", 6),
        (6, 16, "0+4+6", 13),
        (6, 16, "0+4+6+5", 13),
        (6, 16, "0+4+6+5+9", 15),
        (7, 17, "0+6", 13),
        (7, 17, "0+6+5", 13),
        (7, 17, "0+6+5+9", 15),
        (11, 21, "0+6", 13),
        (11, 21, "0+6+9", 15),
        (14, 24, "0+9", 15),
    ]
