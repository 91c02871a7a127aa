"""The run's loop: the garbage collector while it goes (collection.py) and how a consumed
batch reaches its topics' entries (ordering.dispatcher)."""

import gc
import threading

from engine.runtime.kafka.collection import YOUNG, collecting_less
from tests.engine.runtime.kafka.test_checkpoints import Msg


def test_a_run_collects_less_and_puts_the_process_setting_back():
    before = gc.get_threshold()
    frozen = gc.get_freeze_count()  # (what the process itself froze, if it did)
    gc.set_threshold(700, 10, 10)
    try:
        with collecting_less():
            assert gc.get_threshold() == (YOUNG, 10, 10)
            assert gc.get_freeze_count() == frozen  # nothing more hidden from the collector
            garbage = []
            garbage.append(garbage)  # a cycle made during the run
            del garbage
            assert gc.collect() >= 1  # cycles are still collected
        assert gc.get_threshold() == (700, 10, 10)
    finally:
        gc.set_threshold(*before)


def test_runs_in_threads_share_the_setting_until_the_last_one_ends():
    before = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    inside, leave = threading.Event(), threading.Event()

    def second_run():
        with collecting_less():
            inside.set()
            leave.wait(10)

    try:
        with collecting_less():
            thread = threading.Thread(target=second_run)
            thread.start()
            assert inside.wait(10)
        assert gc.get_threshold()[0] == YOUNG  # the second run still goes
        leave.set()
        thread.join(10)
        assert gc.get_threshold() == (700, 10, 10)
    finally:
        leave.set()
        gc.set_threshold(*before)


def test_a_process_that_switched_collection_off_or_changed_it_keeps_its_choice():
    before = gc.get_threshold()
    try:
        gc.set_threshold(0)
        with collecting_less():
            assert gc.get_threshold()[0] == 0
        assert gc.get_threshold()[0] == 0
        gc.set_threshold(700, 10, 10)
        with collecting_less():
            gc.set_threshold(123, 4, 5)  # the process's own choice, made during a run
        assert gc.get_threshold() == (123, 4, 5)
    finally:
        gc.set_threshold(*before)


class _Msg(Msg):
    """A consumed message (test_checkpoints.Msg) that may be an error."""

    def __init__(self, topic, offset, partition=0, error=None):
        super().__init__(topic, partition, offset, None, None)
        self._error = error

    def error(self):
        return self._error


def test_a_batch_reaches_its_topics_entries_and_errors_are_told():
    from engine.runtime.kafka.ordering import dispatcher

    seen, errors = [], []
    entries = {"a": lambda m: seen.append(("a", m.offset())), "b": lambda m: seen.append(("b", 0))}
    dispatch = dispatcher(entries, errors.append)
    dispatch([_Msg("a", 1), _Msg("b", 2), _Msg("a", 3, error="broken")])
    assert seen == [("a", 1), ("b", 0)]
    assert errors == ["broken"]


def test_one_topic_s_entry_is_looked_up_a_batch_so_a_restore_gate_comes_and_goes():
    from engine.runtime.kafka.checkpoints import Skips
    from engine.runtime.kafka.ordering import dispatcher

    seen = []
    entries = {"orders": lambda m: seen.append(m.offset())}
    skips = Skips()
    skips.attach(entries)
    dispatch = dispatcher(entries, lambda error: None)
    dispatch([_Msg("orders", 0)])
    skips.add("orders", 0, 3)  # a restored checkpoint: offsets below 3 are in the state
    dispatch([_Msg("orders", 1), _Msg("orders", 2), _Msg("orders", 3), _Msg("orders", 4)])
    dispatch([_Msg("orders", 5)])
    assert seen == [0, 3, 4, 5]
    assert skips.skipped == 2
    assert "orders" not in skips.below  # the gate took itself away
