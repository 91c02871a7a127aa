"""The inspector: a typed editor for every param kind; edits reach the model as undo steps."""

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QAbstractSpinBox, QApplication, QComboBox, QWidget

from engine.model import fileformat
from engine.model.catalogue import NODE_TYPES, SETTINGS
from engine.model.topology import Edge
from gui.designer.editors.field_list import FieldListParamEditor
from gui.designer.editors.rows import RowsParamEditor
from gui.designer.editors.scalars import (
    DurationParamEditor,
    EnumParamEditor,
    ExpressionParamEditor,
    NumberParamEditor,
    TextParamEditor,
    TimestampParamEditor,
)
from gui.designer.editors.schema import SchemaParamEditor
from gui.designer.editors.window import WindowParamEditor
from gui.designer.inspector import InspectorWidget
from gui.document.document import TopologyDocument


@pytest.fixture
def doc(qapp):
    d = TopologyDocument()
    d.new_from_demo()
    return d


@pytest.fixture
def inspector(qtbot, doc):
    w = InspectorWidget(doc)
    qtbot.addWidget(w)
    w.resize(360, 800)
    w.show()
    return w


def editor(inspector, name):
    return inspector.fields[name].editor


def test_every_param_of_every_type_has_a_typed_editor(doc, inspector):
    expected = {
        "expr": ExpressionParamEditor,
        "enum": EnumParamEditor,
        "topic": TextParamEditor,
        "path": TextParamEditor,
        "string": TextParamEditor,
        "int": NumberParamEditor,
        "number": NumberParamEditor,
        "duration": DurationParamEditor,
        "timestamp": TimestampParamEditor,
        "fields": RowsParamEditor,
        "branches": RowsParamEditor,
        "aggregations": RowsParamEditor,
        "window": WindowParamEditor,
        "field_list": FieldListParamEditor,
        "schema": SchemaParamEditor,  # sinks' value_schema / key_schema: text, file or subject:
    }
    for i, (type_name, spec) in enumerate(NODE_TYPES.items()):
        node_id = doc.add_node(type_name, (0, i * 100))
        inspector.show_nodes([node_id])
        assert inspector.node_id == node_id
        for param in spec.params:
            ed = editor(inspector, param.name)
            assert isinstance(ed, expected[param.kind]), (type_name, param.name)
            assert ed.value() == doc.topology.nodes[node_id].params.get(
                param.name, ed.value() if param.default is not None else None
            )


def test_typing_an_expression_reaches_the_model_as_one_step(doc, inspector, qtbot):
    inspector.show_nodes(["paid"])
    ed = editor(inspector, "expr").edit
    ed.setFocus()
    ed.selectAll()
    count = doc.undo_stack.count()
    qtbot.keyClicks(ed, "value['amount'] > 10")
    assert doc.topology.nodes["paid"].params["expr"] == "value['amount'] > 10"
    assert doc.undo_stack.count() == count + 1
    assert ed.error is None
    qtbot.keyClicks(ed, " and")
    assert ed.error and "syntax" in ed.error  # live validation while typing
    assert ed.property("invalid") is True
    doc.undo_stack.undo()
    assert doc.topology.nodes["paid"].params["expr"] == "value['status'] == 'paid'"
    assert ed.text() == "value['status'] == 'paid'"  # the editor follows undo


def test_expression_errors_point_at_the_column(doc, inspector):
    inspector.show_nodes(["paid"])
    ed = editor(inspector, "expr").edit
    ed.set_text("value['a'] + nope")
    assert "unknown name 'nope'" in ed.error
    assert ed.highlighter.error_col == 13


