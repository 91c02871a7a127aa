"""Test cases of a topology (CASES.json, reference §13.2): reading, running, diffing, saving.

A case gives records per source node and the records each named sink must receive,
exactly and in order; ``run_case`` runs it through the one test driver
(``engine.runtime.testing.trace.run_trace``) and ``describe_failure`` says what is missing and
what is unexpected, per sink, with the fields that differ when a record was produced
in place of another.
"""

from __future__ import annotations

import contextlib
import difflib
import json
import os
from dataclasses import dataclass, field
from typing import Any

from engine.model.topology import Topology
from engine.runtime.testing.trace import (
    InputError,
    InputRecord,
    Trace,
    check_inputs,
    parse_record,
    run_trace,
    sink_nodes,
)

EXPECT_FIELDS = ("key", "value")
SHOWN_CHARS = 240  # a record longer than this is cut in the diff (its differing fields are not)


class CasesError(InputError):
    """A CASES.json that cannot be used, as one sentence."""


@dataclass
class Case:
    name: str
    inputs: dict[str, list[InputRecord]]
    expect: dict[str, list[dict]]
    expect_dead_letters: int | None = None

    def as_json(self) -> dict:
        out: dict = {
            "name": self.name,
            "inputs": {
                node: [r.as_json() for r in records] for node, records in self.inputs.items()
            },
            "expect": self.expect,
        }
        if self.expect_dead_letters is not None:
            out["expect_dead_letters"] = self.expect_dead_letters
        return out


@dataclass
class SinkDiff:
    """How one sink's output differs from what a case expects."""

    sink: str
    expected: list[dict]
    produced: list[dict]
    missing: list[tuple[int, dict]] = field(default_factory=list)  # (index in expected, record)
    unexpected: list[tuple[int, dict]] = field(default_factory=list)  # (index in produced, record)
    changed: list[tuple[int, int, list[str]]] = field(
        default_factory=list
    )  # (exp i, prod i, diffs)


@dataclass
class CaseResult:
    case: Case
    outputs: dict[str, list[dict]]
    dead_letters: int
    diffs: list[SinkDiff]
    trace: Trace

    @property
    def dead_letters_ok(self) -> bool:
        expected = self.case.expect_dead_letters
        return expected is None or expected == self.dead_letters

    @property
    def passed(self) -> bool:
        return not self.diffs and self.dead_letters_ok

    def as_json(self) -> dict:
        return {
            "name": self.case.name,
            "passed": self.passed,
            "outputs": self.outputs,
            "dead_letters": self.dead_letters,
        }


# -- reading --------------------------------------------------------------------------


def load_cases(path: str) -> list[Case]:
    try:
        with open(path, encoding="utf-8-sig") as f:
            text = f.read()
    except FileNotFoundError:
        raise CasesError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CasesError(f"{path}: cannot be read ({exc})") from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise CasesError(f"{path}: not JSON ({exc})") from None
    return parse_cases(data, path)


