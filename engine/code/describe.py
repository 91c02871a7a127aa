"""Kafka Streams topologies from the text of ``Topology#describe()``: a Qt-free model.

A Java Kafka Streams application prints its topology with
``System.out.println(topology.describe())``. This module reads that text (the
current layout, the compact 1.0 layout with arrows on the node line, tabs or any
indentation, a log prefix before ``Topologies:``) into sub-topologies of sources,
processors and sinks with their topics, stores, successors and predecessors, plus
the global stores. ``to_view_graph`` turns it into a graph a canvas can draw, with
topic nodes (repartition topics marked), store nodes and the sub-topology of each
node; ``layout`` places it left to right by layers, sub-topologies stacked.

``describe()`` does not print the application id, yet it names the consumer group
(``application.id``) and prefixes internal topics (``<application.id>-<name>``):
``consumer_group_hint`` takes it from the user.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import networkx as nx

SOURCE, PROCESSOR, SINK = "source", "processor", "sink"
TOPIC_NAME = re.compile(r"^[A-Za-z0-9._\-]+$")
_HEADER = re.compile(r"\b(?:Sub-topologies|Topologies):\s*$")
_SUBTOPOLOGY = re.compile(
    r"^(?:Sub-topology|GlobalStore):\s*(\d+)\s*(for global store.*)?$", re.IGNORECASE
)
_NODE = re.compile(
    r"^(Source|Processor|Sink):\s*(.+?)\s*"
    r"\((topics|topic|stores|topicPattern|topic pattern|extractor class|"
    r"topic extractor):\s*(.*)$"
)
_ARROW = re.compile(r"\s*(-->|<--)\s*")
_GENERATED = re.compile(r"^(?:KSTREAM|KTABLE|COGROUPKSTREAM)-([A-Z0-9-]+?)-0*(\d+)$")

LAYER_WIDTH, ROW_HEIGHT, BAND_GAP = 240.0, 90.0, 70.0


class DescribeError(ValueError):
    """Text that is not a ``describe()`` output; ``line`` is 1-based."""

    def __init__(self, line: int, message: str):
        self.line, self.message = line, message
        super().__init__(f"line {line}: {message}")


@dataclass
class DescribedNode:
    name: str
    kind: str  # source, processor or sink
    topics: list[str] = field(default_factory=list)  # read (source) or written (sink)
    topic_pattern: str | None = None  # a source subscribed by pattern
    extractor: str | None = None  # a sink whose topic is chosen per record
    stores: list[str] = field(default_factory=list)
    successors: list[str] = field(default_factory=list)
    predecessors: list[str] = field(default_factory=list)
    line: int = 0

    @property
    def label(self) -> str:
        """``KSTREAM-AGGREGATE-0000000003`` → ``aggregate 3``; a chosen name stays."""
        match = _GENERATED.match(self.name)
        if not match:
            return self.name
        return f"{match.group(1).lower().replace('-', ' ')} {int(match.group(2))}"


@dataclass
class SubTopology:
    id: int
    nodes: list[DescribedNode] = field(default_factory=list)


@dataclass
class GlobalStore:
    """A global store: a source that feeds one processor updating the store; no tasks."""

    id: int
    source: DescribedNode
    processor: DescribedNode

    @property
    def stores(self) -> list[str]:
        return list(self.processor.stores)

    @property
    def nodes(self) -> list[DescribedNode]:
        return [self.source, self.processor]


@dataclass
class StreamsDescription:
    subtopologies: list[SubTopology] = field(default_factory=list)
    global_stores: list[GlobalStore] = field(default_factory=list)

    def nodes(self) -> list[DescribedNode]:
        return [n for s in self.subtopologies for n in s.nodes] + [
            n for g in self.global_stores for n in g.nodes
        ]

    def node(self, name: str) -> DescribedNode:
        for node in self.nodes():
            if node.name == name:
                return node
        raise KeyError(name)


# -- parsing ------------------------------------------------------------------------------


def parse_description(text: str) -> StreamsDescription:
    """Read the text of ``Topology#describe()``; DescribeError names the offending line."""
    groups: list[tuple[int, bool, list[DescribedNode], int]] = []  # id, global, nodes, line
    current: DescribedNode | None = None
    started = False
    in_global_section = False
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if _HEADER.search(line):
            started = True
            continue
        if line.startswith("Global Stores:"):
            started = in_global_section = True
            continue
        if in_global_section and line == "none":
            continue
        sub = _SUBTOPOLOGY.match(line)
        if sub:
            started = True
            groups.append((int(sub.group(1)), bool(sub.group(2)) or in_global_section, [], number))
            current = None
            continue
        if not started:
            continue  # text before the header: a log line, a title
        node_match = _NODE.match(line)
        if node_match:
            if not groups:
                raise DescribeError(number, "a node before any 'Sub-topology:' line")
            current = _node(node_match, number)
            groups[-1][2].append(current)
            continue
        if line.startswith(("-->", "<--")):
            if current is None:
                raise DescribeError(number, f"'{line[:3]}' before any node")
            _arrows(current, line, number)
            continue
        raise DescribeError(
            number,
            f"cannot read {line[:80]!r}: expected 'Sub-topology:', "
            "'Source:', 'Processor:', 'Sink:', '-->' or '<--'",
        )
    if not groups or not any(nodes for _, _, nodes, _ in groups):
        raise DescribeError(
            1,
            "no sub-topology found: paste the whole text printed by "
            "topology.describe(), starting at 'Topologies:'",
        )
    return _assemble(groups)


