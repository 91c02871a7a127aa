"""Outer stream-stream joins and asymmetric join windows, ported from Kafka Streams'
KStreamKStreamOuterJoinTest: the inputs in the same order, the expected outputs as written
there (``check`` is the tests' ``processor.checkAndClearProcessResult``).

Keys are Integers (JSON here), left values Strings, right values Longs (JSON numbers); the
joiner is MockValueJoiner.TOSTRING_JOINER, a missing side printing as null. Each test runs
once: the tests' ``withHeaders`` parameter picks a store format and changes nothing they
assert.
"""

from __future__ import annotations

from engine.code.builder import StreamsBuilder
from tests.engine.kafka_streams_parity.driver import Driver

# MockValueJoiner.TOSTRING_JOINER: value1 + "+" + value2, either side printing as null
JOINER = (
    "(str(left) if left is not None else 'null') + '+' + (str(right) if right is not None "
    "else 'null')"
)


def outer_join(state, tmp_path, window, grace=None, before=None, after=None):
    """stream1.outerJoin(stream2, TOSTRING_JOINER, JoinWindows...), to out."""
    b = StreamsBuilder("ks-outer-join")
    left = b.stream("topic1", name="left", key_format="json", value_format="string")
    right = b.stream("topic2", name="right", key_format="json", value_format="json")
    left.outer_join(
        right,
        JOINER,
        name="join",
        window=f"{window}ms",
        before=None if before is None else f"{before}ms",
        after=None if after is None else f"{after}ms",
        grace=None if grace is None else f"{grace}ms",
    ).to("out", name="out", key_format="json", value_format="string")
    driver = Driver(b.build(), state, tmp_path)

    def check(*expected):
        assert driver.keyed() == list(expected)

    return driver.input("topic1"), driver.input("topic2", value_format="json"), check


def test_outer_join_duplicates(state, tmp_path):
    """KStreamKStreamOuterJoinTest.testOuterJoinDuplicates:
    JoinWindows.ofTimeDifferenceAndGrace(100, 10)"""
    inputTopic1, inputTopic2, check = outer_join(state, tmp_path, 100, grace=10)
    # verifies non-joined duplicates are emitted when window has closed
    inputTopic1.pipeInput(0, "A0", 0)
    inputTopic1.pipeInput(0, "A0-0", 0)
    inputTopic2.pipeInput(1, 11, 0)
    inputTopic2.pipeInput(1, 12, 0)
    inputTopic2.pipeInput(1, 10, 111)
    # bump stream-time to trigger outer-join results
    inputTopic2.pipeInput(3, 100, 211)
    check(
        (1, "null+11", 0),
        (1, "null+12", 0),
        (0, "A0+null", 0),
        (0, "A0-0+null", 0),
    )
    # verifies joined duplicates are emitted
    inputTopic1.pipeInput(2, "A2", 200)
    inputTopic1.pipeInput(2, "A2-0", 200)
    inputTopic2.pipeInput(2, 13, 201)
    inputTopic2.pipeInput(2, 14, 201)
    check(
        (2, "A2+13", 201),
        (2, "A2-0+13", 201),
        (2, "A2+14", 201),
        (2, "A2-0+14", 201),
    )
    # this record should expired non-joined records; only null+10 will be emitted because
    # it did not have a join
    inputTopic2.pipeInput(3, 100, 1500)
    check((1, "null+10", 111), (3, "null+100", 211))


def test_left_expired_non_joined_records_are_emitted_by_the_left_processor(state, tmp_path):
    """KStreamKStreamOuterJoinTest.testLeftExpiredNonJoinedRecordsAreEmittedByTheLeftProcessor:
    JoinWindows.ofTimeDifferenceWithNoGrace(100)"""
    inputTopic1, inputTopic2, check = outer_join(state, tmp_path, 100)
    windowStart = 0
    # No joins detected; No null-joins emitted
    inputTopic1.pipeInput(0, "A0", windowStart + 1)
    inputTopic1.pipeInput(1, "A1", windowStart + 2)
    inputTopic1.pipeInput(0, "A0-0", windowStart + 3)
    check()
    # Join detected; No null-joins emitted
    inputTopic2.pipeInput(1, 11, windowStart + 3)
    check((1, "A1+11", windowStart + 3))
    # Dummy record in left topic will emit expired non-joined records from the left topic
    inputTopic1.pipeInput(2, "dummy", windowStart + 401)
    check((0, "A0+null", windowStart + 1), (0, "A0-0+null", windowStart + 3))
    # Flush internal non-joined state store by joining the dummy record
    inputTopic2.pipeInput(2, 100, windowStart + 401)
    check((2, "dummy+100", windowStart + 401))


def test_left_expired_non_joined_records_are_emitted_by_the_right_processor(state, tmp_path):
    """KStreamKStreamOuterJoinTest.testLeftExpiredNonJoinedRecordsAreEmittedByTheRightProcessor:
    JoinWindows.ofTimeDifferenceAndGrace(100, 0)"""
    inputTopic1, inputTopic2, check = outer_join(state, tmp_path, 100, grace=0)
    windowStart = 0
    # No joins detected; No null-joins emitted
    inputTopic1.pipeInput(0, "A0", windowStart + 1)
    inputTopic1.pipeInput(1, "A1", windowStart + 2)
    inputTopic1.pipeInput(0, "A0-0", windowStart + 3)
    check()
    # Join detected; No null-joins emitted
    inputTopic2.pipeInput(1, 11, windowStart + 3)
    check((1, "A1+11", windowStart + 3))
    # Dummy record in right topic will emit expired non-joined records from the left topic
    inputTopic2.pipeInput(2, 100, windowStart + 401)
    check((0, "A0+null", windowStart + 1), (0, "A0-0+null", windowStart + 3))
    # Flush internal non-joined state store by joining the dummy record
    inputTopic1.pipeInput(2, "dummy", windowStart + 402)
    check((2, "dummy+100", windowStart + 402))


