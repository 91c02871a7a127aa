"""Stream-stream joins, ported from Kafka Streams' own tests (KStreamKStreamJoinTest,
KStreamKStreamLeftJoinTest; KStreamKStreamOuterJoinTest in test_outer_joins.py): the inputs
in the same order, the expected outputs as written there (``check`` is the tests'
``processor.checkAndClearProcessResult``; names are kept as in the Java sources).

Keys are Integers (JSON here), values Strings; the joiner is MockValueJoiner.TOSTRING_JOINER.
Grace is the join node's ``grace`` param; JoinWindows.before/after its ``before``/``after``.
"""

from __future__ import annotations

from tests.engine.kafka_streams_parity.driver import Driver, stream_join


def join_driver(state, tmp_path, mode, window_ms, grace=None):
    driver = Driver(stream_join(mode, window_ms, grace), state, tmp_path)

    def check(*expected):
        assert driver.keyed() == list(expected)

    return driver, driver.input("topic1"), driver.input("topic2"), check


def test_inner_join(state, tmp_path):
    """KStreamKStreamJoinTest.testJoin: inner join, JoinWindows.ofTimeDifferenceWithNoGrace(ofMillis(100))."""
    driver, inputTopic1, inputTopic2, check = join_driver(state, tmp_path, "inner", 100)
    expectedKeys = [0, 1, 2, 3]
    # push two items to the primary stream; the other window is empty
    for i in range(2):
        inputTopic1.pipeInput(expectedKeys[i], "A" + str(expectedKeys[i]))
    check()
    # push two items to the other stream; this should produce two items
    for i in range(2):
        inputTopic2.pipeInput(expectedKeys[i], "a" + str(expectedKeys[i]))
    check((0, "A0+a0", 0), (1, "A1+a1", 0))
    # push all four items to the primary stream; this should produce two items
    for expectedKey in expectedKeys:
        inputTopic1.pipeInput(expectedKey, "B" + str(expectedKey))
    check((0, "B0+a0", 0), (1, "B1+a1", 0))
    # push all items to the other stream; this should produce six items
    for expectedKey in expectedKeys:
        inputTopic2.pipeInput(expectedKey, "b" + str(expectedKey))
    check(
        (0, "A0+b0", 0),
        (0, "B0+b0", 0),
        (1, "A1+b1", 0),
        (1, "B1+b1", 0),
        (2, "B2+b2", 0),
        (3, "B3+b3", 0),
    )
    # push all four items to the primary stream; this should produce six items
    for expectedKey in expectedKeys:
        inputTopic1.pipeInput(expectedKey, "C" + str(expectedKey))
    check(
        (0, "C0+a0", 0),
        (0, "C0+b0", 0),
        (1, "C1+a1", 0),
        (1, "C1+b1", 0),
        (2, "C2+b2", 0),
        (3, "C3+b3", 0),
    )
    # push two items to the other stream; this should produce six items
    for i in range(2):
        inputTopic2.pipeInput(expectedKeys[i], "c" + str(expectedKeys[i]))
    check(
        (0, "A0+c0", 0),
        (0, "B0+c0", 0),
        (0, "C0+c0", 0),
        (1, "A1+c1", 0),
        (1, "B1+c1", 0),
        (1, "C1+c1", 0),
    )


