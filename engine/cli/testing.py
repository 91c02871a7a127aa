"""``topology-studio test`` and ``topology-studio trace`` (reference §13): in-process, no broker.

Exit status: 0 every case passed (trace: written), 1 a case failed, 2 FILE, CASES.json or
a records file is unusable (one sentence on stderr).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from engine.code.runner import EXIT_OK, EXIT_USAGE, cannot_write
from engine.model import fileformat
from engine.model.validation import errors, validate

EXIT_FAILED_CASE = 1


def add_parsers(sub) -> None:
    test = sub.add_parser("test", help="run test cases against a topology, without a broker")
    test.add_argument("file", metavar="FILE")
    test.add_argument("cases", metavar="CASES.json")
    test.add_argument("--json", action="store_true", help="print the results as JSON")

    trace = sub.add_parser(
        "trace", help="follow sample records through a topology, without a broker"
    )
    trace.add_argument("file", metavar="FILE")
    trace.add_argument(
        "--input",
        action="append",
        default=[],
        metavar="NODE=RECORDS.jsonl",
        required=True,
        help="records for a source node (repeatable)",
    )
    trace.add_argument("-o", "--output", metavar="TRACE.json")


def _unusable(text: str) -> int:
    print(" ".join(text.splitlines()), file=sys.stderr)
    return EXIT_USAGE


def _load(path: str):
    """The valid topology in ``path``, or a sentence saying why it cannot be used."""
    topology, problems = fileformat.read(path)
    sentence = fileformat.refusal(problems, path)
    if sentence is not None:
        return None, sentence
    problems += [p for p in validate(topology) if p not in problems]
    bad = errors(problems)
    if not bad:
        return topology, None
    more = (
        f" (and {len(bad) - 1} more: topology-studio validate {path} lists them)"
        if len(bad) > 1
        else ""
    )
    first = str(bad[0])
    return None, f"{path} is not a valid topology: {first}{more}"


def cmd_test(args) -> int:
    from engine.runtime.testing.testcases import (
        CasesError,
        check_cases,
        load_cases,
        report,
        run_case,
    )

    topology, why = _load(args.file)
    if topology is None:
        return _unusable(why)
    try:
        cases = load_cases(args.cases)
        check_cases(topology, cases, args.cases)
    except CasesError as exc:
        return _unusable(str(exc))
    results = [run_case(topology, case) for case in cases]
    if args.json:
        json.dump({"cases": [r.as_json() for r in results]}, sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(report(results))
    return EXIT_OK if all(r.passed for r in results) else EXIT_FAILED_CASE


def cmd_trace(args) -> int:
    from engine.model.masking import mask_trace
    from engine.runtime.testing.sample_records import InputRecord
    from engine.runtime.testing.trace import InputError, check_inputs, read_jsonl, run_trace

    topology, why = _load(args.file)
    if topology is None:
        return _unusable(why)
    inputs: dict[str, list[InputRecord]] = {}
    try:
        for spec in args.input:
            node_id, sep, path = spec.partition("=")
            if not sep or not node_id or not path:
                raise InputError(f"--input {spec}: expected NODE=RECORDS.jsonl")
            check_inputs(topology, {node_id: []}, f"--input {spec}")
            inputs.setdefault(node_id, []).extend(read_jsonl(path))
    except InputError as exc:
        return _unusable(str(exc))
    trace = run_trace(topology, inputs)
    mask_trace(trace, topology)  # what is shown is masked (settings.masking)
    text = trace.dumps() + "\n"
    if args.output:
        try:
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as exc:
            return cannot_write(args.output, exc)
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return EXIT_OK