def test_enum_number_and_topic_editors(doc, inspector, qtbot):
    inspector.show_nodes(["orders"])
    profile = editor(inspector, "profile")
    profile.combo.setCurrentIndex(profile.combo.findData("clicks"))
    assert doc.topology.nodes["orders"].params["profile"] == "clicks"
    rate = editor(inspector, "rate")
    rate.spin.setValue(125)
    assert doc.topology.nodes["orders"].params["rate"] == 125
    limit = editor(inspector, "limit")
    limit.edit.setFocus()
    qtbot.keyClicks(limit.edit, "1000")
    assert doc.topology.nodes["orders"].params["limit"] == 1000
    limit.edit.clear()
    limit._on_text("")
    assert "limit" not in doc.topology.nodes["orders"].params
    topic = editor(inspector, "topic")
    topic.edit.setFocus()
    topic.edit.selectAll()
    qtbot.keyClicks(topic.edit, "bad topic")
    assert topic.edit.property("invalid") is True
    assert doc.topology.nodes["orders"].params["topic"] == "bad topic"


def test_branches_list_edits_ports_and_rewires(doc, inspector, qtbot):
    inspector.show_nodes(["order_size"])
    branches = editor(inspector, "branches")
    assert len(branches.rows) == 1
    row = branches.add_row()
    assert [b["name"] for b in doc.topology.nodes["order_size"].params["branches"]] == [
        "large",
        "branch",
    ]
    row.name.selectAll()
    qtbot.keyClicks(row.name, "medium")
    assert doc.topology.nodes["order_size"].params["branches"][1]["name"] == "medium"
    # renaming 'large' moves its edges
    first = branches.rows[0]
    first.name.setFocus()
    first.name.selectAll()
    qtbot.keyClicks(first.name, "big")
    assert Edge("order_size", "large_orders", "big") in doc.topology.edges
    branches.move_row(branches.rows[1], -1)
    assert [b["name"] for b in doc.topology.nodes["order_size"].params["branches"]] == [
        "medium",
        "big",
    ]
    branches.remove_row(branches.rows[0])
    assert [b["name"] for b in doc.topology.nodes["order_size"].params["branches"]] == ["big"]


def test_aggregations_window_and_emit(doc, inspector, qtbot):
    node_id = doc.add_node("aggregate", (0, 0))
    inspector.show_nodes([node_id])
    aggs = editor(inspector, "aggregations")
    row = aggs.add_row()
    row.fn.setCurrentText("sum")
    row.expr.setFocus()
    qtbot.keyClicks(row.expr, "value['amount']")
    row.name.selectAll()
    qtbot.keyClicks(row.name, "revenue")
    params = doc.topology.nodes[node_id].params
    assert params["aggregations"][-1] == {"name": "revenue", "fn": "sum", "expr": "value['amount']"}
    window = editor(inspector, "window")
    window.type.setCurrentIndex(window.type.findData("tumbling"))
    assert doc.topology.nodes[node_id].params["window"] == {"type": "tumbling", "size": "1m"}
    window.fields["grace"].set_text("5s")
    window.fields["grace"].text_edited.emit("5s")
    assert doc.topology.nodes[node_id].params["window"] == {
        "type": "tumbling",
        "size": "1m",
        "grace": "5s",
    }
    window.type.setCurrentIndex(window.type.findData("session"))
    assert doc.topology.nodes[node_id].params["window"]["type"] == "session"
    assert window.fields["gap"].isVisibleTo(window) and not window.fields["size"].isVisibleTo(
        window
    )
    window.type.setCurrentIndex(window.type.findData("none"))
    assert "window" not in doc.topology.nodes[node_id].params
    group = editor(inspector, "group_by")
    group.edit.setFocus()
    qtbot.keyClicks(group.edit, "value['category']")
    assert doc.topology.nodes[node_id].params["group_by"] == "value['category']"


