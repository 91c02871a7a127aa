"""Producing NDJSON lines on the real broker: a round trip keeps keys, values, headers and
timestamps; bad lines are sentences with their number and nothing is written."""

from __future__ import annotations

import io

import orjson
import pytest

from engine.cluster.topics.output import RecordWriter
from engine.cluster.topics.positions import EARLIEST
from engine.cluster.topics.producer import ProduceError, RecordEncoder, TopicProducer, read_lines
from engine.cluster.topics.reader import ScanRequest, TopicReader, TopicScan
from tests.engine.cluster.topics.conftest import create_topic, produce

pytestmark = pytest.mark.kafka


def read_all(bootstrap, topic) -> list[dict]:
    return TopicScan(TopicReader(bootstrap), ScanRequest(topic, EARLIEST)).records()


def essentials(records):
    keep = ("key", "value", "headers", "timestamp", "key_format", "value_format")
    return sorted(
        ({k: r[k] for k in keep} for r in records),
        key=lambda r: orjson.dumps(r, option=orjson.OPT_SORT_KEYS),
    )


def test_read_produce_read_round_trip_keeps_everything_but_partition_and_offset(
    bootstrap, orders_topic, unique
):
    mixed = f"mixed-src-{unique}"
    create_topic(bootstrap, mixed)
    produce(
        bootstrap,
        mixed,
        [
            {"key": b"\xff\x01", "value": b"\x00\x01\x02binary", "headers": [("bin", b"\xfe")]},
            {"key": None, "value": b"plain text", "timestamp": 1_700_000_000_000},
            {"key": b"7", "value": b'"a json string"'},
            {"key": b"t", "value": None},
        ],
    )
    for source in (orders_topic, mixed):
        original = read_all(bootstrap, source)
        out = io.StringIO()
        RecordWriter(out, "ndjson").write(original)
        target = f"copy-{source}"
        create_topic(bootstrap, target, 2)
        records = read_lines(io.StringIO(out.getvalue()), RecordEncoder(target), "copy.ndjson")
        result = TopicProducer(bootstrap, target).send(records)
        assert result.sent == len(original) and not result.failed
        assert essentials(read_all(bootstrap, target)) == essentials(original)


def test_given_formats_win_over_the_lines(bootstrap, unique):
    topic = f"given-{unique}"
    create_topic(bootstrap, topic)
    lines = ['{"key": "k", "value": {"a": 1}, "value_format": "json"}', '{"value": "x"}']
    encoder = RecordEncoder(topic, key_format="string", value_format="string")
    TopicProducer(bootstrap, topic).send(read_lines(lines, encoder, "in"))
    values = [r["value"] for r in read_all(bootstrap, topic)]
    assert values == [{"a": 1}, "x"]  # '{"a":1}' as text is read back as JSON; "x" as text


def test_bad_lines_are_sentences_with_their_numbers_and_nothing_is_written(bootstrap, unique):
    topic = f"bad-{unique}"
    create_topic(bootstrap, topic)
    lines = [
        '{"key": "a", "value": 1}',
        "not json",
        "",
        "[1, 2]",
        '{"key": "b"}',
        '{"value": 1, "colour": "red"}',
        '{"value": "!!", "value_format": "bytes"}',
        '{"value": 1, "timestamp": "yesterday"}',
        '{"value": 1, "headers": {"h": 5}}',
    ]
    with pytest.raises(ProduceError) as caught:
        read_lines(lines, RecordEncoder(topic), "in.ndjson")
    problems = caught.value.problems
    assert [p.split(":")[1] for p in problems] == ["2", "4", "5", "6", "7", "8", "9"]
    assert problems[0].startswith("in.ndjson:2: not JSON")
    assert problems[2] == "in.ndjson:5: the line has no value (null is a tombstone)"
    assert "unknown field 'colour'" in problems[3]
    assert problems[4] == "in.ndjson:7: value: a bytes value must be base64 text"
    assert read_all(bootstrap, topic) == []


def test_schema_formats_without_a_registry_are_a_sentence():
    with pytest.raises(ProduceError, match="avro needs a schema registry"):
        read_lines(['{"value": {"a": 1}}'], RecordEncoder("t", value_format="avro"), "in")
