"""Session windows, ported from Kafka Streams' own tests: the inputs in the same order, the
expected outputs as written there.

Differences, deliberate (README, "Differences from Kafka Streams"):
- the output key is the group key; the window is in the value (a retraction names it in its
  headers): ``Driver.windowed()`` shows outputs as Kafka Streams' ``[key@start/end]``;
- there is no record cache: every update is forwarded, as Kafka Streams with caching
  disabled; where a test flushes a caching store once at the end, ``as_if_cached`` gives
  what that cache would have forwarded;
- ``emit: final`` closes a session when stream time reaches ``end + gap + grace``, as
  ``suppress(untilWindowCloses)``; ``EmitStrategy.onWindowClose`` waits one millisecond
  more. The ported inputs do not tell the two apart.
"""

from __future__ import annotations

import pytest

from tests.engine.kafka_streams_parity.driver import (
    Driver,
    as_if_cached,
    find_sessions,
    windowed_count,
)

GAP_MS = 5 * 60 * 1000  # KStreamSessionWindowAggregateProcessorTest.GAP_MS
EMITS = ["update", "final"]  # EmitStrategy.StrategyType ON_WINDOW_UPDATE, ON_WINDOW_CLOSE


def session_count(state, tmp_path, gap, grace=None, emit="update"):
    window = {"type": "session", "gap": f"{gap}ms"}
    if grace is not None:
        window["grace"] = f"{grace}ms"
    driver = Driver(windowed_count(window, emit), state, tmp_path)
    return driver, driver.input("input", key_format="string")


# -- KStreamSessionWindowAggregateProcessorTest ------------------------------------------------


@pytest.mark.parametrize("emit", EMITS)
def test_should_create_single_session_when_within_gap(state, tmp_path, emit):
    """KStreamSessionWindowAggregateProcessorTest.shouldCreateSingleSessionWhenWithinGap"""
    driver, topic = session_count(state, tmp_path, GAP_MS, emit=emit)
    topic.pipeInput("john", "first", 0)
    topic.pipeInput("john", "second", 500)
    assert [count for _, _, count in find_sessions(driver, "john")] == [2]