def test_a_reduce_aggregation_folds_agg_and_value_from_its_init(doc, inspector, qtbot):
    node_id = doc.add_node("aggregate", (0, 0))
    inspector.show_nodes([node_id])
    aggs = editor(inspector, "aggregations")
    row = aggs.add_row()
    assert not row.init.isVisibleTo(row)
    row.fn.setCurrentText("reduce")
    assert row.init.isVisibleTo(row)
    row.expr.setFocus()
    qtbot.keyClicks(row.expr, "agg + '+' + value")
    assert row.expr.error is None  # agg is a name of a reduce's expr
    row.init.setFocus()
    qtbot.keyClicks(row.init, "'0'")
    params = doc.topology.nodes[node_id].params
    assert params["aggregations"][-1] == {
        "name": "count2",
        "fn": "reduce",
        "expr": "agg + '+' + value",
        "init": "'0'",
    }
    inspector.show_nodes([])  # shown again from the model: the init is kept
    inspector.show_nodes([node_id])
    row = editor(inspector, "aggregations").rows[-1]
    assert row.init.text() == "'0'" and row.init.isVisibleTo(row)
    row.fn.setCurrentText("sum")  # only a reduce has an init
    assert "init" not in doc.topology.nodes[node_id].params["aggregations"][-1]
    assert row.expr.error is not None  # agg is no name of a sum's expr


def test_a_sliding_window_takes_a_size_and_a_grace(doc, inspector):
    node_id = doc.add_node("aggregate", (0, 0))
    inspector.show_nodes([node_id])
    window = editor(inspector, "window")
    window.type.setCurrentIndex(window.type.findData("sliding"))
    assert doc.topology.nodes[node_id].params["window"] == {"type": "sliding", "size": "1m"}
    shown = {k for k, field in window.fields.items() if field.isVisibleTo(window)}
    assert shown == {"size", "grace"}
    window.fields["grace"].set_text("5s")
    window.fields["grace"].text_edited.emit("5s")
    assert doc.topology.nodes[node_id].params["window"] == {
        "type": "sliding",
        "size": "1m",
        "grace": "5s",
    }


def test_a_join_offers_outer_mode_and_edits_before_and_after(doc, inspector):
    node_id = doc.add_node("join", (0, 0))
    inspector.show_nodes([node_id])
    mode = editor(inspector, "mode")
    combo = mode if isinstance(mode, QComboBox) else mode.findChild(QComboBox)
    assert "outer" in [combo.itemText(i) for i in range(combo.count())]
    for side in ("before", "after"):
        field = editor(inspector, side).edit
        field.set_text("30s")
        field.text_edited.emit("30s")
    params = doc.topology.nodes[node_id].params
    assert params["before"] == "30s" and params["after"] == "30s"


def test_fields_join_window_and_timestamp(doc, inspector, qtbot):
    sf = doc.add_node("set_fields", (0, 0))
    inspector.show_nodes([sf])
    fields = editor(inspector, "fields")
    row = fields.add_row()
    row.expr.set_text("")
    row.expr.setFocus()
    qtbot.keyClicks(row.expr, "timestamp")
    assert doc.topology.nodes[sf].params["fields"] == {"field": "value", "field2": "timestamp"}
    join = doc.add_node("join", (0, 100))
    inspector.show_nodes([join])
    w = editor(inspector, "window")
    w.edit.set_text("")
    w.edit.lineEdit().setFocus()
    qtbot.keyClicks(w.edit.lineEdit(), "10s")
    assert doc.topology.nodes[join].params["window"] == "10s"
    qtbot.keyClicks(w.edit.lineEdit(), "x")
    assert w.edit.property("invalid") is True
    src = doc.add_node("kafka_source", (0, 200))
    inspector.show_nodes([src])
    ts = editor(inspector, "timestamp")
    ts.mode.setCurrentIndex(1)
    assert doc.topology.nodes[src].params["timestamp"] == "value['ts']"
    ts.mode.setCurrentIndex(0)
    assert doc.topology.nodes[src].params["timestamp"] == "record"


def test_rename_node_safely(doc, inspector, qtbot):
    inspector.show_nodes(["paid"])
    edit = inspector.id_edit
    edit.setText("orders")
    edit.editingFinished.emit()
    assert "already exists" in inspector.id_error.text()
    assert "paid" in doc.topology.nodes
    edit.setText("2bad")
    edit.editingFinished.emit()
    assert "not a valid node id" in inspector.id_error.text()
    edit.setText("paid_orders")
    edit.editingFinished.emit()
    assert (
        "paid_orders" in doc.topology.nodes and Edge("orders", "paid_orders") in doc.topology.edges
    )
    assert inspector.node_id == "paid_orders" and inspector.title_label.text() == "paid_orders"
    doc.undo_stack.undo()
    assert inspector.node_id == "paid" and inspector.id_edit.text() == "paid"


