"""Undo commands: one per user gesture, each calling the model's verbs in redo and undo.

Commands hold ids and plain values, never items, so they stay valid whatever the
scene does. Removing nodes removes their edges first through child commands, as
orange-canvas-core does, so undo restores them in the right order. The children are
kept by the Python parent (``_CompositeCommand``), not by Qt's parent pointer: a
command owned by both would be freed twice when the stack is cleared.
"""

from __future__ import annotations

import copy
import itertools

from PySide6.QtGui import QUndoCommand

from engine.model.catalogue import NODE_TYPES
from engine.model.topology import Edge, Node, Topology

_MERGE_ID = itertools.count(1000)
SET_PARAMS_ID = next(_MERGE_ID)
SET_SETTINGS_ID = next(_MERGE_ID)


class AddNodeCommand(QUndoCommand):
    def __init__(self, topology: Topology, node: Node, parent: QUndoCommand | None = None):
        super().__init__(f"Add {node.id}", parent)
        self.topology = topology
        self.node = node.copy()

    def redo(self) -> None:
        self.topology.add_node(self.node.copy())

    def undo(self) -> None:
        self.topology.remove_node(self.node.id)


class AddEdgeCommand(QUndoCommand):
    def __init__(self, topology: Topology, edge: Edge, parent: QUndoCommand | None = None):
        super().__init__(f"Connect {edge.source} → {edge.target}", parent)
        self.topology = topology
        self.edge = edge

    def redo(self) -> None:
        self.topology.add_edge(self.edge)

    def undo(self) -> None:
        self.topology.remove_edge(self.edge)


class RemoveEdgeCommand(QUndoCommand):
    def __init__(self, topology: Topology, edge: Edge, parent: QUndoCommand | None = None):
        super().__init__(f"Disconnect {edge.source} → {edge.target}", parent)
        self.topology = topology
        self.edge = edge

    def redo(self) -> None:
        self.topology.remove_edge(self.edge)

    def undo(self) -> None:
        self.topology.add_edge(self.edge)


class _RemoveNodeCommand(QUndoCommand):
    def __init__(self, topology: Topology, node_id: str, parent: QUndoCommand | None = None):
        super().__init__(f"Remove {node_id}", parent)
        self.topology = topology
        self.node = topology.node(node_id).copy()

    def redo(self) -> None:
        self.topology.remove_node(self.node.id)

    def undo(self) -> None:
        self.topology.add_node(self.node.copy())


class _CompositeCommand(QUndoCommand):
    """Runs its children in order on redo and in reverse on undo."""

    def __init__(self, text: str):
        super().__init__(text)
        self.parts: list[QUndoCommand] = []

    def redo(self) -> None:
        for part in self.parts:
            part.redo()

    def undo(self) -> None:
        for part in reversed(self.parts):
            part.undo()


class RerouteEdgeCommand(_CompositeCommand):
    """Move an edge's end to another input: remove it and add the new edge, one step."""

    def __init__(self, topology: Topology, old: Edge, new: Edge):
        super().__init__(f"Reconnect {new.source} → {new.target}")
        self.parts = [RemoveEdgeCommand(topology, old), AddEdgeCommand(topology, new)]


class RemoveCommand(_CompositeCommand):
    """Delete a selection: the edges first (as child commands), then the nodes."""

    def __init__(self, topology: Topology, node_ids: list[str], edges: list[Edge] = ()):
        n, e = len(node_ids), len(edges)
        what = (
            node_ids[0] if n == 1 else (f"{n} nodes" if n else f"{e} edge{'s' if e != 1 else ''}")
        )
        super().__init__(f"Delete {what}")
        doomed = set(node_ids)
        seen = set()
        for edge in list(edges) + [
            x for x in topology.edges if x.source in doomed or x.target in doomed
        ]:
            if edge not in seen and edge in topology.edges:
                seen.add(edge)
                self.parts.append(RemoveEdgeCommand(topology, edge))
        for node_id in node_ids:
            self.parts.append(_RemoveNodeCommand(topology, node_id))


class MoveNodesCommand(QUndoCommand):
    def __init__(
        self,
        topology: Topology,
        moves: dict[str, tuple[tuple[float, float], tuple[float, float]]],
        text: str | None = None,
    ):
        n = len(moves)
        super().__init__(text or (f"Move {next(iter(moves))}" if n == 1 else f"Move {n} nodes"))
        self.topology = topology
        self.moves = dict(moves)

    def _apply(self, which: int) -> None:
        for node_id, pair in self.moves.items():
            if pair[which] is not None and node_id in self.topology.nodes:
                self.topology.move_node(node_id, pair[which])

    def redo(self) -> None:
        self._apply(1)

    def undo(self) -> None:
        self._apply(0)


