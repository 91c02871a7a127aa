"""Auto-layout of a topology, left to right, by layers (Qt-free).

Nodes are put in columns by the longest path from a source (networkx), ordered in
each column by the barycentre of their neighbours to reduce crossings, then placed
near the height of what feeds them. Connected components are stacked top to bottom.
"""

from __future__ import annotations

import networkx as nx

from engine.model.ports import node_ports
from engine.model.topology import Topology
from gui.canvas.geometry import NODE_WIDTH, node_height, port_y

COLUMN_GAP = 90.0
ROW_GAP = 36.0
COMPONENT_GAP = 70.0


def _acyclic(graph: nx.DiGraph) -> nx.DiGraph:
    dag = graph.copy()
    while True:
        try:
            cycle = nx.find_cycle(dag)
        except nx.NetworkXNoCycle:
            return dag
        dag.remove_edge(*cycle[-1][:2])


def auto_layout(
    topology: Topology, origin: tuple[float, float] = (0.0, 0.0)
) -> dict[str, tuple[float, float]]:
    """New positions (top-left corners) for every node of ``topology``."""
    ports = {nid: node_ports(node) for nid, node in topology.nodes.items()}
    heights = {nid: node_height(*ports[nid]) for nid in topology.nodes}

    def out_offset(edge_source: str, port: str) -> float:
        inputs, outputs = ports[edge_source]
        index = list(outputs).index(port) if port in outputs else 0
        return port_y(index, len(outputs), inputs, outputs)

    def in_offset(edge_target: str, port: str) -> float:
        inputs, outputs = ports[edge_target]
        index = list(inputs).index(port) if port in inputs else 0
        return port_y(index, len(inputs), inputs, outputs)

    graph = nx.DiGraph()
    graph.add_nodes_from(topology.nodes)
    links: list[tuple[str, str, str, str]] = []
    for e in topology.edges:
        if e.source in topology.nodes and e.target in topology.nodes and e.source != e.target:
            graph.add_edge(e.source, e.target)
            links.append((e.source, e.source_port, e.target, e.target_port))
    dag = _acyclic(graph)

    positions: dict[str, tuple[float, float]] = {}
    top = origin[1]
    order_in_file = {nid: i for i, nid in enumerate(topology.nodes)}
    components = sorted(
        nx.weakly_connected_components(dag), key=lambda c: min(order_in_file[n] for n in c)
    )
    for component in components:
        sub = dag.subgraph(component)
        layer: dict[str, int] = {}
        for nid in nx.topological_sort(sub):
            preds = list(sub.predecessors(nid))
            layer[nid] = max((layer[p] + 1 for p in preds), default=0)
        # Pull sources right, next to what they feed, so they do not trail long edges.
        for nid in sorted(layer, key=lambda n: -layer[n]):
            succs = list(sub.successors(nid))
            if not list(sub.predecessors(nid)) and succs:
                layer[nid] = max(layer[nid], min(layer[s] for s in succs) - 1)
        columns: list[list[str]] = [[] for _ in range(max(layer.values()) + 1)]
        for nid in sorted(component, key=order_in_file.get):
            columns[layer[nid]].append(nid)

        # Barycentre ordering, a few sweeps down and up.
        rank = {nid: float(i) for col in columns for i, nid in enumerate(col)}
        port_rank = {}
        for s, sp, t, tp in links:
            if s in component:
                outs = ports[s][1]
                port_rank[(s, t)] = (list(outs).index(sp) if sp in outs else 0) / max(len(outs), 1)
        for _sweep in range(4):
            for col in columns[1:]:
                _sort_by(
                    col,
                    rank,
                    lambda n, sub=sub, rank=rank, port_rank=port_rank: [
                        rank[p] + port_rank.get((p, n), 0) * 0.5 for p in sub.predecessors(n)
                    ],
                )
            for col in reversed(columns[:-1]):
                _sort_by(
                    col, rank, lambda n, sub=sub, rank=rank: [rank[s] for s in sub.successors(n)]
                )

        # Place: the first column stacked, later columns near their inputs.
        ys: dict[str, float] = {}
        for ci, col in enumerate(columns):
            wanted = []
            for nid in col:
                feeds = [(p, sp, tp) for p, sp, t, tp in links if t == nid and p in ys]
                if feeds:
                    centre = sum(
                        ys[p] + out_offset(p, sp) - in_offset(nid, tp) for p, sp, tp in feeds
                    )
                    wanted.append(centre / len(feeds))
                else:
                    wanted.append(None)
            _place_column(col, wanted, heights, ys, top)
        # Sources placed late sit level with what they feed.
        for col in columns:
            for nid in col:
                if not list(sub.predecessors(nid)):
                    succs = [(s, sp, tp) for p, sp, s, tp in links if p == nid]
                    if succs and len(col) == 1:
                        s, sp, tp = succs[0]
                        ys[nid] = ys[s] + in_offset(s, tp) - out_offset(nid, sp)
        low = min(ys.values())
        shift = top - low
        bottom = top
        for ci, col in enumerate(columns):
            for nid in col:
                y = ys[nid] + shift
                positions[nid] = (
                    float(round(origin[0] + ci * (NODE_WIDTH + COLUMN_GAP))),
                    float(round(y)),
                )
                bottom = max(bottom, y + heights[nid])
        top = bottom + COMPONENT_GAP
    return positions


def _sort_by(col: list[str], rank: dict[str, float], neighbours) -> None:
    def key(nid):
        values = neighbours(nid)
        return (sum(values) / len(values)) if values else rank[nid]

    col.sort(key=key)
    for i, nid in enumerate(col):
        rank[nid] = float(i)


def _place_column(col, wanted, heights, ys, top) -> None:
    """Stack ``col`` in order, each node as near its wanted y as the ones above allow,
    then shift runs of nodes up to balance what was pushed down."""
    cursor = top
    placed = []
    for nid, want in zip(col, wanted):
        y = cursor if want is None else max(want, cursor)
        placed.append([nid, y, want])
        cursor = y + heights[nid] + ROW_GAP
    # Balance: move the whole column up by the mean push (never above the one before).
    pushes = [y - w for _, y, w in placed if w is not None]
    if pushes:
        shift = sum(pushes) / len(pushes)
        if shift > 0:
            for entry in placed:
                entry[1] -= shift
    for nid, y, _ in placed:
        ys[nid] = y