def test_param_problems_show_under_their_field(doc, inspector):
    inspector.show_nodes(["paid"])
    doc.set_param("paid", "expr", "value[")
    doc.revalidate()
    assert inspector.fields["expr"].problem.isVisibleTo(inspector)
    assert "syntax error" in inspector.fields["expr"].problem.text()
    doc.remove([], [Edge("orders", "paid")])
    doc.revalidate()
    assert "not connected" in inspector.problems_label.text()


def test_settings_page_when_nothing_is_selected(doc, inspector, qtbot):
    inspector.show_nodes([])
    assert set(inspector.fields) == set(SETTINGS)
    guarantee = editor(inspector, "processing_guarantee")
    guarantee.combo.setCurrentIndex(guarantee.combo.findData("exactly_once"))
    assert doc.topology.settings["processing_guarantee"] == "exactly_once"
    inspector.name_edit.setText("shop")
    inspector.name_edit.editingFinished.emit()
    assert doc.topology.name == "shop"
    inspector.name_edit.setText("bad name!")
    inspector.name_edit.editingFinished.emit()
    assert doc.topology.name == "shop" and inspector.name_edit.property("invalid") is True
    doc.undo_stack.undo()
    assert inspector.name_edit.text() == "ecommerce-dashboard"


def test_inspector_follows_removal_and_multi_selection(doc, inspector):
    inspector.show_nodes(["paid", "items"])
    assert inspector.node_id is None and inspector.title_label.text() == "2 nodes selected"
    inspector.show_nodes(["paid"])
    doc.remove(["paid"])
    assert inspector.node_id is None and "fields" in dir(inspector)
    assert set(inspector.fields) == set(SETTINGS)


def test_what_python_warns_of_an_expression_shows_under_its_field_as_a_warning(doc, inspector):
    inspector.show_nodes(["paid"])
    ed = editor(inspector, "expr").edit
    ed.set_text("value['status'] is 'paid'")
    assert ed.error is None and ed.property("invalid") is False
    assert ed.toolTip() == 'Python warns: "is" with a literal. Did you mean "=="?'
    doc.set_param("paid", "expr", "value['status'] is 'paid'")
    doc.revalidate()
    field = inspector.fields["expr"]
    assert field.problem.isVisibleTo(inspector) and field.problem.property("warning") is True
    assert "Python warns" in field.problem.text()
    doc.set_param("paid", "expr", "value[")
    doc.revalidate()
    assert field.problem.property("warning") is False and "syntax error" in field.problem.text()
    doc.set_param("paid", "expr", "value['status'] == 'paid'")
    doc.revalidate()
    assert not field.problem.isVisibleTo(inspector) and ed.toolTip() == ""


