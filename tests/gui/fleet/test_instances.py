"""The Instances panel on plain summaries: rows keep their places, Stop acts on the selected
row's instance, a new run starts the list over, and each instance's rates are shown."""

from __future__ import annotations

import pytest

from gui.fleet.qt_instances import QtInstancesWidget


def instance(name: str, pid: int, last_seen_ms: float, status: str = "running", alive=True):
    return {
        "instance": name,
        "host": "vm",
        "pid": pid,
        "status": status,
        "alive": alive,
        "partitions": {"orders": [0]},
        "last_seen_ms": last_seen_ms,
    }


def summary(*instances, rates=None, now_ms=10_000):
    return {
        "application_id": "shop",
        "instances": list(instances),
        "instance_rates": rates or {},
        "now_ms": now_ms,
    }


@pytest.fixture
def panel(qtbot):
    w = QtInstancesWidget()
    qtbot.addWidget(w)
    w.show()
    return w


def test_rows_keep_their_places_and_stop_acts_on_the_selected_instance(panel, qtbot):
    panel.own_pids = {11, 22}
    a, b = instance("a", 11, 9_000), instance("b", 22, 9_500)
    panel.show_summary(summary(b, a))  # the fleet lists the most recently heard first
    assert [r[0] for r in panel.rows()] == ["b", "a"]
    panel.table.selectRow(1)  # "a"
    for latest in (a, b, a, b):  # whoever spoke last comes first in each summary
        latest["last_seen_ms"] += 1_000
        first, second = (latest, b if latest is a else a)
        panel.show_summary(summary(first, second))
        assert [r[0] for r in panel.rows()] == ["b", "a"]
        assert panel.selected_instance() == "a"
    with qtbot.waitSignal(panel.stopRequested) as stopped:
        panel.stop_button.click()
    assert stopped.args == [11]


def test_a_new_run_lists_only_its_own_and_live_instances(panel):
    old = instance("old", 1, 2_000, status="stopped", alive=False)
    other = instance("headless", 2, 9_900)  # another process running the app, still live
    panel.show_summary(summary(old, other))
    assert {r[0] for r in panel.rows()} == {"old", "headless"}
    panel.clear("starting", since_ms=5_000)
    new = instance("new", 3, 9_950)
    panel.show_summary(summary(new, other, old))
    assert [r[0] for r in panel.rows()] == ["new", "headless"]


def test_each_instance_shows_its_rates(panel):
    panel.set_roles(["orders"], ["out"])
    rates = {
        "a": {"orders": {"in": 40.0, "out": 40.0}, "out": {"in": 12.5, "out": 12.5}},
        "b": {"orders": {"in": 60.0, "out": 60.0}, "out": {"in": 7.0, "out": 7.0}},
    }
    panel.show_summary(summary(instance("a", 1, 9_990), instance("b", 2, 9_990), rates=rates))
    assert [(r[5], r[6]) for r in panel.rows()] == [("40.0", "12.5"), ("60.0", "7.0")]


def test_rates_of_an_instance_running_another_topology_than_the_roles_say(panel):
    panel.set_roles(["orders"], ["out"])  # the open document's nodes
    rates = {"a": {"src": {"in": 25.0, "out": 25.0}, "snk": {"in": 20.0, "out": 20.0}}}
    panel.show_summary(summary(instance("a", 1, 9_990), rates=rates))
    assert panel.rows()[0][5] == "25.0"


def test_stop_is_offered_for_own_live_instances_only(panel):
    panel.own_pids = {1}
    panel.show_summary(
        summary(instance("a", 1, 9_990), instance("z", 9, 2_000, "stopped", alive=False))
    )
    panel.table.selectRow(0)
    assert panel.stop_button.isEnabled()
    panel.table.selectRow(1)
    assert not panel.stop_button.isEnabled()
