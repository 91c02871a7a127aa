"""Runs anywhere publish their state; ``topology-studio status`` reads it (reference §12)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from engine.cluster.fleet import FORMAT, metrics_topic, topology_sha256
from engine.cluster.fleet_reader import read_topology
from engine.code.builder import StreamsBuilder
from engine.model import fileformat
from tests.engine.kafka_util import consume_all, create_topic, produce

pytestmark = pytest.mark.kafka
ROOT = Path(__file__).resolve().parents[3]


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "gui.launcher", *args]


def env() -> dict:
    return {**os.environ, "PYTHONPATH": str(ROOT), "KAFKA_BOOTSTRAP_SERVERS": ""}


def status(bootstrap: str, app: str) -> tuple[int, dict]:
    done = subprocess.run(
        cli("status", app, "--bootstrap", bootstrap, "--json"),
        cwd=ROOT,
        env=env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return done.returncode, json.loads(done.stdout)


def wait_for(check, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.5)
    raise AssertionError(f"{what} not seen within {timeout} s")


def test_two_instances_share_partitions_and_one_takes_over_when_the_other_is_killed(
    bootstrap, unique, tmp_path
):
    src, out, app = f"in-{unique}", f"out-{unique}", f"fleet-{unique}"
    create_topic(bootstrap, src, partitions=4)
    first = 2_000
    produce(bootstrap, src, [(f"k{i}", {"i": i}) for i in range(first)])
    b = StreamsBuilder(app, commit_interval="200ms")
    b.stream(src, name="src").map("{'i': value['i']}", name="copy").to(out, name="out")
    topology = b.build()
    path = tmp_path / f"{app}.topology.json"
    fileformat.write(topology, path)
    procs = [
        subprocess.Popen(
            cli("run", str(path), "--bootstrap", bootstrap),
            cwd=ROOT,
            env=env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(2)
    ]
    try:

        def both_sharing():
            code, summary = status(bootstrap, app)
            alive = [i for i in summary["instances"] if i["alive"]]
            shares = [set(i["partitions"].get(src, [])) for i in alive]
            if (
                code == 0
                and len(alive) == 2
                and all(shares)
                and summary["nodes"]["src"]["in"] == first
            ):
                return summary, alive, shares
            return None

        summary, alive, shares = wait_for(both_sharing, 60, "two live instances sharing the input")
        assert not shares[0] & shares[1]
        assert shares[0] | shares[1] == {0, 1, 2, 3}
        assert {i["pid"] for i in alive} == {p.pid for p in procs}
        assert summary["nodes"]["out"]["in"] == first
        # the topology they run is on the cluster under its hash
        assert (
            read_topology(bootstrap, app, topology_sha256(topology)).nodes.keys()
            == topology.nodes.keys()
        )

        victim, survivor = procs
        victim.send_signal(signal.SIGKILL)
        victim.wait(10)
        killed = time.monotonic()
        second = 1_000
        produce(bootstrap, src, [(f"k{i}", {"i": i}) for i in range(first, first + second)])

        def victim_gone():
            _code, summary = status(bootstrap, app)
            by_pid = {i["pid"]: i for i in summary["instances"]}
            return not by_pid[victim.pid]["alive"] and by_pid[survivor.pid]["alive"] and summary

        wait_for(victim_gone, 10, "the killed instance not alive")
        assert time.monotonic() - killed <= 11

        def taken_over():
            _code, summary = status(bootstrap, app)
            mine = {i["pid"]: i for i in summary["instances"]}[survivor.pid]
            lag = sum(n for parts in summary["lag"].values() for n in parts.values())
            return set(mine["partitions"].get(src, [])) == {0, 1, 2, 3} and lag == 0 and summary

        wait_for(taken_over, 60, "the survivor owning every partition with no lag")
        values = {
            json.loads(m.value())["i"] for m in consume_all(bootstrap, out, expect=first + second)
        }
        assert values == set(range(first + second))
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()


def test_status_skips_foreign_and_malformed_records(bootstrap, unique):
    app = f"odd-{unique}"
    topic = metrics_topic(app)
    create_topic(bootstrap, topic, partitions=1)
    now = int(time.time() * 1000)
    good = {
        "format": FORMAT,
        "application_id": app,
        "instance": "i-1",
        "host": "h",
        "pid": 7,
        "started_ms": now,
        "time_ms": now,
        "status": "running",
        "reason": "",
        "topology_sha256": "x",
        "partitions": {"t": [0]},
        "nodes": {"n": {"in": 5, "out": 5, "errors": 0, "late": 0}},
        "lag": {"t": {"0": 3}},
    }
    produce(
        bootstrap,
        topic,
        [
            ("a", "not json"),
            ("b", {"format": "someone-else/2"}),
            ("c", b"\x00\xff"),
            ("d", [1, 2, 3]),
            ("i-1", good),
        ],
    )
    code, summary = status(bootstrap, app)
    assert code == 0
    assert summary["skipped"] == 4
    assert [i["instance"] for i in summary["instances"]] == ["i-1"]
    assert summary["nodes"]["n"]["in"] == 5
    assert summary["lag"] == {"t": {"0": 3}}


def test_status_of_an_unknown_application_exits_4_and_unreachable_exits_3(bootstrap, unique):
    done = subprocess.run(
        cli("status", f"nobody-{unique}", "--bootstrap", bootstrap),
        cwd=ROOT,
        env=env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 4
    assert "does not exist" in done.stderr
    done = subprocess.run(
        cli("status", "x", "--bootstrap", "127.0.0.1:1"),
        cwd=ROOT,
        env=env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 3
    assert "cannot reach" in done.stderr


def test_publish_metrics_false_publishes_nothing(bootstrap, unique, tmp_path):
    src, app = f"quiet-in-{unique}", f"quiet-{unique}"
    create_topic(bootstrap, src, partitions=1)
    produce(bootstrap, src, [("k", {"i": 1})])
    b = StreamsBuilder(app, publish_metrics=False)
    b.stream(src, name="src").to(f"quiet-out-{unique}", name="out")
    path = tmp_path / "q.topology.json"
    fileformat.write(b.build(), path)
    done = subprocess.run(
        cli("run", str(path), "--bootstrap", bootstrap, "--until-idle", "1"),
        cwd=ROOT,
        env=env(),
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    from confluent_kafka.admin import AdminClient

    topics = AdminClient({"bootstrap.servers": bootstrap}).list_topics(timeout=10).topics
    assert metrics_topic(app) not in topics
    assert f"{app}-topology" not in topics
