"""Which connections the canvas accepts, and why it refuses the others (Qt-free)."""

from __future__ import annotations

import networkx as nx

from engine.model.catalogue import NODE_TYPES
from engine.model.topology import Edge, Topology


def input_ports(topology: Topology, node_id: str) -> tuple[str, ...]:
    spec = NODE_TYPES.get(topology.node(node_id).type)
    return spec.inputs if spec else ("in",)


def output_ports(topology: Topology, node_id: str) -> tuple[str, ...]:
    node = topology.node(node_id)
    spec = NODE_TYPES.get(node.type)
    if spec is None:
        return ("out",)
    return spec.output_ports(node.params if isinstance(node.params, dict) else {})


def connection_problem(topology: Topology, edge: Edge) -> str | None:
    """None when ``edge`` may be added, else a sentence saying why not."""
    if edge.source not in topology.nodes or edge.target not in topology.nodes:
        return "both ends must be nodes"
    if edge.source == edge.target:
        return "a node cannot feed itself"
    if edge.source_port not in output_ports(topology, edge.source):
        return f"'{edge.source}' has no output '{edge.source_port}'"
    if edge.target_port not in input_ports(topology, edge.target):
        return f"'{edge.target}' has no input '{edge.target_port}'"
    if edge in topology.edges:
        return f"'{edge.source}' is already connected there"
    graph = nx.DiGraph()
    graph.add_nodes_from(topology.nodes)
    graph.add_edges_from(
        (e.source, e.target)
        for e in topology.edges
        if e.source in topology.nodes and e.target in topology.nodes
    )
    if nx.has_path(graph, edge.target, edge.source):
        path = nx.shortest_path(graph, edge.target, edge.source)
        return f"it would make a cycle ({' → '.join([edge.source, *path])}); a topology must be acyclic"
    target_type = NODE_TYPES.get(topology.node(edge.target).type)
    if not (target_type and target_type.many_inputs):
        taken = [e for e in topology.incoming(edge.target) if e.target_port == edge.target_port]
        if taken:
            port = "input" if edge.target_port == "in" else f"'{edge.target_port}' input"
            return (
                f"the {port} of '{edge.target}' is already taken by '{taken[0].source}'; "
                "use a merge node to combine streams"
            )
    return None


def direction_problem(from_output: bool, to_output: bool) -> str | None:
    if from_output == to_output:
        side = "outputs" if from_output else "inputs"
        return f"two {side} cannot be connected: wire an output (right) to an input (left)"
    return None
