"""``topology-studio status APP_ID``: the instances of an application running anywhere,
read from what they publish to the cluster (reference §12.3)."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

from engine.code.runner import EXIT_FAILED, EXIT_OK, EXIT_UNREACHABLE
from engine.model.status import ENDED

EXIT_NONE_FOUND = EXIT_FAILED  # 4: no live instance


def add_parser(sub) -> None:
    status = sub.add_parser("status", help="the instances of an application running anywhere")
    status.add_argument("application_id", metavar="APP_ID")
    status.add_argument(
        "--bootstrap",
        metavar="HOST:PORT",
        help="Kafka bootstrap servers (default: $KAFKA_BOOTSTRAP_SERVERS)",
    )
    status.add_argument("--json", action="store_true", help="print JSON (docs/reference.md §12.3)")


def cmd_status(args: argparse.Namespace) -> int:
    from engine.cluster.admin import ConnectionProblem
    from engine.cluster.fleet_reader import FleetReader

    bootstrap = args.bootstrap or os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or "localhost:9092"
    reader = FleetReader(bootstrap, args.application_id)
    try:
        reader.catch_up()
    except ConnectionProblem as exc:
        print(f"cannot reach Kafka at {bootstrap}: {exc}", file=sys.stderr)
        return EXIT_UNREACHABLE
    finally:
        reader.close()
    fleet = reader.fleet
    now = time.time() * 1000
    summary = fleet.summary(now)
    live = fleet.live(now)
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(render(summary, now))
    if fleet.skipped:
        print(
            f"skipped {fleet.skipped} record{'s' * (fleet.skipped != 1)} of "
            f"{reader.topic} that are not Topology Studio run state",
            file=sys.stderr,
        )
    if not reader.found:
        print(
            f"no application '{args.application_id}' on {bootstrap}: the topic {reader.topic} "
            "does not exist (runs publish to it unless publish_metrics is false)",
            file=sys.stderr,
        )
    elif not live:
        print(
            f"no live instance of '{args.application_id}' (none published in the last 5 s)",
            file=sys.stderr,
        )
    return EXIT_OK if live else EXIT_NONE_FOUND


def _ago(now_ms: float, then_ms: int) -> str:
    seconds = max(0.0, (now_ms - then_ms) / 1000)
    if seconds < 120:
        return f"{seconds:.0f} s ago"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min ago"
    return f"{seconds / 3600:.0f} h ago"


def render(summary: dict, now_ms: float) -> str:
    """The text ``status`` prints: instances, nodes, lag."""
    lines = [f"application {summary['application_id']}"]
    instances = summary["instances"]
    live = sum(1 for i in instances if i["alive"])
    lines.append(f"instances: {live} live of {len(instances)} seen")
    for i in instances:
        parts = "; ".join(
            f"{t} {','.join(map(str, ps))}" for t, ps in sorted(i["partitions"].items())
        )
        state = i["status"] if i["alive"] or i["status"] in ENDED else "lost"
        lines.append(
            f"  {i['instance']:<34} {i['host']:<16} pid {i['pid']!s:<7} {state:<12} "
            f"{_ago(now_ms, i['last_seen_ms']):<12} {parts}"
        )
    if summary["nodes"]:
        lines.append("nodes (totals over instances; rates over live ones):")
        width = max(len(n) for n in summary["nodes"])
        for node_id, c in summary["nodes"].items():
            lines.append(
                f"  {node_id:<{width}}  in {c['in']:>10}  out {c['out']:>10}  "
                f"errors {c['errors']:>6}  late {c['late']:>6}  "
                f"{c['rate_in']:>9.1f}/s in  {c['rate_out']:>9.1f}/s out"
            )
    lag = summary["lag"]
    if lag:
        total = sum(n for parts in lag.values() for n in parts.values())
        lines.append(f"lag: {total} records")
        for topic, parts in sorted(lag.items()):
            lines.append(
                f"  {topic}: "
                + ", ".join(f"{p}={n}" for p, n in sorted(parts.items(), key=lambda x: int(x[0])))
            )
    return "\n".join(lines)
