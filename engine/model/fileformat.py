"""The topology file (``*.topology.json``, format ``topology-studio/1``): reading and writing.

Reading never raises on bad content: it returns what it could build and the
problems it found, each with the node id and a sentence. A file that holds no topology
at all (unreadable, not JSON, or JSON of something else such as a ``package.json``) is
one ``NotATopology`` problem, which callers tell apart with ``refusal``: nothing is
opened from it, and nothing should be written over it unasked. Writing is atomic and
canonical (``dumps``): the same topology is always the same text, and a moved node one changed
line.
"""

from __future__ import annotations

import copy
import json
import os
import stat
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.model.problems import Problem, TopologyError
from engine.model.topology import Edge, ModelError, Node, Topology

FORMAT = "topology-studio/1"
TOP_KEYS = {"format", "name", "settings", "nodes", "edges"}
NODE_KEYS = {"id", "type", "params", "position"}
EDGE_KEYS = {"from", "to", "from_port", "to_port"}
MAX_COORDINATE = 1e9  # beyond this a position is no place on a canvas (and inf/NaN are refused)
MAX_FILE_BYTES = 16 * 1024 * 1024  # a 20,000-edge topology is ~3 MB; parsing more costs GBs


@dataclass(frozen=True)
class NotATopology(Problem):
    """The file holds no topology: it cannot be read, is not JSON, or is JSON of
    something else. Its message starts with "the file" or "cannot read"."""


def refusal(problems: list[Problem], path: str | os.PathLike | None = None) -> str | None:
    """The sentence saying why the file holds no topology, or None when it holds one
    (perhaps with problems). With ``path``, the sentence names the file."""
    for p in problems:
        if isinstance(p, NotATopology):
            text = " ".join(p.message.splitlines())
            if path is not None and text.startswith("the file "):
                return f"{Path(path).name} {text[len('the file ') :]}"
            return text[0].upper() + text[1:]
    return None


def _looks_like_a_topology(data: dict) -> bool:
    """A topology file names its format or lists nodes; JSON with neither (a
    ``package.json``, a settings file) is something else, and is not opened as one."""
    fmt = data.get("format")
    return "nodes" in data or (isinstance(fmt, str) and fmt.startswith("topology-studio/"))


def _coordinate(v: float) -> int | float:
    v = round(float(v), 1)
    return int(v) if v.is_integer() else v


def to_dict(topology: Topology) -> dict:
    """The file's JSON object; a copy, so editing it never edits the model."""
    nodes = []
    for node in topology.nodes.values():
        entry: dict[str, Any] = {
            "id": node.id,
            "type": node.type,
            "params": copy.deepcopy(node.params),
        }
        if node.position is not None:
            entry["position"] = [_coordinate(node.position[0]), _coordinate(node.position[1])]
        nodes.append(entry)
    edges = []
    for e in topology.edges:
        entry = {"from": e.source, "to": e.target}
        if e.source_port != "out":
            entry["from_port"] = e.source_port
        if e.target_port != "in":
            entry["to_port"] = e.target_port
        edges.append(entry)
    return {
        "format": FORMAT,
        "name": topology.name,
        "settings": copy.deepcopy(topology.settings),
        "nodes": nodes,
        "edges": edges,
    }


def canonical_dict(topology: Topology) -> dict:
    """``to_dict`` in the order files are written: the top level and each node keep their
    own order (``format``, ``name``...; ``id``, ``type``, ``params``, ``position``), the
    settings' keys are sorted (at every depth), and nodes, edges and params keep the
    topology's order, which the file gave it and edits append to: it means something (the
    dashboards' panels follow the nodes, a set_fields' fields are written in their order).
    So saving an unchanged topology writes the same text, and moving a node changes one
    line."""
    data = to_dict(topology)
    data["settings"] = _sorted_keys(data["settings"])
    return data


def _sorted_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _sorted_keys(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_sorted_keys(v) for v in value]
    return value


def dumps(topology: Topology) -> str:
    """The file's text: ``canonical_dict`` indented by two spaces, each position on one line
    (``"position": [40, 120]``), so moving a node changes one line of the file."""
    data = canonical_dict(topology)
    marker = f"@position-{uuid.uuid4().hex}-"
    positions = {}
    for i, node in enumerate(data["nodes"]):
        if "position" in node:
            positions[f'"{marker}{i}"'] = json.dumps(node["position"])
            node["position"] = f"{marker}{i}"
    text = json.dumps(data, indent=2, ensure_ascii=False)
    for placeholder, inline in positions.items():
        text = text.replace(placeholder, inline, 1)
    return text + "\n"


