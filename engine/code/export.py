"""Code export: a topology as a runnable, readable Python script in the builder API.

The script has one statement per node, in topological order, each naming the node
with ``name=`` and binding it to a variable of (nearly) the same name; expressions
are written exactly as in the topology. Running it builds the same topology and runs
it (``python script.py --sandbox``); ``engine.code.importer`` reads it back without
running it. Scripts import only the public facade ``topology_studio`` (older scripts'
``engine.builder`` / ``engine.runner`` / ``engine.model`` are still read and still run).
The text is laid out the way ``ruff format`` (default settings) lays it out, so a
formatter run over an exported script changes nothing.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass, field

import networkx as nx

from engine.code.builder import HoppingWindow, SessionWindow, SlidingWindow, TumblingWindow
from engine.code.script_layout import (
    INDENT,
    Atom,
    Call,
    Chain,
    Doc,
    Entry,
    ExportError,
    Seq,
    fits,
    literal,
    number_literal,
    statement,
    string_literal,
)
from engine.model.catalogue import NODE_TYPES
from engine.model.topology import Node, Topology

__all__ = ["ExportError", "export_script", "string_literal", "variable_names"]

MAX_VARIABLE_LENGTH = 28

# Names the script itself uses; a node variable never shadows them.
RESERVED = frozenset({
    "builder", "build", "main", "sys", "run_main", "Topology", "StreamsBuilder", "KStream",
    "Aggregation", "Branch", "TumblingWindow", "HoppingWindow", "SessionWindow", "SlidingWindow", "argv",
})  # fmt: skip


# -- the script ------------------------------------------------------------------------


def variable_names(topology: Topology) -> dict[str, str]:
    """A Python identifier per node id, unique and never a keyword or a script name."""
    names: dict[str, str] = {}
    used: set[str] = set()
    for node_id in topology.nodes:
        # Long ids are shortened so that ``var = receiver.method(`` fits on a line.
        base = re.sub(r"\W", "_", node_id)[:MAX_VARIABLE_LENGTH].rstrip("_") or "node"
        if not base or base[0].isdigit():
            base = "n_" + base
        if keyword.iskeyword(base) or keyword.issoftkeyword(base) or base in RESERVED:
            base += "_"
        name, i = base, 2
        while name in used:
            name, i = f"{base}_{i}", i + 1
        used.add(name)
        names[node_id] = name
    return names


def topological_order(topology: Topology) -> list[str]:
    index = {node_id: i for i, node_id in enumerate(topology.nodes)}
    graph: nx.DiGraph[str] = nx.DiGraph()
    graph.add_nodes_from(topology.nodes)
    graph.add_edges_from(
        (e.source, e.target) for e in topology.edges if e.source in index and e.target in index
    )
    try:
        return list(nx.lexicographical_topological_sort(graph, key=index.__getitem__))
    except nx.NetworkXUnfeasible:
        raise ExportError("the topology has a cycle; a script cannot build it") from None


def _window_doc(window: dict) -> Doc:
    """``TumblingWindow("1m", grace="0s")`` when a window class writes exactly this
    param back; the dict literal otherwise."""
    kind = window.get("type")
    classes = {
        "tumbling": (TumblingWindow, ("size",)),
        "hopping": (HoppingWindow, ("size", "advance")),
        "session": (SessionWindow, ("gap",)),
        "sliding": (SlidingWindow, ("size",)),
    }
    if kind in classes:
        cls, positional = classes[kind]
        keys = set(window) - {"type"}
        if set(positional) <= keys <= {*positional, "grace"} and all(
            isinstance(window[k], str) for k in keys
        ):
            try:
                rebuilt = cls(
                    *(window[k] for k in positional), grace=window.get("grace")
                ).to_param()
            except TypeError:
                rebuilt = None
            if rebuilt == window:
                args: list[Doc] = [literal(window[k]) for k in positional]
                if "grace" in window:
                    args.append(Entry("grace=", literal(window["grace"])))
                return Call(cls.__name__, args)
    return literal(window)


def _record_doc(cls: str, item, fields: tuple[str, ...], required: int) -> Doc:
    """``Aggregation("revenue", "sum", "value['amount']")`` or ``Branch(...)`` when the
    dict is exactly what the class writes back (its keys the first of ``fields``, in
    order, so positional arguments say them); the dict literal otherwise."""
    if (
        isinstance(item, dict)
        and set(item) == set(fields[: len(item)])
        and len(item) >= required
        and all(isinstance(v, str) for v in item.values())
    ):
        return Call(cls, [literal(item[k]) for k in fields if k in item])
    return literal(item)


@dataclass
class _Script:
    topology: Topology
    names: dict[str, str]
    imports: set[str] = field(default_factory=lambda: {"StreamsBuilder"})

    def stream(self, node: Node, port: str = "in") -> str:
        """The expression of the stream feeding ``node``'s input ``port``."""
        edges = [e for e in self.topology.incoming(node.id) if e.target_port == port]
        if not edges:
            raise ExportError(f"{node.id}: its {port!r} input is not connected")
        if len(edges) > 1:
            raise ExportError(f"{node.id}: input {port!r} has several edges; use a merge node")
        return self.output(edges[0].source, edges[0].source_port)

    def output(self, node_id: str, port: str) -> str:
        var = self.names[node_id]
        return var if port == "out" else f"{var}[{string_literal(port)}]"

    def kwargs(self, node: Node, skip: tuple[str, ...] = ()) -> list[Doc]:
        """``name=`` and the node's other params as keywords, in catalogue order."""
        spec = NODE_TYPES[node.type]
        known = [p.name for p in spec.params]
        unknown = sorted(set(node.params) - set(known))
        if unknown:
            raise ExportError(f"{node.id}: {spec.title} has no param {', '.join(unknown)}")
        docs: list[Doc] = [Entry("name=", literal(node.id))]
        for name in known:
            if name not in skip and node.params.get(name) is not None:
                docs.append(Entry(f"{name}=", literal(node.params[name])))
        return docs

    def required(self, node: Node, name: str):
        value = node.params.get(name)
        if value is None:
            raise ExportError(f"{node.id}: the required param {name!r} is missing")
        return value

    def statement(self, node: Node) -> list[str]:
        writer = WRITERS.get(node.type)
        if writer is None:
            raise ExportError(f"{node.id}: node type {node.type!r} cannot be exported")
        doc = writer(self, node)
        target = None if not NODE_TYPES[node.type].outputs else self.names[node.id]
        return statement(doc, target)