def _node(match: re.Match, number: int) -> DescribedNode:
    kind = match.group(1).lower()
    name, key, rest = match.group(2), match.group(3), match.group(4)
    body, arrows = _split_arrows(rest)
    if not body.endswith(")"):
        raise DescribeError(number, f"the ({key}: ...) of {name} is not closed")
    body = body[:-1].strip()
    node = DescribedNode(name, kind, line=number)
    expected = {
        SOURCE: ("topics", "topicPattern", "topic pattern"),
        PROCESSOR: ("stores",),
        SINK: ("topic", "extractor class", "topic extractor"),
    }
    if key not in expected[kind]:
        raise DescribeError(number, f"a {kind} lists '{key}'; expected {expected[kind][0]}")
    if key == "stores":
        node.stores = _items(body)
    elif key in ("extractor class", "topic extractor"):
        node.extractor = body
    elif key == "topic":
        node.topics = [body]
    else:
        items = _items(body)
        if key != "topics" or any(not TOPIC_NAME.match(t) for t in items):
            node.topic_pattern = body[1:-1] if body.startswith("[") and body.endswith("]") else body
        else:
            node.topics = items
    if arrows:
        _arrows(node, arrows, number)
    return node


def _split_arrows(rest: str) -> tuple[str, str]:
    """``body) --> a <-- b`` (the compact layout) → (``body)``, ``--> a <-- b``)."""
    match = re.search(r"\)\s*(-->|<--)\s", rest + " ")
    if not match:
        return rest.strip(), ""
    return rest[: match.start() + 1].strip(), rest[match.start() + 1 :].strip()


def _items(body: str) -> list[str]:
    body = body.strip()
    if body.startswith("[") and body.endswith("]"):
        body = body[1:-1]
    return [item.strip() for item in body.split(",") if item.strip()]


def _arrows(node: DescribedNode, text: str, number: int) -> None:
    parts = _ARROW.split(text.strip())
    # parts: ['', '-->', 'a, b', '<--', 'c']
    for arrow, names in zip(parts[1::2], parts[2::2]):
        listed = [] if names.strip() == "none" else _items(names)
        if arrow == "-->":
            if node.kind == SINK and listed:
                raise DescribeError(number, f"the sink {node.name} cannot have successors")
            node.successors += listed
        else:
            if node.kind == SOURCE and listed:
                raise DescribeError(number, f"the source {node.name} cannot have predecessors")
            node.predecessors += listed


def _assemble(groups) -> StreamsDescription:
    desc = StreamsDescription()
    seen: dict[str, DescribedNode] = {}
    for _, _, nodes, _ in groups:
        for node in nodes:
            if node.name in seen:
                raise DescribeError(
                    node.line,
                    f"{node.name} is described twice (first at line {seen[node.name].line})",
                )
            seen[node.name] = node
    for node in seen.values():
        for other in node.successors + node.predecessors:
            if other not in seen:
                raise DescribeError(
                    node.line, f"{node.name} is linked to {other}, which is not described"
                )
    # Each link is printed on both ends, except at sources and sinks; make both complete.
    for node in seen.values():
        for succ in node.successors:
            if node.name not in seen[succ].predecessors:
                seen[succ].predecessors.append(node.name)
        for pred in node.predecessors:
            if node.name not in seen[pred].successors:
                seen[pred].successors.append(node.name)
    for group_id, is_global, nodes, number in groups:
        if is_global:
            sources = [n for n in nodes if n.kind == SOURCE]
            processors = [n for n in nodes if n.kind == PROCESSOR]
            if len(sources) != 1 or len(processors) != 1 or len(nodes) != 2:
                raise DescribeError(number, "a global store has one source and one processor")
            desc.global_stores.append(GlobalStore(group_id, sources[0], processors[0]))
        else:
            desc.subtopologies.append(SubTopology(group_id, nodes))
    return desc


