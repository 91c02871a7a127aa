"""Kafka Streams' KTableAggregateTest and KGroupedTableImplTest, ported: a table regrouped and
aggregated with an adder and a subtractor (count, reduce, aggregate), its results read from
the aggregate's stream (as the tests' MockApiProcessor captures them) or as the latest value
per group (as their stores are read). Inputs in the same order with the same timestamps.

Kafka Streams sends a row's retraction and addition as one record when the group stays the
same (KIP-904), so the subtractor and adder run before one result is emitted; the expected
outputs here are those of that behaviour."""

from __future__ import annotations

import json

from engine.code.builder import Aggregation, StreamsBuilder
from tests.engine.kafka_streams_parity.driver import Driver

# MockAggregator.TOSTRING_ADDER / TOSTRING_REMOVER, from MockInitializer.STRING_INIT ("0")
ADDER = Aggregation("agg", "reduce", "agg + '+' + value", init="'0'", subtract="agg + '-' + value")


def _topology(group_by: str, aggregation: Aggregation, value_format: str = "string"):
    b = StreamsBuilder("ks-table-aggregate")
    table = b.table("topic1", name="table", key_format="string", value_format=value_format)
    table.table_aggregate([aggregation], group_by=group_by, name="agg").to(
        "out", name="out", key_format="string", value_format="json"
    )
    return b.build()


def _processed(driver, field):
    """(group, result, timestamp) of each new output, as MockApiProcessor.processed()."""
    return [
        (m.key().decode(), json.loads(m.value())[field], m.timestamp()[1]) for m in driver.read()
    ]


def _latest(driver, field):
    """{group: (result, timestamp)}: the aggregate's store as the tests read it."""
    out = {}
    for m in driver.read():
        out[m.key().decode()] = (json.loads(m.value())[field], m.timestamp()[1])
    return out


def test_agg_basic(state, tmp_path):
    """KTableAggregateTest.testAggBasic"""
    d = Driver(_topology("key", ADDER), state, tmp_path)
    topic = d.input("topic1", key_format="string", value_format="string")
    for key, value, ts in (
        ("A", "1", 10),
        ("B", "2", 15),
        ("A", "3", 20),
        ("B", "4", 18),
        ("C", "5", 5),
        ("D", "6", 25),
        ("B", "7", 15),
        ("C", "8", 10),
    ):
        topic.pipeInput(key, value, ts)
    assert _processed(d, "agg") == [
        ("A", "0+1", 10),
        ("B", "0+2", 15),
        ("A", "0+1-1+3", 20),
        ("B", "0+2-2+4", 18),
        ("C", "0+5", 5),
        ("D", "0+6", 25),
        ("B", "0+2-2+4-4+7", 18),
        ("C", "0+5-5+8", 10),
    ]


def test_agg_repartition(state, tmp_path):
    """KTableAggregateTest.testAggRepartition: grouped by the row's value, except the row
    "null" (mapped to a null group key) and the row "NULL" (mapped to no pair), which both
    drop out; a row changing group is retracted from its old group, then added to the new
    one, each at the later of the group's timestamp and the record's."""
    group_by = "None if key in ('null', 'NULL') else value"
    d = Driver(_topology(group_by, ADDER), state, tmp_path)
    topic = d.input("topic1", key_format="string", value_format="string")
    for key, value, ts in (
        ("A", "1", 10),
        ("A", None, 15),
        ("A", "1", 12),
        ("B", "2", 20),
        ("null", "3", 25),
        ("B", "4", 23),
        ("NULL", "5", 24),
        ("B", "7", 22),
    ):
        topic.pipeInput(key, value, ts)
    assert _processed(d, "agg") == [
        ("1", "0+1", 10),
        ("1", "0+1-1", 15),
        ("1", "0+1-1+1", 15),
        ("2", "0+2", 20),
        ("2", "0+2-2", 23),
        ("4", "0+4", 23),
        ("4", "0+4-4", 23),
        ("7", "0+7", 22),
    ]