def _source(method: str, positional: str):
    def write(script: _Script, node: Node) -> Doc:
        first = literal(script.required(node, positional))
        return Call(f"builder.{method}", [first, *script.kwargs(node, skip=(positional,))])

    return write


def _unary(method: str, positional: str | None):
    def write(script: _Script, node: Node) -> Doc:
        args: list[Doc] = []
        if positional is not None:
            args.append(literal(script.required(node, positional)))
        args += script.kwargs(node, skip=(positional,) if positional else ())
        return Call(f"{script.stream(node)}.{method}", args)

    return write


def _branch(script: _Script, node: Node) -> Doc:
    branches = script.required(node, "branches")
    if not isinstance(branches, list):
        return Call(
            f"{script.stream(node)}.branch",
            [literal(branches), *script.kwargs(node, ("branches",))],
        )
    items = [_record_doc("Branch", b, ("name", "expr"), 2) for b in branches]
    if any(isinstance(i, Call) for i in items):
        script.imports.add("Branch")
    return Call(
        f"{script.stream(node)}.branch", [Seq("[", "]", items), *script.kwargs(node, ("branches",))]
    )


def _merge(script: _Script, node: Node) -> Doc:
    inputs = [script.output(e.source, e.source_port) for e in script.topology.incoming(node.id)]
    if not inputs:
        raise ExportError(f"{node.id}: its input is not connected")
    first, *others = inputs
    return Call(f"{first}.merge", [*(Atom(o) for o in others), *script.kwargs(node)])


def _join(script: _Script, node: Node) -> Doc:
    left, right = script.stream(node, "left"), script.stream(node, "right")
    expr = literal(script.required(node, "expr"))
    if node.params.get("mode") == "left":
        rest = script.kwargs(node, skip=("expr", "mode"))
        return Call(f"{left}.left_join", [Atom(right), expr, *rest])
    if node.params.get("mode") == "outer" and node.params.get("window") is not None:
        rest = script.kwargs(node, skip=("expr", "mode"))
        return Call(f"{left}.outer_join", [Atom(right), expr, *rest])
    return Call(f"{left}.join", [Atom(right), expr, *script.kwargs(node, skip=("expr",))])


AGGREGATION_FIELDS = ("name", "fn", "expr", "init", "subtract")


def _aggregations_doc(script: _Script, aggregations) -> Doc:
    if not isinstance(aggregations, list):
        return literal(aggregations)
    items = [_record_doc("Aggregation", a, AGGREGATION_FIELDS, 2) for a in aggregations]
    if any(isinstance(i, Call) for i in items):
        script.imports.add("Aggregation")
    return Seq("[", "]", items)


def _table_aggregate(script: _Script, node: Node) -> Doc:
    aggs = _aggregations_doc(script, script.required(node, "aggregations"))
    group_by = Entry("group_by=", literal(script.required(node, "group_by")))
    rest = script.kwargs(node, skip=("aggregations", "group_by"))
    return Call(f"{script.stream(node)}.table_aggregate", [aggs, group_by, *rest])


def _table_join(script: _Script, node: Node) -> Doc:
    left, right = script.stream(node, "left"), script.stream(node, "right")
    expr = literal(script.required(node, "expr"))
    return Call(f"{left}.table_join", [Atom(right), expr, *script.kwargs(node, skip=("expr",))])