def _wheel(target, steps: int = -1) -> None:
    """One wheel notch over the middle of ``target``."""
    local = QPointF(target.rect().center())
    event = QWheelEvent(
        local,
        QPointF(target.mapToGlobal(local)),
        QPoint(0, 0),
        QPoint(0, 120 * steps),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(target, event)


def _choice_boxes(inspector):
    page = inspector.widget()
    return [
        w
        for w in page.findChildren(QWidget)
        if isinstance(w, (QComboBox, QAbstractSpinBox)) and w.isVisibleTo(page) and w.isEnabled()
    ]


@pytest.mark.parametrize(
    "selection", [[], ["orders"], ["revenue"], ["sessions"], ["large_orders"], ["orders_kpi"]]
)
def test_the_wheel_scrolls_past_choices_without_changing_them(doc, inspector, selection):
    inspector.resize(360, 300)  # the page scrolls
    inspector.show_nodes(selection)
    boxes = _choice_boxes(inspector)
    assert boxes
    before = fileformat.dumps(doc.topology)
    bar = inspector.verticalScrollBar()
    scrolled = False
    for box in boxes:
        inspector.ensureWidgetVisible(box)
        at = bar.value()
        _wheel(box)
        scrolled |= bar.value() != at
        assert box.focusPolicy() == Qt.FocusPolicy.StrongFocus
    assert fileformat.dumps(doc.topology) == before and doc.undo_stack.count() == 0
    assert scrolled


def test_the_wheel_changes_a_choice_that_has_focus(doc, inspector, qtbot):
    inspector.show_nodes([])
    guarantee = editor(inspector, "processing_guarantee").combo
    guarantee.setFocus()
    qtbot.waitUntil(guarantee.hasFocus)
    _wheel(guarantee, steps=-1)
    assert "processing_guarantee" in doc.topology.settings


def test_alert_rules_edited_during_a_run_say_they_apply_from_the_next(doc, inspector):
    inspector.show_nodes([])
    alerts = editor(inspector, "alerts")
    assert not alerts.next_run.isVisibleTo(inspector)
    inspector.set_run_active(True)
    assert alerts.next_run.isVisibleTo(inspector)
    assert "next Run" in alerts.next_run.text()
    inspector.show_nodes(["paid"])
    inspector.show_nodes([])  # a page built during the run says it too
    assert editor(inspector, "alerts").next_run.isVisibleTo(inspector)
    inspector.set_run_active(False)
    assert not editor(inspector, "alerts").next_run.isVisibleTo(inspector)


def test_a_table_aggregates_reduce_keeps_its_subtract(doc, inspector, qtbot):
    node_id = doc.add_node("table_aggregate", (0, 0))
    inspector.show_nodes([node_id])
    assert editor(inspector, "group_by") is not None
    aggs = editor(inspector, "aggregations")
    row = aggs.add_row()
    assert not row.subtract.isVisibleTo(row)
    row.fn.setCurrentText("reduce")
    assert row.subtract.isVisibleTo(row)
    row.expr.setFocus()
    qtbot.keyClicks(row.expr, "agg + value")
    row.subtract.setFocus()
    qtbot.keyClicks(row.subtract, "agg - value")
    assert row.subtract.error is None  # agg and value are its names
    entry = doc.topology.nodes[node_id].params["aggregations"][-1]
    assert entry["subtract"] == "agg - value" and entry["expr"] == "agg + value"
    inspector.show_nodes([])  # shown again from the model: the subtract is kept
    inspector.show_nodes([node_id])
    row = editor(inspector, "aggregations").rows[-1]
    assert row.subtract.text() == "agg - value"


def test_schema_params_show_when_a_format_takes_a_schema(doc, inspector):
    """A sink writing JSON shows no schema fields; choosing Avro for its values shows the
    value schema and the subject strategy (not the key schema); a schema given stays shown
    whatever the format, so nothing set is ever hidden."""
    node_id = doc.add_node("kafka_sink", (0, 0))
    inspector.show_nodes([node_id])
    shown = lambda: {  # noqa: E731
        name for name, field in inspector.fields.items() if not field.isHidden()
    }
    assert shown() == {"topic", "key_format", "value_format"}
    editor(inspector, "value_format").set_value("avro")
    editor(inspector, "value_format").edited.emit("avro")
    assert shown() == {"topic", "key_format", "value_format", "value_schema", "subject_strategy"}
    doc.set_param(node_id, "key_format", "protobuf")
    assert {"key_schema", "value_schema", "subject_strategy"} <= shown()
    doc.set_param(node_id, "key_format", "string")
    doc.set_param(node_id, "value_schema", "subject:orders-value")
    doc.set_param(node_id, "value_format", "json")
    assert shown() == {"topic", "key_format", "value_format", "value_schema"}
    doc.undo_stack.undo()  # back to avro: the strategy comes back
    assert "subject_strategy" in shown()
    generator = doc.add_node("generator_source", (0, 200))
    inspector.show_nodes([generator])
    assert "value_schema" not in shown() and "value_format" in shown()