class SetParamsCommand(QUndoCommand):
    """Replace a node's params. When output ports disappear (a branch renamed or removed),
    edges from a renamed port follow it and edges from a removed port are removed, in
    the same undo step. Consecutive edits of one field (typing) merge into one step."""

    def __init__(
        self,
        topology: Topology,
        node_id: str,
        new_params: dict,
        merge_key=None,
        text: str | None = None,
    ):
        super().__init__(text or f"Edit {node_id}")
        self.topology = topology
        self.node_id = node_id
        self.old = copy.deepcopy(topology.node(node_id).params)
        self.new = copy.deepcopy(new_params)
        self.merge_key = merge_key
        self.removed, self.added = self._rewire(self.old, self.new)

    def _rewire(self, old: dict, new: dict) -> tuple[list[Edge], list[Edge]]:
        spec = NODE_TYPES.get(self.topology.node(self.node_id).type)
        if spec is None or spec.dynamic_outputs is None:
            return [], []
        before, after = spec.output_ports(old), spec.output_ports(new)
        renames = _branch_renames(old, new)
        removed, added = [], []
        for edge in self.topology.outgoing(self.node_id):
            if edge.source_port in before and edge.source_port not in after:
                removed.append(edge)
                port = renames.get(edge.source_port)
                if port is not None and port in after:
                    moved = Edge(edge.source, edge.target, port, edge.target_port)
                    if moved not in self.topology.edges and moved not in added:
                        added.append(moved)
        return removed, added

    def id(self) -> int:
        return SET_PARAMS_ID if self.merge_key is not None else -1

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, SetParamsCommand) or other.node_id != self.node_id:
            return False
        if (
            other.merge_key != self.merge_key
            or self.removed
            or self.added
            or other.removed
            or other.added
        ):
            return False
        self.new = other.new
        return True

    def redo(self) -> None:
        for edge in self.removed:
            self.topology.remove_edge(edge)
        self.topology.set_params(self.node_id, self.new)
        for edge in self.added:
            self.topology.add_edge(edge)

    def undo(self) -> None:
        for edge in self.added:
            self.topology.remove_edge(edge)
        self.topology.set_params(self.node_id, self.old)
        for edge in self.removed:
            self.topology.add_edge(edge)


def _branch_renames(old: dict, new: dict) -> dict[str, str]:
    """Branch ports renamed in place: same position in the list, new name."""
    olds = [b.get("name") for b in old.get("branches") or () if isinstance(b, dict)]
    news = [b.get("name") for b in new.get("branches") or () if isinstance(b, dict)]
    if len(olds) != len(news):
        return {}
    return {
        a: b for a, b in zip(olds, news) if a != b and isinstance(a, str) and isinstance(b, str)
    }


class RenameNodeCommand(QUndoCommand):
    def __init__(self, topology: Topology, old: str, new: str):
        super().__init__(f"Rename {old} to {new}")
        self.topology = topology
        self.old, self.new = old, new

    def redo(self) -> None:
        self.topology.rename_node(self.old, self.new)

    def undo(self) -> None:
        self.topology.rename_node(self.new, self.old)


class PasteCommand(_CompositeCommand):
    """Add several nodes and the edges between them (paste, duplicate)."""

    def __init__(
        self, topology: Topology, nodes: list[Node], edges: list[Edge], text: str = "Paste"
    ):
        super().__init__(
            f"{text} {nodes[0].id}" if len(nodes) == 1 else f"{text} {len(nodes)} nodes"
        )
        self.parts = [AddNodeCommand(topology, node) for node in nodes]
        self.parts += [AddEdgeCommand(topology, edge) for edge in edges]
        self.node_ids = [n.id for n in nodes]


class SetSettingsCommand(QUndoCommand):
    def __init__(self, topology: Topology, settings: dict, merge_key=None):
        super().__init__("Edit settings")
        self.topology = topology
        self.old = copy.deepcopy(topology.settings)
        self.new = copy.deepcopy(settings)
        self.merge_key = merge_key

    def id(self) -> int:
        return SET_SETTINGS_ID if self.merge_key is not None else -1

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, SetSettingsCommand) or other.merge_key != self.merge_key:
            return False
        self.new = other.new
        return True

    def redo(self) -> None:
        self.topology.set_settings(self.new)

    def undo(self) -> None:
        self.topology.set_settings(self.old)


class RenameTopologyCommand(QUndoCommand):
    def __init__(self, topology: Topology, name: str):
        super().__init__(f"Rename topology to {name}")
        self.topology = topology
        self.old, self.new = topology.name, name

    def redo(self) -> None:
        self.topology.set_name(self.new)

    def undo(self) -> None:
        self.topology.set_name(self.old)