def _aggregate(script: _Script, node: Node) -> Doc:
    params = node.params
    name = Entry("name=", literal(node.id))
    stream = script.stream(node)
    if params.get("group_by") is not None:
        root = Call(f"{stream}.group_by", [literal(params["group_by"]), name])
    else:
        root = Call(f"{stream}.group_by_key", [name])
    links: list[Call] = []
    window = params.get("window")
    if window is not None:
        wdoc = _window_doc(window) if isinstance(window, dict) else literal(window)
        if isinstance(wdoc, Call):
            script.imports.add(wdoc.head)
        links.append(Call(".window", [wdoc]))
    aggregations = script.required(node, "aggregations")
    if isinstance(aggregations, list):
        items = [_record_doc("Aggregation", a, AGGREGATION_FIELDS, 2) for a in aggregations]
        if any(isinstance(i, Call) for i in items):
            script.imports.add("Aggregation")
        aggs: Doc = Seq("[", "]", items)
    else:
        aggs = literal(aggregations)
    args: list[Doc] = [aggs]
    if params.get("emit") is not None:
        args.append(Entry("emit=", literal(params["emit"])))
    unknown = sorted(set(params) - {"group_by", "window", "aggregations", "emit"})
    if unknown:
        raise ExportError(f"{node.id}: Aggregate has no param {', '.join(unknown)}")
    links.append(Call(".aggregate", args))
    head, _, method = root.head.rpartition(".")
    return Chain(Atom(head), [Call("." + method, root.args), *links])


WRITERS = {
    "kafka_source": _source("stream", "topic"),
    "table_source": _source("table", "topic"),
    "to_table": _unary("to_table", None),
    "generator_source": _source("generator", "topic"),
    "filter": _unary("filter", "expr"),
    "map": _unary("map", "expr"),
    "set_fields": _unary("set_fields", "fields"),
    "flat_map": _unary("flat_map", "expr"),
    "rekey": _unary("rekey", "expr"),
    "branch": _branch,
    "merge": _merge,
    "aggregate": _aggregate,
    "join": _join,
    "table_join": _table_join,
    "table_aggregate": _table_aggregate,
    "kafka_sink": _unary("to", "topic"),
    "console_sink": _unary("to_console", None),
    "file_sink": _unary("to_file", "path"),
    "dashboard_sink": _unary("to_dashboard", "title"),
}


def _docstring_name(name: str) -> str:
    return re.sub(r"[^\w.\- ]", "_", str(name))


def export_script(topology: Topology) -> str:
    """The topology as a Python script in the builder API (see the module docstring)."""
    script = _Script(topology, variable_names(topology))
    body: list[str] = []
    settings = [Entry(f"{k}=", literal(v)) for k, v in topology.settings.items() if v is not None]
    for key in topology.settings:
        if not key.isidentifier() or keyword.iskeyword(key):
            raise ExportError(f"the setting {key!r} cannot be written as a keyword argument")
    body += statement(Call("StreamsBuilder", [literal(topology.name), *settings]), "builder")
    for node_id in topological_order(topology):
        body += script.statement(topology.nodes[node_id])
    positions = {n.id: n.position for n in topology.nodes.values() if n.position is not None}
    if positions:
        layout = Seq(
            "{",
            "}",
            [
                Entry(
                    string_literal(node_id) + ": ",
                    Seq("(", ")", [Atom(number_literal(x)), Atom(number_literal(y))]),
                )
                for node_id, (x, y) in positions.items()
            ],
        )
        body += statement(Call("builder.layout", [layout]))
    body.append(INDENT + "return builder.build()")

    # One import from the public facade (``topology_studio``), sorted as isort would.
    names = sorted({*script.imports, "Topology", "run_main"}, key=lambda n: (n.islower(), n))
    import_line = f"from topology_studio import {', '.join(names)}"
    if not fits(import_line):
        import_line = (
            "from topology_studio import (\n"
            + "".join(f"{INDENT}{name},\n" for name in names)
            + ")"
        )
    name = _docstring_name(topology.name)
    header = (
        f'"""{name}: a Topology Studio topology, written in the builder API.\n'
        "\n"
        "Run it with ``python <this file> --sandbox`` (or ``--bootstrap HOST:PORT``);\n"
        "``topology-studio import`` reads it back into a topology file.\n"
        '"""\n'
        "\n"
        "import sys\n"
        "\n"
        f"{import_line}\n"
    )
    footer = (
        "def main(argv=None) -> int:\n"
        f"{INDENT}return run_main(build(), argv)\n"
        "\n"
        "\n"
        'if __name__ == "__main__":\n'
        f"{INDENT}sys.exit(main())\n"
    )
    build = "def build() -> Topology:\n" + "".join(line + "\n" for line in body)
    return f"{header}\n\n{build}\n\n{footer}"