def test_agg_of_a_table_with_deletions_moves_rows_between_groups(state, tmp_path):
    """Not a port: testAggRepartition's inputs grouped by the key's first character instead
    (the engine's own case, with testAggBasic's adder and remover): rows deleted and
    re-added, and the rows "null" and "NULL" kept as groups."""
    group_by = "'NULL' if key == 'null' else key[0]"
    d = Driver(_topology(group_by, ADDER), state, tmp_path)
    topic = d.input("topic1", key_format="string", value_format="string")
    for key, value, ts in (
        ("A", "1", 10),
        ("A", None, 15),
        ("A", "1", 12),
        ("B", "2", 20),
        ("null", "3", 25),
        ("B", "4", 23),
        ("NULL", "5", 24),
        ("B", "7", 22),
    ):
        topic.pipeInput(key, value, ts)
    assert _processed(d, "agg") == [
        ("A", "0+1", 10),
        ("A", "0+1-1", 15),
        ("A", "0+1-1+1", 15),
        ("B", "0+2", 20),
        ("NULL", "0+3", 25),
        ("B", "0+2-2+4", 23),
        ("N", "0+5", 24),
        ("B", "0+2-2+4-4+7", 23),
    ]


def test_count(state, tmp_path):
    """KTableAggregateTest.testCount (and testCountWithInternalStore, the same inputs and
    expected outputs)"""
    d = Driver(_topology("value", Aggregation("count", "count")), state, tmp_path)
    topic = d.input("topic1", key_format="string", value_format="string")
    for key, value, ts in (
        ("A", "green", 10),
        ("B", "green", 9),
        ("A", "blue", 12),
        ("C", "yellow", 15),
        ("D", "green", 11),
    ):
        topic.pipeInput(key, value, ts)
    assert _processed(d, "count") == [
        ("green", 1, 10),
        ("green", 2, 10),
        ("green", 1, 12),
        ("blue", 1, 12),
        ("yellow", 1, 15),
        ("green", 2, 12),
    ]


def test_should_not_send_transient_state_if_not_upgrading(state, tmp_path):
    """KTableAggregateTest.testShouldNotSendTransientStateIfNotUpgrading: grouped by its own
    key (the group does not change), a row's update is one retraction-and-addition, so no
    transient count of 0 comes out (KIP-904)."""
    d = Driver(_topology("key", Aggregation("count", "count")), state, tmp_path)
    topic = d.input("topic1", key_format="string", value_format="string")
    topic.pipeInput("1", "", 8)
    topic.pipeInput("1", "", 9)
    assert _processed(d, "count") == [("1", 1, 8), ("1", 1, 9)]


def test_remove_old_before_add_new(state, tmp_path):
    """KTableAggregateTest.testRemoveOldBeforeAddNew: grouped by the key's first character,
    the value mapped to its second; the remover deletes the value from the text."""
    # the group-by's value mapper: the row's key's second character, as the test's
    b = StreamsBuilder("ks-table-aggregate")
    table = b.table("topic1", name="table", key_format="string", value_format="string")
    mapped = table.map("None if value is None else key[1]", name="second_char")
    mapped.table_aggregate(
        [Aggregation("agg", "reduce", "agg + value", init="''", subtract="agg.replace(value, '')")],
        group_by="key[0]",
        name="agg",
    ).to("out", name="out", key_format="string", value_format="json")
    d = Driver(b.build(), state, tmp_path)
    topic = d.input("topic1", key_format="string", value_format="string")
    for key, value, ts in (("11", "A", 10), ("12", "B", 8), ("11", None, 12), ("12", "C", 6)):
        topic.pipeInput(key, value, ts)
    assert _processed(d, "agg") == [("1", "1", 10), ("1", "12", 10), ("1", "2", 12), ("1", "2", 12)]


