"""Reading docs/reference.md in tests: its numbered sections and the rows of its tables, so
tests can hold the reference and the code in step."""

from __future__ import annotations

import re
from pathlib import Path

REFERENCE = Path(__file__).resolve().parents[2] / "docs" / "reference.md"
_HEADING = re.compile(r"^(#{2,3}) (\d+(?:\.\d+)?)\.? (.*)$", re.MULTILINE)


def text() -> str:
    return REFERENCE.read_text(encoding="utf-8")


def sections() -> dict[str, tuple[str, str]]:
    """Per section number ("5", "5.10"), its heading and its text up to the next heading of
    the same or a higher level (a section holds its subsections)."""
    doc = text()
    found = list(_HEADING.finditer(doc))
    out = {}
    for i, match in enumerate(found):
        level = len(match.group(1))
        end = len(doc)
        for later in found[i + 1 :]:
            if len(later.group(1)) <= level:
                end = later.start()
                break
        out[match.group(2)] = (match.group(3), doc[match.end() : end])
    return out


def section(number: str) -> str:
    return sections()[number][1]


def subsections(number: str) -> dict[str, tuple[str, str]]:
    """The subsections of section ``number`` ("5" -> {"5.1": (heading, text), ...})."""
    return {n: s for n, s in sections().items() if n.startswith(number + ".")}


def table_rows(body: str) -> dict[str, list[str]]:
    """The rows of the tables in ``body`` whose first cell is code (`` `name` ``), by that
    name, as their cells after it."""
    rows = {}
    for line in body.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and re.fullmatch(r"`[^`]+`", cells[0]):
            rows[cells[0].strip("`")] = cells[1:]
    return rows