def test_inner_join_windowing(state, tmp_path):
    """KStreamKStreamJoinTest.testWindowing: inner join, JoinWindows.ofTimeDifferenceWithNoGrace(ofMillis(100)).
    Records arriving later than the window still join what the other side keeps."""
    driver, inputTopic1, inputTopic2, check = join_driver(state, tmp_path, "inner", 100)
    expectedKeys = [0, 1, 2, 3]
    time = 0
    # push two items to the primary stream; the other window is empty; this should produce no items
    for i in range(2):
        inputTopic1.pipeInput(expectedKeys[i], "A" + str(expectedKeys[i]), time)
    check()
    # push two items to the other stream; this should produce two items
    for i in range(2):
        inputTopic2.pipeInput(expectedKeys[i], "a" + str(expectedKeys[i]), time)
    check((0, "A0+a0", 0), (1, "A1+a1", 0))
    # push four items to the primary stream with larger and increasing timestamp; this should
    # produce no items
    time = 1000
    for i in range(len(expectedKeys)):
        inputTopic1.pipeInput(expectedKeys[i], "B" + str(expectedKeys[i]), time + i)
    check()
    # push four items to the other stream with fixed larger timestamp; this should produce four
    # items
    time += 100
    for expectedKey in expectedKeys:
        inputTopic2.pipeInput(expectedKey, "b" + str(expectedKey), time)
    check((0, "B0+b0", 1100), (1, "B1+b1", 1100), (2, "B2+b2", 1100), (3, "B3+b3", 1100))
    # push four items to the other stream with incremented timestamp; this should produce three
    # items
    time += 1
    for expectedKey in expectedKeys:
        inputTopic2.pipeInput(expectedKey, "c" + str(expectedKey), time)
    check((1, "B1+c1", 1101), (2, "B2+c2", 1101), (3, "B3+c3", 1101))
    # push four items to the other stream with incremented timestamp; this should produce two items
    time += 1
    for expectedKey in expectedKeys:
        inputTopic2.pipeInput(expectedKey, "d" + str(expectedKey), time)
    check((2, "B2+d2", 1102), (3, "B3+d3", 1102))
    # push four items to the other stream with incremented timestamp; this should produce one item
    time += 1
    for expectedKey in expectedKeys:
        inputTopic2.pipeInput(expectedKey, "e" + str(expectedKey), time)
    check((3, "B3+e3", 1103))
    # push four items to the other stream with incremented timestamp; this should produce no items
    time += 1
    for expectedKey in expectedKeys:
        inputTopic2.pipeInput(expectedKey, "f" + str(expectedKey), time)
    check()
    # push four items to the other stream with timestamp before the window bound; this should
    # produce no items
    time = 1000 - 100 - 1
    for expectedKey in expectedKeys:
        inputTopic2.pipeInput(expectedKey, "g" + str(expectedKey), time)
    check()
    # push four items to the other stream with with incremented timestamp; this should produce one
    # item
    time += 1
    for expectedKey in expectedKeys:
        inputTopic2.pipeInput(expectedKey, "h" + str(expectedKey), time)
    check((0, "B0+h0", 1000))
    # push four items to the other stream with with incremented timestamp; this should produce two
    # items
    time += 1
    for expectedKey in expectedKeys:
        inputTopic2.pipeInput(expectedKey, "i" + str(expectedKey), time)
    check((0, "B0+i0", 1000), (1, "B1+i1", 1001))
    # push four items to the other stream with with incremented timestamp; this should produce three
    # items
    time += 1
    for expectedKey in expectedKeys:
        inputTopic2.pipeInput(expectedKey, "j" + str(expectedKey), time)
    check((0, "B0+j0", 1000), (1, "B1+j1", 1001), (2, "B2+j2", 1002))
    # push four items to the other stream with with incremented timestamp; this should produce four
    # items
    time += 1
    for expectedKey in expectedKeys:
        inputTopic2.pipeInput(expectedKey, "k" + str(expectedKey), time)
    check((0, "B0+k0", 1000), (1, "B1+k1", 1001), (2, "B2+k2", 1002), (3, "B3+k3", 1003))
    # advance time to not join with existing data
    # we omit above exiting data, even if it's still in the window
    #
    # push four items with increasing timestamps to the other stream. the primary window is empty;
    # this should produce no items
    time = 2000
    for i in range(len(expectedKeys)):
        inputTopic2.pipeInput(expectedKeys[i], "l" + str(expectedKeys[i]), time + i)
    check()
    # push four items with larger timestamps to the primary stream; this should produce four items
    time = 2000 + 100
    for expectedKey in expectedKeys:
        inputTopic1.pipeInput(expectedKey, "C" + str(expectedKey), time)
    check((0, "C0+l0", 2100), (1, "C1+l1", 2100), (2, "C2+l2", 2100), (3, "C3+l3", 2100))
    # push four items with increase timestamps to the primary stream; this should produce three
    # items
    time += 1
    for expectedKey in expectedKeys:
        inputTopic1.pipeInput(expectedKey, "D" + str(expectedKey), time)
    check((1, "D1+l1", 2101), (2, "D2+l2", 2101), (3, "D3+l3", 2101))
    # push four items with increase timestamps to the primary stream; this should produce two items
    time += 1
    for expectedKey in expectedKeys:
        inputTopic1.pipeInput(expectedKey, "E" + str(expectedKey), time)
    check((2, "E2+l2", 2102), (3, "E3+l3", 2102))
    # push four items with increase timestamps to the primary stream; this should produce one item
    time += 1
    for expectedKey in expectedKeys:
        inputTopic1.pipeInput(expectedKey, "F" + str(expectedKey), time)
    check((3, "F3+l3", 2103))
    # push four items with increase timestamps (now out of window) to the primary stream; this
    # should produce no items
    time += 1
    for expectedKey in expectedKeys:
        inputTopic1.pipeInput(expectedKey, "G" + str(expectedKey), time)
    check()
    # push four items with smaller timestamps (before window) to the primary stream; this should
    # produce no items
    time = 2000 - 100 - 1
    for expectedKey in expectedKeys:
        inputTopic1.pipeInput(expectedKey, "H" + str(expectedKey), time)
    check()
    # push four items with increased timestamps to the primary stream; this should produce one item
    time += 1
    for expectedKey in expectedKeys:
        inputTopic1.pipeInput(expectedKey, "I" + str(expectedKey), time)
    check((0, "I0+l0", 2000))
    # push four items with increased timestamps to the primary stream; this should produce two items
    time += 1
    for expectedKey in expectedKeys:
        inputTopic1.pipeInput(expectedKey, "J" + str(expectedKey), time)
    check((0, "J0+l0", 2000), (1, "J1+l1", 2001))
    # push four items with increased timestamps to the primary stream; this should produce three
    # items
    time += 1
    for expectedKey in expectedKeys:
        inputTopic1.pipeInput(expectedKey, "K" + str(expectedKey), time)
    check((0, "K0+l0", 2000), (1, "K1+l1", 2001), (2, "K2+l2", 2002))
    # push four items with increased timestamps to the primary stream; this should produce four
    # items


