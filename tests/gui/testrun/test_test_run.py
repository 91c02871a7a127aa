"""Run → Test Run: the app's test run gives what ``topology-studio test`` gives (one driver),
shows a node's records in and out side by side, follows a record through the graph, saves
a test case the command line passes, shows the test's counts on the canvas, browses the
state it left, and shows all of 10,000 records (bench/bench_test_run.py times it)."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction

from engine.cli import main as cli
from engine.model import fileformat
from engine.runtime.testing.sample_records import InputRecord, generated
from engine.runtime.testing.state_view import state_page, stores_of
from engine.runtime.testing.testcases import load_cases, run_case
from gui.style import theme
from gui.testrun.qt_path_marks import OUTCOME_COLOURS, marked_path, outcome_colour, text_on
from gui.testrun.qt_side_by_side import ARROW, OUT_KEY, OUT_VALUE
from gui.testrun.qt_test_run import QtTestRun
from gui.testrun.rows import changed_fields
from tests.engine.cli.test_cli_testing import LINEAGE, STREAM_JOIN, TABLE_JOIN, WINDOWED, rec
from tests.gui.conftest import contrast

DEMO = "resources/demo/ecommerce.topology.json"


def load(data: dict):
    return fileformat.from_dict(json.loads(json.dumps(data)))[0]


def inputs_of(raw: dict[str, list[dict]]) -> dict[str, list[InputRecord]]:
    return {
        node: [InputRecord(r["value"], r.get("key"), r.get("timestamp", 0)) for r in records]
        for node, records in raw.items()
    }


def make(qtbot, topology) -> QtTestRun:
    widget = QtTestRun(lambda: topology)
    qtbot.addWidget(widget)
    widget.resize(1400, 500)
    return widget


def run(qtbot, widget: QtTestRun, samples=None):
    if samples is not None:
        widget.set_samples(samples)
    before = widget.trace
    widget.run_test()
    qtbot.waitUntil(lambda: widget.trace is not None and widget.trace is not before, timeout=30_000)
    return widget.trace


CASES = [
    (
        WINDOWED,
        {
            "src": [
                rec("a", {"x": 1}, 1_000),
                rec("a", {"x": 2}, 9_999),
                rec("b", {"x": 5}, 4_000),
                rec("a", {"x": 7}, 12_000),
            ]
        },
    ),
    (
        TABLE_JOIN,
        {
            "customers": [rec("c1", {"name": "Ann"}, 0), rec("c1", {"name": "Anna"}, 5)],
            "orders": [rec("c1", {"id": 1}, 1), rec("c2", {"id": 2}, 2), rec("c1", {"id": 3}, 6)],
        },
    ),
    (
        STREAM_JOIN,
        {
            "views": [rec("k", "v1", 1_000), rec("lonely", "v3", 3_000)],
            "clicks": [rec("k", "c1", 4_000), rec("k", "c2", 40_000)],
        },
    ),
    (LINEAGE, {"src": [rec("a", {"items": [0, 1, 2]}, 1), rec("b", {"items": [4]}, 2)]}),
]


@pytest.mark.parametrize(
    "data,raw", CASES, ids=["windowed", "table-join", "stream-join", "lineage"]
)
def test_the_apps_test_run_gives_what_the_command_line_gives(qtbot, tmp_path, capsys, data, raw):
    topology = load(data)
    widget = make(qtbot, topology)
    trace = run(qtbot, widget, inputs_of(raw))
    app_outputs = trace.outputs()
    assert any(app_outputs.values())

    # saved as a test case, the command line runs it and it passes: same outputs, one driver
    cases = tmp_path / "cases.json"
    widget.save_case(str(cases), "from the app")
    topology_path = tmp_path / "t.topology.json"
    topology_path.write_text(json.dumps(data))
    code = cli(["test", str(topology_path), str(cases), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    [case] = out["cases"]
    assert case["passed"] and case["outputs"] == app_outputs
    assert case["dead_letters"] == trace.dead_letters
    [loaded] = load_cases(str(cases))
    assert run_case(topology, loaded).outputs == app_outputs


def test_edited_samples_run_again_in_place(qtbot):
    topology = load(LINEAGE)
    widget = make(qtbot, topology)
    run(qtbot, widget, inputs_of({"src": [rec("a", {"items": [1, 2]}, 1)]}))
    assert [r["key"] for r in widget.trace.outputs()["big_out"]] == ["a", "a"]
    widget.editor.setPlainText(
        '{"key": "z", "value": {"items": [5, 10, 2]}, "timestamp": 3}\n'
        '{"key": "y", "value": {"items": [1]}}\n'
    )
    run(qtbot, widget)
    outputs = widget.trace.outputs()
    assert outputs["big_out"] == [
        {"key": "z", "value": {"inv": 2}},
        {"key": "z", "value": {"inv": 1}},
        {"key": "z", "value": {"inv": 5}},
    ]
    assert outputs["small_out"] == [{"key": "y", "value": {"items": [1]}}]
    widget.editor.setPlainText('{"key": "z", "value": \n')
    widget.run_test()
    assert "samples of src line 1: not JSON" in widget.status.text()


def test_side_by_side_rows_outcomes_and_changed_fields(qtbot):
    topology = load(LINEAGE)
    widget = make(qtbot, topology)
    run(
        qtbot,
        widget,
        inputs_of({"src": [rec("a", {"items": [0, 1, 2]}, 1), rec("b", {"items": [4]}, 2)]}),
    )
    widget.show_node("div")
    model = widget.side_by_side.model
    assert model.rowCount() == 3
    # 10 // 0 failed: the row says so, with the error, in place of an output
    assert model.index(0, ARROW).data() == "⚠"
    assert model.index(0, OUT_VALUE).data().startswith("dead-lettered: ZeroDivisionError")
    assert model.index(1, OUT_VALUE).data() == '{"inv": 10}'
    widget.show_node("split")
    assert [model.index(r, ARROW).data() for r in range(model.rowCount())] == ["→ big", "→ else"]
    widget.show_node("explode")
    assert model.rowCount() == 3  # a's three elements, one row each, under a's number
    assert [model.index(r, 0).data() for r in range(3)] == ["1", "", ""]
    assert changed_fields({"a": 1, "b": 2}, {"a": 1, "b": 3, "c": 4}) == {
        "b": "changed",
        "c": "added",
    }
    assert changed_fields({"a": 1}, {}) == {"a": "removed"}
    assert changed_fields(1, 2) == {"": "changed"}


def test_a_rekey_highlights_the_key_and_the_detail_compares_fields(qtbot):
    topology = load(
        {
            "format": "topology-studio/1",
            "name": "t",
            "settings": {},
            "nodes": [
                {"id": "src", "type": "kafka_source", "params": {"topic": "in"}},
                {"id": "k", "type": "rekey", "params": {"expr": "value['u']"}},
                {"id": "f", "type": "set_fields", "params": {"fields": {"n": "len(value['u'])"}}},
                {"id": "out", "type": "kafka_sink", "params": {"topic": "out"}},
            ],
            "edges": [
                {"from": "src", "to": "k"},
                {"from": "k", "to": "f"},
                {"from": "f", "to": "out"},
            ],
        }
    )
    widget = make(qtbot, topology)
    run(qtbot, widget, inputs_of({"src": [rec("old", {"u": "new"})]}))
    widget.show_node("k")
    model = widget.side_by_side.model
    assert model.index(0, OUT_KEY).data(Qt.ItemDataRole.BackgroundRole) is not None
    widget.show_node("f")
    widget.side_by_side.table.selectRow(0)
    detail = widget.side_by_side.detail.toHtml()
    assert "n</" in detail and "3" in detail


def test_a_followed_record_lists_what_it_became_at_every_node(qtbot):
    topology = load(
        {
            "format": "topology-studio/1",
            "name": "t",
            "settings": {},
            "nodes": [
                {"id": "src", "type": "kafka_source", "params": {"topic": "in"}},
                {"id": "keep", "type": "filter", "params": {"expr": "value['x'] > 0"}},
                {"id": "inv", "type": "map", "params": {"expr": "{'y': 10 // value['x']}"}},
                {
                    "id": "per_min",
                    "type": "aggregate",
                    "params": {
                        "window": {"type": "tumbling", "size": "1m"},
                        "emit": "final",
                        "aggregations": [{"name": "n", "fn": "count"}],
                    },
                },
                {"id": "out", "type": "kafka_sink", "params": {"topic": "out"}},
            ],
            "edges": [
                {"from": "src", "to": "keep"},
                {"from": "src", "to": "inv"},
                {"from": "src", "to": "per_min"},
                {"from": "keep", "to": "out"},
            ],
        }
    )
    widget = make(qtbot, topology)
    trace = run(qtbot, widget, inputs_of({"src": [rec("a", {"x": 0}, 5), rec("b", {"x": 2}, 6)]}))
    first = next(r for r in trace.records if r.node == "src" and r.key == "a")
    followed = widget.follow_record(first.n)
    texts = "\n".join(widget.follow_view.texts())
    assert "keep: filtered out" in texts
    assert "inv: dead-lettered: ZeroDivisionError" in texts
    assert "per_min: folded into window from 0" in texts
    assert followed.nodes["keep"][0] == "filtered out"
    assert followed.nodes["inv"][0] == "dead letter"
    second = next(r for r in trace.records if r.node == "src" and r.key == "b")
    widget.follow_record(second.n)
    assert "out: written" in "\n".join(widget.follow_view.texts())


def test_in_the_window_counts_on_the_canvas_and_the_followed_path(qtbot, window):
    test = window.test_run
    test.widget.count.setValue(200)
    window.select_node("paid")
    test.action.trigger()
    assert not test.dock.isHidden()
    qtbot.waitUntil(lambda: test.widget.trace is not None, timeout=30_000)
    trace = test.widget.trace
    assert sum(len(v) for v in trace.inputs.values()) == 400  # two generators, 200 each
    for node_id in ("orders", "paid", "revenue", "sessions"):
        state = window.scene.node_item(node_id).run_state()
        assert state is not None and state.final
        assert (state.in_count, state.out_count) == (
            trace.metrics[node_id]["in"],
            trace.metrics[node_id]["out"],
        )
    assert test.widget.side_by_side.model.node_id == "paid"
    test.widget.side_by_side.table.selectRow(0)
    qtbot.waitUntil(lambda: bool(marked_path(window.scene)[0]), timeout=5000)
    nodes, edges = marked_path(window.scene)
    assert nodes["orders"] == "input" and "paid" in nodes and edges >= 2
    window.select_node("revenue")
    assert test.widget.side_by_side.model.node_id == "revenue"

    # the state the test run left in the revenue aggregate, as the engine reads it
    test.state_dock.show()
    window.select_node("revenue")
    state = test.state
    qtbot.waitUntil(lambda: state.model.rowCount() > 0, timeout=5000)
    expected = state_page(trace.topology.nodes["revenue"], stores_of(trace.stores, "revenue"))
    assert state.model.rows == expected["rows"]
    state.search.setText(expected["rows"][0][1])
    qtbot.waitUntil(lambda: state.model.rowCount() < len(expected["rows"]), timeout=5000)
    assert {r[1] for r in state.model.rows} == {expected["rows"][0][1]}


def test_ten_thousand_records_of_the_demo_are_traced_and_every_row_can_be_shown(qtbot):
    # How fast this is (2 s for the run, 0.5 s to show and scroll a node) is measured by
    # bench/bench_test_run.py, not asserted here: wall time under the suite's load is noise.
    topology = fileformat.read(DEMO)[0]
    widget = make(qtbot, topology)
    widget.show()
    samples = generated(topology, 5000, 1_800_000_000_000)
    trace = run(qtbot, widget, samples)
    assert sum(len(v) for v in trace.inputs.values()) == 10_000
    assert widget.elapsed_s > 0 and "10,000 records in" in widget.status.text()
    for node_id in ("orders", "sessions", "items"):
        widget.show_node(node_id)
        table = widget.side_by_side.table
        table.scrollToBottom()
        table.viewport().grab()
        assert table.rowAt(1) > 4000  # the last rows are on screen
        table.scrollToTop()
        table.selectRow(5)
        table.viewport().grab()
        assert table.rowAt(1) == 0 and table.selectionModel().isRowSelected(5)
        assert widget.side_by_side.model.rowCount() >= 5000


def test_samples_from_a_jsonl_file_go_to_the_source_chosen(qtbot, tmp_path):
    from gui.testrun.qt_test_run import FILE

    topology = load(TABLE_JOIN)
    widget = make(qtbot, topology)
    path = tmp_path / "customers.jsonl"
    path.write_text(
        '{"key": "c1", "value": {"name": "Ann"}}\n\n{"key": "c2", "value": {"name": "Bo"}}\n'
    )
    widget.set_samples({})
    widget.editor_source.setCurrentText("customers")
    widget.load_samples(FILE, str(path))
    assert [r.value["name"] for r in widget.samples["customers"]] == ["Ann", "Bo"]
    assert '"Bo"' in widget.editor.toPlainText()
    path.write_text('{"key": "c1", "valu": 1}\n')
    widget.load_samples(FILE, str(path))
    assert "unknown field 'valu'" in widget.status.text()


@pytest.mark.parametrize("palette", ["light", "dark"])
def test_a_followed_records_marks_read_in_either_palette(palette):
    """The ring, the edges and the pill of every outcome stand out from the canvas, and
    the pill's words from the pill, in the palette in use."""
    chosen, before = theme.THEMES[palette], theme.current
    theme.use(chosen)
    try:
        for kind in OUTCOME_COLOURS:
            fill = outcome_colour(kind)
            assert fill.name() == chosen.hex(OUTCOME_COLOURS[kind])
            assert contrast(fill, chosen.colour("canvas_bg")) >= 3.0, (kind, fill.name())
            assert contrast(text_on(fill), fill) >= 4.5, (kind, fill.name())
    finally:
        theme.use(before)