def parse_cases(data: Any, where: str = "CASES.json") -> list[Case]:
    if not isinstance(data, dict) or not isinstance(data.get("cases"), list):
        raise CasesError(f'{where}: expected an object {{"cases": [...]}}')
    cases, names = [], set()
    for i, raw in enumerate(data["cases"], 1):
        here = f"{where}: case {i}"
        if not isinstance(raw, dict):
            raise CasesError(f"{here} must be an object with name, inputs and expect")
        name = raw.get("name")
        if not isinstance(name, str) or not name:
            raise CasesError(f"{here} has no name")
        here = f"{where}: case '{name}'"
        if name in names:
            raise CasesError(f"{here} is named twice")
        names.add(name)
        unknown = [k for k in raw if k not in ("name", "inputs", "expect", "expect_dead_letters")]
        if unknown:
            raise CasesError(
                f"{here}: unknown field '{unknown[0]}' (a case has name, inputs, "
                f"expect, expect_dead_letters)"
            )
        inputs_raw = raw.get("inputs", {})
        if not isinstance(inputs_raw, dict):
            raise CasesError(f"{here}: inputs must map source node ids to lists of records")
        inputs = {}
        for node_id, records in inputs_raw.items():
            if not isinstance(records, list):
                raise CasesError(f"{here}: inputs of '{node_id}' must be a list of records")
            try:
                inputs[node_id] = [
                    parse_record(r, f"{here}: input {j} of '{node_id}'")
                    for j, r in enumerate(records, 1)
                ]
            except InputError as exc:
                raise CasesError(str(exc)) from None
        expect_raw = raw.get("expect", {})
        if not isinstance(expect_raw, dict):
            raise CasesError(f"{here}: expect must map sink node ids to lists of records")
        expect = {}
        for node_id, records in expect_raw.items():
            if not isinstance(records, list):
                raise CasesError(f"{here}: expected records of '{node_id}' must be a list")
            for j, r in enumerate(records, 1):
                if (
                    not isinstance(r, dict)
                    or "value" not in r
                    or any(k not in EXPECT_FIELDS for k in r)
                ):
                    raise CasesError(
                        f"{here}: expected record {j} of '{node_id}' must be an "
                        f'object {{"key", "value"}}'
                    )
            expect[node_id] = [{"key": r.get("key"), "value": r["value"]} for r in records]
        dead = raw.get("expect_dead_letters")
        if dead is not None and (isinstance(dead, bool) or not isinstance(dead, int) or dead < 0):
            raise CasesError(f"{here}: expect_dead_letters must be a whole number ≥ 0")
        cases.append(Case(name, inputs, expect, dead))
    return cases


def check_cases(topology: Topology, cases: list[Case], where: str = "CASES.json") -> None:
    """Raises ``CasesError`` when a case names nodes the topology does not have, or feeds a
    node that is not a source, or expects records of one that is not a sink."""
    sinks = sink_nodes(topology)
    for case in cases:
        here = f"{where}: case '{case.name}'"
        try:
            check_inputs(topology, case.inputs, f"{here}: inputs")
        except InputError as exc:
            raise CasesError(str(exc)) from None
        for node_id in case.expect:
            if node_id not in topology.nodes:
                raise CasesError(
                    f"{here}: expect: there is no node '{node_id}' in the topology "
                    f"(sinks: {', '.join(sinks) or 'none'})"
                )
            if node_id not in sinks:
                raise CasesError(
                    f"{here}: expect: '{node_id}' is a "
                    f"{topology.nodes[node_id].type}, not a sink "
                    f"(sinks: {', '.join(sinks) or 'none'})"
                )


# -- running --------------------------------------------------------------------------


def run_case(topology: Topology, case: Case) -> CaseResult:
    trace = run_trace(topology, case.inputs)
    outputs = trace.outputs()
    diffs = []
    for sink, expected in case.expect.items():
        produced = outputs.get(sink, [])
        if produced != expected:
            diffs.append(diff_sink(sink, expected, produced))
    return CaseResult(case, outputs, trace.dead_letters, diffs, trace)


def _canonical(record: dict) -> str:
    return json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def diff_sink(sink: str, expected: list[dict], produced: list[dict]) -> SinkDiff:
    """Missing and unexpected records, in order; a record produced where another was expected
    (same place, same key) is also reported with the fields that differ."""
    diff = SinkDiff(sink, expected, produced)
    a = [_canonical(r) for r in expected]
    b = [_canonical(r) for r in produced]
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op in ("delete", "replace"):
            diff.missing += [(i, expected[i]) for i in range(i1, i2)]
        if op in ("insert", "replace"):
            diff.unexpected += [(j, produced[j]) for j in range(j1, j2)]
        if op == "replace":
            for i, j in zip(range(i1, i2), range(j1, j2)):
                if expected[i].get("key") == produced[j].get("key"):
                    diff.changed.append((i, j, field_differences(expected[i], produced[j])))
    return diff


