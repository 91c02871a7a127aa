"""``topology-studio diff OLD NEW``: what changed between two versions of a topology, and
whether each stateful node's state survives the change (reference §7.5, §9.10).

Exit status: 0 no change, 1 changes that keep all state, 3 changes that reset or break
state, 2 a file that cannot be read as a topology (one sentence on stderr).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from engine.code.runner import EXIT_OK, EXIT_USAGE
from engine.model import fileformat
from engine.model.diff import TopologyDiff, diff_topologies, edge_json

EXIT_CHANGED = 1  # changes, every state kept
EXIT_STATE_LOST = 3  # a state is reset or would be read wrongly


def add_parser(sub) -> None:
    diff = sub.add_parser(
        "diff", help="what changed between two topology files, and what it does to their state"
    )
    diff.add_argument("old", metavar="OLD.topology.json")
    diff.add_argument("new", metavar="NEW.topology.json")
    diff.add_argument("--json", action="store_true", help="print the difference as JSON")


def exit_status(result: TopologyDiff) -> int:
    if result.endangered:
        return EXIT_STATE_LOST
    return EXIT_CHANGED if result.has_changes else EXIT_OK


def cmd_diff(args: argparse.Namespace) -> int:
    versions = []
    for path in (args.old, args.new):
        topology, problems = fileformat.read(path)
        refused = fileformat.refusal(problems, path)
        if refused is not None:  # unreadable, not JSON, or JSON of something else
            print(refused, file=sys.stderr)
            return EXIT_USAGE
        if problems:
            first = str(problems[0])
            first = first.removeprefix("topology: ")
            reason = first if first.startswith("cannot read") else f"{path}: {first}"
            print(f"{reason} (not a topology file that can be compared)", file=sys.stderr)
            return EXIT_USAGE
        versions.append(topology)
    result = diff_topologies(*versions)
    if args.json:
        print(json.dumps(result.to_json(), indent=2, ensure_ascii=False))
    else:
        print(render(result))
    return exit_status(result)


def render(result: TopologyDiff) -> str:
    """The text ``diff`` prints: one line per change, then one per stateful node."""
    if not result.has_changes:
        return "no changes"
    lines = []
    if result.name:
        lines.append(f"name: {result.name[0]} → {result.name[1]} (the application id)")
    lines += [f"+ node {nid} ({result.new.nodes[nid].type})" for nid in result.added]
    lines += [f"- node {nid} ({result.old.nodes[nid].type})" for nid in result.removed]
    lines += [f"~ node {old} renamed to {new}" for old, new in result.renamed.items()]
    for nid, params in result.changed.items():
        for param, (old, new) in params.items():
            lines.append(f"~ node {nid}: {param}: {_value(old)} → {_value(new)}")
    lines += [f"+ edge {_edge(e)}" for e in result.edges_added]
    lines += [f"- edge {_edge(e)}" for e in result.edges_removed]
    for key, (old, new) in result.settings.items():
        lines.append(f"~ setting {key}: {_value(old)} → {_value(new)}")
    if result.state:
        lines.append("state:")
        width = max(len(nid) for nid in result.state)
        for nid, verdict in result.state.items():
            topics = f" [{', '.join(verdict.topics)}]" if verdict.topics else ""
            lines.append(f"  {nid:<{width}}  {verdict.verdict}: {verdict.reason}{topics}")
    return "\n".join(lines)


def _value(value: Any) -> str:
    if value is None:
        return "(none)"
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _edge(edge) -> str:
    e = edge_json(edge)
    source = f"{e['from']}.{e['from_port']}" if "from_port" in e else e["from"]
    target = f"{e['to']}.{e['to_port']}" if "to_port" in e else e["to"]
    return f"{source} → {target}"
