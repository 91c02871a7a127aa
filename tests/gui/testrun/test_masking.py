"""Masking in a test run (reference §9.12): the traced records the panel shows are masked by the
topology's rules; a saved test case keeps the real values, so the command line passes it."""

from __future__ import annotations

import json

from engine.runtime.testing.testcases import load_cases, run_case
from tests.engine.cli.test_cli_testing import rec, topo
from tests.gui.testrun.test_test_run import inputs_of, load, make, run

PASS = topo(
    [("src", "kafka_source", {"topic": "customers"}), ("out", "kafka_sink", {"topic": "out"})],
    [("src", "out")],
)


def test_traced_records_are_masked_and_a_saved_case_is_not(qtbot, tmp_path):
    data = json.loads(json.dumps(PASS))
    data["settings"] = {"masking": [{"field": "email", "topic": "customers"}]}
    topology = load(data)
    widget = make(qtbot, topology)
    trace = run(qtbot, widget, inputs_of({"src": [rec("k", {"email": "a@x.io", "n": 1}, 1)]}))
    values = [r.value for r in trace.records]
    assert values and all(v == {"email": "***", "n": 1} for v in values)
    widget.follow_record(trace.records[0].n)
    shown = "\n".join(widget.follow_view.texts())
    assert "***" in shown and "a@x.io" not in shown
    cases = tmp_path / "cases.json"
    widget.save_case(str(cases), "masked")
    [case] = load_cases(str(cases))
    assert case.expect == {"out": [{"key": "k", "value": {"email": "a@x.io", "n": 1}}]}
    assert run_case(topology, case).passed
