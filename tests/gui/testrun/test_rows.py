"""A test run's outcome of a record at a node: a table keeps what it emits nothing for."""

from engine.code.builder import StreamsBuilder
from engine.runtime.testing.trace import InputRecord, run_trace
from gui.testrun.rows import FILTERED, FOLDED, outcome_kind


def test_a_table_join_without_the_other_side_folds_the_record_in():
    b = StreamsBuilder("rows")
    left, right = b.table("l", name="left"), b.table("r", name="right")
    joined = left.table_join(right, "[left, right]", name="join")
    joined.filter("False", name="none").to("out", name="out")
    trace = run_trace(b.build(), {"left": [InputRecord("A", key="k", timestamp=1)]})
    kinds = {v.node: outcome_kind(trace, v) for v in trace.visits}
    assert kinds["join"] == FOLDED  # kept in the join's state, nothing to emit yet
    both = {"left": [InputRecord("A", key="k", timestamp=1)], "right": [InputRecord("B", "k", 2)]}
    trace = run_trace(b.build(), both)
    kinds = {(v.node, v.port): outcome_kind(trace, v) for v in trace.visits}
    assert kinds[("none", "in")] == FILTERED  # a stateless node drops, it does not fold