# -- topics and the consumer group ---------------------------------------------------------------


@dataclass
class ApplicationTopics:
    inputs: list[str]  # read from outside the application
    outputs: list[str]  # written for others
    repartition: list[str]  # internal ``*-repartition`` topics, as printed (no prefix)
    intermediate: list[str]  # written and read back by the application itself (through/to+stream)
    patterns: list[str]  # source subscriptions by pattern
    global_inputs: list[str]  # topics behind global stores
    stores: list[str]  # local state stores (each backed by a changelog unless disabled)
    dynamic_sinks: list[str]  # sinks whose topic is chosen per record


def application_topics(desc: StreamsDescription) -> ApplicationTopics:
    read = _ordered(
        t for s in desc.subtopologies for n in s.nodes if n.kind == SOURCE for t in n.topics
    )
    written = _ordered(
        t for s in desc.subtopologies for n in s.nodes if n.kind == SINK for t in n.topics
    )
    repartition = [t for t in _ordered(read + written) if t.endswith("-repartition")]
    loop = [t for t in read if t in written and t not in repartition]
    return ApplicationTopics(
        inputs=[t for t in read if t not in written and t not in repartition],
        outputs=[t for t in written if t not in read and t not in repartition],
        repartition=repartition,
        intermediate=loop,
        patterns=_ordered(n.topic_pattern for n in desc.nodes() if n.topic_pattern),
        global_inputs=_ordered(t for g in desc.global_stores for t in g.source.topics),
        stores=_ordered(st for s in desc.subtopologies for n in s.nodes for st in n.stores),
        dynamic_sinks=[n.name for n in desc.nodes() if n.extractor is not None],
    )


@dataclass
class GroupHint:
    group_id: str | None
    topics: list[str]  # what the group consumes, with internal topics prefixed
    changelogs: list[str]
    patterns: list[str]
    message: str


def consumer_group_hint(desc: StreamsDescription, application_id: str | None) -> GroupHint:
    """What to monitor for this application: its consumer group is its ``application.id``,
    which ``describe()`` does not print, so the user supplies it."""
    topics = application_topics(desc)
    if not application_id:
        return GroupHint(
            None,
            topics.inputs + topics.intermediate,
            [],
            topics.patterns,
            "describe() does not show the application id; enter the "
            "application.id of the Kafka Streams app to monitor its consumer "
            "group and internal topics",
        )
    prefixed = [f"{application_id}-{t}" for t in topics.repartition]
    changelogs = [f"{application_id}-{store}-changelog" for store in topics.stores]
    message = (
        f"consumer group '{application_id}' reads {len(topics.inputs)} input, "
        f"{len(prefixed)} repartition topic(s)"
    )
    return GroupHint(
        application_id,
        topics.inputs + topics.intermediate + prefixed,
        changelogs,
        topics.patterns,
        message,
    )


def _ordered(items) -> list[str]:
    seen: dict[str, None] = {}
    for item in items:
        seen.setdefault(item, None)
    return list(seen)


# -- the view graph and its layout ----------------------------------------------------------------


def topic_id(topic: str) -> str:
    return f"topic:{topic}"


def store_id(store: str) -> str:
    return f"store:{store}"


def to_view_graph(desc: StreamsDescription) -> nx.DiGraph:
    """A graph to draw: processor nodes by name; ``topic:<name>``, ``pattern:<regex>``,
    ``extractor:<sink>`` and ``store:<name>`` nodes. Node attributes: kind (source,
    processor, sink, topic, repartition_topic, topic_pattern, dynamic_topic, store,
    global_store), label, topics, stores, subtopology (None for topics), global.
    Edges: kind stream, topic (topic → source, sink → topic) or store (processor → store)."""
    graph: nx.DiGraph[str] = nx.DiGraph()
    groups = [(s.id, s.nodes, False) for s in desc.subtopologies] + [
        (g.id, g.nodes, True) for g in desc.global_stores
    ]
    for group_id, nodes, is_global in groups:
        for node in nodes:
            graph.add_node(
                node.name,
                kind=node.kind,
                label=node.label,
                name=node.name,
                topics=list(node.topics),
                stores=list(node.stores),
                subtopology=group_id,
                topic_pattern=node.topic_pattern,
                extractor=node.extractor,
                **{"global": is_global},
            )
    for group_id, nodes, is_global in groups:
        for node in nodes:
            for succ in node.successors:
                graph.add_edge(node.name, succ, kind="stream")
            for topic in node.topics:
                tid = topic_id(topic)
                if tid not in graph:
                    kind = "repartition_topic" if topic.endswith("-repartition") else "topic"
                    graph.add_node(
                        tid,
                        kind=kind,
                        label=topic,
                        name=topic,
                        topics=[topic],
                        stores=[],
                        subtopology=None,
                        **{"global": False},
                    )
                if node.kind == SOURCE:
                    graph.add_edge(tid, node.name, kind="topic")
                else:
                    graph.add_edge(node.name, tid, kind="topic")
            if node.topic_pattern:
                pid = f"pattern:{node.topic_pattern}"
                graph.add_node(
                    pid,
                    kind="topic_pattern",
                    label=node.topic_pattern,
                    name=node.topic_pattern,
                    topics=[],
                    stores=[],
                    subtopology=None,
                    **{"global": False},
                )
                graph.add_edge(pid, node.name, kind="topic")
            if node.extractor is not None:
                eid = f"extractor:{node.name}"
                graph.add_node(
                    eid,
                    kind="dynamic_topic",
                    label="topic per record",
                    name=node.extractor,
                    topics=[],
                    stores=[],
                    subtopology=None,
                    **{"global": False},
                )
                graph.add_edge(node.name, eid, kind="topic")
            for store in node.stores:
                sid = store_id(store)
                if sid not in graph:
                    graph.add_node(
                        sid,
                        kind="global_store" if is_global else "store",
                        label=store,
                        name=store,
                        topics=[],
                        stores=[store],
                        subtopology=group_id,
                        **{"global": is_global},
                    )
                graph.add_edge(node.name, sid, kind="store")
    return graph


