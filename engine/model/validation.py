"""Validation: every way a topology can be wrong, as one sentence per problem.

Checks the graph (dangling edges, ports, cycles, unconnected inputs), the node types
and their params against the catalogue, durations, windows and expressions.
"""

from __future__ import annotations

import contextvars
import functools
import math
import re
from typing import Any

from engine.model.alerts import check_alerts
from engine.model.catalogue import (
    AGGREGATION_FUNCTIONS,
    NODE_TYPES,
    SETTINGS,
    WINDOW_TYPES,
    ParamSpec,
)
from engine.model.combinations import combination_problems, init_message
from engine.model.durations import DurationError, parse_duration
from engine.model.expressions import (
    INIT_NAMES,
    REDUCE_NAMES,
    ExpressionError,
    compile_expression,
)
from engine.model.graph_order import topological_order
from engine.model.masking import check_masking
from engine.model.ports import input_problem, node_type, output_problem, takes_many_edges
from engine.model.problems import ERROR, WARNING, Problem
from engine.model.schema_checks import registry_problems, schema_format_nodes, schema_problems
from engine.model.schemas import registry_setting_message
from engine.model.topology import Topology

__all__ = ["errors", "registry_problems", "schema_format_nodes", "validate"]

TOPIC_PATTERN = re.compile(r"[A-Za-z0-9._\-]{1,249}\Z")
WINDOW_KEYS = {"type", "size", "advance", "gap", "grace"}
MAX_WINDOWS_PER_RECORD = 10_000  # a hopping window's size / advance (reference §15.1)


def validate(topology: Topology) -> list[Problem]:
    """All problems of ``topology``, errors and warnings, in a stable order."""
    token = _EXPRESSION_TEXT.set({"left": MAX_EXPRESSION_TEXT, "seen": set()})
    folder = _FOLDER.set(topology.folder)
    try:
        return _validate(topology)
    finally:
        _EXPRESSION_TEXT.reset(token)
        _FOLDER.reset(folder)


# Checking an expression costs ~3 µs per character: one validation checks at most this much
# distinct expression text, so it ends within seconds whatever the file (reference §15.1).
MAX_EXPRESSION_TEXT = 1_000_000
_EXPRESSION_TEXT: contextvars.ContextVar[dict | None] = contextvars.ContextVar(
    "expression_text", default=None
)
# The folder of the topology file being validated: schema files are relative to it.
_FOLDER: contextvars.ContextVar[str | None] = contextvars.ContextVar("folder", default=None)
# What Python warns of the expressions of the node being checked (check_node collects them).
_EXPRESSION_WARNINGS: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar(
    "expression_warnings", default=None
)


def _validate(topology: Topology) -> list[Problem]:
    problems: list[Problem] = []
    if not _valid_topic(topology.name):
        problems.append(
            Problem(
                None,
                f"the name {topology.name!r} cannot be used as an application "
                "id: use letters, digits, '.', '_' and '-'",
            )
        )
    problems += _check_settings(topology.settings)
    problems += check_alerts(topology)
    problems += check_masking(topology.settings)
    for node in topology.nodes.values():
        problems += check_node(node.id, node.type, node.params)
    problems += _check_edges(topology)
    return problems


def _valid_topic(name: Any) -> bool:
    # Kafka refuses "." and ".." as topic names.
    return isinstance(name, str) and bool(TOPIC_PATTERN.fullmatch(name)) and name not in (".", "..")


def errors(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == ERROR]


def _check_settings(settings: Any) -> list[Problem]:
    if not isinstance(settings, dict):
        return [Problem(None, "settings must be an object")]
    problems = []
    for name, value in settings.items():
        if value is None:  # null means the default, as for node params
            continue
        spec = SETTINGS.get(name)
        if spec is None:
            known = ", ".join(SETTINGS)
            problems.append(Problem(None, f"unknown setting '{name}'; known settings are {known}"))
            continue
        message = check_value(spec, value)
        if message:
            problems.append(Problem(None, f"setting '{name}' {message}"))
    return problems


def _param_named(spec) -> str:
    """How a problem names a param: by the label the inspector shows, with the file's key
    ("Keep when (expr)"); a param without a label by its key."""
    return f"{spec.label} ({spec.name})" if spec.label else spec.name


