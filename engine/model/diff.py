"""The difference between two versions of a topology (reference §7.5, §9.10).

``diff_topologies(old, new)`` lists nodes added, removed, renamed and changed (param by
param), edges added and removed, settings changed and the name, and asks
``engine.model.state_verdicts`` whether each stateful node's state survives. Positions are
not logic: a moved node is no change. A param left out and a param set to its default are
the same. A node whose id changes while its type and params stay is *renamed* (its edges
follow it), not removed and added: a rename is what throws its state away.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine.model.catalogue import NODE_TYPES, SETTINGS
from engine.model.state_verdicts import StateVerdict, Verdict, state_verdicts
from engine.model.topology import Edge, Node, Topology

__all__ = ["StateVerdict", "TopologyDiff", "Verdict", "diff_topologies", "edge_json"]


@dataclass
class TopologyDiff:
    old: Topology
    new: Topology
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    renamed: dict[str, str] = field(default_factory=dict)  # old id -> new id
    changed: dict[str, dict[str, tuple[Any, Any]]] = field(default_factory=dict)  # by new id
    edges_added: list[Edge] = field(default_factory=list)
    edges_removed: list[Edge] = field(default_factory=list)
    settings: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    name: tuple[str, str] | None = None
    state: dict[str, StateVerdict] = field(default_factory=dict)

    @property
    def has_changes(self) -> bool:
        return bool(
            self.added
            or self.removed
            or self.renamed
            or self.changed
            or self.edges_added
            or self.edges_removed
            or self.settings
            or self.name
        )

    @property
    def endangered(self) -> list[StateVerdict]:
        """The verdicts that lose or break state (reset, incompatible)."""
        return [v for v in self.state.values() if v.verdict is not Verdict.KEPT]

    def to_json(self) -> dict:
        """The ``--json`` object of ``topology-studio diff`` (reference §9.10)."""
        return {
            "name": list(self.name) if self.name else None,
            "nodes": {
                "added": self.added,
                "removed": self.removed,
                "renamed": self.renamed,
                "changed": {
                    nid: {p: [old, new] for p, (old, new) in params.items()}
                    for nid, params in self.changed.items()
                },
            },
            "edges": {
                "added": [edge_json(e) for e in self.edges_added],
                "removed": [edge_json(e) for e in self.edges_removed],
            },
            "settings": {k: [old, new] for k, (old, new) in self.settings.items()},
            "state": {
                nid: {"verdict": str(v.verdict), "reason": v.reason, "topics": v.topics}
                for nid, v in self.state.items()
            },
        }


def edge_json(edge: Edge) -> dict:
    """An edge as the file writes it (ports only when not the default)."""
    out = {"from": edge.source, "to": edge.target}
    if edge.source_port != "out":
        out["from_port"] = edge.source_port
    if edge.target_port != "in":
        out["to_port"] = edge.target_port
    return out


def effective_params(node: Node) -> dict[str, Any]:
    """The node's params with every catalogue default filled in."""
    spec = NODE_TYPES.get(node.type)
    out = {p.name: p.default for p in spec.params if p.default is not None} if spec else {}
    out.update(node.params)
    return out


def param_changes(old: Node, new: Node) -> dict[str, tuple[Any, Any]]:
    """{param: (old, new)} of the params whose effective values differ; ``type`` when the
    node's type changes."""
    changes: dict[str, tuple[Any, Any]] = {}
    if old.type != new.type:
        changes["type"] = (old.type, new.type)
    a, b = effective_params(old), effective_params(new)
    for name in sorted(set(a) | set(b)):
        if a.get(name) != b.get(name):
            changes[name] = (old.params.get(name), new.params.get(name))
    return changes


def diff_topologies(old: Topology, new: Topology) -> TopologyDiff:
    result = TopologyDiff(old, new)
    if old.name != new.name:
        result.name = (old.name, new.name)
    gone = [nid for nid in old.nodes if nid not in new.nodes]
    came = [nid for nid in new.nodes if nid not in old.nodes]
    result.renamed = _renames(old, new, gone, came)
    result.removed = [nid for nid in gone if nid not in result.renamed]
    result.added = [nid for nid in came if nid not in result.renamed.values()]
    for nid, node in new.nodes.items():
        if nid in old.nodes:
            changes = param_changes(old.nodes[nid], node)
            if changes:
                result.changed[nid] = changes

    to_new = result.renamed
    mapped = {
        Edge(
            to_new.get(e.source, e.source),
            to_new.get(e.target, e.target),
            e.source_port,
            e.target_port,
        )
        for e in old.edges
    }
    current = set(new.edges)
    result.edges_added = [e for e in new.edges if e not in mapped]
    result.edges_removed = sorted(mapped - current, key=_edge_order)

    defaults = {k: s.default for k, s in SETTINGS.items()}
    for key in sorted(set(old.settings) | set(new.settings)):
        a = old.settings.get(key, defaults.get(key))
        b = new.settings.get(key, defaults.get(key))
        if a != b:
            result.settings[key] = (old.settings.get(key), new.settings.get(key))

    result.state = state_verdicts(old, new, result.renamed)
    return result


def _renames(old: Topology, new: Topology, gone: list[str], came: list[str]) -> dict[str, str]:
    """Removed nodes that come back under another id, with the same type and params; among
    several candidates, the one with the most neighbours in common."""
    renames: dict[str, str] = {}
    free = list(came)
    if not free:
        return renames
    near = {"old": _neighbour_index(old), "new": _neighbour_index(new)}
    for oid in gone:
        o = old.nodes[oid]
        candidates = [
            nid
            for nid in free
            if new.nodes[nid].type == o.type and not param_changes(o, new.nodes[nid])
        ]
        if not candidates:
            continue
        near_old = near["old"].get(oid, set())
        best = max(candidates, key=lambda nid: len(near_old & near["new"].get(nid, set())))
        renames[oid] = best
        free.remove(best)
    return renames


def _neighbour_index(topology: Topology) -> dict[str, set[tuple[str, str, str]]]:
    """{node: its neighbours, as (direction, the other node, the port)}."""
    out: dict[str, set[tuple[str, str, str]]] = {}
    for e in topology.edges:
        out.setdefault(e.target, set()).add(("in", e.source, e.target_port))
        out.setdefault(e.source, set()).add(("out", e.target, e.source_port))
    return out


def _edge_order(e: Edge) -> tuple[str, str, str, str]:
    return (e.source, e.source_port, e.target, e.target_port)