def layout(
    desc: StreamsDescription, graph: nx.DiGraph | None = None
) -> dict[str, tuple[float, float]]:
    """Positions of the view graph's nodes: left to right by layers within each
    sub-topology, sub-topologies (then global stores) stacked top to bottom. A topic
    sits in the band of the sub-topology that reads it, else of the one writing it."""
    graph = graph if graph is not None else to_view_graph(desc)
    band_of: dict[str, int] = {}
    order = [s.id for s in desc.subtopologies] + [g.id for g in desc.global_stores]
    band_index = {group_id: i for i, group_id in enumerate(order)}
    for node, data in graph.nodes(data=True):
        if data["kind"] in (SOURCE, PROCESSOR, SINK, "store", "global_store"):
            band_of[node] = band_index[data["subtopology"]]
    for node, data in graph.nodes(data=True):
        if node in band_of:
            continue
        readers = [band_of[s] for s in graph.successors(node) if s in band_of]
        writers = [band_of[p] for p in graph.predecessors(node) if p in band_of]
        band_of[node] = min(readers) if readers else min(writers, default=0)

    positions: dict[str, tuple[float, float]] = {}
    top = 0.0
    for band in range(len(order)):
        members = [n for n in graph.nodes if band_of[n] == band]
        flow = graph.subgraph(
            [n for n in members if graph.nodes[n]["kind"] not in ("store", "global_store")]
        ).copy()
        _break_cycles(flow)
        layer: dict[str, int] = {}
        for node in nx.topological_sort(flow):
            layer[node] = max((layer[p] + 1 for p in flow.predecessors(node)), default=0)
        for node in members:
            if node not in layer:  # a store: in the column of the first processor using it
                users = [layer[p] for p in graph.predecessors(node) if p in layer]
                layer[node] = min(users, default=0)
        rows: dict[int, list[str]] = {}
        row_of: dict[str, float] = {}
        for node in sorted(members, key=lambda n: (layer[n], _is_store(graph, n))):
            column = rows.setdefault(layer[node], [])
            column.append(node)
        for col in sorted(rows):
            # Order each column by the mean row of its predecessors to keep edges short.
            rows[col].sort(key=lambda n: _row_key(graph, n, row_of))
            for i, node in enumerate(rows[col]):
                row_of[node] = float(i)
        height = max((len(c) for c in rows.values()), default=1)
        for node in members:
            positions[node] = (layer[node] * LAYER_WIDTH, top + row_of[node] * ROW_HEIGHT)
        top += height * ROW_HEIGHT + BAND_GAP
    return positions


def _row_key(graph: nx.DiGraph, node: str, placed: dict[str, float]) -> tuple[bool, float]:
    preds = [placed[p] for p in graph.predecessors(node) if p in placed]
    return _is_store(graph, node), sum(preds) / len(preds) if preds else 0.0


def _is_store(graph: nx.DiGraph, node: str) -> bool:
    return graph.nodes[node]["kind"] in ("store", "global_store")


def _break_cycles(graph: nx.DiGraph) -> None:
    """An application that reads its own output draws a cycle; drop one edge per cycle."""
    while True:
        try:
            cycle = nx.find_cycle(graph)
        except nx.NetworkXNoCycle:
            return
        graph.remove_edge(*cycle[-1][:2])