def check_node(node_id: str, type_name: str, params: Any) -> list[Problem]:
    """Problems of one node's type and params (graph problems aside)."""
    known = ", ".join(NODE_TYPES)
    if not isinstance(type_name, str) or not type_name:
        return [Problem(node_id, f"the node has no type; known types are {known}")]
    node_type = NODE_TYPES.get(type_name)
    if node_type is None:
        return [Problem(node_id, f"unknown node type '{type_name}'; known types are {known}")]
    if not isinstance(params, dict):
        return [Problem(node_id, "params must be an object")]
    problems = []
    known_names = {p.name for p in node_type.params}
    for name in params:
        if name not in known_names:
            hint = (
                f"; {node_type.title} takes {', '.join(sorted(known_names))}"
                if known_names
                else f"; {node_type.title} takes no params"
            )
            problems.append(Problem(node_id, f"unknown param '{name}'{hint}", param=name))
    warned: list[str] = []
    token = _EXPRESSION_WARNINGS.set(warned)
    try:
        for spec in node_type.params:
            value = params.get(spec.name)
            if value is None:
                if spec.required:
                    problems.append(
                        Problem(
                            node_id, f"the required param '{spec.name}' is missing", param=spec.name
                        )
                    )
                continue
            message = check_value(spec, value)
            named = _param_named(spec)
            if message:
                sep = ": " if spec.kind == "expr" else " "  # "Keep when (expr): unknown name 'x'"
                problems.append(Problem(node_id, f"{named}{sep}{message}", param=spec.name))
            problems += [
                Problem(node_id, f"{named}: {w}", WARNING, param=spec.name) for w in warned
            ]
            warned.clear()
    finally:
        _EXPRESSION_WARNINGS.reset(token)
    if type_name == "aggregate" and params.get("emit") == "final":
        window = params.get("window")
        if window is None or (isinstance(window, dict) and window.get("type", "none") == "none"):
            problems.append(
                Problem(
                    node_id,
                    "emit 'final' needs a window: an unwindowed aggregate never closes",
                    param="emit",
                )
            )
    problems += combination_problems(node_id, type_name, params)
    if type_name == "aggregate" and isinstance(params.get("window"), dict):
        problems += _window_warnings(node_id, params["window"])
    if type_name in ("kafka_sink", "generator_source"):
        problems += schema_problems(node_id, params, _FOLDER.get())
    if type_name == "file_sink" and isinstance(params.get("path"), str):
        path = params["path"]
        if (
            path.startswith(("/", "~", "\\"))
            or ".." in path.replace("\\", "/").split("/")
            or (len(path) > 1 and path[1] == ":")
        ):
            problems.append(
                Problem(
                    node_id,
                    f"writes outside the topology's folder ({path}); "
                    "check this is meant, especially in a file from "
                    "someone else",
                    WARNING,
                    param="path",
                )
            )
    return problems


def check_value(spec: ParamSpec, value: Any) -> str | None:
    """None when ``value`` fits ``spec``, else the rest of a sentence saying why not."""
    kind = spec.kind
    if kind in ("string", "path"):
        if not isinstance(value, str) or not value.strip():
            return "must be a non-empty text"
    elif kind == "topic":
        if not _valid_topic(value):
            return f"{value!r} is not a valid topic name (letters, digits, '.', '_', '-')"
    elif kind == "enum":
        if value not in spec.choices:
            return f"must be one of {', '.join(spec.choices)}, not {value!r}"
    elif kind in ("int", "number"):
        ok_types = (int,) if kind == "int" else (int, float)
        if isinstance(value, bool) or not isinstance(value, ok_types) or not _finite(value):
            return (
                f"must be {'a whole number' if kind == 'int' else 'a number'}, not {_short(value)}"
            )
        if spec.minimum is not None and value < spec.minimum:
            return f"must be at least {spec.minimum:g}"
    elif kind == "bool":
        if not isinstance(value, bool):
            return f"must be true or false, not {value!r}"
    elif kind == "duration":
        try:
            parse_duration(value)
        except DurationError as exc:
            return str(exc)
    elif kind == "expr":
        return _expr_message(value, spec.names)
    elif kind == "timestamp":
        if value != "record":
            message = _expr_message(value, spec.names)
            if message:
                return f"must be 'record' or an expression giving ms: {message}"
    elif kind == "fields":
        if not isinstance(value, dict) or not value:
            return "must map at least one field name to an expression"
        for name, expr in value.items():
            if not isinstance(name, str) or not name.strip():
                return "has a field with an empty name"
            message = _expr_message(expr, spec.names)
            if message:
                return f"'{name}': {message}"
    elif kind == "field_list":
        if not isinstance(value, list) or not all(isinstance(f, str) and f.strip() for f in value):
            return "must be a list of field names"
        if len(set(value)) != len(value):
            return "names a field twice"
    elif kind == "branches":
        return _branches_message(value, spec)
    elif kind == "aggregations":
        return _aggregations_message(value, spec)
    elif kind == "window":
        return _window_message(value)
    elif kind == "schema":
        if not isinstance(value, str) or not value.strip():
            return "must be the schema text, a file name or subject:<name>"
    elif kind == "schema_registry":
        return registry_setting_message(value)
    return None


