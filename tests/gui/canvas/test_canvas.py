"""The canvas: the scene mirrors the model; mouse gestures become undo commands."""

from PySide6.QtCore import QEvent, QMimeData, QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent, QWheelEvent
from PySide6.QtWidgets import QApplication

from engine.model.topology import Edge, Node
from gui.canvas.edge_item import EdgeItem
from gui.canvas.node_item import NodeItem
from gui.canvas.qt_view import NODE_TYPE_MIME
from tests.gui.conftest import drag_mouse, send_mouse


def port_pos(window, node_id, name, is_output):
    return window.scene.node_item(node_id).port(name, is_output).scenePos()


def test_scene_mirrors_the_model(window):
    scene, t = window.scene, window.document.topology
    assert {i.node_id for i in scene.node_items()} == set(t.nodes)
    assert {i.key for i in scene.edge_items()} == set(t.edges)
    t.add_node(Node("extra", "filter", {"expr": "True"}, (0.0, 900.0)))
    assert scene.node_item("extra").pos() == QPointF(0, 900)
    t.connect("by_user", "extra")
    assert scene.edge_item(Edge("by_user", "extra")) is not None
    t.rename_node("extra", "renamed")
    assert scene.node_item("renamed").node_id == "renamed"
    assert scene.edge_item(Edge("by_user", "renamed")).key == Edge("by_user", "renamed")
    t.move_node("renamed", (50, 60))
    assert scene.node_item("renamed").pos() == QPointF(50, 60)
    t.remove_node("renamed")
    assert scene.node_item("renamed") is None
    assert len(scene.edge_items()) == len(t.edges)


def test_branch_ports_follow_params(window):
    scene, doc = window.scene, window.document
    item = scene.node_item("order_size")
    assert item.outputs == ("large", "else")
    doc.set_params(
        "order_size",
        {"branches": [{"name": "large", "expr": "True"}, {"name": "mid", "expr": "True"}]},
    )
    assert item.outputs == ("large", "mid", "else")
    assert item.port("mid", True) is not None
    # An edge from a port the node does not have stays visible, marked invalid.
    window.document.topology.connect("order_size", "items_sold", "ghost", "in") if False else None
    t = doc.topology
    t.remove_edge(Edge("items", "items_sold"))
    t.add_edge(Edge("order_size", "items_sold", "gone"))
    edge_item = scene.edge_item(Edge("order_size", "items_sold", "gone"))
    assert edge_item.invalid and edge_item.source.ghost


