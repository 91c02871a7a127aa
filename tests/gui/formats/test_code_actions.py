"""File → Export as Python… and File → Import Python…: dialogs patched to return paths,
message boxes patched to capture what the user would read."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QFileDialog, QMessageBox

from engine.code.importer import import_script
from engine.model.validation import errors

SCRIPT_WITH_PROBLEMS = """from engine.builder import StreamsBuilder


def build():
    builder = StreamsBuilder("broken")
    orders = builder.stream("orders")
    orders.filter("value['amount'] >").to("big-orders")
    return builder.build()
"""

SCRIPT_WITH_A_LOOP = """from engine.builder import StreamsBuilder


def build():
    builder = StreamsBuilder("loops")
    for name in ["a", "b"]:
        builder.stream(name).to("out")
    return builder.build()
"""


@pytest.fixture
def boxes(monkeypatch):
    """Every message box the actions open: (kind, title, text); none blocks."""
    shown: list[tuple[str, str, str]] = []
    for kind in ("warning", "critical", "information"):

        def box(parent, title, text, *args, kind=kind, **kwargs):
            shown.append((kind, title, text))
            return QMessageBox.StandardButton.Ok

        monkeypatch.setattr(QMessageBox, kind, box)
    return shown


def _save_to(monkeypatch, path):
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(path), ""))


def _open(monkeypatch, path):
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), ""))


def test_file_menu_offers_the_actions(window):
    texts = [a.text() for a in window.menuBar().actions()[0].menu().actions()]
    for text in (
        "Open &Kafka Streams Topology…",
        "&Import Python…",
        "&Export as Python…",
        "Export Canvas as &Image…",
    ):
        assert text in texts


def test_export_writes_a_script_that_imports_back_equal(window, tmp_path, monkeypatch, boxes):
    target = tmp_path / "dashboard"  # the .py is added
    _save_to(monkeypatch, target)
    window.file_actions.act_export_python.trigger()
    written = tmp_path / "dashboard.py"
    assert not boxes
    assert written.exists()
    back = import_script(written.read_text(), filename="dashboard.py")
    original = window.document.topology
    assert back.equivalent(original)
    assert {n: back.nodes[n].position for n in back.nodes} == {
        n: original.nodes[n].position for n in original.nodes
    }
    assert "dashboard.py" in window.statusBar().currentMessage()


def test_export_of_an_invalid_topology_says_what_to_fix(window, tmp_path, monkeypatch, boxes):
    _save_to(monkeypatch, tmp_path / "never.py")
    window.document.add_node("filter", (0, 0))  # no input, no expression
    window.file_actions.act_export_python.trigger()
    assert not (tmp_path / "never.py").exists()
    ((kind, title, text),) = boxes
    assert kind == "warning" and "Export as Python" in title
    assert "filter" in text and "Fix them" in text


def test_export_error_from_the_generator_is_shown(window, tmp_path, monkeypatch, boxes):
    from engine.code.export import ExportError

    def refuse(topology):
        raise ExportError("sink: its 'in' input is not connected")

    monkeypatch.setattr("gui.formats.code_actions.export_script", refuse)
    _save_to(monkeypatch, tmp_path / "never.py")
    window.file_actions.act_export_python.trigger()
    assert not (tmp_path / "never.py").exists()
    assert "its 'in' input is not connected" in boxes[0][2]


def test_import_opens_the_topology_as_a_new_unsaved_document(window, tmp_path, monkeypatch, boxes):
    from engine.code.export import export_script

    original = window.document.topology
    script = tmp_path / "dashboard.py"
    script.write_text(export_script(original))
    ids, edges = set(original.nodes), set(original.edges)
    positions = {n.id: n.position for n in original.nodes.values()}
    window.document.add_node("map", (900, 900))  # unsaved work is asked about first (Discard)
    _open(monkeypatch, script)
    window.file_actions.act_import_python.trigger()
    doc = window.document
    assert not boxes
    assert doc.topology is not original
    assert set(doc.topology.nodes) == ids
    assert set(doc.topology.edges) == edges
    assert {n.id: n.position for n in doc.topology.nodes.values()} == positions  # the layout hint
    assert doc.path is None and "(not saved)" in window.windowTitle()
    assert doc.undo_stack.count() == 0 and not doc.modified
    assert len(window.scene.node_items()) == len(ids)


def test_import_lays_out_a_script_without_positions(window, tmp_path, monkeypatch, boxes):
    script = tmp_path / "plain.py"
    script.write_text(SCRIPT_WITH_PROBLEMS.replace("value['amount'] >", "value['amount'] > 100"))
    _open(monkeypatch, script)
    window.file_actions.act_import_python.trigger()
    nodes = window.document.topology.nodes
    assert len(nodes) == 3 and all(n.position is not None for n in nodes.values())
    xs = [nodes[n].position[0] for n in ("kafka_source", "filter", "kafka_sink")]
    assert xs == sorted(xs) and len(set(xs)) == 3


def test_a_script_with_problems_opens_and_lists_them(window, tmp_path, monkeypatch, boxes):
    script = tmp_path / "broken.py"
    script.write_text(SCRIPT_WITH_PROBLEMS)
    _open(monkeypatch, script)
    window.file_actions.act_import_python.trigger()
    assert not boxes
    doc = window.document
    assert doc.topology.name == "broken"
    assert set(doc.topology.nodes) == {"kafka_source", "filter", "kafka_sink"}
    bad = errors(doc.problems)
    assert [p.node_id for p in bad] == ["filter"]
    listed = [window.validation.list.item(i).text() for i in range(window.validation.list.count())]
    assert any("filter" in text and "syntax" in text for text in listed)
    assert "1 error" in window.problems_label.text()
    assert "problem" in window.statusBar().currentMessage()


def test_an_unreadable_script_names_the_line_and_keeps_the_document(
    window, tmp_path, monkeypatch, boxes
):
    before = window.document.topology
    script = tmp_path / "loops.py"
    script.write_text(SCRIPT_WITH_A_LOOP)
    _open(monkeypatch, script)
    window.file_actions.act_import_python.trigger()
    assert window.document.topology is before
    ((kind, _title, text),) = boxes
    assert kind == "warning"
    assert "loops.py, line 6" in text and "for loop" in text


def test_a_file_that_is_not_text_is_refused_with_a_message(window, tmp_path, monkeypatch, boxes):
    script = tmp_path / "binary.py"
    script.write_bytes(b"\xff\xfe\x00bad")
    _open(monkeypatch, script)
    window.file_actions.act_import_python.trigger()
    assert "Could not read" in boxes[0][2]


def test_cancelled_dialogs_change_nothing(window, monkeypatch, boxes):
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: ("", ""))
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: ("", ""))
    before = window.document.topology
    window.file_actions.act_import_python.trigger()
    window.file_actions.act_export_python.trigger()
    assert window.document.topology is before and not boxes


def test_script_name_is_a_safe_file_name():
    from gui.formats.code_actions import script_name

    assert script_name("orders per minute") == "orders_per_minute.py"
    assert script_name("../..") == "topology.py"
