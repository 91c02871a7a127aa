"""Reduce, and aggregate with an initializer, ported from Kafka Streams' own tests: the
inputs in the same order, the expected outputs as written there.

``fn: reduce`` without ``init`` is Kafka Streams' ``reduce(Reducer)``; with ``init`` it is
``aggregate(Initializer, Aggregator)`` (the aggregator sees ``agg`` and ``value``, not the
key). MockReducer.STRING_ADDER and MockAggregator.TOSTRING_ADDER are ``agg + '+' + value``,
MockInitializer.STRING_INIT is ``'0'``.

Differences, deliberate (README, "Differences from Kafka Streams"): the output key is the
group key with the window in the value (``Driver.windowed()`` shows ``[key@start/end]``).
"""

from __future__ import annotations

import json

import pytest

from engine.code.builder import Aggregation, StreamsBuilder
from tests.engine.kafka_streams_parity.driver import Driver, store_items

STRING_ADDER = "agg + '+' + value"
STRING_INIT = "'0'"


def reduced(window, aggregation, emit="update", topic="topic"):
    """groupByKey()[.windowedBy(window)].reduce/aggregate, String keys and values, to out."""
    b = StreamsBuilder("ks-reduce")
    b.stream(topic, name="src", key_format="string", value_format="string").aggregate(
        [aggregation], name="agg", window=window, emit=emit
    ).to("out", name="out", key_format="string", value_format="json")
    return b.build()


def process_data(driver):
    """KGroupedStreamImplTest.processData (its last record, ("3", null), has no timestamp of
    its own there; 100 here)"""
    topic = driver.input("topic", key_format="string")
    topic.pipeInput("1", "A", 5)
    topic.pipeInput("2", "B", 1)
    topic.pipeInput("1", "C", 3)
    topic.pipeInput("1", "D", 10)
    topic.pipeInput("3", "E", 8)
    topic.pipeInput("3", "F", 9)
    topic.pipeInput("3", None, 100)


def latest_per_key(driver, name):
    """The store's ValueAndTimestamp per key, as the outputs give them."""
    latest = {}
    for m in driver.read():
        latest[m.key().decode()] = (json.loads(m.value())[name], m.timestamp()[1])
    return latest


def test_should_reduce_and_materialize_results(state, tmp_path):
    """KGroupedStreamImplTest.shouldReduceAndMaterializeResults: reduce(STRING_ADDER)"""
    driver = Driver(reduced(None, Aggregation("r", "reduce", STRING_ADDER)), state, tmp_path)
    process_data(driver)
    assert latest_per_key(driver, "r") == {"1": ("A+C+D", 10), "2": ("B", 1), "3": ("E+F", 9)}
    entries = {e["k"]: e["a"] for e in store_items(driver, "agg").values()}
    assert entries == {"1": [["A+C+D"]], "2": [["B"]], "3": [["E+F"]]}


def test_should_aggregate_and_materialize_results(state, tmp_path):
    """KGroupedStreamImplTest.shouldAggregateAndMaterializeResults:
    aggregate(STRING_INIT, TOSTRING_ADDER)"""
    aggregation = Aggregation("r", "reduce", STRING_ADDER, init=STRING_INIT)
    driver = Driver(reduced(None, aggregation), state, tmp_path)
    process_data(driver)
    assert latest_per_key(driver, "r") == {
        "1": ("0+A+C+D", 10),
        "2": ("0+B", 1),
        "3": ("0+E+F", 9),
    }


def test_should_reduce_session_windows(state, tmp_path):
    """KGroupedStreamImplTest.shouldReduceSessionWindows:
    SessionWindows.ofInactivityGapWithNoGrace(30), reduce((v1, v2) -> v1 + ":" + v2)"""
    window = {"type": "session", "gap": "30ms"}
    driver = Driver(
        reduced(window, Aggregation("r", "reduce", "agg + ':' + value")), state, tmp_path
    )
    topic = driver.input("topic", key_format="string")
    topic.pipeInput("1", "A", 10)
    topic.pipeInput("2", "Z", 15)
    topic.pipeInput("1", "B", 30)
    topic.pipeInput("1", "A", 70)
    topic.pipeInput("1", "B", 100)
    topic.pipeInput("1", "C", 90)
    result = {key: (value, ts) for key, value, ts in driver.windowed("r")}
    assert result["[1@10/30]"] == ("A:B", 30)
    assert result["[2@15/15]"] == ("Z", 15)
    assert result["[1@70/100]"] == ("A:B:C", 100)


@pytest.mark.parametrize(
    "window", [{"type": "tumbling", "size": "10ms"}, {"type": "session", "gap": "10ms"}]
)
def test_window_reduce_should_log_and_meter_on_null_key(state, tmp_path, window):
    """KStreamWindowReduceTest.shouldLogAndMeterOnNullKey: TimeWindows.ofSizeWithNoGrace(500),
    reduce((value1, value2) -> value1 + "+" + value2), pipeInput(null, "1")
    (and the same through session windows)"""
    driver = Driver(reduced(window, Aggregation("r", "reduce", STRING_ADDER)), state, tmp_path)
    driver.input("topic", key_format="string").pipeInput(None, "1")
    assert driver.read() == []
    assert driver.late_records() == 1


@pytest.mark.parametrize("emit", ["update", "final"])
def test_agg_basic_with_the_string_adder(state, tmp_path, emit):
    """KStreamWindowAggregateTest.testAggBasic with its own aggregator, MockInitializer.STRING_INIT
    and MockAggregator.TOSTRING_ADDER: TimeWindows.ofSizeAndGrace(10, 100).advanceBy(5)"""
    window = {"type": "hopping", "size": "10ms", "advance": "5ms", "grace": "100ms"}
    aggregation = Aggregation("r", "reduce", STRING_ADDER, init=STRING_INIT)
    driver = Driver(reduced(window, aggregation, emit, "topic1"), state, tmp_path)
    topic = driver.input("topic1", key_format="string")
    for key, value, ts in [
        ("A", "1", 0), ("B", "2", 1), ("C", "3", 2), ("D", "4", 3), ("A", "1", 4),
        ("A", "1", 5), ("B", "2", 6), ("D", "4", 7), ("B", "2", 8), ("C", "3", 9),
        ("A", "1", 10), ("B", "2", 11), ("D", "4", 12), ("B", "2", 13), ("C", "3", 14),
        ("B", "1", 3), ("B", "2", 2), ("B", "3", 9),
    ]:  # fmt: skip
        topic.pipeInput(key, value, ts)
    if emit == "final":
        # Nothing processed since grace is 100L and no window closes
        assert driver.windowed("r") == []
        return
    assert driver.windowed("r") == [
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
