"""TopologyScene: mirrors a Topology as items, and turns mouse gestures into requests.

The scene connects to the model's past-tense events and keeps one item per node and
per edge; it never edits the model. Gestures leave as signals (``nodes_moved``,
``connection_requested``, ``reroute_requested``) for the document to turn into undo
commands. The wiring gestures are interactions of their own (``interactions``: a new
wire, or an edge's end picked up at its input and carried elsewhere); the scene hands
one the mouse while it lasts. Moving nodes stays Qt's own item dragging, snapped here.

While a topology runs, ``run_overlay`` (``RunOverlay``) puts the run's numbers on the
scene's items.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtWidgets import QGraphicsScene

from engine.model.catalogue import NODE_TYPES
from engine.model.ports import node_ports
from engine.model.problems import Problem
from engine.model.topology import Edge, Node, Topology
from gui.canvas.edge_item import EdgeItem
from gui.canvas.geometry import GRID
from gui.canvas.interactions import (
    NewLinkInteraction,
    RefusalHint,
    RerouteInteraction,
    UserInteraction,
)
from gui.canvas.node_item import NodeItem
from gui.canvas.port_item import PortItem
from gui.canvas.run_overlay import RunOverlay
from gui.canvas.summary import node_summary
from gui.style import theme

SNAP_DISTANCE = 14.0


class TopologyScene(QGraphicsScene):
    connection_requested = Signal(object)  # (Edge)
    nodes_moved = Signal(dict)  # {node_id: (old position, new position)}
    message = Signal(str)  # a refusal's reason, for the status bar
    wire_dropped = Signal(
        object, object
    )  # (Edge with an empty end, QPointF): wire let go on empty canvas
    reroute_requested = Signal(
        object, object
    )  # (Edge, Edge or None): move an edge's end, or delete it

    def __init__(self, topology: Topology, parent=None):
        super().__init__(parent)
        self.topology: Topology | None = None
        self._nodes: dict[str, NodeItem] = {}
        self._edges: dict[Edge, EdgeItem] = {}
        self.interaction: UserInteraction | None = None  # the wiring gesture in progress
        self._press_positions: dict[str, QPointF] = {}
        self.snap_to_grid = True  # node moves end on the grid
        self.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.BspTreeIndex)
        self.hint = RefusalHint(self)
        self.hint.timer.timeout.connect(self._on_hint_timeout)
        self.addItem(self.hint)
        self.run_overlay = RunOverlay(self)
        self.set_topology(topology)

    # -- binding ---------------------------------------------------------------------

    def _handlers(self, topology: Topology):
        return (
            (topology.node_added, self._on_node_added),
            (topology.node_removed, self._on_node_removed),
            (topology.node_renamed, self._on_node_renamed),
            (topology.node_moved, self._on_node_moved),
            (topology.params_changed, self._on_params_changed),
            (topology.edge_added, self._on_edge_added),
            (topology.edge_removed, self._on_edge_removed),
        )

    def set_topology(self, topology: Topology) -> None:
        if self.topology is not None:
            for event, handler in self._handlers(self.topology):
                event.disconnect(handler)
        self.cancel_interaction()
        for item in list(self._edges.values()) + list(self._nodes.values()):
            self.removeItem(item)
        self._nodes.clear()
        self._edges.clear()
        self.topology = topology
        for event, handler in self._handlers(topology):
            event.connect(handler)
        for node in topology.nodes.values():
            self._on_node_added(node)
        for edge in topology.edges:
            self._on_edge_added(edge)
        self.run_overlay.clear()

    # -- queries ---------------------------------------------------------------------

    def node_item(self, node_id: str) -> NodeItem | None:
        return self._nodes.get(node_id)

    def edge_item(self, edge: Edge) -> EdgeItem | None:
        return self._edges.get(edge)

    def node_items(self) -> list[NodeItem]:
        return list(self._nodes.values())

    def edge_items(self) -> list[EdgeItem]:
        return list(self._edges.values())

    def selected_node_ids(self) -> list[str]:
        return [item.node_id for item in self.selectedItems() if isinstance(item, NodeItem)]

    def selected_edges(self) -> list[Edge]:
        return [item.key for item in self.selectedItems() if isinstance(item, EdgeItem)]

    def select_nodes(self, node_ids) -> None:
        wanted = set(node_ids)
        self.blockSignals(True)
        self.clearSelection()
        self.blockSignals(False)
        for nid in wanted:
            item = self._nodes.get(nid)
            if item is not None:
                item.setSelected(True)
        self.selectionChanged.emit()

    def nodes_rect(self) -> QRectF:
        rect = QRectF()
        for item in self._nodes.values():
            rect = rect.united(item.sceneBoundingRect())
            if item.badge is not None and item.badge.isVisible():
                rect = rect.united(item.badge.sceneBoundingRect())
        return rect

    # -- the model's events ----------------------------------------------------------------

    def _ports_of(
        self, node: Node
    ) -> tuple[tuple[str, ...], tuple[str, ...], list[str], list[str]]:
        inputs, outputs = node_ports(node)
        ghost_in = [
            e.target_port
            for e in self.topology.edges
            if e.target == node.id and e.target_port not in inputs
        ]
        ghost_out = [
            e.source_port
            for e in self.topology.edges
            if e.source == node.id and e.source_port not in outputs
        ]
        return inputs, outputs, list(dict.fromkeys(ghost_in)), list(dict.fromkeys(ghost_out))

    def _on_node_added(self, node: Node) -> None:
        spec = NODE_TYPES.get(node.type)
        inputs, outputs, ghost_in, ghost_out = self._ports_of(node)
        item = NodeItem(
            node.id,
            node.type,
            spec.title if spec else f"unknown ({node.type})",
            theme.category_colour(spec.category if spec else None),
            inputs,
            outputs,
            node_summary(node.type, node.params),
            ghost_in,
            ghost_out,
        )
        item.setPos(*(node.position or (0.0, 0.0)))
        self._nodes[node.id] = item
        self.addItem(item)

    def _on_node_removed(self, node: Node) -> None:
        item = self._nodes.pop(node.id, None)
        if item is not None:
            self.removeItem(item)

    def _on_node_renamed(self, old: str, new: str) -> None:
        item = self._nodes.pop(old)
        self._nodes[new] = item
        item.set_title(new)
        self._edges = {edge.renamed(old, new): edge_item for edge, edge_item in self._edges.items()}
        for edge, edge_item in self._edges.items():
            edge_item.key = edge

    def _on_node_moved(self, node_id: str, position) -> None:
        item = self._nodes.get(node_id)
        if item is not None and (item.pos().x(), item.pos().y()) != tuple(position):
            item.setPos(*position)

    def _on_params_changed(self, node_id: str) -> None:
        self._refresh_ports(node_id)
        node = self.topology.node(node_id)
        self._nodes[node_id].set_summary(node_summary(node.type, node.params))

    def _refresh_ports(self, node_id: str) -> None:
        item = self._nodes.get(node_id)
        if item is None:
            return
        inputs, outputs, ghost_in, ghost_out = self._ports_of(self.topology.node(node_id))
        item.set_ports(inputs, outputs, ghost_in, ghost_out)
        for edge_item in list(item.edges):
            self._attach(edge_item)

    def _on_edge_added(self, edge: Edge) -> None:
        source, target = self._nodes.get(edge.source), self._nodes.get(edge.target)
        if source is None or target is None:
            return
        if (
            source.port(edge.source_port, True) is None
            or target.port(edge.target_port, False) is None
        ):
            self._refresh_ports(edge.source)
            self._refresh_ports(edge.target)
        item = EdgeItem(
            edge, source.port(edge.source_port, True), target.port(edge.target_port, False)
        )
        self._edges[edge] = item
        source.edges.add(item)
        target.edges.add(item)
        self.addItem(item)
        self._attach(item)

    def _on_edge_removed(self, edge: Edge) -> None:
        item = self._edges.pop(edge, None)
        if item is None:
            return
        for node_id in (edge.source, edge.target):
            node_item = self._nodes.get(node_id)
            if node_item is not None:
                node_item.edges.discard(item)
        self.removeItem(item)
        for node_id in (edge.source, edge.target):
            node = self.topology.nodes.get(node_id)
            if node is not None:
                item_ = self._nodes[node_id]
                ports = self._ports_of(node)
                if ports[2] != [p for p in item_.inputs if (False, p) in item_.ghosts] or ports[
                    3
                ] != [p for p in item_.outputs if (True, p) in item_.ghosts]:
                    self._refresh_ports(node_id)
                self._update_connected(item_)

    def _attach(self, edge_item: EdgeItem) -> None:
        edge = edge_item.key
        source, target = self._nodes[edge.source], self._nodes[edge.target]
        sport, tport = source.port(edge.source_port, True), target.port(edge.target_port, False)
        edge_item.set_ports(sport, tport)
        ghost = sport.ghost or tport.ghost
        edge_item.set_invalid(
            ghost, "this edge names a port the node does not have" if ghost else ""
        )
        self._update_connected(source)
        self._update_connected(target)

    def _update_connected(self, item: NodeItem) -> None:
        used = {(True, e.key.source_port) for e in item.edges if e.key.source == item.node_id} | {
            (False, e.key.target_port) for e in item.edges if e.key.target == item.node_id
        }
        for key, port in item.ports.items():
            port.set_connected(key in used)

    def set_problems(self, problems: list[Problem]) -> None:
        per_node: dict[str, list[tuple[str, str]]] = {}
        for p in problems:
            if p.node_id is not None:
                per_node.setdefault(p.node_id, []).append((p.severity, p.message))
        for node_id, item in self._nodes.items():
            item.set_problems(per_node.get(node_id, []))

    # -- gestures: moving -----------------------------------------------------------------

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            port = self.port_at(event.scenePos())
            if port is not None:
                picked = self._picked_edge(port)
                if picked is not None:
                    self.interaction = RerouteInteraction(self, picked, event.scenePos())
                else:
                    self.interaction = NewLinkInteraction(self, port, event.scenePos())
                event.accept()
                return
        super().mousePressEvent(event)
        if event.button() == Qt.MouseButton.LeftButton:
            self._press_positions = {
                item.node_id: item.pos()
                for item in self.selectedItems()
                if isinstance(item, NodeItem)
            }

    def mouseMoveEvent(self, event) -> None:
        if self.interaction is not None:
            self.interaction.move(event.scenePos())
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        if self.interaction is not None and event.button() == Qt.MouseButton.LeftButton:
            interaction, self.interaction = self.interaction, None
            interaction.release(event.scenePos())
            event.accept()
            return
        super().mouseReleaseEvent(event)
        if event.button() == Qt.MouseButton.LeftButton and self._press_positions:
            moves = {}
            for node_id, old in self._press_positions.items():
                item = self._nodes.get(node_id)
                if item is not None and item.pos() != old:
                    new = self.snapped(item.pos())
                    if new == (old.x(), old.y()):
                        item.setPos(old)  # snapped back to where it was: no move to undo
                        continue
                    moves[node_id] = ((old.x(), old.y()), new)
            self._press_positions = {}
            if moves:
                self.nodes_moved.emit(moves)

    def snapped(self, pos: QPointF) -> tuple[float, float]:
        """Where a node moved to ``pos`` ends: on the grid when snapping, else whole pixels."""
        if self.snap_to_grid:
            return float(round(pos.x() / GRID) * GRID), float(round(pos.y() / GRID) * GRID)
        return float(round(pos.x())), float(round(pos.y()))

    # -- gestures: wiring (what the interactions ask of the scene) ----------------------------

    def port_at(self, pos: QPointF, exclude_node: str | None = None) -> PortItem | None:
        area = QRectF(
            pos.x() - SNAP_DISTANCE, pos.y() - SNAP_DISTANCE, 2 * SNAP_DISTANCE, 2 * SNAP_DISTANCE
        )
        best, best_d = None, None
        for item in self.items(area):
            if isinstance(item, PortItem) and item.node_id != exclude_node:
                d = (item.scenePos() - pos).manhattanLength()
                if best_d is None or d < best_d:
                    best, best_d = item, d
        return best

    def _picked_edge(self, port: PortItem) -> Edge | None:
        """The edge whose end a press on ``port`` picks up: the newest one into a connected
        input. Outputs and empty inputs start a new wire instead."""
        if port.is_output or not port.connected:
            return None
        edges = [
            e
            for e in self.topology.edges
            if e.target == port.node_id and e.target_port == port.name
        ]
        return edges[-1] if edges else None

    def _on_hint_timeout(self) -> None:
        if self.interaction is None:
            self.hint.setVisible(False)

    def cancel_interaction(self) -> None:
        if self.interaction is not None:
            interaction, self.interaction = self.interaction, None
            interaction.cancel()

    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_Escape and self.interaction is not None:
            self.cancel_interaction()
            return
        super().keyPressEvent(event)
