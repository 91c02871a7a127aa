"""A node's ports and the rules for connecting them: the one place that knows which ports a
node has (its type's inputs, and outputs that may depend on its params) and which edges
may join them. Validation checks a whole topology with these rules; the app's canvas asks
them of one wire at a time (``connection_problem``), before the edge exists.

A node of an unknown type has no ports: validation reports the type, and the canvas draws
the edges a file gives it as ghost ports."""

from __future__ import annotations

from typing import Any

from engine.model.catalogue import NODE_TYPES, NodeType
from engine.model.topology import Edge, Node, Topology

Ports = tuple[str, ...]


def node_type(name: Any) -> NodeType | None:
    return NODE_TYPES.get(name) if isinstance(name, str) else None


def input_ports(node: Node) -> Ports:
    spec = node_type(node.type)
    return spec.inputs if spec else ()


def output_ports(node: Node) -> Ports:
    """The node's outputs for its params (a split's branches); its type's fixed outputs when
    the params are malformed, which validation reports on their own."""
    spec = node_type(node.type)
    if spec is None:
        return ()
    try:
        return tuple(spec.output_ports(node.params if isinstance(node.params, dict) else {}))
    except (TypeError, AttributeError, KeyError):
        return tuple(spec.outputs)


def node_ports(node: Node) -> tuple[Ports, Ports]:
    return input_ports(node), output_ports(node)


def takes_many_edges(node: Node) -> bool:
    """Whether one input port of the node takes several edges (a merge); any other input
    takes one, so streams are combined only where the topology says so."""
    spec = node_type(node.type)
    return bool(spec and spec.many_inputs)


def output_problem(topology: Topology, edge: Edge) -> str | None:
    """What is wrong with the edge at its source node (said of that node), or None."""
    source = topology.nodes[edge.source]
    if node_type(source.type) is None:
        return None  # the unknown type is the problem, reported apart
    ports = output_ports(source)
    if not ports:
        return f"is a sink and has no output, but an edge leads from it to '{edge.target}'"
    if edge.source_port not in ports:
        return f"has no output port '{edge.source_port}' (ports: {', '.join(ports)})"
    return None


def input_problem(topology: Topology, edge: Edge) -> str | None:
    """What is wrong with the edge at its target node (said of that node), or None."""
    target = topology.nodes[edge.target]
    if node_type(target.type) is None:
        return None
    ports = input_ports(target)
    if not ports:
        return f"is a source and takes no input, but an edge leads to it from '{edge.source}'"
    if edge.target_port not in ports:
        return f"has no input port '{edge.target_port}' (ports: {', '.join(ports)})"
    return None


def direction_problem(from_output: bool, to_output: bool) -> str | None:
    """A wire joins an output to an input, whichever end it was drawn from."""
    if from_output == to_output:
        side = "outputs" if from_output else "inputs"
        return f"two {side} cannot be connected: wire an output (right) to an input (left)"
    return None


def _path(topology: Topology, start: str, end: str) -> list[str] | None:
    import networkx as nx  # slow to import: only when a wire is checked

    graph: nx.DiGraph[str] = nx.DiGraph()
    graph.add_nodes_from(topology.nodes)
    graph.add_edges_from(
        (e.source, e.target)
        for e in topology.edges
        if e.source in topology.nodes and e.target in topology.nodes
    )
    if nx.has_path(graph, start, end):
        return nx.shortest_path(graph, start, end)
    return None


def connection_problem(topology: Topology, edge: Edge) -> str | None:
    """None when ``edge`` may be added to ``topology``, else a sentence saying why not."""
    if edge.source not in topology.nodes or edge.target not in topology.nodes:
        return "both ends must be nodes"
    if edge.source == edge.target:
        return "a node cannot feed itself"
    problem = output_problem(topology, edge)
    if problem:
        return f"'{edge.source}' {problem}"
    problem = input_problem(topology, edge)
    if problem:
        return f"'{edge.target}' {problem}"
    if edge in topology.edges:
        return f"'{edge.source}' is already connected there"
    path = _path(topology, edge.target, edge.source)
    if path:
        cycle = " → ".join([edge.source, *path])
        return f"it would make a cycle ({cycle}); a topology must be acyclic"
    if not takes_many_edges(topology.nodes[edge.target]):
        taken = [e for e in topology.incoming(edge.target) if e.target_port == edge.target_port]
        if taken:
            port = "input" if edge.target_port == "in" else f"'{edge.target_port}' input"
            return (
                f"the {port} of '{edge.target}' is already taken by '{taken[0].source}'; "
                "use a merge node to combine streams"
            )
    return None