def test_left_join_duplicates(state, tmp_path):
    """KStreamKStreamLeftJoinTest.testLeftJoinDuplicates: left join, JoinWindows.ofTimeDifferenceAndGrace(ofMillis(100), ofMillis(10))."""
    driver, inputTopic1, inputTopic2, check = join_driver(state, tmp_path, "left", 100, grace=10)
    # verifies non-joined duplicates are emitted when window has closed
    inputTopic1.pipeInput(0, "A0", 0)
    inputTopic1.pipeInput(0, "A0-0", 0)
    inputTopic2.pipeInput(1, "a0", 111)
    # bump stream-time to trigger left-join results
    inputTopic2.pipeInput(2, "dummy", 500)
    check((0, "A0+null", 0), (0, "A0-0+null", 0))
    # verifies joined duplicates are emitted
    inputTopic1.pipeInput(2, "A2", 1000)
    inputTopic1.pipeInput(2, "A2-0", 1000)
    inputTopic2.pipeInput(2, "a2", 1001)
    check((2, "A2+a2", 1001), (2, "A2-0+a2", 1001))
    # this record should expired non-joined records, but because A2 and A2-0 are joined and
    # emitted already, then they won't be emitted again
    inputTopic2.pipeInput(3, "a3", 315)
    check()


def test_left_expired_non_joined_records_are_emitted_by_the_left_processor(state, tmp_path):
    """KStreamKStreamLeftJoinTest.testLeftExpiredNonJoinedRecordsAreEmittedByTheLeftProcessor: left join, JoinWindows.ofTimeDifferenceAndGrace(ofMillis(100), ofMillis(0))."""
    driver, inputTopic1, inputTopic2, check = join_driver(state, tmp_path, "left", 100, grace=0)
    windowStart = 0
    # No joins detected; No null-joins emitted
    inputTopic1.pipeInput(0, "A0", windowStart + 1)
    inputTopic1.pipeInput(1, "A1", windowStart + 2)
    inputTopic1.pipeInput(0, "A0-0", windowStart + 3)
    check()
    # Join detected; No null-joins emitted
    inputTopic2.pipeInput(1, "a1", windowStart + 3)
    check((1, "A1+a1", windowStart + 3))
    # Dummy record in left topic will emit expired non-joined records from the left topic
    inputTopic1.pipeInput(2, "dummy", windowStart + 401)
    check((0, "A0+null", windowStart + 1), (0, "A0-0+null", windowStart + 3))
    # Flush internal non-joined state store by joining the dummy record
    inputTopic2.pipeInput(2, "dummy", windowStart + 401)
    check((2, "dummy+dummy", windowStart + 401))


