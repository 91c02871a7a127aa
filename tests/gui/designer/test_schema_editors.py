"""The schema editors in the inspector (reference §7.6): a schema param names a subject picked
from the registry's list, a file beside the topology (stored relative), or schema text
edited in a dialog that validates as you type; settings.schema_registry as two fields."""

from __future__ import annotations

import json

import pytest
from PySide6.QtWidgets import QDialog, QFileDialog

from engine.model.topology import Edge, Node, Topology
from gui.designer.editors.schema import (
    SchemaParamEditor,
    SchemaRegistryParamEditor,
    SchemaTextDialog,
    SubjectDialog,
)
from gui.designer.inspector import InspectorWidget
from gui.document.document import TopologyDocument
from gui.monitor.schema_info import RegistryLookup

ORDER = json.dumps(
    {
        "type": "record",
        "name": "Order",
        "fields": [{"name": "id", "type": "string"}, {"name": "amount", "type": "double"}],
    }
)


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


def sink_topology() -> Topology:
    t = Topology("shop")
    t.add_node(Node("in", "kafka_source", {"topic": "orders"}))
    t.add_node(
        Node("out", "kafka_sink", {"topic": "big", "value_format": "avro", "value_schema": ORDER})
    )
    t.add_edge(Edge("in", "out"))
    return t


def test_the_demo_orders_schema_shows_as_text_and_edits_in_a_dialog(inspector, doc, monkeypatch):
    inspector.show_nodes(["orders"])
    editor = inspector.fields["value_schema"].editor
    assert isinstance(editor, SchemaParamEditor)
    assert editor.edit.isReadOnly() and editor.edit.text().startswith("schema text · ")
    assert json.loads(editor.value())["name"] == "Order"
    # Edit text…: the dialog opens on the text; what it gives back is one undo step.
    seen = {}

    def fake_exec(dialog):
        seen["fmt"], seen["text"] = dialog.fmt, dialog.text()
        dialog.editor.setPlainText(ORDER)
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(SchemaTextDialog, "exec", fake_exec)
    editor.edit_text()
    assert seen["fmt"] == "avro" and '"Order"' in seen["text"]
    assert doc.topology.node("orders").params["value_schema"] == ORDER
    doc.undo_stack.undo()
    assert json.loads(doc.topology.node("orders").params["value_schema"])["name"] == "Order"
    assert doc.topology.node("orders").params["value_schema"] != ORDER


def test_a_schema_file_is_stored_relative_to_the_topology(inspector, doc, tmp_path, monkeypatch):
    doc.set_topology(sink_topology())
    doc.save(tmp_path / "shop.topology.json")
    assert doc.topology.folder == str(tmp_path.resolve())
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "order.avsc").write_text(ORDER, encoding="utf-8")
    asked = {}

    def fake_open(parent, title, start, filters):
        asked.update(start=start, filters=filters)
        return str(tmp_path / "schemas" / "order.avsc"), ""

    monkeypatch.setattr(QFileDialog, "getOpenFileName", fake_open)
    inspector.show_nodes(["out"])
    editor = inspector.fields["value_schema"].editor
    editor.pick_file()
    assert asked["start"] == str(tmp_path.resolve()) and "*.avsc" in asked["filters"]
    assert doc.topology.node("out").params["value_schema"] == "schemas/order.avsc"
    assert not editor.edit.isReadOnly() and editor.edit.text() == "schemas/order.avsc"
    doc.revalidate()
    assert [p for p in doc.problems if p.node_id == "out"] == []
    # Saved elsewhere, the file is not beside it any more: validation says so.
    other = tmp_path / "elsewhere"
    other.mkdir()
    doc.save(other / "shop.topology.json")
    assert any("there is no schema file schemas/order.avsc" in p.message for p in doc.problems)