def test_right_expired_non_joined_records_are_emitted_by_the_left_processor(state, tmp_path):
    """KStreamKStreamOuterJoinTest.testRightExpiredNonJoinedRecordsAreEmittedByTheLeftProcessor:
    JoinWindows.ofTimeDifferenceWithNoGrace(100)"""
    inputTopic1, inputTopic2, check = outer_join(state, tmp_path, 100)
    windowStart = 0
    # No joins detected; No null-joins emitted
    inputTopic2.pipeInput(0, 10, windowStart + 1)
    inputTopic2.pipeInput(1, 11, windowStart + 2)
    inputTopic2.pipeInput(0, 12, windowStart + 3)
    check()
    # Join detected; No null-joins emitted
    inputTopic1.pipeInput(1, "A1", windowStart + 3)
    check((1, "A1+11", windowStart + 3))
    # Dummy record in left topic will emit expired non-joined records from the right topic
    inputTopic1.pipeInput(2, "dummy", windowStart + 401)
    check((0, "null+10", windowStart + 1), (0, "null+12", windowStart + 3))
    # Process the dummy joined record
    inputTopic2.pipeInput(2, 100, windowStart + 402)
    check((2, "dummy+100", windowStart + 402))


def test_right_expired_non_joined_records_are_emitted_by_the_right_processor(state, tmp_path):
    """KStreamKStreamOuterJoinTest.testRightExpiredNonJoinedRecordsAreEmittedByTheRightProcessor:
    JoinWindows.ofTimeDifferenceAndGrace(100, 0)"""
    inputTopic1, inputTopic2, check = outer_join(state, tmp_path, 100, grace=0)
    windowStart = 0
    # No joins detected; No null-joins emitted
    inputTopic2.pipeInput(0, 10, windowStart + 1)
    inputTopic2.pipeInput(1, 11, windowStart + 2)
    inputTopic2.pipeInput(0, 12, windowStart + 3)
    check()
    # Join detected; No null-joins emitted
    inputTopic1.pipeInput(1, "A1", windowStart + 3)
    check((1, "A1+11", windowStart + 3))
    # Dummy record in right topic will emit expired non-joined records from the right topic
    inputTopic2.pipeInput(2, 100, windowStart + 401)
    check((0, "null+10", windowStart + 1), (0, "null+12", windowStart + 3))
    # Process the dummy joined record
    inputTopic1.pipeInput(2, "dummy", windowStart + 402)
    check((2, "dummy+100", windowStart + 402))


def test_ordering(state, tmp_path):
    """KStreamKStreamOuterJoinTest.testOrdering: JoinWindows.ofTimeDifferenceWithNoGrace(100)"""
    inputTopic1, inputTopic2, check = outer_join(state, tmp_path, 100)
    # push two items to the primary stream; the other window is empty; this should not
    # produce any item yet
    inputTopic1.pipeInput(0, "A0", 0)
    inputTopic1.pipeInput(1, "A1", 100)
    check()
    # push one item to the other window that has a join; this should produce the not-joined
    # record first; then the joined record
    inputTopic2.pipeInput(1, 11, 110)
    check((0, "A0+null", 0), (1, "A1+11", 110))


def test_grace_period(state, tmp_path):
    """KStreamKStreamOuterJoinTest.testGracePeriod: JoinWindows.ofTimeDifferenceAndGrace(100, 10)"""
    inputTopic1, inputTopic2, check = outer_join(state, tmp_path, 100, grace=10)
    # push one item to the primary stream; and one item in other stream; this should not
    # produce items because there are no joins and window has not ended
    inputTopic1.pipeInput(0, "A0", 0)
    inputTopic2.pipeInput(1, 11, 0)
    check()
    # push one item on each stream with a window time after the previous window ended (not
    # closed); no joined records, and no non-joined records because the window has not closed
    inputTopic1.pipeInput(1, "A1", 101)
    inputTopic2.pipeInput(0, 10, 101)
    check()
    # push a 100 item to the any stream after the window is closed; this should produced all
    # expired non-joined records because the window has closed
    inputTopic2.pipeInput(0, 100, 112)
    check((1, "null+11", 0), (0, "A0+null", 0))


def test_emit_all_non_joined_results_for_asymmetric_window(state, tmp_path):
    """KStreamKStreamOuterJoinTest.testEmitAllNonJoinedResultsForAsymmetricWindow:
    JoinWindows.ofTimeDifferenceWithNoGrace(5).after(20)"""
    inputTopic1, inputTopic2, check = outer_join(state, tmp_path, 5, after=20)
    # push one item to the primary stream; no matching keys and window has not ended
    inputTopic1.pipeInput(0, "A0", 29)
    check()
    inputTopic1.pipeInput(1, "A1", 30)
    check()
    # push one item to the other stream; no matching keys and window has not ended
    inputTopic2.pipeInput(2, 12, 31)
    check()
    inputTopic2.pipeInput(3, 13, 36)
    check()
    # no inner joined-items; a right-join-item because before window has ended
    inputTopic2.pipeInput(4, 14, 37)
    check((2, "null+12", 31))
    # a left-join-item because after window has ended, and two right-join-items because
    # before window has ended
    inputTopic2.pipeInput(5, 15, 50)
    check((0, "A0+null", 29), (3, "null+13", 36), (4, "null+14", 37))
