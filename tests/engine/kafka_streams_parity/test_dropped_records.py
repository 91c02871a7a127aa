"""What Kafka Streams drops, and what its TopologyTestDriver delivers, ported: null keys in
windowed and session aggregates, null values in unwindowed ones, and a topic written by a
topology and read by the same topology. The inputs in the same order, the expected outputs
as written there.

Kafka Streams counts a dropped record in its dropped-records metric; the engine counts it
with the node's late records (``Driver.late_records()``).
"""

from __future__ import annotations

import json

from engine.code.builder import StreamsBuilder
from tests.engine.kafka_streams_parity.driver import (
    ADDER,
    Driver,
    store_items,
    windowed_count,
)

GAP_MS = 5 * 60 * 1000  # KStreamSessionWindowAggregateProcessorTest.GAP_MS


def test_window_aggregate_should_log_and_meter_when_skipping_null_key(state, tmp_path):
    """KStreamWindowAggregateTest.shouldLogAndMeterWhenSkippingNullKey:
    TimeWindows.ofSizeWithNoGrace(10).advanceBy(5), pipeInput(null, "1")"""
    window = {"type": "hopping", "size": "10ms", "advance": "5ms", "grace": "0ms"}
    driver = Driver(windowed_count(window, "update", "topic", ADDER), state, tmp_path)
    topic = driver.input("topic", key_format="string")
    topic.pipeInput(None, "1")
    assert driver.windowed() == []
    assert driver.late_records() == 1
    assert store_items(driver, "agg") == {}


def test_session_aggregate_should_log_and_meter_when_skipping_null_key(state, tmp_path):
    """KStreamSessionWindowAggregateProcessorTest
    .shouldLogAndMeterWhenSkippingNullKeyWithBuiltInMetrics: process(null, "1", 0)"""
    window = {"type": "session", "gap": f"{GAP_MS}ms"}
    driver = Driver(windowed_count(window), state, tmp_path)
    topic = driver.input("input", key_format="string")
    topic.pipeInput(None, "1", 0)
    assert driver.windowed() == []
    assert driver.late_records() == 1
    assert store_items(driver, "agg") == {}


def test_should_count_and_materialize_results(state, tmp_path):
    """KGroupedStreamImplTest.shouldCountAndMaterializeResults (processData: the last record,
    ("3", null), has no timestamp of its own there; 100 here)"""
    driver = Driver(windowed_count(None, topic="topic"), state, tmp_path)
    topic = driver.input("topic", key_format="string")
    topic.pipeInput("1", "A", 5)
    topic.pipeInput("2", "B", 1)
    topic.pipeInput("1", "C", 3)
    topic.pipeInput("1", "D", 10)
    topic.pipeInput("3", "E", 8)
    topic.pipeInput("3", "F", 9)
    topic.pipeInput("3", None, 100)
    latest = {}
    for m in driver.read():
        latest[m.key().decode()] = (json.loads(m.value())["count"], m.timestamp()[1])
    # count.get(k) as ValueAndTimestamp
    assert latest == {"1": (3, 10), "2": (1, 1), "3": (2, 9)}
    assert driver.late_records() == 1


def test_should_send_data_to_topic_using_produced(state, tmp_path):
    """KStreamImplTest.shouldSendDataToTopicUsingProduced: stream("topic").to("to-topic"),
    and builder.stream("to-topic") processed"""
    b = StreamsBuilder("ks-produced")
    b.stream("topic", name="src", key_format="string", value_format="string").to(
        "to-topic", name="to", key_format="string", value_format="string"
    )
    b.stream("to-topic", name="again", key_format="string", value_format="string").to(
        "out", name="out", key_format="string", value_format="string"
    )
    driver = Driver(b.build(), state, tmp_path)
    driver.input("topic", key_format="string").pipeInput("e", "f")
    processed = [(m.key().decode(), m.value().decode(), m.timestamp()[1]) for m in driver.read()]
    assert processed == [("e", "f", 0)]