def from_dict(data: Any) -> tuple[Topology, list[Problem]]:
    """Build a topology from parsed JSON; structural problems are returned, never raised."""
    problems: list[Problem] = []
    if not isinstance(data, dict):
        kind = {list: "a list", str: "a text", bool: "true or false", type(None): "null"}.get(
            type(data), "a number"
        )
        return Topology(), [
            NotATopology(
                None, f"the file is not a topology file: it holds {kind}, not a JSON object"
            )
        ]
    if not _looks_like_a_topology(data):
        return Topology(), [
            NotATopology(
                None,
                f'the file is not a topology file: it has no "format": "{FORMAT}" and no nodes',
            )
        ]
    for key in data:
        if key not in TOP_KEYS:
            problems.append(Problem(None, f"unknown key '{key}' at the top of the file"))
    fmt = data.get("format")
    if fmt != FORMAT:
        problems.append(Problem(None, f"format must be '{FORMAT}', not {fmt!r}"))
    name = data.get("name")
    if not isinstance(name, str) or not name:
        problems.append(Problem(None, "the topology needs a name"))
        name = "untitled"
    settings = data.get("settings", {})
    if settings is None:
        settings = {}
    if not isinstance(settings, dict):
        problems.append(Problem(None, "settings must be an object"))
        settings = {}
    settings = copy.deepcopy(settings)
    topology = Topology(name, settings)

    raw_nodes = data.get("nodes", [])
    if not isinstance(raw_nodes, list):
        problems.append(Problem(None, "nodes must be a list"))
        raw_nodes = []
    for i, raw in enumerate(raw_nodes, 1):
        node, node_problems = _node_from_dict(raw, i)
        problems += node_problems
        if node is None:
            continue
        try:
            topology.add_node(node)
        except ModelError as exc:
            problems.append(Problem(node.id, str(exc)))

    raw_edges = data.get("edges", [])
    if not isinstance(raw_edges, list):
        problems.append(Problem(None, "edges must be a list"))
        raw_edges = []
    seen: set[Edge] = set()
    for i, raw in enumerate(raw_edges, 1):
        if not isinstance(raw, dict):
            problems.append(Problem(None, f"edge {i} must be an object with 'from' and 'to'"))
            continue
        unknown = set(raw) - EDGE_KEYS
        src, dst = raw.get("from"), raw.get("to")
        if unknown:
            problems.append(
                Problem(
                    src if isinstance(src, str) else None,
                    f"edge {i} has unknown keys {', '.join(sorted(unknown))}",
                )
            )
        if not isinstance(src, str) or not isinstance(dst, str):
            problems.append(Problem(None, f"edge {i} needs 'from' and 'to' node ids"))
            continue
        ports = (raw.get("from_port", "out"), raw.get("to_port", "in"))
        if not all(isinstance(p, str) and p for p in ports):
            problems.append(Problem(src, f"edge {i} has a port that is not a name"))
            continue
        if src not in topology.nodes and dst not in topology.nodes:
            problems.append(
                Problem(None, f"edge {i} connects '{src}' to '{dst}', and neither is a node")
            )
            continue
        if src not in topology.nodes:
            problems.append(Problem(dst, f"has an edge from '{src}', which is not a node"))
            continue
        if dst not in topology.nodes:
            problems.append(Problem(src, f"has an edge to '{dst}', which is not a node"))
            continue
        edge = Edge(src, dst, *ports)
        if edge in seen:
            problems.append(Problem(dst, f"the edge from '{src}' is listed twice"))
            continue
        seen.add(edge)
        # Both ends exist and the edge is new (checked above, in constant time): appended
        # directly, as add_edge's own list scan would make loading quadratic in the edges.
        topology.edges.append(edge)
    return topology, problems


def _node_from_dict(raw: Any, index: int) -> tuple[Node | None, list[Problem]]:
    if not isinstance(raw, dict):
        return None, [Problem(None, f"node {index} must be an object with 'id' and 'type'")]
    node_id = raw.get("id")
    if node_id is None or node_id == "":
        return None, [Problem(None, f"node {index} has no id")]
    if not isinstance(node_id, str):
        return None, [Problem(None, f"node {index} has the id {node_id!r}, which is not a text")]
    problems = []
    unknown = set(raw) - NODE_KEYS
    if unknown:
        problems.append(Problem(node_id, f"unknown keys {', '.join(sorted(unknown))} on the node"))
    node_type = raw.get("type")
    if not isinstance(node_type, str):
        node_type = ""  # validation says so, with the known types
    params = raw.get("params", {})
    if params is None:
        params = {}
    if not isinstance(params, dict):
        problems.append(Problem(node_id, "params must be an object"))
        params = {}
    # A param set to null means its default, as if absent (the builder never writes nulls).
    params = {k: copy.deepcopy(v) for k, v in params.items() if v is not None}
    position = raw.get("position")
    if position is not None:
        if (
            isinstance(position, (list, tuple))
            and len(position) == 2
            and all(
                isinstance(v, (int, float))
                and not isinstance(v, bool)
                and -MAX_COORDINATE <= v <= MAX_COORDINATE
                for v in position
            )
        ):
            position = (float(position[0]), float(position[1]))
        else:
            problems.append(
                Problem(node_id, f"position must be [x, y], numbers within ±{MAX_COORDINATE:,}")
            )
            position = None
    return Node(node_id, node_type, params, position), problems