def test_left_expired_non_joined_records_are_emitted_by_the_right_processor(state, tmp_path):
    """KStreamKStreamLeftJoinTest.testLeftExpiredNonJoinedRecordsAreEmittedByTheRightProcessor: left join, JoinWindows.ofTimeDifferenceAndGrace(ofMillis(100), ofMillis(0))."""
    driver, inputTopic1, inputTopic2, check = join_driver(state, tmp_path, "left", 100, grace=0)
    windowStart = 0
    # No joins detected; No null-joins emitted
    inputTopic1.pipeInput(0, "A0", windowStart + 1)
    inputTopic1.pipeInput(1, "A1", windowStart + 2)
    inputTopic1.pipeInput(0, "A0-0", windowStart + 3)
    check()
    # Join detected; No null-joins emitted
    inputTopic2.pipeInput(1, "a1", windowStart + 3)
    check((1, "A1+a1", windowStart + 3))
    # Dummy record in right topic will emit expired non-joined records from the left topic
    inputTopic2.pipeInput(2, "dummy", windowStart + 401)
    check((0, "A0+null", windowStart + 1), (0, "A0-0+null", windowStart + 3))
    # Flush internal non-joined state store by joining the dummy record
    inputTopic1.pipeInput(2, "dummy", windowStart + 402)
    check((2, "dummy+dummy", windowStart + 402))


def test_right_non_joined_records_are_never_emitted_by_the_left_processor(state, tmp_path):
    """KStreamKStreamLeftJoinTest.testRightNonJoinedRecordsAreNeverEmittedByTheLeftProcessor: left join, JoinWindows.ofTimeDifferenceAndGrace(ofMillis(100), ofMillis(0))."""
    driver, inputTopic1, inputTopic2, check = join_driver(state, tmp_path, "left", 100, grace=0)
    windowStart = 0
    # No joins detected; No null-joins emitted
    inputTopic2.pipeInput(0, "A0", windowStart + 1)
    inputTopic2.pipeInput(1, "A1", windowStart + 2)
    inputTopic2.pipeInput(0, "A0-0", windowStart + 3)
    check()
    # Join detected; No null-joins emitted
    inputTopic1.pipeInput(1, "a1", windowStart + 3)
    check((1, "a1+A1", windowStart + 3))
    # Dummy record in left topic will not emit records
    inputTopic1.pipeInput(2, "dummy", windowStart + 401)
    check()
    # Process the dummy joined record
    inputTopic2.pipeInput(2, "dummy", windowStart + 402)
    check((2, "dummy+dummy", windowStart + 402))


def test_right_non_joined_records_are_never_emitted_by_the_right_processor(state, tmp_path):
    """KStreamKStreamLeftJoinTest.testRightNonJoinedRecordsAreNeverEmittedByTheRightProcessor: left join, JoinWindows.ofTimeDifferenceWithNoGrace(ofMillis(100))."""
    driver, inputTopic1, inputTopic2, check = join_driver(state, tmp_path, "left", 100)
    windowStart = 0
    # No joins detected; No null-joins emitted
    inputTopic2.pipeInput(0, "A0", windowStart + 1)
    inputTopic2.pipeInput(1, "A1", windowStart + 2)
    inputTopic2.pipeInput(0, "A0-0", windowStart + 3)
    check()
    # Join detected; No null-joins emitted
    inputTopic1.pipeInput(1, "a1", windowStart + 3)
    check((1, "a1+A1", windowStart + 3))
    # Dummy record in right topic will not emit records
    inputTopic2.pipeInput(2, "dummy", windowStart + 401)
    check()
    # Process the dummy joined record
    inputTopic1.pipeInput(2, "dummy", windowStart + 402)
    check((2, "dummy+dummy", windowStart + 402))


