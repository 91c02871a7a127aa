"""Several workers seen as one run: statuses combined, snapshots summed (no broker)."""

from __future__ import annotations

from engine.runtime.worker.instances import InstanceGroup, combined_status, sum_snapshots


def test_combined_status():
    assert combined_status(["stopped", "running"]) == "running"
    assert combined_status(["stopped", "disconnected"]) == "disconnected"
    assert combined_status(["stopped", "failed"]) == "failed"
    assert combined_status(["stopped", "stopped"]) == "stopped"


def test_snapshots_are_summed():
    a = {
        "status": "running",
        "nodes": {"n": {"in": 10, "out": 5, "errors": 1, "late": 0}},
        "rates": {"n": {"in": 2.0, "out": 1.0}},
        "lag": {"t": {"0": 3}},
        "offsets": {"t": {"0": (1, 4)}},
        "elapsed_s": 2.0,
        "group_id": "g",
    }
    b = {
        "status": "running",
        "nodes": {"n": {"in": 7, "out": 7, "errors": 0, "late": 2}},
        "rates": {"n": {"in": 3.5, "out": 3.5}},
        "lag": {"t": {"1": 4}},
        "offsets": {"t": {"1": (0, 4)}},
        "elapsed_s": 3.0,
        "group_id": "g",
    }
    total = sum_snapshots([a, b])
    assert total["nodes"]["n"] == {"in": 17, "out": 12, "errors": 1, "late": 2}
    assert total["rates"]["n"] == {"in": 5.5, "out": 4.5}
    assert total["lag"] == {"t": {"0": 3, "1": 4}}
    assert total["elapsed_s"] == 3.0
    assert total["instances"] == 2


def test_group_reports_once_per_round_and_finishes_when_all_have(tmp_path):
    from engine.code.builder import StreamsBuilder

    b = StreamsBuilder("g")
    b.stream("in", name="src").to("out", name="out")
    events = []
    group = InstanceGroup(b.build(), "127.0.0.1:1", lambda k, p: events.append((k, p)), instances=2)
    snap = {
        "status": "running",
        "nodes": {"src": {"in": 1, "out": 1, "errors": 0, "late": 0}},
        "rates": {},
        "lag": {},
        "offsets": {},
    }
    group._on_event(1, "metrics", snap)
    assert events == []  # the second instance's report waits for the first's
    group._on_event(0, "metrics", snap)
    assert events[-1][0] == "metrics" and events[-1][1]["nodes"]["src"]["in"] == 2
    group._on_event(0, "status", ("running", ""))
    assert events[-1] == ("status", ("running", ""))
    group._on_event(0, "finished", {"nodes": {"src": {"in": 1, "out": 1, "errors": 0, "late": 0}}})
    assert all(k != "finished" for k, _ in events)
    group._on_event(1, "finished", {"nodes": {"src": {"in": 2, "out": 2, "errors": 0, "late": 0}}})
    assert events[-1][0] == "finished" and events[-1][1]["nodes"]["src"]["in"] == 3


def test_each_instances_dashboard_changes_are_tagged_with_it():
    from engine.code.builder import StreamsBuilder

    b = StreamsBuilder("g")
    b.stream("in", name="src").to("out", name="out")
    events = []
    change = {"reset": True, "rows": [("a", None, {"n": 1})], "removed": []}
    group = InstanceGroup(b.build(), "127.0.0.1:1", lambda k, p: events.append((k, p)), instances=2)
    group._on_event(1, "dashboards", {"d": change})
    assert events == [("dashboards", {"d": {**change, "instance": 1}})]
    assert "instance" not in change  # the worker's own payload is left as it was
    one = InstanceGroup(b.build(), "127.0.0.1:1", lambda k, p: events.append((k, p)), instances=1)
    one._on_event(0, "dashboards", {"d": change})
    assert events[-1] == ("dashboards", {"d": change})  # one instance: untagged, as before
