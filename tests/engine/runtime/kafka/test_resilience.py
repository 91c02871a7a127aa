"""A broker that goes away: the run says so, keeps reporting, and resumes when it is back."""

from __future__ import annotations

import threading
import time

import pytest

from engine.cluster.broker import SandboxBroker, free_port
from engine.code.builder import StreamsBuilder
from engine.runtime.kafka.run import KafkaRun, RunConfig

pytestmark = pytest.mark.kafka


def wait_until(predicate, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_broker_lost_mid_run_then_back():
    port = free_port()
    broker = SandboxBroker(port=port).start()
    b = StreamsBuilder("resilience")
    b.generator("orders", name="gen", rate=300).to("copy", name="copy")
    statuses, snapshots = [], []
    run = KafkaRun(
        b.build(),
        RunConfig(
            bootstrap=broker.bootstrap,
            session_timeout_ms=2000,
            metrics_interval_s=0.5,
            on_status=lambda s, r: statuses.append(s),
            on_metrics=snapshots.append,
        ),
    )
    result = {}
    thread = threading.Thread(target=lambda: result.setdefault("r", run.run(max_seconds=90)))
    thread.start()
    try:
        assert wait_until(lambda: snapshots and snapshots[-1]["nodes"]["copy"]["out"] > 200, 20)
        broker.stop()
        assert wait_until(lambda: run.status == "disconnected", 15)
        seen = len(snapshots)
        assert wait_until(lambda: len(snapshots) >= seen + 3, 5), (
            "metrics must keep flowing while disconnected"
        )
        assert all(s["status"] == "disconnected" for s in snapshots[seen:])

        broker = SandboxBroker(port=port).start()  # empty: the run recreates its topics
        assert wait_until(lambda: run.status == "running", 30)
        before = run.metrics["copy"].out
        assert wait_until(lambda: run.metrics["copy"].out > before + 300, 30), (
            "processing must resume"
        )
    finally:
        run.stop()
        thread.join(30)
        broker.stop()
    assert result["r"].status == "stopped", result["r"].reason
    assert run.cluster_id == "topology-studio-sandbox"  # recognised: no idempotent producer
    assert statuses[:2] == ["running", "disconnected"] and statuses[-1] == "stopped"


def test_stop_while_disconnected_returns_within_the_grace_period():
    broker = SandboxBroker().start()
    b = StreamsBuilder("stop-offline")
    b.generator("orders", name="gen", rate=300).to("copy", name="copy")
    run = KafkaRun(b.build(), RunConfig(bootstrap=broker.bootstrap, session_timeout_ms=2000))
    result = {}
    thread = threading.Thread(target=lambda: result.setdefault("r", run.run()))
    thread.start()
    try:
        assert wait_until(lambda: run.metrics["copy"].out > 100, 20)
        broker.stop()
        assert wait_until(lambda: run.status == "disconnected", 15)
        started = time.monotonic()
        run.stop()
        thread.join(30)
        assert time.monotonic() - started < 10
    finally:
        broker.stop()
    assert result["r"].status == "stopped"
    assert "read again on the next run" in result["r"].reason or result["r"].reason == ""