def test_left_join_ordering(state, tmp_path):
    """KStreamKStreamLeftJoinTest.testOrdering: left join, JoinWindows.ofTimeDifferenceWithNoGrace(ofMillis(100)).
    Expired unmatched records go before the output of the record that expired them."""
    driver, inputTopic1, inputTopic2, check = join_driver(state, tmp_path, "left", 100)
    # push two items to the primary stream; the other window is empty; this should not produce any
    # item yet
    inputTopic1.pipeInput(0, "A0", 0)
    inputTopic1.pipeInput(1, "A1", 100)
    check()
    # push one item to the other window that has a join;
    # this should produce the joined record first;
    # then non-joined record with a closed window
    # by the time they were produced before
    inputTopic2.pipeInput(1, "a1", 110)
    check((0, "A0+null", 0), (1, "A1+a1", 110))


def test_left_join_grace_period(state, tmp_path):
    """KStreamKStreamLeftJoinTest.testGracePeriod: left join, JoinWindows.ofTimeDifferenceAndGrace(ofMillis(100), ofMillis(10))."""
    driver, inputTopic1, inputTopic2, check = join_driver(state, tmp_path, "left", 100, grace=10)
    expectedKeys = [0, 1, 2, 3]
    # push two items to the primary stream; the other window is empty; this should not produce items
    # because window has not closed
    time = 0
    for i in range(2):
        inputTopic1.pipeInput(expectedKeys[i], "A" + str(expectedKeys[i]), time)
    check()
    # push two items to the other stream with a window time after the previous window ended (not
    # closed); this should not produce
    # joined records because the window has ended, but not closed.
    time += 101
    for expectedKey in expectedKeys:
        inputTopic2.pipeInput(expectedKey, "a" + str(expectedKey), time)
    check()
    # push a dummy item to the other stream after the window is closed; this should only produced
    # the expired non-joined records, but
    # not the joined records because the window has closed
    time += 1100
    inputTopic2.pipeInput(0, "dummy", time)
    check((0, "A0+null", 0), (1, "A1+null", 0))


def test_left_join_windowing(state, tmp_path):
    """KStreamKStreamLeftJoinTest.testWindowing: left join, JoinWindows.ofTimeDifferenceWithNoGrace(ofMillis(100))."""
    driver, inputTopic1, inputTopic2, check = join_driver(state, tmp_path, "left", 100)
    expectedKeys = [0, 1, 2, 3]
    time = 0
    # push two items to the primary stream; the other window is empty; this should not produce any
    # items
    for i in range(2):
        inputTopic1.pipeInput(expectedKeys[i], "A" + str(expectedKeys[i]), time)
    check()
    # push four items to the other stream; this should produce two full-join items
    for expectedKey in expectedKeys:
        inputTopic2.pipeInput(expectedKey, "a" + str(expectedKey), time)
    check((0, "A0+a0", 0), (1, "A1+a1", 0))
    upper_window_bound(expectedKeys, inputTopic1, inputTopic2, check)
    lower_window_bound(expectedKeys, inputTopic1, inputTopic2, check)


