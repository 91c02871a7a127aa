"""The comparison overlay on a plain scene: outlines on added and changed nodes, ghosts
of removed ones at their old place, edge marks; ``clear`` takes away all it added and
nothing of the scene's own."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QRectF
from PySide6.QtGui import QImage, QPainter

from engine.model.diff import diff_topologies
from engine.model.topology import Edge, Node, Topology
from gui.canvas.diff_overlay import ADDED, CHANGED, DiffOverlay, EdgeMarkItem, GhostNodeItem
from gui.canvas.node_item import NodeItem
from gui.canvas.qt_scene import TopologyScene
from gui.style import theme


def _old() -> Topology:
    t = Topology("t")
    t.add_node(Node("src", "kafka_source", {"topic": "a"}, (0, 0)))
    t.add_node(Node("keep", "filter", {"expr": "True"}, (250, 0)))
    t.add_node(Node("gone", "console_sink", {}, (500, 100)))
    t.connect("src", "keep")
    t.connect("keep", "gone")
    return t


def test_marks_ghosts_and_clear(qtbot):
    old = _old()
    new = old.copy()
    new.remove_node("gone")
    new.set_param("keep", "expr", "False")
    new.add_node(Node("out", "kafka_sink", {"topic": "b"}, (500, 0)))
    new.add_edge(Edge("keep", "out"))
    scene = TopologyScene(new)
    own = set(scene.items())
    overlay = DiffOverlay(scene)
    overlay.show(diff_topologies(old, new))
    assert overlay.marks["keep"].colour == CHANGED
    assert overlay.marks["out"].colour == ADDED
    ghost = overlay.ghosts["gone"]
    assert (ghost.pos().x(), ghost.pos().y()) == (500, 100)
    assert not any(isinstance(i, NodeItem) and i.node_id == "gone" for i in scene.items())
    marks = [i for i in scene.items() if isinstance(i, EdgeMarkItem)]
    assert len(marks) == 2  # keep → out added, keep → gone removed
    overlay.clear()
    assert set(scene.items()) == own
    assert not [i for i in scene.items() if isinstance(i, (GhostNodeItem, EdgeMarkItem))]


def test_clear_survives_the_scene_deleting_a_marked_node(qtbot):
    old = _old()
    new = old.copy()
    new.set_param("keep", "expr", "False")
    scene = TopologyScene(new)
    overlay = DiffOverlay(scene)
    overlay.show(diff_topologies(old, new))
    new.remove_node("keep")  # the scene drops the node item and its outline with it
    overlay.clear()
    assert not overlay.marks


@pytest.mark.parametrize("palette", ["light", "dark"])
def test_marks_are_painted_in_the_palette_in_use(qtbot, palette):
    """The outline and word of a changed node, and a ghost's, in the palette shown (the
    dark palette's amber was 2:1 on the light canvas)."""
    chosen, before = theme.THEMES[palette], theme.current
    theme.use(chosen)
    try:
        old = _old()
        new = old.copy()
        new.remove_node("gone")
        new.set_param("keep", "expr", "False")
        scene = TopologyScene(new)
        overlay = DiffOverlay(scene)
        overlay.show(diff_topologies(old, new))
        area = (
            overlay.marks["keep"]
            .sceneBoundingRect()
            .united(overlay.ghosts["gone"].sceneBoundingRect())
        )
        image = QImage(area.size().toSize(), QImage.Format.Format_ARGB32)
        image.fill(0)
        painter = QPainter(image)
        scene.render(painter, QRectF(image.rect()), area)
        painter.end()
        colours = {
            image.pixelColor(x, y).name()
            for x in range(image.width())
            for y in range(image.height())
        }
        assert {chosen.hex("warning"), chosen.hex("error")} <= colours
    finally:
        theme.use(before)
