"""The internal topics of an application: their names, and which nodes have them.

The one place that names them (reference §7.2): the compiler creates and reads them, the
Kafka run's state manager and changelog reader write and restore them, and the diff
(``engine.model.state_verdicts``) tells which of them a change renames. Like Kafka Streams,
an aggregate reads through ``<app>-<node>-repartition`` when it has a ``group_by`` or its
input's key was changed upstream (by a ``rekey``), a ``to_table`` when its input's key was
changed, and a join or table_join reads both inputs through
``<app>-<node>-<port>-repartition`` when either input's key was changed; every stateful
node keeps its state in the compacted ``<app>-<node>-changelog``. A ``table_aggregate`` always
reads through its repartition topic (records carrying the old and new row, as Kafka Streams'
KTableRepartitionMap writes them) and also keeps its input rows, before that topic, in
``<app>-<node>.rows-changelog``.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.model.catalogue import NODE_TYPES
from engine.model.graph_order import topological_order
from engine.model.topology import Edge, Topology

SOURCE_TYPES = ("kafka_source", "generator_source", "table_source")


@dataclass(frozen=True)
class InternalTopic:
    name: str
    kind: str  # "repartition" or "changelog"
    node_id: str
    partitions_like: tuple[str, ...] = ()  # changelogs: as many partitions as these topics


def repartition_topic(app_id: str, node_id: str, port: str | None = None) -> str:
    return f"{app_id}-{node_id}-{port}-repartition" if port else f"{app_id}-{node_id}-repartition"


def changelog_topic(app_id: str, node_id: str) -> str:
    return f"{app_id}-{node_id}-changelog"


def rows_store(node_id: str) -> str:
    """The store of a ``table_aggregate``'s input rows (before its repartition topic): its
    changelog is ``<app>-<node>.rows-changelog`` (node ids have no dots, so no node's)."""
    return f"{node_id}.rows"


def incoming_edges(topology: Topology) -> dict[str, list[Edge]]:
    """{node: the edges into it}, in edge order: ``Topology.incoming`` for every node at
    the cost of one pass over the edges."""
    into: dict[str, list[Edge]] = {node_id: [] for node_id in topology.nodes}
    for edge in topology.edges:
        into.setdefault(edge.target, []).append(edge)
    return into


def key_changes(
    topology: Topology, order: list[str], into: dict[str, list[Edge]] | None = None
) -> dict[str, bool]:
    """For each node (in ``order``, a topological order): whether the records leaving it
    carry a key changed since the last partitioning point (a source, aggregate or join)."""
    into = incoming_edges(topology) if into is None else into
    changed: dict[str, bool] = {}
    for node_id in order:
        node = topology.nodes[node_id]
        if node.type in SOURCE_TYPES or node.type in (
            "aggregate",
            "join",
            "to_table",
            "table_join",
            "table_aggregate",
        ):
            changed[node_id] = False
        elif node.type == "rekey":
            changed[node_id] = True
        else:
            changed[node_id] = any(changed[e.source] for e in into[node_id])
    return changed


def repartitions(topology: Topology, app_id: str, order: list[str]) -> dict[tuple[str, str], str]:
    """Where records must go through a repartition topic: (node, input port) -> topic."""
    into = incoming_edges(topology)
    changed = key_changes(topology, order, into)
    out: dict[tuple[str, str], str] = {}
    for node_id in order:
        node = topology.nodes[node_id]
        if node.type == "aggregate":
            if node.params.get("group_by") or any(changed[e.source] for e in into[node_id]):
                out[(node_id, "in")] = repartition_topic(app_id, node_id)
        elif node.type == "table_aggregate":
            out[(node_id, "in")] = repartition_topic(app_id, node_id)
        elif node.type == "to_table":
            if any(changed[e.source] for e in into[node_id]):
                out[(node_id, "in")] = repartition_topic(app_id, node_id)
        elif node.type in ("join", "table_join"):
            incoming = into[node_id]
            # Both sides must hash the same key bytes to the same partition: when one side
            # goes through a repartition topic (keys as JSON), so does the other.
            if any(changed[e.source] for e in incoming):
                for e in incoming:
                    out[(node_id, e.target_port)] = repartition_topic(
                        app_id, node_id, e.target_port
                    )
    return out


def internal_topics_by_node(topology: Topology, app_id: str | None = None) -> dict[str, list[str]]:
    """{stateful node: its internal topics, repartition topics first, then its changelog}.
    A topology with a cycle or an unknown node type has none (it cannot run)."""
    app_id = app_id or topology.name
    if any(n.type not in NODE_TYPES for n in topology.nodes.values()):
        return {}
    order = topological_order(topology.nodes, ((e.source, e.target) for e in topology.edges))
    if order is None:
        return {}
    topics: dict[str, list[str]] = {}
    for (node_id, _port), topic in sorted(repartitions(topology, app_id, order).items()):
        topics.setdefault(node_id, []).append(topic)
    for node_id in order:
        if topology.nodes[node_id].type == "table_aggregate":
            topics.setdefault(node_id, []).append(changelog_topic(app_id, rows_store(node_id)))
        if NODE_TYPES[topology.nodes[node_id].type].stateful:
            topics.setdefault(node_id, []).append(changelog_topic(app_id, node_id))
    return topics
