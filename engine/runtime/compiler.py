"""The compiler: a validated topology becomes closures, composed once.

Executors are built from the sinks back to the sources, each operator's
``get_executor(node, ctx, children)`` receiving the executors of its children, so
the per-record path has no dispatch on node type. Like Kafka Streams, the graph is
split into sub-topologies at repartition topics: grouping by anything but the
current key (or by a key changed upstream) writes to ``<app>-<node>-repartition``
and the stateful node reads from there, so all records of a key meet in one
partition, on one instance. Which internal topics there are, and their names, is
``engine.model.internal_topics``, shared with the diff of two versions.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from engine.model.bounds import SAFE_STEPS, value_bounds
from engine.model.catalogue import NODE_TYPES
from engine.model.graph_order import topological_order
from engine.model.internal_topics import (
    SOURCE_TYPES,
    InternalTopic,
    changelog_topic,
    rows_store,
)
from engine.model.internal_topics import repartitions as plan_repartitions
from engine.model.topology import Node, Topology
from engine.runtime.context import RunContext
from engine.runtime.fusion import FUSABLE, fuse
from engine.runtime.operators.base import (
    Record,
    fanout,
    parts_of,
)
from engine.runtime.operators.chain import Sampler
from engine.runtime.repartition.topic import repartition_reader, repartition_writer


@dataclass
class CompiledTopology:
    topology: Topology
    application_id: str
    entries: dict[str, Callable[[Any], None]]  # topic -> executor taking a Kafka message
    source_starts: dict[str, str]  # user source topic -> earliest | latest
    generators: list[Node]
    internal_topics: list[InternalTopic]
    output_topics: set[str]
    store_topics: dict[str, set[str]] = field(default_factory=dict)  # stateful node -> input topics

    @property
    def topics(self) -> list[str]:
        return list(self.entries)


def operator(type_name: str):
    return importlib.import_module(f"engine.runtime.operators.{type_name}")


class Preview(Protocol):
    """The app's data preview (``engine.runtime.kafka.samples.Samples``): ``ring(node_id)``
    is where samples of the records leaving that node (entering it, for sinks) go, the same
    for every call; ``sampler()`` a new countdown that picks which records are sampled."""

    def ring(self, node_id: str) -> Callable[[Record], None]: ...

    def sampler(self) -> Sampler: ...


def compile_topology(
    topology: Topology,
    ctx: RunContext,
    application_id: str | None = None,
    preview: Preview | None = None,
    trace=None,
) -> CompiledTopology:
    """Compose the executors. ``preview``, when given, samples every Nth record leaving each
    node (entering it, for sinks): the app's data preview; chains are fused all the same.
    ``trace``, when given, wraps each node's outputs and inputs for record lineage:
    ``trace.output(node_id, port, children)`` and ``trace.input(node_id, port, executor)``
    return executors that call the ones they wrap (engine.runtime.testing.trace); then no
    chain is fused, so the trace sees every node's records."""
    app_id = application_id or topology.name
    order = topological_order(topology.nodes, ((e.source, e.target) for e in topology.edges))
    if order is None:
        raise ValueError("the topology has a cycle")

    # Where records must go through a repartition topic: (node, input port) -> topic.
    repartitions = plan_repartitions(topology, app_id, order)

    bounds: dict[str, int] = {}  # value_bounds, computed when a repartition needs them
    entries: dict[str, list[Callable]] = {}
    source_starts: dict[str, str] = {}
    generators: list[Node] = []
    internal: list[InternalTopic] = []
    outputs: set[str] = set()
    inputs_of: dict[str, dict[str, Callable]] = {}  # node -> input port -> executor
    # Chains of stateless nodes become one function (engine.runtime.fusion), unless a
    # trace must see the records between them: node -> (its chain, what follows).
    chains: dict[str, tuple[list[Node], Callable]] | None = {} if trace is None else None

    for node_id in reversed(order):
        node = topology.nodes[node_id]
        ntype = NODE_TYPES[node.type]
        children: dict[str, list[Callable]] = {}
        for e in topology.outgoing(node_id):
            topic = repartitions.get((e.target, e.target_port))
            if topic is not None:
                target = topology.nodes[e.target]
                group_by = target.params.get("group_by") if target.type == "aggregate" else None
                # An aggregate may be handed its records in-process (engine.runtime.repartition).
                local = (
                    inputs_of[e.target][e.target_port]
                    if target.type == "aggregate" and ctx.handoff is not None
                    else None
                )
                child = repartition_writer(
                    ctx,
                    target.id,
                    topic,
                    group_by,
                    _huge(topology, bounds, e.source, target.id),
                    local,
                )
                if target.type == "table_aggregate":  # old and new rows, keyed by their group
                    child = operator("table_aggregate").regroup(target, ctx, child)
            else:
                child = inputs_of[e.target][e.target_port]
            children.setdefault(e.source_port, []).append(child)

        fused = chains is not None and node.type in FUSABLE
        if preview is not None and ntype.outputs and not fused:  # a chain samples inside
            _sample_outputs(topology, node, ntype.output_ports(node.params), children, preview)
        if trace is not None:
            for port in ntype.output_ports(node.params):
                children[port] = [trace.output(node_id, port, fanout(children.get(port, [])))]
        executor: Any  # an executor, or (joins) a dict of one per input port
        if fused:
            executor = _fused(topology, node, ctx, children, repartitions, chains, preview)
        else:
            executor = operator(node.type).get_executor(node, ctx, children)
        if preview is not None and not ntype.outputs:
            executor = _sampling(executor, preview.ring(node_id), preview.sampler())
        if node.type in SOURCE_TYPES:
            topic = node.params["topic"]
            entries.setdefault(topic, []).append(executor)
            source_starts[topic] = node.params.get("start", "earliest")
            if node.type == "generator_source":
                generators.append(node)
        elif node.type == "kafka_sink":
            outputs.add(node.params["topic"])
        if isinstance(executor, dict):
            inputs_of[node_id] = executor
        elif ntype.inputs:
            inputs_of[node_id] = {port: executor for port in ntype.inputs}
        if trace is not None and node_id in inputs_of:
            inputs_of[node_id] = {
                port: trace.input(node_id, port, ex) for port, ex in inputs_of[node_id].items()
            }

        for port in ntype.inputs:
            topic = repartitions.get((node_id, port))
            if topic is not None:
                internal.append(InternalTopic(topic, "repartition", node_id))
                entries.setdefault(topic, []).append(repartition_reader(inputs_of[node_id][port]))

    store_topics: dict[str, set[str]] = {}
    for node_id in order:
        node = topology.nodes[node_id]
        if NODE_TYPES[node.type].stateful:
            topics = {node.params["topic"]} if node.type in SOURCE_TYPES else set()
            for e in topology.incoming(node_id):
                topic = repartitions.get((node_id, e.target_port))
                topics |= {topic} if topic else _upstream_topics(topology, e.source, repartitions)
            store_topics[node_id] = topics
            if node.type == "table_aggregate":  # its input rows, before the repartition topic
                upstream = set()
                for e in topology.incoming(node_id):
                    upstream |= _upstream_topics(topology, e.source, repartitions)
                store_topics[rows_store(node_id)] = upstream
                internal.append(
                    InternalTopic(
                        changelog_topic(app_id, rows_store(node_id)),
                        "changelog",
                        node_id,
                        tuple(sorted(upstream)),
                    )
                )
            internal.append(
                InternalTopic(
                    changelog_topic(app_id, node_id), "changelog", node_id, tuple(sorted(topics))
                )
            )

    return CompiledTopology(
        topology=topology,
        application_id=app_id,
        entries={topic: fanout(execs) for topic, execs in entries.items()},
        source_starts=source_starts,
        generators=generators,
        internal_topics=internal,
        output_topics=outputs,
        store_topics=store_topics,
    )


