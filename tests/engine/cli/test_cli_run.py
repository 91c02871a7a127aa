"""``topology-studio run`` as a user runs it: a subprocess, signals, exit codes, metrics file."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from engine.code.builder import StreamsBuilder
from engine.model import fileformat
from tests.engine.kafka_util import consume_all, create_topic, produce

pytestmark = pytest.mark.kafka
ROOT = Path(__file__).resolve().parents[3]


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "gui.launcher", *args]


def env() -> dict:
    return {**os.environ, "PYTHONPATH": str(ROOT), "KAFKA_BOOTSTRAP_SERVERS": ""}


def write(topology, tmp_path: Path) -> Path:
    path = tmp_path / f"{topology.name}.topology.json"
    fileformat.write(topology, path)
    return path


def test_sigint_mid_stream_then_restart_loses_no_record(bootstrap, unique, tmp_path):
    src, out, total = f"in-{unique}", f"out-{unique}", 40_000
    create_topic(bootstrap, src, partitions=2)
    # Input keeps arriving while the run is interrupted, so the stop lands mid-stream.
    writer = threading.Thread(
        target=lambda: [
            (
                produce(
                    bootstrap, src, [(f"k{i % 97}", {"i": i}) for i in range(start, start + 1_000)]
                ),
                time.sleep(0.25),
            )
            for start in range(0, total, 1_000)
        ]
    )
    writer.start()
    b = StreamsBuilder(f"restart-{unique}", commit_interval="200ms")
    b.stream(src, name="src").map("{'i': value['i'], 'sq': value['i'] * value['i']}", name="sq").to(
        out, name="out"
    )
    path = write(b.build(), tmp_path)

    proc = subprocess.Popen(
        cli("run", str(path), "--bootstrap", bootstrap),
        cwd=ROOT,
        env=env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if len(consume_all(bootstrap, out, timeout=0.5, quiet=0.2)) > 0:
                break
        proc.send_signal(signal.SIGINT)
        stopped_at = time.monotonic()
        code = proc.wait(timeout=30)
        assert time.monotonic() - stopped_at < 10
    finally:
        if proc.poll() is None:
            proc.kill()
    assert code == 0, proc.stderr.read()
    first = consume_all(bootstrap, out, timeout=10, quiet=1.0)
    writer.join()
    assert 0 < len(first) < total, (
        "the run must be interrupted mid-stream for this test to mean anything"
    )

    metrics = tmp_path / "metrics.json"
    second = subprocess.run(
        cli(
            "run",
            str(path),
            "--bootstrap",
            bootstrap,
            "--until-idle",
            "1.5",
            "--metrics-out",
            str(metrics),
        ),
        cwd=ROOT,
        env=env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert second.returncode == 0, second.stderr
    seen = {
        json.loads(m.value())["i"] for m in consume_all(bootstrap, out, expect=total, timeout=60)
    }
    assert seen == set(range(total))
    report = json.loads(metrics.read_text())
    assert set(report) == {"nodes", "lag", "records_per_second", "elapsed_s"}
    assert (
        report["nodes"]["src"]["in"] <= total - len(first) + 2_000
    )  # resumed near where it stopped
    assert report["lag"] == {src: {"0": 0, "1": 0}}


def test_sigterm_stops_cleanly(bootstrap, unique, tmp_path):
    b = StreamsBuilder(f"term-{unique}")
    b.generator(f"gen-{unique}", name="gen", rate=200).to(f"copy-{unique}", name="copy")
    path = write(b.build(), tmp_path)
    proc = subprocess.Popen(
        cli("run", str(path), "--bootstrap", bootstrap),
        cwd=ROOT,
        env=env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(4)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=15) == 0
    assert "stopped" in proc.stderr.read()


def test_exit_codes(tmp_path, unique):
    good = StreamsBuilder(f"codes-{unique}")
    good.stream("t", name="s").to("u", name="o")
    path = write(good.build(), tmp_path)
    unreachable = subprocess.run(
        cli("run", str(path), "--bootstrap", "127.0.0.1:1"),
        cwd=ROOT,
        env=env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert unreachable.returncode == 3
    assert "cannot reach Kafka at 127.0.0.1:1" in unreachable.stderr
    assert "Traceback" not in unreachable.stderr

    broken = tmp_path / "broken.topology.json"
    broken.write_text(
        '{"format": "topology-studio/1", "name": "b", "nodes": [{"id": "x", "type": "nope"}], "edges": []}'
    )
    invalid = subprocess.run(
        cli("run", str(broken), "--sandbox"),
        cwd=ROOT,
        env=env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert invalid.returncode == 1
    assert invalid.stderr.startswith("x: unknown node type 'nope'")

    usage = subprocess.run(
        cli("run"), cwd=ROOT, env=env(), capture_output=True, text=True, timeout=60
    )
    assert usage.returncode == 2


def test_run_with_sandbox_and_max_seconds(tmp_path, unique):
    b = StreamsBuilder(f"sandbox-{unique}")
    b.generator("orders", name="gen", rate=100, seed=1).filter(
        "value['status'] == 'paid'", name="paid"
    ).to_console(name="log", limit=3)
    path = write(b.build(), tmp_path)
    metrics = tmp_path / "m.json"
    done = subprocess.run(
        cli("run", str(path), "--sandbox", "--max-seconds", "6", "--metrics-out", str(metrics)),
        cwd=ROOT,
        env=env(),
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert done.returncode == 0, done.stderr
    assert "sandbox broker on 127.0.0.1:" in done.stderr
    assert "schema registry: http://127.0.0.1:" in done.stderr
    assert done.stdout.count("[log] ") == 3
    report = json.loads(metrics.read_text())
    assert report["nodes"]["gen"]["out"] > 0
    assert report["nodes"]["log"]["out"] == 3


def test_broker_command_runs_in_the_foreground_until_interrupted():
    from engine.cluster.broker import free_port, wait_for_port

    port = free_port()
    proc = subprocess.Popen(
        cli("broker", "--port", str(port)),
        cwd=ROOT,
        env=env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert wait_for_port("127.0.0.1", port, 5), "the sandbox broker did not listen"
        from confluent_kafka.admin import AdminClient

        assert (
            AdminClient({"bootstrap.servers": f"127.0.0.1:{port}"}).list_topics(timeout=5).brokers
        )
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
        assert f"listening on 127.0.0.1:{port}" in proc.stderr.read()
        assert not wait_for_port("127.0.0.1", port, 0.3), "the broker outlived the command"
    finally:
        if proc.poll() is None:
            proc.kill()


def test_broker_command_on_a_port_in_use_or_not_a_port_says_so(capsys):
    import socket

    from engine.cli import main

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        # The other listener would answer the broker's readiness check: it must not be taken for it.
        assert main(["broker", "--port", str(port)]) == 3
    assert capsys.readouterr().err == (
        f"cannot start the sandbox broker: port {port} on 127.0.0.1 "
        "is already in use; choose another port\n"
    )
    for bad in ("99999", "0", "x"):
        with pytest.raises(SystemExit) as exited:
            main(["broker", "--port", bad])
        assert exited.value.code == 2
        assert f"argument --port: '{bad}' is not a port (1-65535)" in capsys.readouterr().err


def test_broker_command_says_when_the_broker_stops_by_itself():
    from engine.cluster.broker import free_port

    port = free_port()
    proc = subprocess.Popen(
        cli("broker", "--port", str(port)),
        cwd=ROOT,
        env=env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stderr), daemon=True)
    reader.start()
    try:
        # The command's own line: it has seen the broker listen and now watches it.
        deadline = time.monotonic() + 10
        while not any("sandbox broker listening" in line for line in lines):
            assert time.monotonic() < deadline and proc.poll() is None, lines
            time.sleep(0.05)
        children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
        [broker_pid] = [int(c) for c in children]
        os.kill(broker_pid, signal.SIGKILL)
        assert proc.wait(timeout=10) == 3
        reader.join(5)
        assert lines[-1] == "the sandbox broker stopped by itself (exit code -9)\n"
    finally:
        if proc.poll() is None:
            proc.kill()


def test_a_broker_that_exits_at_start_is_reported_at_once(monkeypatch):
    from engine.cluster import broker

    monkeypatch.setattr(broker, "tansu_path", lambda: Path("/bin/false"))
    started = time.monotonic()
    with pytest.raises(
        broker.BrokerError, match=r"^the sandbox broker exited at start \(code 1\)$"
    ):
        broker.SandboxBroker().start()
    assert time.monotonic() - started < broker.READY_TIMEOUT_S / 2  # not after the whole wait


@pytest.mark.parametrize("option", ["--application-id", "--group-id"])
def test_the_application_id_names_the_group_and_the_internal_topics(
    bootstrap, unique, tmp_path, option
):
    """Kafka Streams' application.id: one option (two spellings), and its help says so."""
    from confluent_kafka.admin import AdminClient

    src, app = f"in-{unique}", f"app-{unique}"
    create_topic(bootstrap, src)
    produce(bootstrap, src, [(f"k{i}", {"k": i % 3}) for i in range(30)])
    b = StreamsBuilder(f"named-{unique}")
    b.stream(src, name="src").group_by("value['k']", name="counts").count().to(
        f"out-{unique}", name="out"
    )
    path = write(b.build(), tmp_path)
    done = subprocess.run(
        cli("run", str(path), "--bootstrap", bootstrap, option, app, "--until-idle", "2"),
        cwd=ROOT,
        env=env(),
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert done.returncode == 0, done.stderr
    admin = AdminClient({"bootstrap.servers": bootstrap})
    topics = set(admin.list_topics(timeout=10).topics)
    assert {f"{app}-counts-repartition", f"{app}-counts-changelog"} <= topics
    assert not any(t.startswith(f"named-{unique}-") for t in topics)
    groups = {g.group_id for g in admin.list_consumer_groups().result(timeout=10).valid}
    assert app in groups
    usage = subprocess.run(
        cli("run", "--help"), cwd=ROOT, env=env(), capture_output=True, text=True
    )
    assert "--application-id ID, --group-id ID" in usage.stdout
    assert "the application id: its consumer group and the prefix of its internal topics" in (
        " ".join(usage.stdout.split())
    )


def test_a_run_loads_only_what_it_uses():
    """`topology-studio run` starts without the libraries of what it does not do: deploy
    bundles (packaging, zip files), Protobuf (only a run reading it), alert webhooks (http,
    email): each cost the start of every run a noticeable share of its CPU."""
    code = (
        "import sys\n"
        "from engine.cli import build_parser\n"
        "build_parser()\n"
        "import engine.code.runner, engine.runtime.kafka.run\n"
        "import engine.runtime.watch.alert_observer, engine.runtime.watch.publisher\n"
        "heavy = ('google.protobuf', 'packaging.requirements', 'zipfile', 'http.client',\n"
        "         'urllib.request', 'email.parser', 'PySide6')\n"
        "print(' '.join(m for m in heavy if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == ""
