"""Kafka Streams' KTableKTableInnerJoinTest, KTableKTableLeftJoinTest and
KTableKTableOuterJoinTest, ported: two tables of Integer keys and String values joined with
MockValueJoiner.TOSTRING_JOINER, the results read from the joined table's stream. The inputs
are fed in the same order with the same timestamps; the expected outputs are the tests'
assertOutputKeyValueTimestamp lines, (key, value, timestamp), a None value a tombstone.

testJoin's outputs are also those of each class's testNotSendingOldValue(s) (and the inner
join's testQueryableJoin and testQueryableNotSendingOldValues), which feed the same inputs
and expect Change(new, null): the same new values at the same timestamps. The classes'
testSendingOldValue(s) are not ported: tables hand on new values only, never old values
(README's differences from Kafka Streams)."""

from __future__ import annotations

from tests.engine.kafka_streams_parity.driver import Driver, table_table_join

EXPECTED_KEYS = [0, 1, 2, 3]


class JoinTest:
    def __init__(self, mode, state, tmp_path):
        self.driver = Driver(table_table_join(mode), state, tmp_path)
        self.topic1 = self.driver.input("topic1")
        self.topic2 = self.driver.input("topic2")

    def check(self, *expected):
        assert self.driver.keyed() == list(expected)

    def run_join_steps(self, expect):
        """testJoin's inputs, step by step; ``expect`` maps each step to its outputs."""
        t1, t2 = self.topic1, self.topic2
        # push two items to the primary stream. the other table is empty
        for i in range(2):
            t1.pipeInput(EXPECTED_KEYS[i], "X" + str(EXPECTED_KEYS[i]), 5 + i)
        # pass tuple with null key, it will be discarded in join process
        t1.pipeInput(None, "SomeVal", 42)
        self.check(*expect[0])
        # push two items to the other stream. this should produce two items.
        for i in range(2):
            t2.pipeInput(EXPECTED_KEYS[i], "Y" + str(EXPECTED_KEYS[i]), 10 * i)
        # pass tuple with null key, it will be discarded in join process
        t2.pipeInput(None, "AnotherVal", 73)
        self.check(*expect[1])
        # push all four items to the primary stream. this should produce four items.
        for k in EXPECTED_KEYS:
            t1.pipeInput(k, "XX" + str(k), 7)
        self.check(*expect[2])
        # push all items to the other stream. this should produce four items.
        for k in EXPECTED_KEYS:
            t2.pipeInput(k, "YY" + str(k), k * 5)
        self.check(*expect[3])
        # push all four items to the primary stream. this should produce four items.
        for k in EXPECTED_KEYS:
            t1.pipeInput(k, "XXX" + str(k), 6)
        self.check(*expect[4])
        # push two items with null to the other stream as deletes. this should produce two item.
        t2.pipeInput(EXPECTED_KEYS[0], None, 5)
        t2.pipeInput(EXPECTED_KEYS[1], None, 7)
        self.check(*expect[5])
        # push all four items to the primary stream. this should produce four items.
        for k in EXPECTED_KEYS:
            t1.pipeInput(k, "XXXX" + str(k), 13)
        self.check(*expect[6])
        # push four items to the primary stream with null.
        t1.pipeInput(EXPECTED_KEYS[0], None, 0)
        t1.pipeInput(EXPECTED_KEYS[1], None, 42)
        t1.pipeInput(EXPECTED_KEYS[2], None, 5)
        t1.pipeInput(EXPECTED_KEYS[3], None, 20)
        self.check(*expect[7])


STEPS_BOTH_TABLES_FILLED = [  # the steps where every mode agrees
    [(0, "XX0+YY0", 7), (1, "XX1+YY1", 7), (2, "XX2+YY2", 10), (3, "XX3+YY3", 15)],
    [(0, "XXX0+YY0", 6), (1, "XXX1+YY1", 6), (2, "XXX2+YY2", 10), (3, "XXX3+YY3", 15)],
]


