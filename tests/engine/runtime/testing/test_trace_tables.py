"""Traces of tables (reference §13): a table aggregate's retraction from the old group and
addition to the new one both name the changed row, across the repartition topic."""

from engine.code.builder import StreamsBuilder
from engine.runtime.testing.trace import InputRecord, run_trace


def test_a_row_moving_group_is_the_parent_of_both_groups_results():
    b = StreamsBuilder("trace-tables")
    b.table("rows", name="rows").table_aggregate(
        [{"name": "n", "fn": "count"}], group_by="value['g']", name="groups"
    ).to("o", name="o")
    rows = [InputRecord({"g": "a"}, "r1", 1), InputRecord({"g": "b"}, "r1", 2)]
    trace = run_trace(b.build(), {"rows": rows})
    fed = [r.n for r in trace.records if r.node == "rows"]
    groups = [(r.key, r.value["n"], r.parents) for r in trace.records if r.node == "groups"]
    assert groups == [("a", 1, (fed[0],)), ("a", 0, (fed[1],)), ("b", 1, (fed[1],))]