@pytest.mark.parametrize("emit", EMITS)
def test_should_merge_sessions(state, tmp_path, emit):
    """KStreamSessionWindowAggregateProcessorTest.shouldMergeSessions"""
    driver, topic = session_count(state, tmp_path, GAP_MS, emit=emit)
    topic.pipeInput("mel", "first", 0)
    assert find_sessions(driver, "mel") == [(0, 0, 1)]
    # move time beyond gap
    topic.pipeInput("mel", "second", GAP_MS + 1)
    # should still exist as not within gap
    assert find_sessions(driver, "mel") == [(0, 0, 1), (GAP_MS + 1, GAP_MS + 1, 1)]
    # move time back
    topic.pipeInput("mel", "third", GAP_MS // 2)
    assert [count for _, _, count in find_sessions(driver, "mel")] == [3]


@pytest.mark.parametrize("emit", EMITS)
def test_should_update_session_if_the_same_time(state, tmp_path, emit):
    """KStreamSessionWindowAggregateProcessorTest.shouldUpdateSessionIfTheSameTime"""
    driver, topic = session_count(state, tmp_path, GAP_MS, emit=emit)
    topic.pipeInput("mel", "first", 0)
    topic.pipeInput("mel", "second", 0)
    assert find_sessions(driver, "mel") == [(0, 0, 2)]


@pytest.mark.parametrize("emit", EMITS)
def test_should_have_multiple_sessions_for_same_id_when_timestamp_apart_by_session_gap(
    state, tmp_path, emit
):
    """KStreamSessionWindowAggregateProcessorTest
    .shouldHaveMultipleSessionsForSameIdWhenTimestampApartBySessionGap (a caching store)"""
    driver, topic = session_count(state, tmp_path, GAP_MS, emit=emit)
    session_id = "mel"
    now = 0
    topic.pipeInput(session_id, "first", now)
    now += GAP_MS + 1
    topic.pipeInput(session_id, "second", now)
    topic.pipeInput(session_id, "second", now)
    now += GAP_MS + 1
    topic.pipeInput(session_id, "third", now)
    topic.pipeInput(session_id, "third", now)
    topic.pipeInput(session_id, "third", now)
    if emit == "final":
        assert driver.windowed() == [
            (f"[{session_id}@0/0]", 1, 0),
            (f"[{session_id}@{GAP_MS + 1}/{GAP_MS + 1}]", 2, GAP_MS + 1),
        ]
    else:
        assert as_if_cached(driver.windowed()) == [
            (f"[{session_id}@0/0]", 1, 0),
            (f"[{session_id}@{GAP_MS + 1}/{GAP_MS + 1}]", 2, GAP_MS + 1),
            (f"[{session_id}@{now}/{now}]", 3, now),
        ]


@pytest.mark.parametrize("emit", EMITS)
def test_should_remove_merged_sessions_from_state_store(state, tmp_path, emit):
    """KStreamSessionWindowAggregateProcessorTest.shouldRemoveMergedSessionsFromStateStore"""
    driver, topic = session_count(state, tmp_path, GAP_MS, emit=emit)
    topic.pipeInput("a", "1", 0)
    # first ensure it is in the store
    assert find_sessions(driver, "a") == [(0, 0, 1)]
    topic.pipeInput("a", "2", 100)
    # a1 from above should have been removed; should have merged session in store
    assert find_sessions(driver, "a") == [(0, 100, 2)]


@pytest.mark.parametrize("emit", EMITS)
def test_should_handle_multiple_sessions_and_merging(state, tmp_path, emit):
    """KStreamSessionWindowAggregateProcessorTest.shouldHandleMultipleSessionsAndMerging
    (a caching store)"""
    driver, topic = session_count(state, tmp_path, GAP_MS, emit=emit)
    topic.pipeInput("a", "1", 0)
    topic.pipeInput("b", "1", 0)
    topic.pipeInput("c", "1", 0)
    topic.pipeInput("d", "1", 0)
    topic.pipeInput("d", "2", GAP_MS // 2)
    topic.pipeInput("a", "2", GAP_MS + 1)
    topic.pipeInput("b", "2", GAP_MS + 1)
    topic.pipeInput("a", "3", GAP_MS + 1 + GAP_MS // 2)
    topic.pipeInput("c", "3", GAP_MS + 1 + GAP_MS // 2)
    if emit == "final":
        assert driver.windowed() == [
            ("[a@0/0]", 1, 0),
            ("[b@0/0]", 1, 0),
            ("[c@0/0]", 1, 0),
            (f"[d@0/{GAP_MS // 2}]", 2, GAP_MS // 2),
        ]
    else:
        assert as_if_cached(driver.windowed()) == [
            ("[a@0/0]", 1, 0),
            ("[b@0/0]", 1, 0),
            ("[c@0/0]", 1, 0),
            (f"[d@0/{GAP_MS // 2}]", 2, GAP_MS // 2),
            (f"[b@{GAP_MS + 1}/{GAP_MS + 1}]", 1, GAP_MS + 1),
            (f"[a@{GAP_MS + 1}/{GAP_MS + 1 + GAP_MS // 2}]", 2, GAP_MS + 1 + GAP_MS // 2),
            (
                f"[c@{GAP_MS + 1 + GAP_MS // 2}/{GAP_MS + 1 + GAP_MS // 2}]",
                1,
                GAP_MS + 1 + GAP_MS // 2,
            ),
        ]


def test_should_immediately_forward_new_session_when_non_cached_store(state, tmp_path):
    """KStreamSessionWindowAggregateProcessorTest.shouldImmediatelyForwardNewSessionWhenNonCachedStore"""
    driver, topic = session_count(state, tmp_path, GAP_MS)
    topic.pipeInput("a", "1", 0)
    topic.pipeInput("b", "1", 0)
    topic.pipeInput("c", "1", 0)
    assert driver.windowed() == [("[a@0/0]", 1, 0), ("[b@0/0]", 1, 0), ("[c@0/0]", 1, 0)]


def test_should_immediately_forward_removed_sessions_when_merging(state, tmp_path):
    """KStreamSessionWindowAggregateProcessorTest.shouldImmediatelyForwardRemovedSessionsWhenMerging"""
    driver, topic = session_count(state, tmp_path, GAP_MS)
    topic.pipeInput("a", "1", 0)
    topic.pipeInput("a", "1", 5)
    assert driver.windowed() == [("[a@0/0]", 1, 0), ("[a@0/0]", None, 0), ("[a@0/5]", 2, 5)]


def test_should_log_and_meter_when_skipping_late_record_with_zero_grace(state, tmp_path):
    """KStreamSessionWindowAggregateProcessorTest.shouldLogAndMeterWhenSkippingLateRecordWithZeroGrace"""
    driver, topic = session_count(state, tmp_path, 10, grace=0)
    # dummy record to establish stream time = 0
    topic.pipeInput("dummy", "dummy", 0)
    # record arrives on time, should not be skipped
    topic.pipeInput("OnTime1", "1", 0)
    # dummy record to advance stream time = 11, 10 for gap time plus 1 to place outside window
    topic.pipeInput("dummy", "dummy", 11)
    # record is late
    topic.pipeInput("Late1", "1", 0)
    assert driver.late_records() == 1  # dropped-records-total
    assert [k for k, _, _ in driver.windowed()] == ["[dummy@0/0]", "[OnTime1@0/0]", "[dummy@11/11]"]


def test_should_log_and_meter_when_skipping_late_record_with_nonzero_grace(state, tmp_path):
    """KStreamSessionWindowAggregateProcessorTest.shouldLogAndMeterWhenSkippingLateRecordWithNonzeroGrace"""
    driver, topic = session_count(state, tmp_path, 10, grace=1)
    # dummy record to establish stream time = 0
    topic.pipeInput("dummy", "dummy", 0)
    # record arrives on time, should not be skipped
    topic.pipeInput("OnTime1", "1", 0)
    # dummy record to advance stream time = 11, 10 for gap time plus 1 to place at edge of window
    topic.pipeInput("dummy", "dummy", 11)
    # delayed record arrives on time, should not be skipped
    topic.pipeInput("OnTime2", "1", 0)
    # dummy record to advance stream time = 12, 10 for gap time plus 2 to place outside window
    topic.pipeInput("dummy", "dummy", 12)
    # delayed record arrives late
    topic.pipeInput("Late1", "1", 0)
    assert driver.late_records() == 1  # dropped-records-total
    assert "[OnTime2@0/0]" in [k for k, _, _ in driver.windowed()]


# -- SessionWindowedKStreamImplTest --------------------------------------------------------------


@pytest.mark.parametrize("emit", EMITS)
def test_should_count_session_windowed(state, tmp_path, emit):
    """SessionWindowedKStreamImplTest.shouldCountSessionWindowedWithCachingDisabled (and
    WithCachingEnabled: the test driver flushes after every record, the same outputs)"""
    driver, topic = session_count(state, tmp_path, 500, emit=emit)
    topic.pipeInput("1", "1", 10)
    topic.pipeInput("1", "2", 15)
    topic.pipeInput("1", "3", 600)
    topic.pipeInput("2", "1", 600)
    topic.pipeInput("2", "2", 599)
    if emit == "final":
        assert driver.windowed() == [("[1@10/15]", 2, 15)]
    else:
        assert driver.windowed() == [
            ("[1@10/10]", 1, 10),
            ("[1@10/10]", None, 10),
            ("[1@10/15]", 2, 15),
            ("[1@600/600]", 1, 600),
            ("[2@600/600]", 1, 600),
            ("[2@600/600]", None, 600),
            ("[2@599/600]", 2, 600),
        ]


# -- SuppressScenarioTest ----------------------------------------------------------------------


def test_should_support_final_results_for_session_windows(state, tmp_path):
    """SuppressScenarioTest.shouldSupportFinalResultsForSessionWindows: output-raw is the
    count with emit update, output-suppressed the count with emit final."""
    raw, raw_topic = session_count(state, tmp_path / "raw", 5, grace=0)
    final, final_topic = session_count(state, tmp_path / "final", 5, grace=0, emit="final")

    def pipe(key, value, ts):
        raw_topic.pipeInput(key, value, ts)
        final_topic.pipeInput(key, value, ts)

    # first window
    pipe("k1", "v1", 0)
    pipe("k1", "v1", 5)
    # arbitrarily disordered records are admitted, because the *window* is not closed until
    # stream-time > window-end + grace
    pipe("k1", "v1", 1)
    # any record in the same partition advances stream time (note the key is different)
    pipe("k2", "v1", 11)
    # late event for first window - this should get dropped from all streams, since the
    # first window is now closed.
    pipe("k1", "v1", 5)
    # just pushing stream time forward to flush the other events through.
    pipe("k1", "v1", 30)
    assert raw.windowed() == [
        ("[k1@0/0]", 1, 0),
        ("[k1@0/0]", None, 0),
        ("[k1@0/5]", 2, 5),
        ("[k1@0/5]", None, 5),
        ("[k1@0/5]", 3, 5),
        ("[k2@11/11]", 1, 11),
        ("[k1@30/30]", 1, 30),
    ]
    assert final.windowed() == [
        ("[k1@0/5]", 3, 5),
        ("[k2@11/11]", 1, 11),
    ]
    assert raw.late_records() == final.late_records() == 1


# -- kafka-streams-examples: SessionWindowsExampleTest -----------------------------------------

INACTIVITY_GAP = 30 * 60 * 1000  # SessionWindowsExample.INACTIVITY_GAP, 30 minutes


def test_should_count_play_events_by_session(state, tmp_path):
    """kafka-streams-examples SessionWindowsExampleTest.shouldCountPlayEventsBySession.
    The example maps the windowed key to ``user@start->end``; here the engine's key is the
    user and the window is in the value."""
    driver, topic = session_count(state, tmp_path, INACTIVITY_GAP)
    start = 1_732_800_000_000  # the test takes System.currentTimeMillis()
    user_id = "erica"
    topic.pipeInput(user_id, "PlayEvent(1, 10)", start)
    first_session = driver.windowed()
    # should have a session for erica with start and end time the same
    assert first_session[0] == (f"[{user_id}@{start}/{start}]", 1, start)
    # also look in the store to find the same session
    assert find_sessions(driver, user_id) == [(start, start, 1)]
    # send another event that is after the inactivity gap, so we have 2 independent sessions
    second_session_start = start + INACTIVITY_GAP + 1
    topic.pipeInput(user_id, "PlayEvent(2, 10)", second_session_start)
    second_session = driver.windowed()
    # should have created a new session
    assert second_session[0][:2] == (
        f"[{user_id}@{second_session_start}/{second_session_start}]",
        1,
    )
    # should now have 2 active sessions in the store
    assert find_sessions(driver, user_id) == [
        (start, start, 1),
        (second_session_start, second_session_start, 1),
    ]
    # create an event between the two sessions to demonstrate merging
    merge_time = start + INACTIVITY_GAP // 2
    topic.pipeInput(user_id, "PlayEvent(3, 10)", merge_time)
    merged = driver.windowed()
    # should have merged all sessions into one and sent tombstones for the sessions that
    # were merged
    assert [(k, v) for k, v, _ in merged] == [
        (f"[{user_id}@{start}/{start}]", None),
        (f"[{user_id}@{second_session_start}/{second_session_start}]", None),
        (f"[{user_id}@{start}/{second_session_start}]", 3),
    ]
    # should only have the merged session in the store
    assert find_sessions(driver, user_id) == [(start, second_session_start, 3)]


# -- the cases of the issue that found the differences -----------------------------------------


def test_a_record_exactly_gap_away_merges(state, tmp_path):
    """findSessions(ts - gap, ts + gap) is inclusive: gap 5, k@0 and k@5 make one session."""
    driver, topic = session_count(state, tmp_path, 5)
    topic.pipeInput("k", "v", 0)
    topic.pipeInput("k", "v", 5)
    assert driver.windowed() == [("[k@0/0]", 1, 0), ("[k@0/0]", None, 0), ("[k@0/5]", 2, 5)]


def test_lateness_is_judged_on_the_merged_session(state, tmp_path):
    """KStreamSessionWindowAggregate: a record is late only when the session it ends up in
    ends before stream time - gap - grace."""
    driver, topic = session_count(state, tmp_path, 10, grace=0)
    topic.pipeInput("x", "v", 10)
    topic.pipeInput("y", "v", 0)
    topic.pipeInput("A", "v", 0)
    topic.pipeInput("B", "v", 10)
    topic.pipeInput("A", "v", 5)
    assert driver.late_records() == 0
    assert driver.windowed()[-1] == ("[A@0/5]", 2, 5)