def _sampling(
    executor: Callable[[Record], None], ring: Callable[[Record], None], sampler: Sampler
) -> Callable[[Record], None]:
    """``executor``, with every ``sampler.every``-th record it takes appended to ``ring``
    (the data preview); it takes parts when ``executor`` does. A chain whose only child it
    is samples for it instead (``_fused``): ``ring`` and ``inner`` tell it how."""
    inner_parts = parts_of(executor)

    def process(record: Record) -> None:
        sampler.left -= 1
        if sampler.left <= 0:
            sampler.left = sampler.every
            ring(record)
        executor(record)

    if inner_parts is not None:

        def parts(key, value, ts, headers, partition=0, origin=None, json=None) -> None:
            sampler.left -= 1
            if sampler.left <= 0:
                sampler.left = sampler.every
                ring(Record(key, value, ts, headers, partition, origin))
            inner_parts(key, value, ts, headers, partition, origin, json)

        process.parts = parts  # type: ignore[attr-defined]
    process.ring, process.inner = ring, executor  # type: ignore[attr-defined]
    process.sampler = sampler  # type: ignore[attr-defined]  # (a source counts down itself)
    return process


def _sample_outputs(topology: Topology, node: Node, ports, children, preview: Preview) -> None:
    """The preview of what leaves ``node``: a chain that is the only child of a port and has
    no other input samples what enters it into ``node``'s ring; any other port samples
    through ``_sampling``. Where the port's only child samples what enters it (a sink), one
    countdown samples for both rings and calls what it wraps: one call a record, not two
    (the child's own sampling stays for its other inputs)."""
    ring = preview.ring(node.id)
    for port in ports:
        kids = children.get(port, [])
        head = getattr(kids[0], "head", None) if len(kids) == 1 else None
        inner = getattr(kids[0], "inner", None) if len(kids) == 1 else None
        if head is not None and len(topology.incoming(head)) == 1:
            kids[0].entering.append(ring)
        elif inner is not None:
            children[port] = [_sampling(inner, _both(ring, kids[0].ring), preview.sampler())]
        else:
            children[port] = [_sampling(fanout(kids), ring, preview.sampler())]


