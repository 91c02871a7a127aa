"""Prints the fault suite's figures as the table of docs/reliability.md:

TOPOLOGY_FAULT_RESULTS=/tmp/faults.json python -m pytest -m kafka tests/engine/faults
python -m tests.engine.faults.report /tmp/faults.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def _n(value) -> str:
    return "—" if value is None else f"{value:,}"


def table(rows: list[dict]) -> str:
    lines = [
        "| fault | records in | out | duplicates | lost | exact totals | notes |",
        "|---|---:|---:|---:|---:|---|---|",
    ]
    for r in rows:
        notes = ", ".join(
            f"{k} {v}"
            for k, v in r.items()
            if k not in {"fault", "in", "out", "duplicates", "lost", "exact_totals"}
        )
        lines.append(
            f"| {r['fault']} | {_n(r['in'])} | {_n(r['out'])} | {_n(r['duplicates'])} | "
            f"{_n(r['lost'])} | {'yes' if r['exact_totals'] else 'no'} | {notes} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    print(table(json.loads(Path(sys.argv[1]).read_text())))