def _finite(value: float) -> bool:
    """Within what a 64-bit number holds (a huge integer from a file must not overflow)."""
    if isinstance(value, int):
        return value.bit_length() <= 63
    return math.isfinite(value)


def _short(value: Any) -> str:
    if isinstance(value, int) and value.bit_length() > 63:
        return f"an integer of {len(str(value)) if value.bit_length() < 14_000 else 'thousands of'} digits"
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:57]}..."


def _expr_message(value: Any, names: tuple[str, ...]) -> str | None:
    if isinstance(value, str):
        budget = _EXPRESSION_TEXT.get()
        if budget is not None and value not in budget["seen"]:
            budget["seen"].add(value)
            budget["left"] -= len(value)
            if budget["left"] < 0:
                return (
                    f"was not checked: the topology's expressions hold more than "
                    f"{MAX_EXPRESSION_TEXT:,} characters in all"
                )
        message, said = _text_expr_check(value, tuple(names))
        warned = _EXPRESSION_WARNINGS.get()
        if warned is not None:
            warned += [f"Python warns: {w} in {value!r}" for w in said]
        return message
    try:
        compile_expression(value, names)
    except ExpressionError as exc:
        return exc.message
    return None


@functools.lru_cache(maxsize=4096)  # a file repeating an expression on many nodes checks it once
def _text_expr_check(value: str, names: tuple[str, ...]) -> tuple[str | None, tuple[str, ...]]:
    """(the error, or None; what Python warns of the text)"""
    try:
        return None, compile_expression(value, names).python_warnings
    except ExpressionError as exc:
        return f"{exc.message} in {value!r}", ()


def _branches_message(value: Any, spec: ParamSpec) -> str | None:
    if not isinstance(value, list) or not value:
        return "must list at least one branch with a name and an expr"
    seen = set()
    for i, branch in enumerate(value, 1):
        if not isinstance(branch, dict) or set(branch) - {"name", "expr"}:
            return f"branch {i} must be an object with 'name' and 'expr'"
        name = branch.get("name")
        if not isinstance(name, str) or not name:
            return f"branch {i} has no name"
        if name == "else":
            return "'else' is the name of the port for records no branch takes; choose another name"
        if name in seen:
            return f"has two branches named '{name}'"
        seen.add(name)
        message = _expr_message(branch.get("expr"), spec.names)
        if message:
            return f"'{name}': {message}"
    return None


def _aggregations_message(value: Any, spec: ParamSpec) -> str | None:
    if not isinstance(value, list) or not value:
        return "must list at least one aggregation with a name and a fn"
    seen = set()
    for i, agg in enumerate(value, 1):
        if not isinstance(agg, dict) or set(agg) - {"name", "fn", "expr", "init", "subtract"}:
            return (
                f"aggregation {i} must be an object with 'name', 'fn', 'expr' (and 'init', "
                "'subtract')"
            )
        name = agg.get("name")
        if not isinstance(name, str) or not name:
            return f"aggregation {i} has no name"
        if name in ("key", "window_start", "window_end"):
            return f"'{name}' is already a field of the output; choose another name"
        if name in seen:
            return f"has two aggregations named '{name}'"
        seen.add(name)
        fn = agg.get("fn")
        if fn not in AGGREGATION_FUNCTIONS:
            return f"'{name}': fn must be one of {', '.join(AGGREGATION_FUNCTIONS)}, not {fn!r}"
        expr = agg.get("expr")
        if "init" in agg:
            if fn != "reduce":
                return f"'{name}': only a reduce takes an init"
            message = _expr_message(agg["init"], INIT_NAMES)
            if message and message.startswith("unknown name"):
                return f"'{name}': init is a constant: it can use no names ({agg['init']!r})"
            message = message or init_message(agg["init"])
            if message:
                return f"'{name}': init {message}"
        if "subtract" in agg:
            message = "only a reduce takes a subtract" if fn != "reduce" else None
            message = message or _expr_message(agg["subtract"], REDUCE_NAMES)
            if message:
                return f"'{name}': subtract {message}" if fn == "reduce" else f"'{name}': {message}"
        if expr is None:
            if fn != "count":
                return f"'{name}': {fn} needs an expr"
            continue
        message = _expr_message(expr, REDUCE_NAMES if fn == "reduce" else spec.names)
        if message:
            return f"'{name}': {message}"
    return None