def test_schema_text_is_validated_as_you_type(qtbot):
    dialog = SchemaTextDialog("avro", ORDER)
    qtbot.addWidget(dialog)
    assert dialog.status.text() == "✔ a valid Avro schema"
    dialog.editor.setPlainText(
        '{"type": "record", "name": "X", "fields": [{"name": "a", "type": "strin"}]}'
    )
    qtbot.waitUntil(lambda: dialog.status.text().startswith("✘"), timeout=2000)
    assert "unknown type 'strin'" in dialog.status.text()
    dialog.editor.setPlainText("")
    qtbot.waitUntil(lambda: "empty" in dialog.status.text(), timeout=2000)
    proto = SchemaTextDialog("protobuf", 'syntax = "proto3"; message Order { string id = 1; }')
    qtbot.addWidget(proto)
    assert proto.status.text() == "✔ a valid Protobuf schema"
    proto.editor.setPlainText('syntax = "proto3"; message Order { strin id = 1; }')
    qtbot.waitUntil(lambda: proto.status.text().startswith("✘"), timeout=3000)
    assert "not a valid Protobuf schema" in proto.status.text()


def test_a_subject_typed_by_hand_is_checked(inspector, doc):
    doc.set_topology(sink_topology())
    inspector.show_nodes(["out"])
    editor = inspector.fields["value_schema"].editor
    editor.edit.setText("subject: orders")
    editor.edit.textEdited.emit("subject: orders")
    assert editor.edit.property("invalid") is True
    editor.edit.setText("subject:orders-value:2")
    editor.edit.textEdited.emit("subject:orders-value:2")
    assert editor.edit.property("invalid") is False
    assert doc.topology.node("out").params["value_schema"] == "subject:orders-value:2"


def test_settings_schema_registry_is_edited_as_url_and_user_info(inspector, doc):
    doc.topology.settings["schema_registry"] = {"url": "http://old:8081", "auto_register": False}
    inspector.show_nodes([])
    editor = inspector.fields["schema_registry"].editor
    assert isinstance(editor, SchemaRegistryParamEditor)
    assert editor.url_edit.text() == "http://old:8081"
    editor.url_edit.setText("https://sr.example:8081")
    editor.url_edit.textEdited.emit("https://sr.example:8081")
    editor.user_edit.setText("${SR_KEY}:${SR_SECRET}")
    editor.user_edit.textEdited.emit("${SR_KEY}:${SR_SECRET}")
    assert doc.topology.settings["schema_registry"] == {
        "url": "https://sr.example:8081",
        "basic_auth_user_info": "${SR_KEY}:${SR_SECRET}",
        "auto_register": False,
    }
    editor.url_edit.setText("sr.example")
    editor.url_edit.textEdited.emit("sr.example")
    assert editor.problem.isVisibleTo(editor) and "http://" in editor.problem.text()


@pytest.mark.kafka
def test_subjects_and_versions_come_from_the_sandbox_registry(qtbot, broker, unique):
    from confluent_kafka.schema_registry import Schema, SchemaRegistryClient

    client = SchemaRegistryClient({"url": broker.registry_url})
    subject = f"orders-{unique}-value"
    client.register_schema(subject, Schema(ORDER, "AVRO"))
    wider = json.loads(ORDER)
    wider["fields"].append({"name": "note", "type": "string", "default": ""})
    client.register_schema(subject, Schema(json.dumps(wider), "AVRO"))
    lookup = RegistryLookup(client, broker.registry_url)
    dialog = SubjectDialog(lambda: lookup, f"subject:{subject}:1")
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.subjects.count() > 0, timeout=10_000)
    assert dialog.subjects.findItems(
        subject, __import__("PySide6.QtCore").QtCore.Qt.MatchFlag.MatchExactly
    )
    qtbot.waitUntil(lambda: dialog.version.count() == 3, timeout=10_000)
    assert [dialog.version.itemText(i) for i in range(3)] == ["latest", "version 2", "version 1"]
    assert dialog.choice() == f"subject:{subject}:1"  # the current choice is selected
    dialog.version.setCurrentIndex(0)
    assert dialog.choice() == f"subject:{subject}"
    # No registry at all: the dialog says where to name one.
    none = SubjectDialog(lambda: None, None)
    qtbot.addWidget(none)
    qtbot.waitUntil(lambda: "Run → Connection" in none.status.text(), timeout=5000)
    assert not none.ok_button.isEnabled()
