"""TopologyScene: mirrors a Topology as items, and turns mouse gestures into requests.

The scene connects to the model's past-tense events and keeps one item per node and
per edge; it never edits the model. Gestures leave as signals (``nodes_moved``,
``connection_requested``, ``reroute_requested``) for the document to turn into undo
commands. Pressing on a connected input picks up its edge's end: the edge is drawn as a
live wire from its source until it is dropped on another input, or on empty canvas to
delete it.

While a topology runs, ``show_metrics`` puts the run's numbers on the canvas: a badge
per node and edges as thick as their rate. Updates are coalesced to at most two a
second and touch only the items whose numbers read differently.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPen
from PySide6.QtWidgets import QGraphicsRectItem, QGraphicsScene, QGraphicsSimpleTextItem

from engine.model.catalogue import NODE_TYPES
from engine.model.ports import connection_problem, direction_problem, node_ports
from engine.model.problems import Problem
from engine.model.topology import Edge, Node, Topology
from gui.canvas.edge_item import EdgeItem, WirePreviewItem
from gui.canvas.geometry import GRID
from gui.canvas.node_item import NodeItem
from gui.canvas.port_item import PortItem
from gui.canvas.run_badge import BadgeState
from gui.canvas.summary import node_summary
from gui.style import theme

SNAP_DISTANCE = 14.0
METRICS_INTERVAL_MS = 500
SOURCE_TYPES = ("kafka_source", "generator_source")


class _Wire:
    """A wire being dragged from ``port``; ``edge`` is the edge whose end was picked up
    (a re-route), None for a new connection."""

    def __init__(self, port: PortItem, preview: WirePreviewItem, edge: Edge | None = None):
        self.port = port
        self.preview = preview
        self.edge = edge
        self.target: PortItem | None = None
        self.problem: str | None = None


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
        self._wire: _Wire | None = None
        self._press_positions: dict[str, QPointF] = {}
        self._syncing = False
        self.snap_to_grid = True  # node moves end on the grid
        self.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.BspTreeIndex)
        self._hint = self._make_hint()
        self._hint_timer = QTimer(self)  # owned by the scene: never fires after it is gone
        self._hint_timer.setSingleShot(True)
        self._hint_timer.setInterval(2500)
        self._hint_timer.timeout.connect(self._on_hint_timeout)
        self._metrics: dict[str, dict] = {}  # node id -> the last numbers shown
        self._metrics_final = False
        self._pending_metrics: dict | None = None
        self._group_status: tuple[str, str, str] = ("", "", "")  # group, status, reason
        self._metrics_timer = QTimer(self)
        self._metrics_timer.setSingleShot(True)
        self._metrics_timer.setInterval(METRICS_INTERVAL_MS)
        self._metrics_timer.timeout.connect(self._on_metrics_timer)
        self.metrics_applied = 0  # how many times numbers reached the items (for tests)
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
        self._cancel_wire()
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
        self.clear_metrics()

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
        self._syncing = True
        item.setPos(*(node.position or (0.0, 0.0)))
        self._syncing = False
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

    # -- a run's numbers -------------------------------------------------------------------

    def show_metrics(self, metrics: dict) -> None:
        """{node_id: {in_rate, out_rate, in, out, errors, late}} of a running topology.
        The first numbers show at once, later ones at most every METRICS_INTERVAL_MS."""
        self._pending_metrics = metrics
        if not self._metrics_timer.isActive():
            self._on_metrics_timer()

    def _on_metrics_timer(self) -> None:
        metrics, self._pending_metrics = self._pending_metrics, None
        if metrics is None:
            return
        self._metrics = dict(metrics)
        self._metrics_final = False
        self._apply_metrics()
        self._metrics_timer.start()

    def show_group_status(self, group: str, status: str, reason: str) -> None:
        """The run's consumer group is OK, WARN or STALL: shown on the source nodes."""
        if (group, status, reason) == self._group_status:
            return
        self._group_status = (group, status, reason)
        if self._metrics and not self._metrics_final:
            self._apply_metrics()

    def finish_metrics(self, final: dict | None = None) -> None:
        """The run is over: the badges keep the last (or ``final``) counts, dimmed, with
        no rates; edges go back to their resting width."""
        self._metrics_timer.stop()
        self._pending_metrics = None
        if final:
            merged = {node_id: dict(self._metrics.get(node_id, {})) for node_id in final}
            for node_id, counts in final.items():
                if isinstance(counts, dict):
                    merged[node_id].update(
                        {k: counts[k] for k in ("in", "out", "errors", "late") if k in counts}
                    )
            self._metrics.update(merged)
        self._metrics_final = True
        self._group_status = ("", "", "")
        self._apply_metrics()

    def clear_metrics(self) -> None:
        """No run to show: no badges, resting edges."""
        self._metrics_timer.stop()
        self._pending_metrics = None
        self._metrics = {}
        self._metrics_final = False
        self._group_status = ("", "", "")
        for item in self._nodes.values():
            item.set_run_state(None)
        for edge_item in self._edges.values():
            edge_item.set_rate(None)

    def metrics_shown(self) -> bool:
        return bool(self._metrics)

    def _badge_state(self, item: NodeItem, m: dict) -> BadgeState:
        _group, status, reason = self._group_status
        is_source = item.type_name in SOURCE_TYPES
        return BadgeState(
            in_rate=float(m.get("in_rate", 0.0)),
            out_rate=float(m.get("out_rate", 0.0)),
            in_count=int(m.get("in", 0)),
            out_count=int(m.get("out", 0)),
            errors=int(m.get("errors", 0)),
            late=int(m.get("late", 0)),
            final=self._metrics_final,
            show_in=bool(item.inputs) and not is_source,
            show_out=bool(item.outputs),
            show_late=item.type_name == "aggregate",
            status=status if is_source and not self._metrics_final else "",
            status_reason=reason if is_source else "",
        )

    def _apply_metrics(self) -> None:
        self.metrics_applied += 1
        group = self._group_status[0]
        for node_id, item in self._nodes.items():
            m = self._metrics.get(node_id)
            item.set_run_state(None if m is None else self._badge_state(item, m), group)
        incoming: dict[str, int] = {}
        for edge in self._edges:
            incoming[edge.target] = incoming.get(edge.target, 0) + 1
        rates = {
            edge: None if self._metrics_final else self._edge_rate(edge, incoming)
            for edge in self._edges
        }
        top = max((r for r in rates.values() if r), default=None)
        for edge, edge_item in self._edges.items():
            edge_item.set_rate(rates[edge], top)

    def _edge_rate(self, edge: Edge, incoming: dict[str, int]) -> float | None:
        """The rate out of the edge's source node; for a node with several output ports
        (a branch), the rate into the target when this edge is all that feeds it, which is
        that port's rate."""
        source = self._metrics.get(edge.source)
        if source is None:
            return None
        source_item = self._nodes.get(edge.source)
        if (
            source_item is not None
            and len(source_item.outputs) > 1
            and incoming.get(edge.target) == 1
        ):
            target = self._metrics.get(edge.target)
            if target is not None:
                return float(target.get("in_rate", 0.0))
        return float(source.get("out_rate", 0.0))

    # -- gestures: moving -----------------------------------------------------------------

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            port = self.port_at(event.scenePos())
            if port is not None:
                picked = self._picked_edge(port)
                if picked is not None:
                    self._start_reroute(picked, event.scenePos())
                else:
                    self._start_wire(port, event.scenePos())
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
        if self._wire is not None:
            self._drag_wire(event.scenePos())
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        if self._wire is not None and event.button() == Qt.MouseButton.LeftButton:
            self._finish_wire(event.scenePos())
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

    # -- gestures: wiring ------------------------------------------------------------------

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

    def _make_hint(self):
        box = QGraphicsRectItem()
        box.setBrush(QColor(20, 22, 27, 235))
        box.setPen(QPen(theme.PREVIEW_REFUSED, 1))
        box.setZValue(20)
        text = QGraphicsSimpleTextItem(box)
        text.setBrush(QColor("#f1f3f6"))
        box.text = text
        box.setVisible(False)
        self.addItem(box)
        return box

    def _show_hint(self, text: str | None, pos: QPointF) -> None:
        if not text:
            self._hint.setVisible(False)
            return
        self._hint.text.setText(text)
        r = self._hint.text.boundingRect()
        self._hint.setRect(QRectF(0, 0, r.width() + 14, r.height() + 8))
        self._hint.text.setPos(7, 4)
        self._hint.setPos(pos + QPointF(16, 14))
        self._hint.setVisible(True)

    def _start_wire(self, port: PortItem, pos: QPointF) -> None:
        preview = WirePreviewItem()
        self.addItem(preview)
        self._wire = _Wire(port, preview)
        self._drag_wire(pos)

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

    def _start_reroute(self, edge: Edge, pos: QPointF) -> None:
        source = self._nodes[edge.source].port(edge.source_port, True)
        preview = WirePreviewItem()
        self.addItem(preview)
        self._wire = _Wire(source, preview, edge)
        # The edge is drawn as the live wire while it is carried; cancelling shows it again.
        self._edges[edge].setVisible(False)
        self._drag_wire(pos)

    def candidate(self, start: PortItem, end: PortItem) -> tuple[Edge | None, str | None]:
        """The edge that wiring ``start`` to ``end`` would add, or the reason it is refused."""
        problem = direction_problem(start.is_output, end.is_output)
        if problem:
            return None, problem
        out, inp = (start, end) if start.is_output else (end, start)
        edge = Edge(out.node_id, inp.node_id, out.name, inp.name)
        return edge, connection_problem(self.topology, edge)

    def _drag_wire(self, pos: QPointF) -> None:
        wire = self._wire
        target = self.port_at(pos, exclude_node=None)
        if target is wire.port:
            target = None
        if wire.target is not None and wire.target is not target:
            wire.target.set_highlight(None)
        wire.target = target
        end = pos
        if target is not None:
            home = (
                wire.edge is not None
                and not target.is_output
                and (target.node_id, target.name) == (wire.edge.target, wire.edge.target_port)
            )
            wire.problem = None if home else self.candidate(wire.port, target)[1]
            end = target.scenePos()
            target.set_highlight(theme.PREVIEW_REFUSED if wire.problem else theme.PREVIEW_OK)
            wire.preview.set_state(wire.problem is None)
            self._show_hint(f"✕ {wire.problem}" if wire.problem else None, pos)
        else:
            wire.problem = None
            wire.preview.set_state(None)
            self._show_hint(None, pos)
        wire.preview.set_ends(wire.port.scenePos(), end, wire.port.is_output)

    def _finish_wire(self, pos: QPointF) -> None:
        self._drag_wire(pos)
        wire = self._wire
        target = wire.target
        start = wire.port
        self._cancel_wire()
        if wire.edge is not None:
            self._finish_reroute(wire.edge, start, target, pos)
            return
        if target is None:
            if not any(isinstance(item, NodeItem) for item in self.items(pos)):
                half = (
                    Edge(start.node_id, "", start.name, "")
                    if start.is_output
                    else Edge("", start.node_id, "", start.name)
                )
                self.wire_dropped.emit(half, pos)
            return
        edge, problem = self.candidate(start, target)
        if problem:
            self.message.emit(f"Cannot connect: {problem}")
            self._flash_refusal(problem, pos)
            return
        self.connection_requested.emit(edge)

    def _finish_reroute(
        self, edge: Edge, source: PortItem, target: PortItem | None, pos: QPointF
    ) -> None:
        if target is None:
            if not any(isinstance(item, NodeItem) for item in self.items(pos)):
                self.reroute_requested.emit(edge, None)
            return
        if not target.is_output and (target.node_id, target.name) == (
            edge.target,
            edge.target_port,
        ):
            return  # put back where it was
        new, problem = self.candidate(source, target)
        if problem:
            self.message.emit(f"Cannot connect: {problem}")
            self._flash_refusal(problem, pos)
            return
        self.reroute_requested.emit(edge, new)

    def _flash_refusal(self, problem: str, pos: QPointF) -> None:
        self._show_hint(f"✕ {problem}", pos)
        self._hint_timer.start()

    def _on_hint_timeout(self) -> None:
        if self._wire is None:
            self._hint.setVisible(False)

    def _cancel_wire(self) -> None:
        if self._wire is None:
            return
        if self._wire.target is not None:
            self._wire.target.set_highlight(None)
        if self._wire.edge is not None and self._wire.edge in self._edges:
            self._edges[self._wire.edge].setVisible(True)
        self.removeItem(self._wire.preview)
        self._wire = None
        self._hint.setVisible(False)

    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_Escape and self._wire is not None:
            self._cancel_wire()
            return
        super().keyPressEvent(event)
