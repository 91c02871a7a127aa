"""The worker process and its supervisor: events flow back, stop is clean, no orphans."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from engine.code.builder import StreamsBuilder
from engine.runtime.worker.supervisor import RunSupervisor

pytestmark = pytest.mark.kafka
ROOT = Path(__file__).resolve().parents[4]


class Events:
    def __init__(self):
        self.items: list[tuple[str, object]] = []
        self.cond = threading.Condition()

    def __call__(self, kind, payload):
        with self.cond:
            self.items.append((kind, payload))
            self.cond.notify_all()

    def wait_for(self, predicate, timeout=30.0):
        deadline = time.monotonic() + timeout
        with self.cond:
            while time.monotonic() < deadline:
                for kind, payload in self.items:
                    if predicate(kind, payload):
                        return payload
                self.cond.wait(0.2)
        raise AssertionError(
            f"no matching event in {timeout} s; got {[k for k, _ in self.items][-20:]}"
        )


def demo(unique: str):
    b = StreamsBuilder(f"sup-{unique}")
    orders = b.generator(f"orders-{unique}", name="orders", rate=300, seed=5)
    paid = orders.filter("value['status'] == 'paid'", name="paid")
    paid.to(f"paid-{unique}", name="out")
    paid.to_console(name="log", limit=5)
    return b.build()


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead for our purposes
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def test_metrics_console_and_samples_reach_the_app(bootstrap, unique):
    events = Events()
    sup = RunSupervisor(demo(unique), bootstrap, events, metrics_interval_s=0.3)
    sup.start()
    try:
        events.wait_for(lambda k, p: k == "status" and p[0] == "running")
        metrics = events.wait_for(lambda k, p: k == "metrics" and p["nodes"]["out"]["out"] > 50)
        assert metrics["nodes"]["paid"]["in"] >= metrics["nodes"]["paid"]["out"]
        assert metrics["rates"]["orders"]["out"] >= 0
        lines = events.wait_for(lambda k, p: k == "console" and len(p) > 0)
        assert lines[0][0] == "log" and "order_id" in lines[0][1]
        sup.preview("paid")
        node, samples = events.wait_for(
            lambda k, p: k == "samples" and p[0] == "paid" and len(p[1]) > 3
        )
        assert all(s["value"]["status"] == "paid" for s in samples)
        assert {"key", "value", "timestamp", "partition", "offset", "topic"} <= set(samples[0])
        assert samples[0]["topic"] == f"orders-{unique}"
        lag = events.wait_for(lambda k, p: k == "metrics" and p["lag"])["lag"]
        assert f"orders-{unique}" in lag
    finally:
        sup.stop()
    events.wait_for(lambda k, p: k == "status" and p[0] == "stopped")
    final = events.wait_for(lambda k, p: k == "finished")
    assert final["nodes"]["out"]["out"] > 0
    assert not sup.running()
    assert multiprocessing.active_children() == []


def test_unreachable_cluster_fails_with_a_reason():
    events = Events()
    b = StreamsBuilder("nowhere")
    b.stream("t", name="s").to("u", name="o")
    sup = RunSupervisor(b.build(), "127.0.0.1:1", events)
    sup.start()
    status = events.wait_for(lambda k, p: k == "status" and p[0] == "failed", timeout=40)
    assert "cannot reach Kafka at 127.0.0.1:1" in status[1]
    events.wait_for(lambda k, p: k == "finished", timeout=10)
    sup.stop()


SCRIPT = """
import sys, time
sys.path.insert(0, {root!r})
from engine.cluster.broker import SandboxBroker
from engine.code.builder import StreamsBuilder
from engine.runtime.worker.supervisor import RunSupervisor
if __name__ == "__main__":
    broker = SandboxBroker().start()
    b = StreamsBuilder("orphans")
    b.generator("o", name="g", rate=50).to("p", name="out")
    sup = RunSupervisor(b.build(), broker.bootstrap, lambda k, p: None)
    sup.start()
    print(broker.process.pid, sup.pid, flush=True)
    time.sleep(120)
"""


def test_killing_the_app_leaves_no_orphan_process(tmp_path):
    script = tmp_path / "app.py"
    script.write_text(SCRIPT.format(root=str(ROOT)))
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    try:
        broker_pid, worker_pid = map(int, proc.stdout.readline().split())
        assert alive(broker_pid) and alive(worker_pid)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and (alive(broker_pid) or alive(worker_pid)):
            time.sleep(0.1)
        assert not alive(broker_pid), "the sandbox broker outlived the app"
        assert not alive(worker_pid), "the run's worker outlived the app"
    finally:
        if proc.poll() is None:
            proc.kill()


def test_children_started_from_a_short_lived_thread_survive_it(bootstrap, unique):
    """The parent-death signal belongs to the forking thread: starting from a worker
    thread that ends must not kill the broker or the run."""
    from engine.cluster.broker import SandboxBroker

    started = {}

    def start():
        started["broker"] = SandboxBroker().start()
        sup = RunSupervisor(demo(unique), bootstrap, Events())
        sup.start()
        started["sup"] = sup

    t = threading.Thread(target=start)
    t.start()
    t.join(30)
    time.sleep(1.5)
    try:
        assert started["broker"].running(), "the broker died with the thread that started it"
        assert started["sup"].running(), "the run died with the thread that started it"
    finally:
        started["sup"].stop()
        started["broker"].stop()
