"""The stream-table join (Kafka Streams' KStreamKTableJoinTest) and the word count of
kafka-streams-examples (WordCountLambdaExampleTest), ported: the inputs in the same order,
the expected outputs as written there.

KStreamKTableJoinTest's ``pushToTable`` gives table records random timestamps; the
engine's table join ignores them (a KStream-KTable join without a versioned table, as the
test builds it), so a seeded generator stands in.
"""

from __future__ import annotations

import random

from engine.code.builder import StreamsBuilder
from tests.engine.kafka_streams_parity.driver import Driver, table_join

EXPECTED_KEYS = [0, 1, 2, 3]


class TableJoinTest:
    """KStreamKTableJoinTest's setUp and its push helpers."""

    def __init__(self, state, tmp_path):
        self.driver = Driver(table_join(), state, tmp_path)
        self.stream_topic = self.driver.input("topic1")
        self.table_topic = self.driver.input("topic2")
        self.random = random.Random(18)

    def push_to_stream(self, message_count, value_prefix):
        for i in range(message_count):
            self.stream_topic.pipeInput(EXPECTED_KEYS[i], value_prefix + str(EXPECTED_KEYS[i]), i)

    def push_to_table(self, message_count, value_prefix):
        for i in range(message_count):
            self.table_topic.pipeInput(
                EXPECTED_KEYS[i],
                value_prefix + str(EXPECTED_KEYS[i]),
                self.random.randrange(2**31 - 1),
            )

    def push_null_value_to_table(self):
        for i in range(2):
            self.table_topic.pipeInput(EXPECTED_KEYS[i], None)

    def check(self, *expected):
        """processor.checkAndClearProcessResult"""
        assert self.driver.keyed() == list(expected)


def test_should_not_join_with_empty_table_on_stream_updates(state, tmp_path):
    """KStreamKTableJoinTest.shouldNotJoinWithEmptyTableOnStreamUpdates"""
    t = TableJoinTest(state, tmp_path)
    # push two items to the primary stream. the table is empty
    t.push_to_stream(2, "X")
    t.check()


def test_should_not_join_on_table_updates(state, tmp_path):
    """KStreamKTableJoinTest.shouldNotJoinOnTableUpdates"""
    t = TableJoinTest(state, tmp_path)
    # push two items to the primary stream. the table is empty
    t.push_to_stream(2, "X")
    t.check()
    # push two items to the table. this should not produce any item.
    t.push_to_table(2, "Y")
    t.check()
    # push all four items to the primary stream. this should produce two items.
    t.push_to_stream(4, "X")
    t.check((0, "X0+Y0", 0), (1, "X1+Y1", 1))
    # push all items to the table. this should not produce any item
    t.push_to_table(4, "YY")
    t.check()
    # push all four items to the primary stream. this should produce four items.
    t.push_to_stream(4, "X")
    t.check((0, "X0+YY0", 0), (1, "X1+YY1", 1), (2, "X2+YY2", 2), (3, "X3+YY3", 3))
    # push all items to the table. this should not produce any item
    t.push_to_table(4, "YYY")
    t.check()


def test_should_join_only_if_match_found_on_stream_updates(state, tmp_path):
    """KStreamKTableJoinTest.shouldJoinOnlyIfMatchFoundOnStreamUpdates"""
    t = TableJoinTest(state, tmp_path)
    # push two items to the table. this should not produce any item.
    t.push_to_table(2, "Y")
    t.check()
    # push all four items to the primary stream. this should produce two items.
    t.push_to_stream(4, "X")
    t.check((0, "X0+Y0", 0), (1, "X1+Y1", 1))


def test_should_clear_table_entry_on_null_value_updates(state, tmp_path):
    """KStreamKTableJoinTest.shouldClearTableEntryOnNullValueUpdates"""
    t = TableJoinTest(state, tmp_path)
    # push all four items to the table. this should not produce any item.
    t.push_to_table(4, "Y")
    t.check()
    # push all four items to the primary stream. this should produce four items.
    t.push_to_stream(4, "X")
    t.check((0, "X0+Y0", 0), (1, "X1+Y1", 1), (2, "X2+Y2", 2), (3, "X3+Y3", 3))
    # push two items with null to the table as deletes. this should not produce any item.
    t.push_null_value_to_table()
    t.check()
    # push all four items to the primary stream. this should produce two items.
    t.push_to_stream(4, "XX")
    t.check((2, "XX2+Y2", 2), (3, "XX3+Y3", 3))


def test_should_log_and_meter_when_skipping_null_left_key(state, tmp_path):
    """KStreamKTableJoinTest.shouldLogAndMeterWhenSkippingNullLeftKey (the record is skipped)"""
    t = TableJoinTest(state, tmp_path)
    t.push_to_table(4, "Y")
    t.stream_topic.pipeInput(None, "A")
    t.check()


def test_should_log_and_meter_when_skipping_null_left_value(state, tmp_path):
    """KStreamKTableJoinTest.shouldLogAndMeterWhenSkippingNullLeftValue (the record is skipped)"""
    t = TableJoinTest(state, tmp_path)
    t.push_to_table(4, "Y")
    t.stream_topic.pipeInput(1, None)
    t.check()


# -- kafka-streams-examples: WordCountLambdaExampleTest ------------------------------------------


def word_count(state, tmp_path):
    """WordCountLambdaExample.createWordCountStream: split lines into lower-case words (the
    example splits at ``\\W+``; the test's lines hold words and spaces only), group by word,
    count."""
    b = StreamsBuilder("wordcount-lambda-example")
    b.stream("streams-plaintext-input", name="lines", value_format="string").flat_map(
        "value.lower().split()", name="words"
    ).group_by("value", name="counts").count().to("streams-wordcount-output", name="out")
    driver = Driver(b.build(), state, tmp_path, output="streams-wordcount-output")
    return driver, driver.input(
        "streams-plaintext-input", key_format="string", start=1, advance=100
    )


def test_one_word(state, tmp_path):
    """kafka-streams-examples WordCountLambdaExampleTest.testOneWord"""
    driver, topic = word_count(state, tmp_path)
    topic.pipeInput(None, "Hello", 1)
    output = driver.read()
    assert [(m.key().decode(), m.value()) for m in output] == [
        ("hello", b'{"key":"hello","count":1}')
    ]


def test_should_count_words(state, tmp_path):
    """kafka-streams-examples WordCountLambdaExampleTest.shouldCountWords"""
    driver, topic = word_count(state, tmp_path)
    input_values = [
        "Hello Kafka Streams",
        "All streams lead to Kafka",
        "Join Kafka Summit",
        "И теперь пошли русские слова",
    ]
    expected_word_counts = {
        "hello": 1,
        "all": 1,
        "streams": 2,
        "lead": 1,
        "to": 1,
        "join": 1,
        "kafka": 3,
        "summit": 1,
        "и": 1,
        "теперь": 1,
        "пошли": 1,
        "русские": 1,
        "слова": 1,
    }
    for value in (
        input_values
    ):  # pipeValueList(inputValues, Instant.ofEpochMilli(1L), Duration.ofMillis(100L))
        topic.pipeInput(None, value)
    assert {key: value["count"] for key, value in driver.table().items()} == expected_word_counts
