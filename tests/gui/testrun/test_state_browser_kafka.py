"""Browse State on a live run on the sandbox broker: the windows shown are the aggregates of
the records produced so far, computed here independently; a search finds one key; the run
goes on meanwhile."""

from __future__ import annotations

import pytest

from gui.monitor.connection import CLUSTER, ConnectionProfile
from gui.monitor.qt_run_controller import RunController
from gui.testrun.qt_state_browser import QtStateBrowser
from tests.engine.kafka_util import create_topic, produce
from tests.engine.runtime.testing.test_state_view import expected_windows, records, shown, topology

pytestmark = pytest.mark.kafka


def test_the_state_shown_equals_the_aggregates_of_what_was_produced(qtbot, bootstrap, unique):
    topo = topology(unique, partitions=3)
    for name in ("in", "out", "customers", "enriched"):
        create_topic(bootstrap, f"{name}-{unique}", 3)
    controller = RunController(
        ConnectionProfile(kind=CLUSTER, name="test", bootstrap=bootstrap), metrics_interval_s=0.3
    )
    controller.set_topology_provider(lambda: topo)
    browser = QtStateBrowser(lambda: topo, controller.request_state, lambda: None)
    qtbot.addWidget(browser)
    controller.stateReceived.connect(browser.on_reply)
    counts: dict = {}
    controller.nodeMetrics.connect(lambda m: counts.update(m))
    try:
        assert controller.run()
        qtbot.waitUntil(lambda: controller.status == "running", timeout=30_000)
        produced = []
        for batch, seed in enumerate((4, 5)):
            values = records(300, seed, start_ts=batch * 3_600_000)
            produce(bootstrap, f"in-{unique}", [(v["g"], v) for v in values])
            produced += values
            n = len(produced)
            qtbot.waitUntil(
                lambda n=n: counts.get("per_hour", {}).get("in", 0) >= n, timeout=60_000
            )
            browser.open_node("per_hour")
            expected = expected_windows(produced)
            qtbot.waitUntil(lambda e=expected: shown(browser.model.rows) == e, timeout=10_000)
            assert f"of {len(expected):,}" in browser.status.text()
            assert "live run" in browser.status.text()
        browser.search.setText("g05")
        qtbot.waitUntil(
            lambda: bool(browser.model.rows) and {r[1] for r in browser.model.rows} == {"g05"},
            timeout=10_000,
        )
        assert shown(browser.model.rows) == {
            k: v for k, v in expected_windows(produced).items() if k[0] == "g05"
        }
        assert controller.status == "running"
    finally:
        controller.shutdown()


def test_samples_from_the_latest_records_of_the_source_topics(qtbot, bootstrap, unique):
    from engine.cluster.admin import ClusterClient
    from gui.testrun.qt_test_run import TOPICS, QtTestRun

    topo = topology(unique, partitions=1)
    create_topic(bootstrap, f"in-{unique}", 1)
    values = records(30, 9)
    produce(bootstrap, f"in-{unique}", [(v["g"], v) for v in values])
    client = ClusterClient(bootstrap)
    widget = QtTestRun(lambda: topo, lambda: client)
    qtbot.addWidget(widget)
    try:
        widget.count.setValue(10)
        widget.load_samples(TOPICS)
        qtbot.waitUntil(lambda: bool(widget.samples.get("src")), timeout=20_000)
        assert [(r.key, r.value) for r in widget.samples["src"]] == [
            (v["g"], v) for v in values[-10:]
        ]
        assert widget.samples["customers"] == []  # its topic does not exist: no records
        widget.run_test()
        qtbot.waitUntil(lambda: widget.trace is not None, timeout=60_000)
        assert widget.trace.metrics["per_hour"]["in"] == 10
    finally:
        client.close()