def test_left_join_with_default_suppliers(state, tmp_path):
    """KStreamKStreamLeftJoinTest.testLeftJoinWithDefaultSuppliers (its body, runLeftJoin): left
    join, JoinWindows.ofTimeDifferenceWithNoGrace(ofMillis(100)). The store count assertion is
    left out."""
    driver, inputTopic1, inputTopic2, check = join_driver(state, tmp_path, "left", 100)
    expectedKeys = [0, 1, 2, 3]
    # push two items to the primary stream; the other window is empty
    for i in range(2):
        inputTopic1.pipeInput(expectedKeys[i], "A" + str(expectedKeys[i]))
    check()
    # push two items to the other stream; this should produce two items
    for i in range(2):
        inputTopic2.pipeInput(expectedKeys[i], "a" + str(expectedKeys[i]))
    check((0, "A0+a0", 0), (1, "A1+a1", 0))
    # push three items to the primary stream; this should produce two joined items
    for i in range(3):
        inputTopic1.pipeInput(expectedKeys[i], "B" + str(expectedKeys[i]))
    check((0, "B0+a0", 0), (1, "B1+a1", 0))
    # push all items to the other stream; this should produce five items
    for expectedKey in expectedKeys:
        inputTopic2.pipeInput(expectedKey, "b" + str(expectedKey))
    check((0, "A0+b0", 0), (0, "B0+b0", 0), (1, "A1+b1", 0), (1, "B1+b1", 0), (2, "B2+b2", 0))
    # push all four items to the primary stream; this should produce six joined items
    for expectedKey in expectedKeys:
        inputTopic1.pipeInput(expectedKey, "C" + str(expectedKey))
    check(
        (0, "C0+a0", 0),
        (0, "C0+b0", 0),
        (1, "C1+a1", 0),
        (1, "C1+b1", 0),
        (2, "C2+b2", 0),
        (3, "C3+b3", 0),
    )
    # push a dummy record that should expire non-joined items; it should not produce any items
    # because
    # all of them are joined
    inputTopic1.pipeInput(0, "dummy", 1000)
    check()


def upper_window_bound(expectedKeys, inputTopic1, inputTopic2, check):
    """KStreamKStreamLeftJoinTest.testUpperWindowBound"""
    # push four items with larger and increasing timestamp (out of window) to the other stream; this
    # should produce no items
    time = 1000
    for i in range(len(expectedKeys)):
        inputTopic2.pipeInput(expectedKeys[i], "b" + str(expectedKeys[i]), time + i)
    check()
    # push four items with larger timestamp to the primary stream; this should produce four full-
    # join items
    time = 1000 + 100
    for expectedKey in expectedKeys:
        inputTopic1.pipeInput(expectedKey, "B" + str(expectedKey), time)
    check((0, "B0+b0", 1100), (1, "B1+b1", 1100), (2, "B2+b2", 1100), (3, "B3+b3", 1100))
    # push four items with increased timestamp to the primary stream; this should produce one left-
    # join and three full-join items (non-joined item is not produced yet)
    time += 1
    for expectedKey in expectedKeys:
        inputTopic1.pipeInput(expectedKey, "C" + str(expectedKey), time)
    check((1, "C1+b1", 1101), (2, "C2+b2", 1101), (3, "C3+b3", 1101))
    # push four items with increased timestamp to the primary stream; this should produce two left-
    # join and two full-join items (non-joined items are not produced yet)
    time += 1
    for expectedKey in expectedKeys:
        inputTopic1.pipeInput(expectedKey, "D" + str(expectedKey), time)
    check((2, "D2+b2", 1102), (3, "D3+b3", 1102))
    # push four items with increased timestamp to the primary stream; this should produce one full-
    # join items (three non-joined left-join are not produced yet)
    time += 1
    for expectedKey in expectedKeys:
        inputTopic1.pipeInput(expectedKey, "E" + str(expectedKey), time)
    check((3, "E3+b3", 1103))
    # push four items with increased timestamp to the primary stream; this should produce no full-
    # join items (four non-joined left-join are not produced yet)
    time += 1
    for expectedKey in expectedKeys:
        inputTopic1.pipeInput(expectedKey, "F" + str(expectedKey), time)
    check()
    # push a dummy record to produce all left-join non-joined items
    time += 301
    inputTopic1.pipeInput(0, "dummy", time)
    check(
        (0, "C0+null", 1101),
        (0, "D0+null", 1102),
        (1, "D1+null", 1102),
        (0, "E0+null", 1103),
        (1, "E1+null", 1103),
        (2, "E2+null", 1103),
        (0, "F0+null", 1104),
        (1, "F1+null", 1104),
        (2, "F2+null", 1104),
        (3, "F3+null", 1104),
    )


