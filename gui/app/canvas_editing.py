"""Editing on the canvas: what the scene's and the view's gestures ask of the document
(connect, reroute, add a node where it was dropped, add one from Quick Add and wire it to a
dropped wire) and the Edit menu's commands on the selection (cut, copy, paste, duplicate,
delete, select all, auto-layout). A refusal is said in the status bar."""

from __future__ import annotations

from PySide6.QtCore import QObject, QPointF
from PySide6.QtWidgets import QApplication, QStatusBar, QWidget

from engine.model.ports import input_ports, output_ports
from engine.model.topology import Edge
from gui.canvas.qt_scene import TopologyScene
from gui.canvas.qt_view import TopologyView
from gui.designer.palette import QuickAddPopup
from gui.document import clipboard
from gui.document.document import TopologyDocument


class CanvasEditing(QObject):
    def __init__(
        self,
        window: QWidget,
        document: TopologyDocument,
        scene: TopologyScene,
        view: TopologyView,
        status_bar: QStatusBar,
    ):
        super().__init__(window)
        self.document = document
        self.scene = scene
        self.view = view
        self.status_bar = status_bar
        self.quick_add = QuickAddPopup(window)
        self._quick_add_at: QPointF | None = None
        self._quick_add_wire: Edge | None = None
        scene.connection_requested.connect(self.connect_edge)
        scene.wire_dropped.connect(self._on_wire_dropped)
        scene.reroute_requested.connect(self.reroute_edge)
        view.add_node_requested.connect(self.add_node)
        view.quick_add_requested.connect(self.open_quick_add)
        self.quick_add.chosen.connect(self._on_quick_add_chosen)

    def connect_edge(self, edge: Edge) -> None:
        problem = self.document.connect(edge)
        if problem:
            self.status_bar.showMessage(f"Cannot connect: {problem}", 6000)

    def reroute_edge(self, old: Edge, new: Edge | None) -> None:
        problem = self.document.reroute(old, new)
        if problem:
            self.status_bar.showMessage(f"Cannot connect: {problem}", 6000)

    def add_node(self, type_name: str, pos: QPointF) -> None:
        node_id = self.document.add_node(type_name, (round(pos.x()), round(pos.y())))
        self.scene.select_nodes([node_id])
        self.view.setFocus()

    def add_node_in_view(self, type_name: str) -> None:
        centre = self.view.mapToScene(self.view.viewport().rect().center())
        self.add_node(type_name, QPointF(centre.x() - 100, centre.y() - 30))

    def open_quick_add(self, scene_pos: QPointF, wire: Edge | None = None) -> None:
        self._quick_add_at = scene_pos
        self._quick_add_wire = wire
        global_pos = self.view.viewport().mapToGlobal(self.view.mapFromScene(scene_pos))
        self.quick_add.popup_at(global_pos)

    def _on_wire_dropped(self, half: Edge, pos: QPointF) -> None:
        self.open_quick_add(pos, half)

    def _on_quick_add_chosen(self, type_name: str) -> None:
        pos = self._quick_add_at or self.view.cursor_scene_pos()
        wire, self._quick_add_wire = self._quick_add_wire, None
        stack = self.document.undo_stack
        if wire is None:
            self.add_node(type_name, QPointF(pos.x() - 20, pos.y() - 14))
            return
        stack.beginMacro(f"Add {type_name} and connect")
        try:
            x = pos.x() if wire.source else pos.x() - 200
            node_id = self.document.add_node(type_name, (round(x), round(pos.y() - 40)))
            if wire.source:
                ports = input_ports(self.document.topology.node(node_id))
                edge = Edge(wire.source, node_id, wire.source_port, ports[0]) if ports else None
            else:
                ports = output_ports(self.document.topology.node(node_id))
                edge = Edge(node_id, wire.target, ports[0], wire.target_port) if ports else None
            problem = self.document.connect(edge) if edge else "the new node has no matching port"
        finally:
            stack.endMacro()
        if problem:
            self.status_bar.showMessage(
                f"Added {node_id}, but could not connect it: {problem}", 6000
            )
        self.scene.select_nodes([node_id])

    def delete_selection(self) -> None:
        self.document.remove(self.scene.selected_node_ids(), self.scene.selected_edges())

    def select_all(self) -> None:
        self.scene.select_nodes(list(self.document.topology.nodes))

    def copy(self) -> bool:
        ids = self.scene.selected_node_ids()
        if not ids:
            return False
        frag = clipboard.fragment(self.document.topology, ids)
        # Plain text (the file's own JSON shape): the clipboard then holds no object made
        # in Python, which Qt would destroy after the interpreter at exit, and the nodes
        # paste into a text editor or another Topology Studio alike.
        QApplication.clipboard().setText(clipboard.dumps(frag))
        self.status_bar.showMessage(f"Copied {len(ids)} node{'s' if len(ids) != 1 else ''}", 3000)
        return True

    def cut(self) -> None:
        if self.copy():
            ids = self.scene.selected_node_ids()
            stack = self.document.undo_stack
            self.document.remove(ids)
            stack.command(stack.index() - 1).setText(
                f"Cut {len(ids)} node{'s' if len(ids) != 1 else ''}"
            )

    def paste(self) -> None:
        data = QApplication.clipboard().mimeData()
        if data is None:
            return
        text = (
            bytes(data.data(clipboard.MIME_TYPE)).decode()
            if data.hasFormat(clipboard.MIME_TYPE)
            else data.text()
        )
        frag = clipboard.loads(text)
        if frag is None:
            self.status_bar.showMessage("The clipboard holds no nodes to paste", 4000)
            return
        local = self.view.viewport().mapFromGlobal(self.view.cursor().pos())
        at = None
        if self.view.viewport().rect().contains(local) and self.view.underMouse():
            p = self.view.mapToScene(local)
            at = (round(p.x()), round(p.y()))
        ids = self.document.paste(frag, at=at)
        self.scene.select_nodes(ids)

    def duplicate(self) -> None:
        ids = self.document.duplicate(self.scene.selected_node_ids())
        self.scene.select_nodes(ids)

    def auto_layout(self) -> None:
        self.document.auto_layout()
        self.view.fit()