def test_drop_from_palette_creates_the_node_where_dropped(window, qtbot):
    view = window.view
    item = window.palette.type_item("aggregate")
    mime = window.palette.tree.mimeData([item])
    assert bytes(mime.data(NODE_TYPE_MIME)) == b"aggregate"
    target = view.mapFromScene(QPointF(300, 700))
    vp = view.viewport()
    enter = QDragEnterEvent(
        target,
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(vp, enter)
    assert enter.isAccepted()
    move = QDragMoveEvent(
        target,
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(vp, move)
    drop = QDropEvent(
        QPointF(target),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(vp, drop)
    node = window.document.topology.nodes["aggregate"]
    assert abs(node.position[0] - 260) <= 3 and abs(node.position[1] - 686) <= 3
    assert window.scene.selected_node_ids() == ["aggregate"]
    assert window.inspector.node_id == "aggregate"
    window.document.undo_stack.undo()
    assert "aggregate" not in window.document.topology.nodes


def test_other_drops_are_ignored(window):
    mime = QMimeData()
    mime.setText("hello")
    enter = QDragEnterEvent(
        QPoint(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(window.view.viewport(), enter)
    assert not enter.isAccepted()


def test_wire_by_mouse_from_output_to_input(window):
    doc = window.document
    doc.add_node("console_sink", (1200, 600))
    n = doc.undo_stack.count()
    drag_mouse(
        window.view,
        port_pos(window, "by_user", "out", True),
        port_pos(window, "console", "in", False) + QPointF(3, 2),
    )
    assert Edge("by_user", "console") in doc.topology.edges
    assert doc.undo_stack.count() == n + 1
    assert window.scene.edge_item(Edge("by_user", "console")) is not None
    doc.undo_stack.undo()
    assert Edge("by_user", "console") not in doc.topology.edges


def test_wire_backwards_from_input_to_named_output(window):
    doc = window.document
    doc.add_node("kafka_sink", (1200, 600))
    drag_mouse(
        window.view,
        port_pos(window, "sink", "in", False),
        port_pos(window, "order_size", "else", True),
    )
    assert Edge("order_size", "sink", "else", "in") in doc.topology.edges


def test_wire_preview_is_live(window):
    view, scene = window.view, window.scene
    start = port_pos(window, "by_user", "out", True)
    send_mouse(view, QEvent.Type.MouseButtonPress, start)
    send_mouse(
        view, QEvent.Type.MouseMove, start + QPointF(120, 80), buttons=Qt.MouseButton.LeftButton
    )
    assert scene.interaction is not None and scene.interaction.preview.scene() is scene
    send_mouse(
        view,
        QEvent.Type.MouseMove,
        port_pos(window, "paid", "in", False),
        buttons=Qt.MouseButton.LeftButton,
    )
    assert "already taken" in scene.interaction.problem
    assert scene.hint.isVisible()
    send_mouse(view, QEvent.Type.MouseButtonRelease, port_pos(window, "paid", "in", False))
    assert scene.interaction is None


def refused(window, start, end):
    doc = window.document
    messages = []
    window.scene.message.connect(messages.append)
    before = list(doc.topology.edges)
    count = doc.undo_stack.count()
    drag_mouse(window.view, start, end)
    assert doc.topology.edges == before
    assert doc.undo_stack.count() == count
    assert messages, "the reason is shown"
    return messages[-1]


def test_refuses_a_cycle(window):
    reason = refused(
        window, port_pos(window, "items", "out", True), port_pos(window, "paid", "in", False)
    )
    assert "cycle" in reason


def test_refuses_a_taken_input(window):
    reason = refused(
        window,
        port_pos(window, "interactions", "out", True),
        port_pos(window, "items", "in", False),
    )
    assert "already taken" in reason


def test_refuses_the_wrong_direction(window):
    reason = refused(
        window, port_pos(window, "paid", "out", True), port_pos(window, "by_user", "out", True)
    )
    assert "two outputs" in reason
    window.document.add_node("console_sink", (1200, 600))  # an empty input starts a new wire
    reason = refused(
        window, port_pos(window, "console", "in", False), port_pos(window, "by_user", "in", False)
    )
    assert "two inputs" in reason


def test_move_by_mouse_is_one_command(window):
    doc, scene = window.document, window.scene
    window.act_snap.setChecked(False)  # the exact distance dragged
    item = scene.node_item("paid")
    window.view.set_zoom(1.0)  # whole pixels are whole scene units, however big the demo
    window.view.centerOn(item)
    old = doc.topology.nodes["paid"].position
    grab = item.scenePos() + QPointF(60, 10)
    count = doc.undo_stack.count()
    drag_mouse(window.view, grab, grab + QPointF(100, 50), steps=6)
    new = doc.topology.nodes["paid"].position
    assert abs(new[0] - old[0] - 100) <= 2 and abs(new[1] - old[1] - 50) <= 2
    assert doc.undo_stack.count() == count + 1
    edge = scene.edge_item(Edge("orders", "paid"))
    assert edge.path().pointAtPercent(1) == item.port("in", False).scenePos()
    doc.undo_stack.undo()
    assert doc.topology.nodes["paid"].position == old
    assert item.pos() == QPointF(*old)


def test_rubber_band_selects_several_nodes_and_moves_them_together(window):
    doc, scene, view = window.document, window.scene, window.view
    rect = scene.nodes_rect()
    drag_mouse(view, rect.topLeft() - QPointF(30, 30), rect.bottomRight() + QPointF(30, 30))
    assert set(scene.selected_node_ids()) == set(doc.topology.nodes)
    grab = scene.node_item("paid").scenePos() + QPointF(60, 10)
    count = doc.undo_stack.count()
    drag_mouse(view, grab, grab + QPointF(40, 0))
    assert doc.undo_stack.count() == count + 1
    assert doc.undo_stack.undoText().startswith(f"Move {len(doc.topology.nodes)} nodes")


def test_delete_copy_paste_duplicate(window):
    doc, scene = window.document, window.scene
    scene.select_nodes(["paid", "items"])
    window.act_copy.trigger()
    window.act_paste.trigger()
    assert {"paid_2", "items_2"} <= set(doc.topology.nodes)
    assert Edge("paid_2", "items_2") in doc.topology.edges
    assert set(scene.selected_node_ids()) == {"paid_2", "items_2"}
    window.act_duplicate.trigger()
    assert {"paid_3", "items_3"} <= set(doc.topology.nodes)
    window.act_delete.trigger()
    assert "paid_3" not in doc.topology.nodes
    scene.select_nodes(["paid"])
    window.act_cut.trigger()
    assert "paid" not in doc.topology.nodes
    assert Edge("orders", "paid") not in doc.topology.edges
    doc.undo_stack.undo()
    assert Edge("orders", "paid") in doc.topology.edges
    # an edge alone
    scene.clearSelection()
    scene.edge_item(Edge("orders", "paid")).setSelected(True)
    window.act_delete.trigger()
    assert Edge("orders", "paid") not in doc.topology.edges and "paid" in doc.topology.nodes


def test_tab_opens_quick_add_at_the_cursor(window, qtbot):
    view = window.view
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Tab)
    assert window.editing.quick_add.isVisible()
    qtbot.keyClicks(window.editing.quick_add.search, "join")
    assert window.editing.quick_add.current_type() == "join"
    qtbot.keyClick(window.editing.quick_add.search, Qt.Key.Key_Return)
    assert "join" in window.document.topology.nodes
    assert not window.editing.quick_add.isVisible()


def test_wire_dropped_on_empty_canvas_adds_a_connected_node(window, qtbot):
    doc = window.document
    start = port_pos(window, "by_user", "out", True)
    empty = start + QPointF(0, 400)
    drag_mouse(window.view, start, empty)
    assert window.editing.quick_add.isVisible()
    qtbot.keyClicks(window.editing.quick_add.search, "console")
    qtbot.keyClick(window.editing.quick_add.search, Qt.Key.Key_Return)
    assert Edge("by_user", "console") in doc.topology.edges
    doc.undo_stack.undo()
    assert "console" not in doc.topology.nodes


def test_wheel_zooms_to_the_cursor_and_fit_shows_everything(window):
    view = window.view
    anchor = QPointF(300, 200)
    before = view.mapToScene(anchor.toPoint())
    zoom = view.zoom()
    wheel = QWheelEvent(
        anchor,
        view.viewport().mapToGlobal(anchor),
        QPoint(),
        QPoint(0, 240),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(view.viewport(), wheel)
    assert view.zoom() > zoom
    after = view.mapToScene(anchor.toPoint())
    assert abs(after.x() - before.x()) < 3 and abs(after.y() - before.y()) < 3
    view.pan_by(200, 100)
    view.fit()
    visible = view.mapToScene(view.viewport().rect()).boundingRect()
    assert visible.contains(window.scene.nodes_rect())


def test_problems_mark_nodes(window, qtbot):
    doc = window.document
    doc.set_param("paid", "expr", "value[")
    doc.revalidate()
    item = window.scene.node_item("paid")
    assert item.severity == "error"
    assert "syntax error" in item.toolTip()
    window.validation.list.item(0)
    texts = [window.validation.list.item(i).text() for i in range(window.validation.list.count())]
    assert any(t.startswith("paid:") for t in texts)
    row = next(i for i, t in enumerate(texts) if t.startswith("paid:"))
    window.validation._on_item_clicked(window.validation.list.item(row))
    assert window.scene.selected_node_ids() == ["paid"]
    doc.undo_stack.undo()
    doc.revalidate()
    assert item.severity is None


def test_all_node_types_paint(window):
    from engine.model.catalogue import NODE_TYPES

    for i, type_name in enumerate(NODE_TYPES):
        window.document.add_node(type_name, (i * 220.0, 1200.0))
    window.document.topology.add_node(Node("mystery", "no_such_type", {}, (0.0, 1400.0)))
    window.document.revalidate()
    window.view.fit()
    image = window.view.grab()
    assert not image.isNull()
    assert isinstance(window.scene.node_item("mystery"), NodeItem)
    assert all(isinstance(e, EdgeItem) for e in window.scene.edge_items())