def _window_message(value: Any) -> str | None:
    if not isinstance(value, dict):
        return "must be an object with a type"
    unknown = set(value) - WINDOW_KEYS
    if unknown:
        return f"has unknown keys {', '.join(sorted(unknown))}"
    kind = value.get("type", "none")
    if kind not in WINDOW_TYPES:
        return f"type must be one of {', '.join(WINDOW_TYPES)}, not {kind!r}"
    needed = {
        "none": (),
        "tumbling": ("size",),
        "hopping": ("size", "advance"),
        "session": ("gap",),
        "sliding": ("size",),
    }[kind]
    for key in needed:
        if key not in value:
            return f"of type {kind} needs '{key}'"
    durations = {}
    for key in ("size", "advance", "gap", "grace"):
        if key in value:
            try:
                durations[key] = parse_duration(value[key])
            except DurationError as exc:
                return f"{key}: {exc}"
    for key in needed:
        if durations[key] <= 0:
            return f"{key} must be longer than 0"
    if kind == "hopping" and durations["advance"] > durations["size"]:
        return "advance must not be longer than size"
    if kind == "hopping" and durations["size"] > MAX_WINDOWS_PER_RECORD * durations["advance"]:
        return (
            f"opens {-(-durations['size'] // durations['advance']):,} windows per record "
            f"(size / advance); at most {MAX_WINDOWS_PER_RECORD:,} are allowed"
        )
    return None


_WINDOW_KEYS_BY_TYPE = {
    "none": set(),
    "tumbling": {"size", "grace"},
    "hopping": {"size", "advance", "grace"},
    "session": {"gap", "grace"},
    "sliding": {"size", "grace"},
}


def _window_warnings(node_id: str, window: dict) -> list[Problem]:
    kind = window.get("type", "none")
    if not isinstance(kind, str) or kind not in _WINDOW_KEYS_BY_TYPE:
        return []
    unused = sorted(set(window) - {"type"} - _WINDOW_KEYS_BY_TYPE[kind])
    if not unused:
        return []
    keys = ", ".join(f"'{k}'" for k in unused)
    return [
        Problem(
            node_id,
            f"window: {keys} has no effect on a window of type {kind}",
            WARNING,
            param="window",
        )
    ]


def _find_cycle(topology: Topology, edges: list[tuple[str, str]]) -> list | None:
    """networkx's find_cycle, asked only of a graph that has one (networkx is slow to import)."""
    if topological_order(topology.nodes, edges) is not None:
        return None
    import networkx as nx

    graph: nx.MultiDiGraph[str] = nx.MultiDiGraph()
    graph.add_nodes_from(topology.nodes)
    graph.add_edges_from(edges)
    try:
        return nx.find_cycle(graph)
    except nx.NetworkXNoCycle:
        return None


def _check_edges(topology: Topology) -> list[Problem]:
    problems: list[Problem] = []
    graph_edges: list[tuple[str, str]] = []
    used_inputs: dict[tuple[str, str], int] = {}
    seen = set()
    for edge in topology.edges:
        if edge in seen:
            problems.append(Problem(edge.target, f"the edge from '{edge.source}' is listed twice"))
            continue
        seen.add(edge)
        source = topology.nodes.get(edge.source)
        target = topology.nodes.get(edge.target)
        if source is None:
            problems.append(
                Problem(edge.target, f"has an edge from '{edge.source}', which is not a node")
            )
        if target is None:
            problems.append(
                Problem(edge.source, f"has an edge to '{edge.target}', which is not a node")
            )
        if source is None or target is None:
            continue
        graph_edges.append((edge.source, edge.target))
        problem = output_problem(topology, edge)
        if problem:
            problems.append(Problem(source.id, problem))
        problem = input_problem(topology, edge)
        if problem:
            problems.append(Problem(target.id, problem))
        elif node_type(target.type) is not None:
            slot = (target.id, edge.target_port)
            used_inputs[slot] = used_inputs.get(slot, 0) + 1
            if used_inputs[slot] == 2 and not takes_many_edges(target):
                problems.append(
                    Problem(
                        target.id,
                        f"input '{edge.target_port}' has more than "
                        "one edge; use a merge node to combine streams",
                    )
                )
    cycle = _find_cycle(topology, graph_edges)
    if cycle:
        path = " → ".join([cycle[0][0], *(c[1] for c in cycle)])
        problems.append(
            Problem(cycle[0][0], f"is part of a cycle ({path}); a topology must be acyclic")
        )
    sources = {e.source for e in topology.edges}  # one pass: validation stays linear in the edges
    for node in topology.nodes.values():
        ntype = node_type(node.type)
        if ntype is None:
            continue
        for port in ntype.inputs:
            if (node.id, port) not in used_inputs:
                what = "its input" if ntype.inputs == ("in",) else f"its '{port}' input"
                problems.append(Problem(node.id, f"{what} is not connected"))
        if ntype.outputs and node.id not in sources:
            problems.append(Problem(node.id, "its output is not connected to anything", WARNING))
    return problems
