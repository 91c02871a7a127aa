"""The question before Run: asked only when the change since the saved file (or the last
run) resets state and the application's consumer group has committed offsets on the real
broker; naming the nodes and topics; Reset State and Run deletes the offsets first."""

from __future__ import annotations

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition

from engine.cluster.admin import ClusterClient
from gui.app.redeploy_check import CANCEL, RESET, RUN
from gui.monitor.connection import CLUSTER, ConnectionProfile

pytestmark = pytest.mark.kafka


def _commit_offsets(bootstrap: str, group: str, topic: str) -> None:
    producer = Producer({"bootstrap.servers": bootstrap})
    producer.produce(topic, b"x")
    assert producer.flush(10) == 0
    consumer = Consumer(
        {"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False}
    )
    try:
        consumer.commit(offsets=[TopicPartition(topic, 0, 1)], asynchronous=False)
    finally:
        consumer.close()


@pytest.fixture
def app(window, tmp_path, bootstrap, unique, qtbot):
    """The demo as application ``shop-<unique>``, saved, on the test broker; ``start``
    stands for the run (it records the call instead of running the demo)."""
    window.monitor.apply_profile(ConnectionProfile(kind=CLUSTER, name="test", bootstrap=bootstrap))
    window.document.topology.set_name(f"shop-{unique}")
    assert window.files.save_to(tmp_path / "shop.topology.json")
    check = window.redeploy
    answers: list[str] = []
    check.ask = lambda text: (check.asked.append(text), answers.pop(0))[1]
    started: list[bool] = []

    def start() -> bool:
        started.append(True)
        return True

    return window, check, answers, started, start


def _resize_window(window) -> None:
    t = window.document.topology
    t.set_param("revenue", "window", {**t.nodes["revenue"].params["window"], "size": "5m"})


def test_no_question_when_the_change_keeps_state(app, bootstrap, qtbot):
    window, check, _answers, started, start = app
    _commit_offsets(bootstrap, window.document.topology.name, f"{window.document.topology.name}-in")
    window.document.topology.set_param("paid", "expr", "True")
    check.before_run(start)
    assert started == [True]
    assert check.asked == []


def test_no_question_when_the_application_has_no_committed_offsets(app, qtbot):
    window, check, _answers, started, start = app
    _resize_window(window)
    check.before_run(start)
    qtbot.waitUntil(lambda: started == [True], timeout=15_000)
    assert check.asked == []


def test_the_question_names_the_nodes_and_topics_and_cancel_does_not_run(app, bootstrap, qtbot):
    window, check, answers, started, start = app
    name = window.document.topology.name
    _commit_offsets(bootstrap, name, f"{name}-in")
    _resize_window(window)
    window.document.topology.rename_node("sessions", "click_sessions")
    answers.append(CANCEL)
    check.before_run(start)
    qtbot.waitUntil(lambda: bool(check.asked), timeout=15_000)
    qtbot.wait(200)
    text = check.asked[0]
    assert "Since the saved file" in text
    assert "revenue: reset: the window size changes from 1m to 5m" in text
    assert f"{name}-revenue-changelog" in text
    assert "click_sessions: reset: renamed from 'sessions'" in text
    assert f"{name}-sessions-changelog" in text
    assert "product_sales" not in text  # kept: not named
    assert started == []


def test_run_anyway_runs_and_the_next_run_compares_with_it(app, bootstrap, qtbot):
    window, check, answers, started, start = app
    name = window.document.topology.name
    _commit_offsets(bootstrap, name, f"{name}-in")
    _resize_window(window)
    answers.append(RUN)
    check.before_run(start)
    qtbot.waitUntil(lambda: started == [True], timeout=15_000)
    check.before_run(start)  # nothing changed since that run: no second question
    assert started == [True, True]
    assert len(check.asked) == 1


def test_reset_state_and_run_deletes_the_offsets_then_runs(app, bootstrap, qtbot):
    window, check, answers, started, start = app
    name = window.document.topology.name
    _commit_offsets(bootstrap, name, f"{name}-in")
    _resize_window(window)
    answers.append(RESET)
    check.before_run(start)
    qtbot.waitUntil(lambda: started == [True], timeout=30_000)
    client = ClusterClient(bootstrap)
    try:
        assert client.committed(name) == {}
    finally:
        client.close()


def test_run_in_the_app_goes_through_the_check(window, monkeypatch):
    assert window.monitor.before_run == window.redeploy.before_run
    runs = []
    monkeypatch.setattr(window.monitor.controller, "run", lambda: runs.append(1) or True)
    window.act_run.trigger()  # the demo, never saved nor run: nothing to compare with
    assert runs == [1]
    assert window.redeploy.last_run[window.document.topology.name].equivalent(
        window.document.topology
    )


def test_compare_with_the_topology_the_running_application_published(
    window, bootstrap, unique, qtbot
):
    """What a run publishes (§12): a fleet record naming its topology's hash, and the
    topology under that hash; Compare With reads it from the cluster."""
    import json
    import time

    from engine.cluster.fleet import FORMAT, metrics_topic, topology_sha256, topology_topic
    from engine.model import fileformat

    window.monitor.apply_profile(ConnectionProfile(kind=CLUSTER, name="test", bootstrap=bootstrap))
    t = window.document.topology
    t.set_name(f"pub-{unique}")
    running = t.copy()
    sha = topology_sha256(running)
    producer = Producer({"bootstrap.servers": bootstrap})
    producer.produce(topology_topic(t.name), fileformat.dumps(running).encode(), sha.encode())
    now = int(time.time() * 1000)
    fleet_record = {
        "format": FORMAT,
        "application_id": t.name,
        "instance": "i1",
        "host": "h",
        "pid": 1,
        "started_ms": now - 1000,
        "time_ms": now,
        "status": "running",
        "reason": "",
        "topology_sha256": sha,
        "partitions": {},
        "nodes": {},
        "lag": {},
    }
    producer.produce(metrics_topic(t.name), json.dumps(fleet_record).encode(), b"i1")
    assert producer.flush(10) == 0
    t.set_param("revenue", "group_by", "value['region']")
    window.compare.menu.aboutToShow.emit()
    assert window.compare.act_published.isEnabled()
    assert window.compare.compare_with_published()
    qtbot.waitUntil(lambda: window.compare.diff is not None, timeout=30_000)
    assert f"the topology pub-{unique} published" in window.compare.panel.summary.text()
    assert window.compare.diff.changed == {
        "revenue": {"group_by": ("value['category']", "value['region']")}
    }
