"""Alerts of a real run against the sandbox broker: a node that fails records, a source
that goes quiet, a consumer that stops; each rule fires and resolves, and the webhook
(a local HTTP server) receives exactly the transitions that were notified."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from engine.model.topology import Edge, Node, Topology
from engine.runtime.watch.alert_observer import AlertObserver
from engine.runtime.kafka.run import KafkaRun, RunConfig, RunObserver
from engine.runtime.watch.webhook import WebhookSender
from tests.engine.kafka_util import create_topic, produce


def wait_until(predicate, timeout: float, step: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return False


class Hook:
    """A webhook on 127.0.0.1 that keeps every JSON body POSTed to it; ``fail_first``
    requests are answered 500 (the sender must retry)."""

    def __init__(self, fail_first: int = 0):
        self.bodies: list[dict] = []
        self.requests = 0
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length)
                hook.requests += 1
                if hook.requests <= fail_first:
                    self.send_response(500)
                else:
                    hook.bodies.append(json.loads(body))
                    self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/alerts"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def test_webhook_retries_and_never_blocks():
    hook = Hook(fail_first=2)
    try:
        sender = WebhookSender(hook.url, backoff_s=(0.05,))
        sender.send({"rule": "r", "state": "firing"})
        sender.close(5)
        assert hook.bodies == [{"rule": "r", "state": "firing"}]
        assert hook.requests == 3 and sender.sent == 1
    finally:
        hook.close()
    # Nobody listening (the port is closed now): send() still returns at once.
    logged = []
    sender = WebhookSender(hook.url, backoff_s=(0.05,), timeout_s=0.5, log=logged.append)
    started = time.monotonic()
    for i in range(50):
        sender.send({"rule": f"r{i}", "state": "firing"})
    assert time.monotonic() - started < 0.1
    sender.close(0.1)


class Valve(RunObserver):
    """Stops and restarts the run's consumer from the run's own thread: a consumer that
    stops reading and committing, as a stuck one does."""

    def __init__(self):
        self.run = None
        self.want_paused = False
        self.paused = False

    def on_start(self, run):
        self.run = run

    def on_tick(self, snapshot):
        consumer = self.run.clients.consumer
        if consumer is None or self.want_paused == self.paused:
            return
        (consumer.pause if self.want_paused else consumer.resume)(consumer.assignment())
        self.paused = self.want_paused


@pytest.mark.kafka
def test_rules_fire_and_resolve_on_a_real_run(bootstrap, unique):
    topic = f"alerts-in-{unique}"
    create_topic(bootstrap, topic, 1)
    hook = Hook()
    rules = [
        {"name": "failing", "when": "errors_per_minute", "node": "ratio", "above": 0, "for": "1s"},
        {"name": "quiet", "when": "rate_below", "node": "orders", "below": 30, "for": "1s"},
        {"name": "stuck", "when": "group_status", "for": "1s"},
        {"name": "behind", "when": "lag_records", "node": "orders", "above": 100, "for": "1s"},
    ]
    t = Topology(
        f"alerts-{unique}",
        {
            "alerts": rules,
            "alert_webhook": hook.url,
            "commit_interval": "200ms",
            "publish_metrics": False,
        },
    )
    t.add_node(Node("orders", "kafka_source", {"topic": topic}))
    t.add_node(Node("ratio", "map", {"expr": "value['n'] // value['d']"}))
    t.add_node(Node("out", "kafka_sink", {"topic": f"alerts-out-{unique}"}))
    t.add_edge(Edge("orders", "ratio"))
    t.add_edge(Edge("ratio", "out"))

    logged: list[str] = []
    alerts = AlertObserver(
        t,
        bootstrap=bootstrap,
        log=logged.append,
        interval_s=0.25,
        lag_interval_s=0.4,
        lag_window=4,
        rate_window_s=2.0,
    )
    valve = Valve()
    run = KafkaRun(
        t,
        RunConfig(
            bootstrap=bootstrap,
            session_timeout_ms=2000,
            metrics_interval_s=0.25,
            observers=[alerts, valve],
        ),
    )
    feed = {"mode": "good", "stop": False}

    def producer():
        n = 0
        while not feed["stop"]:
            if feed["mode"] != "quiet":
                d = 0 if feed["mode"] == "bad" else 1
                produce(bootstrap, topic, [(str(n + i), {"n": n + i, "d": d}) for i in range(20)])
                n += 20
            time.sleep(0.1)

    state = alerts.evaluator.current
    result = {}
    runner = threading.Thread(target=lambda: result.setdefault("r", run.run(max_seconds=120)))
    feeder = threading.Thread(target=producer)
    runner.start()
    feeder.start()
    try:
        assert wait_until(
            lambda: (
                run.metrics["out"].out > 200
                and state("quiet")[0] == "ok"
                and state("stuck")[0] == "ok"
            ),
            30,
        ), alerts.alerts()
        start = len(alerts.alerts())

        # A node that fails records.
        feed["mode"] = "bad"
        assert wait_until(lambda: state("failing")[0] == "firing", 10)
        feed["mode"] = "good"
        assert wait_until(lambda: state("failing")[0] == "ok", 10)

        # A source that goes quiet.
        feed["mode"] = "quiet"
        assert wait_until(lambda: state("quiet")[0] == "firing", 15)
        feed["mode"] = "good"
        assert wait_until(lambda: state("quiet")[0] == "ok", 15)

        # A consumer that stops while records keep coming.
        assert wait_until(lambda: state("stuck")[0] == "ok", 10)
        valve.want_paused = True
        # It falls behind first (WARN: the lag window still holds a commit from before the
        # pause), then stalls once every observation in the window shows no progress.
        assert wait_until(
            lambda: (
                state("stuck")[0] == "firing"
                and state("behind")[0] == "firing"
                and state("stuck")[1] == "STALL"
            ),
            20,
        ), state("stuck")
        valve.want_paused = False
        assert wait_until(lambda: state("stuck")[0] == "ok" and state("behind")[0] == "ok", 20)
    finally:
        feed["stop"] = True
        feeder.join(10)
        run.stop()
        runner.join(30)
        alerts.close(10)
        hook.close()
    assert result["r"].status == "stopped", result["r"].reason

    seen = [(a["rule"], a["state"]) for a in alerts.alerts()[start:]]
    assert seen[:4] == [
        ("failing", "firing"),
        ("failing", "resolved"),
        ("quiet", "firing"),
        ("quiet", "resolved"),
    ]
    later = seen[4:]
    for rule in ("stuck", "behind"):
        assert [s for r, s in later if r == rule] == ["firing", "resolved"], seen
    # The rule fires once the group has been WARN or STALL for `for`; its value is the
    # status at that moment, which is WARN when the group was behind for a second before
    # every observation in the lag window showed no progress.
    fired = next(a for a in alerts.alerts() if a["rule"] == "stuck" and a["state"] == "firing")
    assert fired["value"] in ("WARN", "STALL")
    assert all(a["time_ms"] > 1.6e12 for a in alerts.alerts())

    # The webhook got exactly the transitions that were notified, in order.
    notified = [t.as_event(run.application_id) for t in alerts.evaluator.history if t.notify]
    assert hook.bodies == notified
    assert {(b["rule"], b["state"]) for b in hook.bodies} >= {
        ("failing", "firing"),
        ("failing", "resolved"),
        ("stuck", "firing"),
        ("stuck", "resolved"),
    }
    assert hook.bodies[0].keys() == {"application_id", "rule", "state", "time_ms", "value", "node"}
    assert any(line.startswith("alert firing: failing at node ratio") for line in logged), logged


@pytest.mark.kafka
def test_run_command_logs_transitions_and_writes_them_to_metrics_out(bootstrap, unique, tmp_path):
    """``topology-studio run``: a generator that stops after its limit goes quiet; the rule
    fires (a log line, the webhook) and is listed in --metrics-out's alerts."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    from engine.model import fileformat

    root = Path(__file__).resolve().parents[4]
    hook = Hook()
    t = Topology(
        f"alerts-cli-{unique}",
        {
            "alerts": [
                {
                    "name": "generator quiet",
                    "when": "rate_below",
                    "node": "gen",
                    "below": 1,
                    "for": "1s",
                }
            ],
            "alert_webhook": hook.url,
        },
    )
    t.add_node(
        Node(
            "gen",
            "generator_source",
            {"topic": f"alerts-cli-{unique}", "rate": 200, "limit": 100, "seed": 1},
        )
    )
    t.add_node(Node("out", "kafka_sink", {"topic": f"alerts-cli-out-{unique}"}))
    t.add_edge(Edge("gen", "out"))
    path = tmp_path / "quiet.topology.json"
    fileformat.write(t, path)
    metrics = tmp_path / "metrics.json"
    try:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "gui.launcher",
                "run",
                str(path),
                "--bootstrap",
                bootstrap,
                "--max-seconds",
                "12",
                "--metrics-out",
                str(metrics),
            ],
            cwd=root,
            env={**os.environ, "PYTHONPATH": str(root)},
            capture_output=True,
            text=True,
            timeout=90,
            check=False,
        )
    finally:
        hook.close()
    assert done.returncode == 0, done.stderr
    alerts = json.loads(metrics.read_text())["alerts"]
    assert alerts and alerts[-1]["rule"] == "generator quiet" and alerts[-1]["state"] == "firing"
    assert alerts[-1].keys() == {"rule", "state", "time_ms", "value"}
    assert "alert firing: generator quiet at node gen, value 0" in done.stderr
    # Posted: every transition but a firing within a minute of the last posted one (and its
    # resolve). The generator is also quiet before the run has joined its group, so the rule
    # may fire, resolve and fire again within the run.
    expected, last_posted, posting = [], None, False
    for a in alerts:
        if a["state"] == "firing":
            posting = last_posted is None or a["time_ms"] - last_posted >= 60_000
            last_posted = a["time_ms"] if posting else last_posted
        if posting:
            expected.append((a["rule"], a["state"], a["time_ms"], a["value"]))
    assert [(b["rule"], b["state"], b["time_ms"], b["value"]) for b in hook.bodies] == expected
    assert all(b["application_id"] == t.name and b["node"] == "gen" for b in hook.bodies)
    # The run's published state carries the same transitions (its last record, at stop).
    from tests.engine.kafka_util import consume_all

    published = [json.loads(m.value()) for m in consume_all(bootstrap, f"{t.name}-metrics")]
    assert published[-1]["status"] == "stopped"
    assert published[-1]["alerts"] == alerts