def loads(text: str) -> tuple[Topology, list[Problem]]:
    if len(text) > MAX_FILE_BYTES:
        return Topology(), [
            NotATopology(
                None,
                f"the file is {len(text):,} characters long, more than a "
                f"topology file can be ({MAX_FILE_BYTES:,})",
            )
        ]
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return Topology(), [
            NotATopology(
                None,
                f"the file is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}",
            )
        ]
    except RecursionError:
        return Topology(), [
            NotATopology(None, "the file is not a topology file: its JSON is nested too deeply")
        ]
    except (ValueError, TypeError) as exc:  # e.g. an integer of more than 4300 digits
        return Topology(), [
            NotATopology(None, f"the file is not valid JSON: {_first_sentence(exc)}")
        ]
    where = find_lone_surrogate(data)
    if where is not None:
        return Topology(), [
            NotATopology(
                None,
                f"the file is not valid text: {where} holds an escaped "
                "lone surrogate (\\ud800-\\udfff), which no text can contain",
            )
        ]
    try:
        return from_dict(data)
    except RecursionError:
        return Topology(), [
            NotATopology(None, "the file is not a topology file: its params are nested too deeply")
        ]


def _first_sentence(exc: Exception) -> str:
    return str(exc).split(";")[0].split(": value has")[0]


def find_lone_surrogate(data: Any) -> str | None:
    """Where parsed JSON holds a string with a lone surrogate (JSON allows ``"\\ud800"``,
    UTF-8 does not): such text cannot be printed, written or sent. Walked without recursion."""
    stack: list[tuple[Any, str]] = [(data, "")]
    while stack:
        value, path = stack.pop()
        if isinstance(value, str):
            if not value.isascii():
                try:
                    value.encode("utf-8")
                except UnicodeEncodeError:
                    return _describe_path(data, path)
        elif isinstance(value, dict):
            for k, v in value.items():
                stack.append((k, f"{path}/{ascii(k)[1:-1]}"))
                stack.append((v, f"{path}/{ascii(k)[1:-1]}"))
        elif isinstance(value, list):
            stack.extend((v, f"{path}/{i}") for i, v in enumerate(value))
    return None


def _describe_path(data: Any, path: str) -> str:
    parts = path.strip("/").split("/")
    if len(parts) >= 2 and parts[0] == "nodes" and parts[1].isdigit() and isinstance(data, dict):
        nodes = data.get("nodes")
        node = (
            nodes[int(parts[1])] if isinstance(nodes, list) and int(parts[1]) < len(nodes) else None
        )
        node_id = node.get("id") if isinstance(node, dict) else None
        label = f"node {node_id!a}" if isinstance(node_id, str) else f"node {int(parts[1]) + 1}"
        rest = "/".join(parts[2:])
        return f"{label} ({rest})" if rest else label
    return f"'{'/'.join(parts)}'" if parts != [""] else "the file"


def read(path: str | os.PathLike) -> tuple[Topology, list[Problem]]:
    """Load a topology file; an unreadable file is one problem, never an exception."""
    try:
        size = os.stat(path).st_size
        if size > MAX_FILE_BYTES:
            return Topology(), [
                NotATopology(
                    None,
                    f"cannot read {path}: it is {size:,} bytes, more than "
                    f"a topology file can be ({MAX_FILE_BYTES:,})",
                )
            ]
        # utf-8-sig: some editors start UTF-8 files with a byte order mark
        text = Path(path).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        return Topology(), [
            NotATopology(
                None,
                f"cannot read {path}: it is not UTF-8 text "
                f"(byte 0x{exc.object[exc.start]:02x} at offset {exc.start})",
            )
        ]
    except (OSError, ValueError) as exc:  # ValueError: a path with a NUL byte
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        return Topology(), [NotATopology(None, f"cannot read {path}: {reason}")]
    topology, problems = loads(text)
    topology.folder = os.path.dirname(os.path.abspath(path))
    return topology, problems


def load(path: str | os.PathLike) -> Topology:
    """Load and validate; raises TopologyError with every error."""
    from engine.model.validation import errors, validate

    topology, problems = read(path)
    problems = (
        problems + validate(topology)
        if not problems
        else problems + [p for p in validate(topology) if p not in problems]
    )
    bad = errors(problems)
    if bad:
        raise TopologyError(bad)
    return topology


def write(topology: Topology, path: str | os.PathLike) -> None:
    """Write atomically: a crash mid-write never leaves a half-written file.

    The file keeps its permissions (a new one gets the usual ones), and writing through a
    symbolic link replaces the file it points to, not the link.
    """
    path = Path(os.path.realpath(path))
    text = dumps(topology)
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
