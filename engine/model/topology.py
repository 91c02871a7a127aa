"""The topology model: nodes, edges, settings, and the events the app observes.

Mutators are verbs (``add_node``); each emits a past-tense event (``node_added``)
after the change, so views mirror the model without keeping a copy of their own.
The model checks only what keeps it a graph (unique ids, edges between existing
nodes); everything else is validation's job, so a half-drawn topology can be held.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any

from engine.model.events import Event

NODE_ID_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]{0,63}\Z")


class ModelError(ValueError):
    """An edit that would break the graph (duplicate id, edge to a missing node...)."""


@dataclass
class Node:
    id: str
    type: str
    params: dict[str, Any] = field(default_factory=dict)
    position: tuple[float, float] | None = None

    def copy(self) -> Node:
        return Node(self.id, self.type, copy.deepcopy(self.params), self.position)


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    source_port: str = "out"
    target_port: str = "in"

    def renamed(self, old: str, new: str) -> Edge:
        return Edge(
            new if self.source == old else self.source,
            new if self.target == old else self.target,
            self.source_port,
            self.target_port,
        )


class Topology:
    """A named, acyclic graph of nodes; the same model for the canvas, the file and the builder."""

    def __init__(self, name: str = "untitled", settings: dict | None = None):
        self.name = name
        self.settings: dict[str, Any] = dict(settings or {})
        self.nodes: dict[str, Node] = {}
        self.edges: list[Edge] = []
        # The folder of the file it was read from: files its params name (a sink's schema)
        # are relative to it. None: the current folder.
        self.folder: str | None = None

        self.node_added = Event()  # (node)
        self.node_removed = Event()  # (node)
        self.node_renamed = Event()  # (old_id, new_id)
        self.node_moved = Event()  # (node_id, position)
        self.params_changed = Event()  # (node_id)
        self.edge_added = Event()  # (edge)
        self.edge_removed = Event()  # (edge)
        self.settings_changed = Event()  # ()
        self.name_changed = Event()  # (name)

    # -- queries -----------------------------------------------------------------

    def node(self, node_id: str) -> Node:
        try:
            return self.nodes[node_id]
        except KeyError:
            raise ModelError(f"there is no node '{node_id}'") from None

    def incoming(self, node_id: str) -> list[Edge]:
        return [e for e in self.edges if e.target == node_id]

    def outgoing(self, node_id: str) -> list[Edge]:
        return [e for e in self.edges if e.source == node_id]

    def unique_id(self, base: str) -> str:
        base = re.sub(r"[^A-Za-z0-9_\-]", "_", str(base)) or "node"
        if not re.match(r"[A-Za-z_]", base[0]):
            base = "n_" + base
        base = base[:56]  # room for a "_<n>" suffix within the 64 characters of an id
        if base not in self.nodes:
            return base
        i = 2
        while f"{base}_{i}" in self.nodes:
            i += 1
        return f"{base}_{i}"

    def copy(self) -> Topology:
        other = Topology(self.name, copy.deepcopy(self.settings))
        other.folder = self.folder
        other.nodes = {nid: n.copy() for nid, n in self.nodes.items()}
        other.edges = list(self.edges)
        return other

    def equivalent(self, other: Topology) -> bool:
        """Same name, settings, node ids, types, params and edges (positions aside)."""
        return (
            self.name == other.name
            and self.settings == other.settings
            and {k: (n.type, n.params) for k, n in self.nodes.items()}
            == {k: (n.type, n.params) for k, n in other.nodes.items()}
            and sorted(self.edges, key=_edge_key) == sorted(other.edges, key=_edge_key)
        )

    # -- mutators ----------------------------------------------------------------

    def set_name(self, name: str) -> None:
        self.name = name
        self.name_changed.emit(name)

    def set_settings(self, settings: dict) -> None:
        self.settings = dict(settings)
        self.settings_changed.emit()

    def add_node(self, node: Node) -> Node:
        _check_id(node.id)
        if node.id in self.nodes:
            raise ModelError(f"a node named '{node.id}' already exists")
        self.nodes[node.id] = node
        self.node_added.emit(node)
        return node

    def remove_node(self, node_id: str) -> Node:
        node = self.node(node_id)
        for edge in [e for e in self.edges if node_id in (e.source, e.target)]:
            self.remove_edge(edge)
        del self.nodes[node_id]
        self.node_removed.emit(node)
        return node

    def rename_node(self, old: str, new: str) -> None:
        if old == new:
            return
        node = self.node(old)
        _check_id(new)
        if new in self.nodes:
            raise ModelError(f"a node named '{new}' already exists")
        self.nodes = {(new if k == old else k): v for k, v in self.nodes.items()}
        node.id = new
        self.edges = [e.renamed(old, new) for e in self.edges]
        self.node_renamed.emit(old, new)

    def move_node(self, node_id: str, position: tuple[float, float]) -> None:
        node = self.node(node_id)
        node.position = (float(position[0]), float(position[1]))
        self.node_moved.emit(node_id, node.position)

    def set_params(self, node_id: str, params: dict) -> None:
        node = self.node(node_id)
        node.params = copy.deepcopy(params)
        self.params_changed.emit(node_id)

    def set_param(self, node_id: str, name: str, value: Any) -> None:
        params = copy.deepcopy(self.node(node_id).params)
        if value is None:
            params.pop(name, None)
        else:
            params[name] = value
        self.set_params(node_id, params)

    def add_edge(self, edge: Edge) -> Edge:
        for end in (edge.source, edge.target):
            if end not in self.nodes:
                raise ModelError(f"there is no node '{end}' to connect")
        if edge in self.edges:
            raise ModelError(f"'{edge.source}' is already connected to '{edge.target}' there")
        self.edges.append(edge)
        self.edge_added.emit(edge)
        return edge

    def remove_edge(self, edge: Edge) -> None:
        try:
            self.edges.remove(edge)
        except ValueError:
            raise ModelError(f"there is no edge from '{edge.source}' to '{edge.target}'") from None
        self.edge_removed.emit(edge)

    def connect(
        self, source: str, target: str, source_port: str = "out", target_port: str = "in"
    ) -> Edge:
        return self.add_edge(Edge(source, target, source_port, target_port))


def _check_id(node_id: Any) -> None:
    if not isinstance(node_id, str) or not NODE_ID_PATTERN.fullmatch(node_id):
        raise ModelError(
            f"{node_id!r} is not a valid node id: use up to 64 letters, digits, '_' and '-', "
            "starting with a letter or '_'"
        )


def _edge_key(e: Edge):
    return (e.source, e.source_port, e.target, e.target_port)