def _process_data(topic):
    """KGroupedTableImplTest.processData"""
    for key, value, ts in (
        ("A", "1", 10),
        ("B", "1", 50),
        ("C", "1", 30),
        ("D", "2", 40),
        ("E", "2", 60),
    ):
        topic.pipeInput(key, value, ts)


def test_should_count_and_materialize_results(state, tmp_path):
    """KGroupedTableImplTest.shouldCountAndMaterializeResults"""
    d = Driver(_topology("value", Aggregation("count", "count")), state, tmp_path)
    _process_data(d.input("topic1", key_format="string", value_format="string"))
    assert _latest(d, "count") == {"1": (3, 50), "2": (2, 60)}


def test_should_aggregate_and_materialize_results(state, tmp_path):
    """KGroupedTableImplTest.shouldAggregateAndMaterializeResults"""
    d = Driver(_topology("value", ADDER), state, tmp_path)
    _process_data(d.input("topic1", key_format="string", value_format="string"))
    assert _latest(d, "agg") == {"1": ("0+1+1+1", 50), "2": ("0+2+2", 60)}


def _assert_reduced(d):
    """KGroupedTableImplTest.assertReduced: Double values projected to int, an adder and a
    subtractor."""
    topic = d.input("topic1", key_format="string", value_format="json")
    topic.pipeInput("A", 1.1, 10)
    topic.pipeInput("B", 2.2, 11)
    assert _latest(d, "reduced") == {"A": (1, 10), "B": (2, 11)}
    topic.pipeInput("A", 2.6, 30)
    topic.pipeInput("B", 1.3, 30)
    topic.pipeInput("A", 5.7, 50)
    topic.pipeInput("B", 6.2, 20)
    assert _latest(d, "reduced") == {"A": (5, 50), "B": (6, 30)}


def _reduce_topology():
    b = StreamsBuilder("ks-table-reduce")
    table = b.table("topic1", name="table", key_format="string", value_format="json")
    projected = table.map("None if value is None else int(value)", name="int_projection")
    projected.table_aggregate(
        [Aggregation("reduced", "reduce", "agg + value", subtract="agg - value")],
        group_by="key",
        name="reduce",
    ).to("out", name="out", key_format="string", value_format="json")
    return b.build()


def test_should_reduce(state, tmp_path):
    """KGroupedTableImplTest.shouldReduce (shouldReduceWithInternalStoreName and
    shouldReduceAndMaterializeResults feed the same inputs through assertReduced and expect
    the same latest value and timestamp per key)."""
    _assert_reduced(Driver(_reduce_topology(), state, tmp_path))


def test_should_sum_exactly_when_rows_change_group(state, tmp_path):
    """Not a port (the engine's own case): sum and avg, whose subtractors are built in, over
    rows that change group and are deleted: a row changing group leaves its old group."""
    b = StreamsBuilder("ks-table-sum")
    table = b.table("topic1", name="table", key_format="string", value_format="json")
    table.table_aggregate(
        [Aggregation("total", "sum", "value['n']"), Aggregation("mean", "avg", "value['n']")],
        group_by="value['g']",
        name="sums",
    ).to("out", name="out", key_format="string", value_format="json")
    d = Driver(b.build(), state, tmp_path)
    topic = d.input("topic1", key_format="string", value_format="json")
    topic.pipeInput("r1", {"g": "x", "n": 4}, 1)
    topic.pipeInput("r2", {"g": "x", "n": 6}, 2)
    topic.pipeInput("r1", {"g": "y", "n": 5}, 3)
    topic.pipeInput("r2", None, 4)
    assert [
        (k, v["total"], v["mean"])
        for k, v in ((m.key().decode(), json.loads(m.value())) for m in d.read())
    ] == [("x", 4, 4.0), ("x", 10, 5.0), ("x", 6, 6.0), ("y", 5, 5.0), ("x", 0, None)]