def lower_window_bound(expectedKeys, inputTopic1, inputTopic2, check):
    """KStreamKStreamLeftJoinTest.testLowerWindowBound"""
    # push four items with smaller timestamp (before the window) to the primary stream; this should
    # produce four left-join and no full-join items
    time = 1000 - 100 - 1
    for expectedKey in expectedKeys:
        inputTopic1.pipeInput(expectedKey, "G" + str(expectedKey), time)
    check((0, "G0+null", 899), (1, "G1+null", 899), (2, "G2+null", 899), (3, "G3+null", 899))
    # push four items with increase timestamp to the primary stream; this should produce three left-
    # join and one full-join items
    time += 1
    for expectedKey in expectedKeys:
        inputTopic1.pipeInput(expectedKey, "H" + str(expectedKey), time)
    check((0, "H0+b0", 1000), (1, "H1+null", 900), (2, "H2+null", 900), (3, "H3+null", 900))
    # push four items with increase timestamp to the primary stream; this should produce two left-
    # join and two full-join items
    time += 1
    for expectedKey in expectedKeys:
        inputTopic1.pipeInput(expectedKey, "I" + str(expectedKey), time)
    check((0, "I0+b0", 1000), (1, "I1+b1", 1001), (2, "I2+null", 901), (3, "I3+null", 901))
    # push four items with increase timestamp to the primary stream; this should produce one left-
    # join and three full-join items
    time += 1
    for expectedKey in expectedKeys:
        inputTopic1.pipeInput(expectedKey, "J" + str(expectedKey), time)
    check((0, "J0+b0", 1000), (1, "J1+b1", 1001), (2, "J2+b2", 1002), (3, "J3+null", 902))
    # push four items with increase timestamp to the primary stream; this should produce one left-
    # join and three full-join items
    time += 1
    for expectedKey in expectedKeys:
        inputTopic1.pipeInput(expectedKey, "K" + str(expectedKey), time)
    check((0, "K0+b0", 1000), (1, "K1+b1", 1001), (2, "K2+b2", 1002), (3, "K3+b3", 1003))
    # push a dummy record that should expire non-joined items; it should produce only the dummy+null
    # record because
    # all previous late records were emitted immediately
    inputTopic1.pipeInput(0, "dummy", time + 300)
    check((0, "dummy+null", 1203))


# -- asymmetric windows -------------------------------------------------------------------


def asymmetric_driver(state, tmp_path, before, after):
    topology = stream_join("inner", 0)
    params = topology.node("join").params
    params["before"], params["after"] = f"{before}ms", f"{after}ms"
    driver = Driver(topology, state, tmp_path)

    def check(*expected):
        assert driver.keyed() == list(expected)

    return driver.input("topic1"), driver.input("topic2"), check


def push_rounds(inputTopic2, check, expectedKeys, rounds):
    """Each round: four items with one timestamp to the other stream, and what it joins."""
    for letter, time, expected in rounds:
        for key in expectedKeys:
            inputTopic2.pipeInput(key, letter + str(key), time)
        check(*expected)


def test_asymmetric_windowing_after(state, tmp_path):
    """KStreamKStreamJoinTest.testAsymmetricWindowingAfter:
    JoinWindows.ofTimeDifferenceWithNoGrace(0).after(100)"""
    expectedKeys = [0, 1, 2, 3]
    inputTopic1, inputTopic2, check = asymmetric_driver(state, tmp_path, 0, 100)
    time = 1000
    # push four items with increasing timestamps to the primary stream; the other window is
    # empty; this should produce no items
    for i in range(len(expectedKeys)):
        inputTopic1.pipeInput(expectedKeys[i], "A" + str(expectedKeys[i]), time + i)
    check()
    push_rounds(
        inputTopic2,
        check,
        expectedKeys,
        [
            ("a", 999, []),  # smaller timestamps (out of window): no items
            ("b", 1000, [(0, "A0+b0", 1000)]),
            ("c", 1001, [(0, "A0+c0", 1001), (1, "A1+c1", 1001)]),
            ("d", 1002, [(0, "A0+d0", 1002), (1, "A1+d1", 1002), (2, "A2+d2", 1002)]),
            (
                "e",
                1003,
                [(0, "A0+e0", 1003), (1, "A1+e1", 1003), (2, "A2+e2", 1003), (3, "A3+e3", 1003)],
            ),
            (
                "f",
                1100,
                [(0, "A0+f0", 1100), (1, "A1+f1", 1100), (2, "A2+f2", 1100), (3, "A3+f3", 1100)],
            ),
            ("g", 1101, [(1, "A1+g1", 1101), (2, "A2+g2", 1101), (3, "A3+g3", 1101)]),
            ("h", 1102, [(2, "A2+h2", 1102), (3, "A3+h3", 1102)]),
            ("i", 1103, [(3, "A3+i3", 1103)]),
            ("j", 1104, []),  # increased timestamps (out of window): no items
        ],
    )


