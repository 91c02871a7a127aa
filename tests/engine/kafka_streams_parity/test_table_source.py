"""Kafka Streams' KTableSourceTest, ported: a topic read as a table, its changes handed on,
tombstones forwarded; and the same inputs through a stream made a table (to_table).

Not ported: testSendingOldValue (tables hand on new values only, never old values, a
deliberate difference listed in README), kTableShouldLogOnOutOfOrder (a log line only) and
testKTableSourceEmitOnChange (disabled in Kafka Streams itself)."""

from __future__ import annotations

from engine.code.builder import StreamsBuilder
from tests.engine.kafka_streams_parity.driver import Driver


def _table_topology(to_table: bool = False):
    b = StreamsBuilder("ks-table-source")
    if to_table:
        table = b.stream("topic1", name="stream", key_format="string", value_format="json")
        table = table.to_table(name="table")
    else:
        table = b.table("topic1", name="table", key_format="string", value_format="json")
    table.to("out", name="out", key_format="string", value_format="json")
    return b.build()


def _keyed(driver):
    out = []
    for m in driver.read():
        value = m.value()
        out.append((m.key().decode(), None if value is None else int(value), m.timestamp()[1]))
    return out


def _rows(driver, state):
    """The table node's rows in its stores (key -> value)."""
    run = driver.run
    if run is None:
        return None
    return {k: v for (n, _p), s in run.stores.items() if n == "table" for k, v in s.items()}


def test_ktable(state, tmp_path):
    """KTableSourceTest.testKTable"""
    d = Driver(_table_topology(), state, tmp_path)
    topic = d.input("topic1", key_format="string", value_format="json")
    topic.pipeInput("A", 1, 10)
    topic.pipeInput("B", 2, 11)
    topic.pipeInput("C", 3, 12)
    topic.pipeInput("D", 4, 13)
    topic.pipeInput("A", None, 14)
    topic.pipeInput("B", None, 15)
    assert _keyed(d) == [
        ("A", 1, 10),
        ("B", 2, 11),
        ("C", 3, 12),
        ("D", 4, 13),
        ("A", None, 14),
        ("B", None, 15),
    ]
    if state == "memory":
        assert _rows(d, state) == {'t:"C"': 3, 't:"D"': 4}


def test_ktable_should_log_and_meter_on_skipped_records(state, tmp_path):
    """KTableSourceTest.kTableShouldLogAndMeterOnSkippedRecords: a record without a key on
    topic "topic" (String serdes, timestamp 0) is dropped and counted. Kafka Streams checks
    its log line and dropped-records metric; here the node's late count."""
    b = StreamsBuilder("ks-table-source")
    b.table("topic", name="table", key_format="string", value_format="string").to(
        "out", name="out", key_format="string", value_format="string"
    )
    d = Driver(b.build(), state, tmp_path)
    topic = d.input("topic", key_format="string", value_format="string")
    topic.pipeInput(None, "value", 0)
    assert d.read() == []
    assert d.late_records() == 1


def test_value_getter(state, tmp_path):
    """KTableSourceTest.testValueGetter: the store holds the latest value per key, a
    tombstone removes it (read here through a stream-table join, the engine's value getter).
    The Java test's getter also returns each row's timestamp (ValueAndTimestamp); a
    table_source's store keeps the value only, so only the values are compared."""
    b = StreamsBuilder("ks-table-getter")
    lookups = b.stream("topic2", name="lookups", key_format="string", value_format="json")
    table = b.table("topic1", name="table", key_format="string", value_format="json")
    lookups.left_join(table, "right", name="get").to(
        "out", name="out", key_format="string", value_format="json"
    )
    d = Driver(b.build(), state, tmp_path)
    topic1 = d.input("topic1", key_format="string", value_format="json")
    get = d.input("topic2", key_format="string", value_format="json")

    def values(*keys):
        for key in keys:
            get.pipeInput(key, 0, 99)
        return [None if m.value() is None else m.value().decode() for m in d.read()]

    topic1.pipeInput("A", "01", 10)
    topic1.pipeInput("B", "01", 20)
    topic1.pipeInput("C", "01", 15)
    assert values("A", "B", "C") == ['"01"', '"01"', '"01"']
    topic1.pipeInput("A", "02", 30)
    topic1.pipeInput("B", "02", 5)
    assert values("A", "B", "C") == ['"02"', '"02"', '"01"']
    topic1.pipeInput("A", "03", 29)
    assert values("A", "B", "C") == ['"03"', '"02"', '"01"']
    topic1.pipeInput("A", None, 50)
    topic1.pipeInput("B", None, 3)
    assert values("A", "B", "C") == [None, None, '"01"']


def test_to_table_forwards_changes_and_tombstones(state, tmp_path):
    """Not a port: KTableSourceTest.testKTable's kind of inputs (and a record without a key,
    as kTableShouldLogAndMeterOnSkippedRecords), with the table made from a stream by
    KStream.toTable (to_table) instead of builder.table."""
    d = Driver(_table_topology(to_table=True), state, tmp_path)
    topic = d.input("topic1", key_format="string", value_format="json")
    for key, value, ts in (("A", 1, 10), ("B", 2, 11), ("A", None, 14), (None, 5, 15)):
        topic.pipeInput(key, value, ts)
    assert _keyed(d) == [("A", 1, 10), ("B", 2, 11), ("A", None, 14)]
    assert d.late_records() == 1


def test_not_sending_old_value(state, tmp_path):
    """KTableSourceTest.testNotSendingOldValue: each change comes out as its new value
    (Change(new, null) there), at the record's timestamp, out-of-order updates included.
    testSendingOldValue, the same inputs with old values, is not ported: tables hand on new
    values only (README's differences from Kafka Streams)."""
    b = StreamsBuilder("ks-table-source")
    b.table("topic1", name="table", key_format="string", value_format="string").to(
        "out", name="out", key_format="string", value_format="string"
    )
    d = Driver(b.build(), state, tmp_path)
    topic = d.input("topic1", key_format="string", value_format="string")

    def processed():
        return [
            (m.key().decode(), None if m.value() is None else m.value().decode(), m.timestamp()[1])
            for m in d.read()
        ]

    topic.pipeInput("A", "01", 10)
    topic.pipeInput("B", "01", 20)
    topic.pipeInput("C", "01", 15)
    assert processed() == [("A", "01", 10), ("B", "01", 20), ("C", "01", 15)]
    topic.pipeInput("A", "02", 8)
    topic.pipeInput("B", "02", 22)
    assert processed() == [("A", "02", 8), ("B", "02", 22)]
    topic.pipeInput("A", "03", 12)
    assert processed() == [("A", "03", 12)]
    topic.pipeInput("A", None, 15)
    topic.pipeInput("B", None, 20)
    assert processed() == [("A", None, 15), ("B", None, 20)]
