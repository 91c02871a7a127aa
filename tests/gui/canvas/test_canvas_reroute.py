"""Re-routing a wire by its input end, and snapping node moves to the grid."""

from PySide6.QtCore import QEvent, QPointF, Qt

from engine.model.topology import Edge
from gui.app.main_window import SNAP_KEY
from gui.canvas.geometry import GRID
from tests.gui.conftest import drag_mouse, send_mouse


def port_pos(window, node_id, name, is_output):
    return window.scene.node_item(node_id).port(name, is_output).scenePos()


def test_reroute_to_another_input_is_one_undo_step(window):
    doc = window.document
    doc.add_node("console_sink", (1200, 600))
    old, new = Edge("items", "items_sold"), Edge("items", "console")
    count = doc.undo_stack.count()
    drag_mouse(
        window.view,
        port_pos(window, "items_sold", "in", False),
        port_pos(window, "console", "in", False),
    )
    assert new in doc.topology.edges and old not in doc.topology.edges
    assert doc.undo_stack.count() == count + 1
    assert window.scene.edge_item(new).isVisible() and window.scene.edge_item(old) is None
    doc.undo_stack.undo()
    assert old in doc.topology.edges and new not in doc.topology.edges
    assert window.scene.edge_item(old).isVisible()
    doc.undo_stack.redo()
    assert new in doc.topology.edges and old not in doc.topology.edges


def test_picked_up_edge_is_previewed_from_its_source_and_escape_puts_it_back(window):
    view, scene = window.view, window.scene
    edge = Edge("items", "items_sold")
    start = port_pos(window, "items_sold", "in", False)
    send_mouse(view, QEvent.Type.MouseButtonPress, start)
    send_mouse(
        view, QEvent.Type.MouseMove, start + QPointF(60, 300), buttons=Qt.MouseButton.LeftButton
    )
    assert scene.interaction is not None and scene.interaction.edge == edge
    assert scene.interaction.port is scene.node_item("items").port("out", True)
    assert not scene.edge_item(edge).isVisible()
    scene.cancel_interaction()
    send_mouse(view, QEvent.Type.MouseButtonRelease, start + QPointF(60, 300))
    assert scene.edge_item(edge).isVisible() and edge in window.document.topology.edges


def test_drop_on_empty_canvas_deletes_the_edge_and_undo_restores_it(window):
    doc = window.document
    edge = Edge("by_user", "interactions_out")
    count = doc.undo_stack.count()
    start = port_pos(window, "interactions_out", "in", False)
    drag_mouse(window.view, start, start + QPointF(0, 400))
    assert edge not in doc.topology.edges and window.scene.edge_item(edge) is None
    assert doc.undo_stack.count() == count + 1
    assert not window.editing.quick_add.isVisible()
    doc.undo_stack.undo()
    assert edge in doc.topology.edges and window.scene.edge_item(edge).isVisible()


def refused_reroute(window, edge, start, end):
    doc = window.document
    messages = []
    window.scene.message.connect(messages.append)
    before, count = list(doc.topology.edges), doc.undo_stack.count()
    drag_mouse(window.view, start, end)
    assert doc.topology.edges == before and doc.undo_stack.count() == count
    assert window.scene.edge_item(edge).isVisible()
    assert messages, "the reason is shown"
    return messages[-1]


def test_refused_reroute_leaves_the_original_edge(window):
    edge = Edge("by_user", "interactions_out")
    start = port_pos(window, "interactions_out", "in", False)
    assert "already taken" in refused_reroute(
        window, edge, start, port_pos(window, "revenue_out", "in", False)
    )
    assert "two outputs" in refused_reroute(
        window, edge, start, port_pos(window, "revenue", "out", True)
    )
    edge = Edge("items", "items_sold")
    assert "cycle" in refused_reroute(
        window,
        edge,
        port_pos(window, "items_sold", "in", False),
        port_pos(window, "paid", "in", False),
    )


def test_dropping_back_on_its_own_input_changes_nothing(window):
    doc = window.document
    count = doc.undo_stack.count()
    start = port_pos(window, "items_sold", "in", False)
    drag_mouse(window.view, start, start + QPointF(2, 1))
    assert Edge("items", "items_sold") in doc.topology.edges and doc.undo_stack.count() == count


def test_snap_to_grid_rounds_moves_when_on(window):
    doc, scene = window.document, window.scene
    assert window.act_snap.isChecked() and scene.snap_to_grid  # on by default
    doc.move_nodes({"paid": ((290.0, 210.0), (293.0, 207.0))})
    # one view pixel per scene unit, with the node in view whatever zoom the window opened at
    window.view.set_zoom(1.0)
    window.view.centerOn(scene.node_item("paid"))
    grab = scene.node_item("paid").scenePos() + QPointF(60, 10)
    count = doc.undo_stack.count()
    drag_mouse(window.view, grab, grab + QPointF(33, 47), steps=5)
    x, y = doc.topology.nodes["paid"].position
    assert x % GRID == 0 and y % GRID == 0
    assert abs(x - 326) <= GRID / 2 + 2 and abs(y - 254) <= GRID / 2 + 2
    assert scene.node_item("paid").pos() == QPointF(x, y)
    assert doc.undo_stack.count() == count + 1
    doc.undo_stack.undo()
    assert doc.topology.nodes["paid"].position == (293.0, 207.0)


def test_snap_to_grid_off_keeps_the_exact_move_and_is_remembered(window, settings):
    doc, scene = window.document, window.scene
    window.view.set_zoom(1.0)  # one view pixel per scene unit, whatever size the window has
    window.act_snap.setChecked(False)
    assert not scene.snap_to_grid and settings.value(SNAP_KEY, type=bool) is False
    old = doc.topology.nodes["paid"].position
    grab = scene.node_item("paid").scenePos() + QPointF(60, 10)
    drag_mouse(window.view, grab, grab + QPointF(33, 47), steps=5)
    x, y = doc.topology.nodes["paid"].position
    assert abs(x - old[0] - 33) <= 2 and abs(y - old[1] - 47) <= 2
    window.act_snap.setChecked(True)
    assert scene.snap_to_grid and settings.value(SNAP_KEY, type=bool) is True
