"""Copy and paste of nodes with the edges between them (Qt-free).

A fragment is a dict in the topology file's shape (``nodes``, ``edges``), so text
copied from the app pastes into a topology file and back.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

from engine.model.topology import Edge, Node, Topology

MIME_TYPE = "application/x-topology-studio-fragment"


def fragment(topology: Topology, node_ids) -> dict:
    ids = [nid for nid in topology.nodes if nid in set(node_ids)]
    nodes = []
    for nid in ids:
        node = topology.nodes[nid]
        entry: dict[str, Any] = {"id": nid, "type": node.type, "params": copy.deepcopy(node.params)}
        if node.position is not None:
            entry["position"] = list(node.position)
        nodes.append(entry)
    chosen = set(ids)
    edges = [
        {"from": e.source, "to": e.target, "from_port": e.source_port, "to_port": e.target_port}
        for e in topology.edges
        if e.source in chosen and e.target in chosen
    ]
    return {"nodes": nodes, "edges": edges}


def dumps(frag: dict) -> str:
    return json.dumps(frag, indent=2)


def loads(text: str) -> dict | None:
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, TypeError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("nodes"), list):
        return None
    return data


def instantiate(
    topology: Topology,
    frag: dict,
    offset: tuple[float, float] = (30.0, 30.0),
    at: tuple[float, float] | None = None,
) -> tuple[list[Node], list[Edge]]:
    """New nodes (with ids unique in ``topology``) and edges for pasting ``frag``.

    With ``at``, the fragment's top-left lands there; otherwise it is shifted by ``offset``.
    """
    raw_nodes = [
        n for n in frag.get("nodes", []) if isinstance(n, dict) and isinstance(n.get("id"), str)
    ]
    positions = [n.get("position") for n in raw_nodes if _is_point(n.get("position"))]
    if at is not None and positions:
        left = min(p[0] for p in positions)
        top = min(p[1] for p in positions)
        dx, dy = at[0] - left, at[1] - top
    else:
        dx, dy = offset
    taken = set(topology.nodes)
    renames: dict[str, str] = {}
    nodes: list[Node] = []
    for raw in raw_nodes:
        new_id = _unique(raw["id"], taken)
        taken.add(new_id)
        renames[raw["id"]] = new_id
        pos = raw.get("position")
        position = (
            (float(pos[0]) + dx, float(pos[1]) + dy)
            if _is_point(pos)
            else (at if at is not None else None)
        )
        params = raw.get("params") if isinstance(raw.get("params"), dict) else {}
        nodes.append(Node(new_id, str(raw.get("type", "")), copy.deepcopy(params), position))
    edges = []
    for raw in frag.get("edges", []):
        if (
            not isinstance(raw, dict)
            or raw.get("from") not in renames
            or raw.get("to") not in renames
        ):
            continue
        edge = Edge(
            renames[raw["from"]],
            renames[raw["to"]],
            raw.get("from_port", "out"),
            raw.get("to_port", "in"),
        )
        if edge not in edges:
            edges.append(edge)
    return nodes, edges


def _is_point(p) -> bool:
    return (
        isinstance(p, (list, tuple)) and len(p) == 2 and all(isinstance(v, (int, float)) for v in p)
    )


def _unique(base: str, taken: set[str]) -> str:
    if base not in taken:
        return base
    stem = re.sub(r"_\d+$", "", base) or base
    probe = Topology()
    probe.nodes = dict.fromkeys(taken)  # unique_id only looks at the keys
    return probe.unique_id(stem)