def test_the_state_dock_shown_from_the_view_menu_shows_the_chosen_nodes_state(qtbot, window):
    """Opened any way (View → State), the dock shows the state of the node chosen (the
    selected one when it has state), not an empty page asking for a choice."""
    test = window.test_run
    test.widget.count.setValue(50)
    test.action.trigger()
    qtbot.waitUntil(lambda: test.widget.trace is not None, timeout=30_000)
    assert test.state_dock.isHidden()
    window.select_node("paid")  # a filter: no state; the browser keeps its own choice
    test.state_dock.toggleViewAction().trigger()
    test.state_dock.raise_()  # its tab brought to the front
    state = test.state
    qtbot.waitUntil(lambda: state.model.rowCount() > 0, timeout=5000)
    chosen = state.node_box.currentText()
    assert chosen
    expected = state_page(
        test.widget.trace.topology.nodes[chosen], stores_of(test.widget.trace.stores, chosen)
    )
    assert state.model.rows == expected["rows"]
    test.state_dock.toggleViewAction().trigger()  # hidden, then shown with a node selected
    other = next(
        state.node_box.itemText(i)
        for i in range(state.node_box.count())
        if state.node_box.itemText(i) != chosen
    )
    window.select_node(other)
    test.state_dock.toggleViewAction().trigger()
    test.state_dock.raise_()
    qtbot.waitUntil(lambda: state.node_box.currentText() == other, timeout=5000)
    expected = state_page(
        test.widget.trace.topology.nodes[other], stores_of(test.widget.trace.stores, other)
    )
    qtbot.waitUntil(lambda: state.model.rows == expected["rows"], timeout=5000)


def test_browse_state_on_a_hidden_dock_asks_for_the_page_once(qtbot, window):
    """Run → Browse State shows the dock and asks for the selected node's page: once (the
    dock's showing asked for it as well, a second read of a live run's state)."""
    test = window.test_run
    test.widget.count.setValue(50)
    test.action.trigger()
    qtbot.waitUntil(lambda: test.widget.trace is not None, timeout=30_000)
    state = test.state
    assert test.state_dock.isHidden()
    asked = []
    request = state.request
    state.request = lambda: asked.append(request()) or asked[-1]
    window.select_node("revenue")
    browse = window.findChild(QAction, "browse_state")
    browse.trigger()
    qtbot.waitUntil(lambda: state.model.rowCount() > 0, timeout=5000)
    qtbot.wait(200)
    assert [a["node"] for a in asked] == ["revenue"]
    browse.trigger()  # asked again on purpose: the page read anew
    qtbot.waitUntil(lambda: len(asked) == 2, timeout=5000)
    assert asked[1]["node"] == "revenue"
