"""Traces of outer and asymmetric stream-stream joins (reference §13): a join's output names
its input and the other side's record it joined; a record emitted unmatched when its window
closed names the record itself."""

from engine.code.builder import StreamsBuilder
from engine.runtime.testing.trace import InputRecord, run_trace


def outer(before="0ms", after="100ms"):
    b = StreamsBuilder("outer")
    left = b.stream("l", name="left")
    right = b.stream("r", name="right")
    left.outer_join(
        right, "[left, right]", name="join", window="0ms", before=before, after=after
    ).to("out", name="out")
    return b.build()


def test_an_asymmetric_join_names_both_records_it_joined():
    trace = run_trace(
        outer(),
        {
            "left": [InputRecord("A", key="k", timestamp=1000)],
            "right": [InputRecord("b", key="k", timestamp=1050)],
        },
    )
    by_node = {}
    for r in trace.records:
        by_node.setdefault(r.node, []).append(r)
    (joined,) = by_node["join"]
    assert joined.value == ["A", "b"]
    assert set(joined.parents) == {by_node["left"][0].n, by_node["right"][0].n}


def test_an_unmatched_right_record_is_its_own_parent_when_its_window_closes():
    trace = run_trace(
        outer(),
        {
            "right": [InputRecord("b", key="k", timestamp=1000)],
            "left": [InputRecord("late", key="z", timestamp=2000)],
        },
    )
    joins = [r for r in trace.records if r.node == "join"]
    right = next(r for r in trace.records if r.node == "right")
    assert [(j.value, j.parents) for j in joins] == [([None, "b"], (right.n,))]


def test_a_table_joins_output_names_its_input_and_the_other_sides_row():
    b = StreamsBuilder("tables")
    left = b.table("l", name="left")
    right = b.table("r", name="right")
    left.table_join(right, "[left, right]", name="join", mode="outer").to("out", name="out")
    trace = run_trace(
        b.build(),
        {
            "left": [InputRecord("A", key="k", timestamp=1000)],
            "right": [
                InputRecord("b", key="k", timestamp=1050),
                InputRecord("c", key="k", timestamp=1100),
            ],
        },
    )
    by_node = {}
    for r in trace.records:
        by_node.setdefault(r.node, []).append(r)
    lefts, rights = by_node["left"], by_node["right"]
    assert [(j.value, set(j.parents)) for j in by_node["join"]] == [
        (["A", None], {lefts[0].n}),
        (["A", "b"], {rights[0].n, lefts[0].n}),
        (["A", "c"], {rights[1].n, lefts[0].n}),
    ]
