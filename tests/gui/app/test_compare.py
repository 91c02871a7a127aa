"""File → Compare With on the demo: the canvas marks added, changed and removed (ghosted)
nodes and edges, the inspector lists the selected node's old and new params, the Changes
dock lists the state verdicts with their topics; the comparison follows edits and ends
with Leave Compare View."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from PySide6.QtWidgets import QGraphicsItem

from engine.model import fileformat
from engine.model.topology import Node
from gui.canvas.diff_overlay import ADDED, CHANGED, GhostNodeItem
from gui.designer.param_changes import ParamChangesBox


@pytest.fixture
def saved(window, tmp_path):
    """The demo, saved (with the positions the app gave it), then changed: revenue's
    window 1m → 5m, sessions renamed, items_per_minute removed, a console sink added."""
    path = tmp_path / "shop.topology.json"
    assert window.files.save_to(path)
    t = window.document.topology
    t.set_param("revenue", "window", {**t.nodes["revenue"].params["window"], "size": "5m"})
    t.rename_node("sessions", "click_sessions")
    t.remove_node("items_per_minute")
    t.add_node(Node("audit", "console_sink", {}, (900, 40)))
    t.connect("paid", "audit")
    return path


def _rows(window) -> dict[str, tuple[str, str, str]]:
    return {
        node: (verdict, why, topics) for node, verdict, why, topics in window.compare.panel.rows()
    }


def test_compare_with_the_saved_file_marks_the_canvas(window, saved):
    assert window.compare.compare_with_saved()
    overlay = window.compare.overlay
    assert overlay.marks["revenue"].colour == CHANGED
    assert overlay.marks["click_sessions"].word == "renamed from sessions"
    assert overlay.marks["audit"].colour == ADDED
    assert set(overlay.marks) == {"revenue", "click_sessions", "audit"}
    # the mark belongs to the node item, so it moves with it
    assert overlay.marks["revenue"].parentItem() is window.scene.node_item("revenue")
    ghost = overlay.ghosts["items_per_minute"]
    assert isinstance(ghost, GhostNodeItem)
    assert ghost.scene() is window.scene
    assert ghost.opacity() < 1
    assert not ghost.flags() & (
        QGraphicsItem.GraphicsItemFlag.ItemIsSelectable
        | QGraphicsItem.GraphicsItemFlag.ItemIsMovable
    )
    assert window.scene.node_item("items_per_minute") is None  # not a node of the document
    saved_position = fileformat.read(saved)[0].nodes["items_per_minute"].position
    assert (ghost.pos().x(), ghost.pos().y()) == saved_position
    removed_edges = {e for e, removed in overlay.edge_marks if removed}
    added_edges = {e for e, removed in overlay.edge_marks if not removed}
    assert {(e.source, e.target) for e in added_edges} == {("paid", "audit")}
    assert ("items_per_minute", "items_kpi") in {(e.source, e.target) for e in removed_edges}


def test_the_changes_dock_lists_the_verdicts_with_their_topics(window, saved):
    window.compare.compare_with_saved()
    assert window.compare.dock.isVisible()
    rows = _rows(window)
    assert rows["revenue"][:2] == ("reset", "the window size changes from 1m to 5m")
    assert "ecommerce-dashboard-revenue-changelog" in rows["revenue"][2]
    assert rows["click_sessions"][0] == "reset"
    assert "ecommerce-dashboard-sessions-changelog" in rows["click_sessions"][2]
    assert rows["items_per_minute"][0] == "reset"
    assert rows["product_sales"][:2] == ("kept", "unchanged")
    summary = window.compare.panel.summary.text()
    assert "the saved file" in summary and "1 added" in summary and "1 removed" in summary


def test_the_inspector_lists_the_selected_nodes_old_and_new_params(window, saved):
    window.compare.compare_with_saved()
    window.select_node("revenue")
    box = window.inspector.findChild(ParamChangesBox)
    assert box is not None
    assert box.rows == [("window.size", "1m", "5m")]
    was, now = box.value_labels[0]
    assert (was.text(), now.text()) == ("1m", "5m")
    assert "state reset" in box.verdict_label.text()
    window.select_node("click_sessions")
    box = window.inspector.findChild(ParamChangesBox)
    assert box.rows == [("id", "sessions", "click_sessions")]


def test_the_comparison_follows_edits_and_moves_are_no_change(window, saved, qtbot):
    window.compare.compare_with_saved()
    before = dict(window.compare.overlay.marks)
    window.document.topology.move_node("orders", (5, 5))
    qtbot.wait(300)
    assert set(window.compare.overlay.marks) == set(before)
    window.document.topology.set_param("paid", "expr", "True")
    qtbot.waitUntil(lambda: "paid" in window.compare.overlay.marks, timeout=3000)
    assert window.compare.diff.changed["paid"] == {"expr": ("value['status'] == 'paid'", "True")}


def test_leave_compare_view_takes_everything_away(window, saved):
    window.compare.compare_with_saved()
    window.select_node("revenue")
    window.compare.panel.leave_button.click()
    assert not window.compare.overlay.marks and not window.compare.overlay.ghosts
    assert not [i for i in window.scene.items() if isinstance(i, GhostNodeItem)]
    assert window.inspector.findChild(ParamChangesBox) is None
    assert not window.compare.dock.isVisible()
    assert not window.compare.act_leave.isEnabled() or window.compare.other is None


def test_opening_another_document_leaves_the_comparison(window, saved):
    window.compare.compare_with_saved()
    window.document.new_from_demo()
    assert window.compare.other is None
    assert not window.compare.overlay.marks


def test_compare_with_another_file(window, saved, tmp_path):
    other = tmp_path / "other.topology.json"
    fileformat.write(window.document.topology, other)
    assert window.compare._compare_with_file(other, other.name)
    assert not window.compare.diff.has_changes
    assert not window.compare.overlay.marks


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_compare_with_git_head(window, tmp_path):
    path = tmp_path / "repo" / "shop.topology.json"
    path.parent.mkdir()
    assert window.files.save_to(path)
    git = ["git", "-C", str(path.parent), "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", path.name], check=True)
    subprocess.run([*git, "commit", "-qm", "shop"], check=True)
    t = window.document.topology
    t.set_param("revenue", "group_by", "value['region']")
    assert window.files.save_to(path)  # saved, not committed: HEAD still has the old one
    window.compare.menu.aboutToShow.emit()
    assert window.compare.act_head.isEnabled()
    assert window.compare.compare_with_head()
    assert "git HEAD" in window.compare.panel.summary.text()
    assert _rows(window)["revenue"][:2] == (
        "reset",
        "group_by changes from value['category'] to value['region']",
    )


def test_git_head_is_not_offered_outside_a_repository(window, tmp_path, monkeypatch):
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    path = tmp_path / "alone.topology.json"
    assert window.files.save_to(path)
    window.compare.menu.aboutToShow.emit()
    assert not window.compare.act_head.isEnabled()
    assert window.compare.act_saved.isEnabled()


def test_the_running_application_is_not_offered_without_a_cluster_address(window):
    assert window.monitor.controller.bootstrap() is None  # the sandbox broker is not up
    window.compare.menu.aboutToShow.emit()
    assert not window.compare.act_published.isEnabled()