def test_asymmetric_windowing_before(state, tmp_path):
    """KStreamKStreamJoinTest.testAsymmetricWindowingBefore:
    JoinWindows.ofTimeDifferenceWithNoGrace(0).before(100)"""
    expectedKeys = [0, 1, 2, 3]
    inputTopic1, inputTopic2, check = asymmetric_driver(state, tmp_path, 100, 0)
    time = 1000
    for i in range(len(expectedKeys)):
        inputTopic1.pipeInput(expectedKeys[i], "A" + str(expectedKeys[i]), time + i)
    check()
    push_rounds(
        inputTopic2,
        check,
        expectedKeys,
        [
            ("a", 899, []),  # smaller timestamps (before the window): no items
            ("b", 900, [(0, "A0+b0", 1000)]),
            ("c", 901, [(0, "A0+c0", 1000), (1, "A1+c1", 1001)]),
            ("d", 902, [(0, "A0+d0", 1000), (1, "A1+d1", 1001), (2, "A2+d2", 1002)]),
            (
                "e",
                903,
                [(0, "A0+e0", 1000), (1, "A1+e1", 1001), (2, "A2+e2", 1002), (3, "A3+e3", 1003)],
            ),
            (
                "f",
                1000,
                [(0, "A0+f0", 1000), (1, "A1+f1", 1001), (2, "A2+f2", 1002), (3, "A3+f3", 1003)],
            ),
            ("g", 1001, [(1, "A1+g1", 1001), (2, "A2+g2", 1002), (3, "A3+g3", 1003)]),
            ("h", 1002, [(2, "A2+h2", 1002), (3, "A3+h3", 1003)]),
            ("i", 1003, [(3, "A3+i3", 1003)]),
            ("j", 1004, []),
        ],
    )


def test_left_joined_records_with_zero_after_are_emitted(state, tmp_path):
    """KStreamKStreamLeftJoinTest.testLeftJoinedRecordsWithZeroAfterAreEmitted:
    JoinWindows.ofTimeDifferenceWithNoGrace(100).after(ZERO)"""
    expectedKeys = [0, 1, 2, 3]
    topology = stream_join("left", 100)
    topology.node("join").params["after"] = "0ms"
    driver = Driver(topology, state, tmp_path)
    inputTopic1, inputTopic2 = driver.input("topic1"), driver.input("topic2")

    def check(*expected):
        assert driver.keyed() == list(expected)

    # push four items with increasing timestamps to the primary stream; the other window is
    # empty; this should emit the first three left-joined items; A3 is not triggered yet
    time = 1000
    for i in range(len(expectedKeys)):
        inputTopic1.pipeInput(expectedKeys[i], "A" + str(expectedKeys[i]), time + i)
    check((0, "A0+null", 1000), (1, "A1+null", 1001), (2, "A2+null", 1002))
    push_rounds(
        inputTopic2,
        check,
        expectedKeys,
        [
            # smaller timestamps (out of window): four joined items
            (
                "a",
                999,
                [(0, "A0+a0", 1000), (1, "A1+a1", 1001), (2, "A2+a2", 1002), (3, "A3+a3", 1003)],
            ),
            (
                "b",
                1000,
                [(0, "A0+b0", 1000), (1, "A1+b1", 1001), (2, "A2+b2", 1002), (3, "A3+b3", 1003)],
            ),
            # c0 arrives too late to be joined with A0
            ("c", 1001, [(1, "A1+c1", 1001), (2, "A2+c2", 1002), (3, "A3+c3", 1003)]),
            ("d", 1002, [(2, "A2+d2", 1002), (3, "A3+d3", 1003)]),
            ("e", 1003, [(3, "A3+e3", 1003)]),
            # larger timestamps: no (non-)joined items can be produced
            ("f", 1100, []),
        ],
    )
