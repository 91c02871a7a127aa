"""The inspector's Changes box: a row per changed param (and id), old and new, and the
node's state verdict."""

from __future__ import annotations

from engine.model.diff import diff_topologies
from engine.model.topology import Node, Topology
from gui.designer.param_changes import ParamChangesBox, shown


def test_rows_old_new_and_verdict(qtbot):
    old = Topology("t")
    old.add_node(Node("src", "kafka_source", {"topic": "a"}))
    old.add_node(
        Node("agg", "aggregate", {"aggregations": [{"name": "n", "fn": "count"}], "emit": "final"})
    )
    old.connect("src", "agg")
    new = old.copy()
    new.set_param("agg", "emit", None)
    new.set_param("agg", "group_by", "value['x']")
    box = ParamChangesBox(diff_topologies(old, new), "agg")
    qtbot.addWidget(box)
    assert box.rows == [("emit", "final", None), ("group_by", None, "value['x']")]
    assert [(a.text(), b.text()) for a, b in box.value_labels] == [
        ("final", "(not set)"),
        ("(not set)", "value['x']"),
    ]
    assert box.verdict_label.text().startswith("state reset: group_by changes")


def test_values_are_shown_as_json_unless_text():
    assert shown({"type": "tumbling", "size": "1m"}) == '{"size": "1m", "type": "tumbling"}'
    assert shown("5m") == "5m"
    assert shown(None) == "(not set)"