def field_differences(expected: Any, produced: Any, path: str = "", limit: int = 6) -> list[str]:
    """``path: expected X, got Y`` for each differing leaf (at most ``limit``)."""
    out: list[str] = []

    def walk(a: Any, b: Any, where: str) -> None:
        if len(out) >= limit:
            return
        if isinstance(a, dict) and isinstance(b, dict):
            for k in list(a) + [k for k in b if k not in a]:
                sub = f"{where}.{k}" if where else str(k)
                if k not in b:
                    out.append(f"{sub}: expected {_short(a[k])}, missing")
                elif k not in a:
                    out.append(f"{sub}: not expected, got {_short(b[k])}")
                elif a[k] != b[k]:
                    walk(a[k], b[k], sub)
            return
        if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
            for i, (x, y) in enumerate(zip(a, b)):
                if x != y:
                    walk(x, y, f"{where}[{i}]")
            return
        if a != b:
            out.append(f"{where or 'record'}: expected {_short(a)}, got {_short(b)}")

    walk(expected, produced, path)
    return out


def _short(value: Any, limit: int = SHOWN_CHARS) -> str:
    text = json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- reporting ------------------------------------------------------------------------


def describe_failure(result: CaseResult) -> list[str]:
    """Lines saying why a case failed: per sink, what is missing and what is unexpected."""
    lines: list[str] = []
    for diff in result.diffs:
        lines.append(
            f"  {diff.sink}: expected {_count(len(diff.expected))}, "
            f"got {_count(len(diff.produced))}"
        )
        changed = {(i, j): fields for i, j, fields in diff.changed}
        by_expected = {i: (j, fields) for (i, j), fields in changed.items()}
        shown_unexpected = set()
        for i, record in diff.missing:
            lines.append(f"    - missing    (expected #{i + 1}) {_short(record)}")
            if i in by_expected:
                j, fields = by_expected[i]
                lines.append(f"    + instead    (output #{j + 1}) {_short(diff.produced[j])}")
                lines += [f"                 {text}" for text in fields]
                shown_unexpected.add(j)
        for j, record in diff.unexpected:
            if j not in shown_unexpected:
                lines.append(f"    + unexpected (output #{j + 1}) {_short(record)}")
    if not result.dead_letters_ok:
        lines.append(
            f"  dead letters: expected {result.case.expect_dead_letters}, got {result.dead_letters}"
        )
        for rec in result.trace.records:
            if rec.error is not None:
                lines.append(f"    at {rec.node}: {rec.error} (key {_short(rec.key, 60)})")
    return lines


def _count(n: int) -> str:
    return f"{n} record{'s' if n != 1 else ''}"


def report(results: list[CaseResult]) -> str:
    lines = []
    for result in results:
        if result.passed:
            lines.append(f"PASS {result.case.name}")
        else:
            lines.append(f"FAIL {result.case.name}")
            lines += describe_failure(result)
    failed = sum(not r.passed for r in results)
    lines.append(
        f"{len(results)} case{'s' if len(results) != 1 else ''}: "
        f"{len(results) - failed} passed, {failed} failed"
    )
    return "\n".join(lines) + "\n"


# -- saving ---------------------------------------------------------------------------


def case_from_trace(name: str, trace: Trace) -> Case:
    """A case whose expectations are what ``trace`` produced at every sink."""
    return Case(
        name,
        {node: list(records) for node, records in trace.inputs.items()},
        trace.outputs(),
        trace.dead_letters,
    )


def save_case(path: str, case: Case) -> None:
    """Adds ``case`` to the CASES.json at ``path`` (replacing a case of the same name), or
    writes a new file. A file that is not a cases file is not overwritten."""
    data: dict = {"cases": []}
    if os.path.exists(path):
        try:
            with open(path, encoding="utf-8-sig") as f:
                data = json.load(f)
        except (OSError, ValueError) as exc:
            raise CasesError(f"{path}: is not a cases file ({exc}); choose another file") from None
        if not isinstance(data, dict) or not isinstance(data.get("cases"), list):
            raise CasesError(f'{path}: is not a cases file (no "cases" list); choose another file')
    data["cases"] = [
        c for c in data["cases"] if not (isinstance(c, dict) and c.get("name") == case.name)
    ]
    data["cases"].append(case.as_json())
    tmp = f"{path}.tmp"
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=2, ensure_ascii=False)
            f.write("\n")
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise CasesError(
            f"cannot write {path}: {exc.strerror or exc}; choose another folder"
        ) from None