def _both(first: Callable[[Record], None], second: Callable[[Record], None]):
    """A ring that appends each sample to two."""

    def append(record: Record) -> None:
        first(record)
        second(record)

    return append


def _fused(
    topology: Topology, node: Node, ctx, children, repartitions, chains, preview=None
) -> Callable:
    """The executor of the chain starting at ``node``: the chain of its only child when
    that child is fusable and has no other input, else ``node`` alone. With a preview, the
    chain samples for its nodes, and for a sink that is all that follows it."""
    out = topology.outgoing(node.id)
    nxt = out[0].target if len(out) == 1 else None
    if (
        nxt is not None
        and nxt in chains
        and (nxt, out[0].target_port) not in repartitions
        and len(topology.incoming(nxt)) == 1
    ):
        nodes, tail = chains[nxt]
        nodes = [node, *nodes]
    else:
        nodes, tail = [node], fanout(children.get("out", []))
    chains[node.id] = (nodes, tail)
    if preview is None:
        return fuse(nodes, ctx, tail)
    leaving = []
    ring = getattr(tail, "ring", None)
    if ring is not None:  # a sink's sampling wrapper: the chain samples for it, one call less
        tail, leaving = tail.inner, [ring]  # (its other inputs still go through the wrapper)
    rings = [preview.ring(n.id) for n in nodes]
    executor = fuse(nodes, ctx, tail, rings, preview.sampler())
    executor.leaving += leaving  # type: ignore[attr-defined]  # set by chain.compose
    executor.head = node.id  # type: ignore[attr-defined]  # read back with getattr
    return executor


def _upstream_topics(topology: Topology, node_id: str, repartitions) -> set[str]:
    """The topics whose partitions feed ``node_id`` (stopping at repartition topics)."""
    node = topology.nodes[node_id]
    if node.type in SOURCE_TYPES:
        return {node.params["topic"]}
    found: set[str] = set()
    for e in topology.incoming(node_id):
        topic = repartitions.get((node_id, e.target_port))
        found |= {topic} if topic else _upstream_topics(topology, e.source, repartitions)
    return found


def _huge(topology: Topology, bounds: dict[str, int], source: str, target: str) -> bool:
    """Whether records from ``source`` (keyed by ``target``'s group key) could be huge
    structures of aliased parts (engine.model.bounds): then they are measured before encoding."""
    if not bounds:
        bounds.update(value_bounds(topology))
    return max(bounds.get(source, 1 << 62), bounds.get(target, 1 << 62)) > SAFE_STEPS