def test_inner_join(state, tmp_path):
    """KTableKTableInnerJoinTest.testJoin"""
    JoinTest("inner", state, tmp_path).run_join_steps(
        [
            [],
            [(0, "X0+Y0", 5), (1, "X1+Y1", 10)],
            [(0, "XX0+Y0", 7), (1, "XX1+Y1", 10)],
            *STEPS_BOTH_TABLES_FILLED,
            [(0, None, 6), (1, None, 7)],
            [(2, "XXXX2+YY2", 13), (3, "XXXX3+YY3", 15)],
            [(2, None, 10), (3, None, 20)],
        ]
    )


def test_left_join(state, tmp_path):
    """KTableKTableLeftJoinTest.testJoin"""
    JoinTest("left", state, tmp_path).run_join_steps(
        [
            [(0, "X0+null", 5), (1, "X1+null", 6)],
            [(0, "X0+Y0", 5), (1, "X1+Y1", 10)],
            [(0, "XX0+Y0", 7), (1, "XX1+Y1", 10), (2, "XX2+null", 7), (3, "XX3+null", 7)],
            *STEPS_BOTH_TABLES_FILLED,
            [(0, "XXX0+null", 6), (1, "XXX1+null", 7)],
            [(0, "XXXX0+null", 13), (1, "XXXX1+null", 13), (2, "XXXX2+YY2", 13),
             (3, "XXXX3+YY3", 15)],
            [(0, None, 0), (1, None, 42), (2, None, 10), (3, None, 20)],
        ]
    )  # fmt: skip


def test_outer_join(state, tmp_path):
    """KTableKTableOuterJoinTest.testJoin"""
    JoinTest("outer", state, tmp_path).run_join_steps(
        [
            [(0, "X0+null", 5), (1, "X1+null", 6)],
            [(0, "X0+Y0", 5), (1, "X1+Y1", 10)],
            [(0, "XX0+Y0", 7), (1, "XX1+Y1", 10), (2, "XX2+null", 7), (3, "XX3+null", 7)],
            *STEPS_BOTH_TABLES_FILLED,
            [(0, "XXX0+null", 6), (1, "XXX1+null", 7)],
            [(0, "XXXX0+null", 13), (1, "XXXX1+null", 13), (2, "XXXX2+YY2", 13),
             (3, "XXXX3+YY3", 15)],
            [(0, None, 0), (1, None, 42), (2, "null+YY2", 10), (3, "null+YY3", 20)],
        ]
    )  # fmt: skip


def test_outer_join_right_rows_alone(state, tmp_path):
    """Not a port: KTableKTableOuterJoinTest.testJoin's symmetry, from the right (the
    engine's own case): a right row without a left one comes out with left null, its
    deletion as a tombstone, and deleting an absent row gives nothing (as Kafka Streams'
    KTableKTableOuterJoin returns when both sides and the change are null)."""
    t = JoinTest("outer", state, tmp_path)
    t.topic2.pipeInput(5, "Y5", 3)
    t.topic2.pipeInput(5, None, 4)
    t.topic2.pipeInput(6, None, 8)  # deleting a row that was never there: nothing
    t.check((5, "null+Y5", 3), (5, None, 4))


def _skipped_null_key(mode, state, tmp_path):
    t = JoinTest(mode, state, tmp_path)
    t.topic1.pipeInput(None, "A", 0)
    t.topic2.pipeInput(None, "B", 0)
    t.check()
    assert t.driver.late_records() == 2


def test_inner_should_log_and_meter_skipped_records_due_to_null_left_key(state, tmp_path):
    """KTableKTableInnerJoinTest.shouldLogAndMeterSkippedRecordsDueToNullLeftKey: the record
    is dropped and counted (by the table it enters first, before the join). The Java test
    hands a null-keyed change straight to the join processor and checks its log line; the
    engine's join never sees one, so the drop is checked where it happens."""
    _skipped_null_key("inner", state, tmp_path)


def test_left_should_log_and_meter_skipped_records_due_to_null_left_key(state, tmp_path):
    """KTableKTableLeftJoinTest.shouldLogAndMeterSkippedRecordsDueToNullLeftKey"""
    _skipped_null_key("left", state, tmp_path)


def test_outer_should_log_and_meter_skipped_records_due_to_null_left_key(state, tmp_path):
    """KTableKTableOuterJoinTest.shouldLogAndMeterSkippedRecordsDueToNullLeftKey"""
    _skipped_null_key("outer", state, tmp_path)
