"""A systemd bundle started as its unit says, on this machine: two instances (the unit's
ExecStart, Environment and EnvironmentFile, with the instance numbers 0 and 1) share the
partitions on the sandbox broker and deliver every record once, as one instance would."""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from engine.code.builder import StreamsBuilder
from engine.code.deploy import write_bundle
from engine.code.deploy.platforms import install_dir
from tests.engine.kafka_util import consume_all, create_topic, produce

pytestmark = pytest.mark.kafka
ROOT = Path(__file__).resolve().parents[3]
PARTITIONS = 4


def unit_service_section(text: str) -> dict[str, list[str]]:
    """The [Service] settings of a unit file: name -> values, in order."""
    settings: dict[str, list[str]] = {}
    section = None
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("["):
            section = line
        elif section == "[Service]" and "=" in line and not line.startswith("#"):
            key, _, value = line.partition("=")
            settings.setdefault(key, []).append(value)
    return settings


def env_file(path: Path) -> dict[str, str]:
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            out[key.strip()] = value
    return out


def command_lines(bundle, number: int, state_root: Path) -> tuple[list[str], dict, Path]:
    """What systemd would start as instance ``number``: argv, environment, working folder.
    The unit's installed command is this checkout's (``python -m gui.launcher`` is what the
    console script runs), its folder the bundle's, its state directory (%S) under the test's."""
    unit = (bundle.folder / bundle.names.unit).read_text(encoding="utf-8")
    service = unit_service_section(unit)
    home = install_dir(bundle.names)

    def expand(text: str) -> str:
        return text.replace("%i", str(number)).replace("%S", str(state_root))

    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    for path in service["EnvironmentFile"]:
        assert path.startswith("/etc/topology-studio/")
        environment.update(env_file(bundle.folder / "kafka.env"))  # installed there per README
    for assignment in service["Environment"]:
        key, _, value = expand(assignment).partition("=")
        environment[key] = value
    (argv,) = service["ExecStart"]
    command = shlex.split(expand(argv))
    assert command[0] == f"{home}/venv/bin/topology-studio"
    assert service["WorkingDirectory"] == [home]
    return [sys.executable, "-m", "gui.launcher", *command[1:]], environment, bundle.folder


def status(bootstrap: str, app: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "gui.launcher", "status", app, "--bootstrap", bootstrap, "--json"],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return json.loads(done.stdout) if done.stdout.strip() else {}


def test_two_instances_started_as_the_units_say_share_the_work(bootstrap, unique, tmp_path):
    src, out, app = f"deploy-in-{unique}", f"deploy-out-{unique}", f"deploy-{unique}"
    create_topic(bootstrap, src, partitions=PARTITIONS)
    builder = StreamsBuilder(app, topic_partitions=PARTITIONS, commit_interval="200ms")
    builder.stream(src, name="orders").filter("value['n'] % 3 != 0", name="kept").to(
        out, name="out"
    )
    bundle = write_bundle(builder.build(), "systemd", 2, tmp_path / "bundle", wheel=False)
    env_path = bundle.folder / "kafka.env"
    env_path.write_text(
        env_path.read_text(encoding="utf-8").replace(
            "KAFKA_BOOTSTRAP_SERVERS=broker-1.example.com:9092,broker-2.example.com:9092",
            f"KAFKA_BOOTSTRAP_SERVERS={bootstrap}",
        ),
        encoding="utf-8",
    )
    logs, processes = [], []
    try:
        for number in (0, 1):
            argv, environment, cwd = command_lines(bundle, number, tmp_path / "state")
            assert environment["TOPOLOGY_STUDIO_INSTANCE_SLOT"] == str(number)
            log = open(tmp_path / f"instance-{number}.log", "w+", encoding="utf-8")  # noqa: SIM115
            logs.append(log)
            processes.append(
                subprocess.Popen(argv, env=environment, cwd=cwd, stdout=log, stderr=log)
            )

        def both_share():
            report = status(bootstrap, app)
            alive = [i for i in report.get("instances", []) if i["alive"]]
            held = [set(i["partitions"].get(src, [])) for i in alive]
            if len(alive) == 2 and all(held) and set.union(*held) == set(range(PARTITIONS)):
                return report, held
            return None

        deadline, found = time.monotonic() + 90, None
        while found is None and time.monotonic() < deadline:
            assert all(p.poll() is None for p in processes), _logs(logs)
            found = both_share()
            time.sleep(0.5)
        assert found is not None, "two live instances sharing the partitions: " + _logs(logs)
        report, held = found
        assert held[0].isdisjoint(held[1])
        assert len({i["instance"] for i in report["instances"] if i["alive"]}) == 2

        records = [(f"k{n}", {"n": n}) for n in range(300)]
        produce(bootstrap, src, records)
        expected = Counter(json.dumps(v, sort_keys=True) for _, v in records if v["n"] % 3)
        got = consume_all(bootstrap, out, expect=sum(expected.values()), timeout=60, quiet=3)
        assert Counter(json.dumps(json.loads(m.value()), sort_keys=True) for m in got) == expected
        # the totals summed over both instances: every record read once
        nodes = status(bootstrap, app)["nodes"]
        assert nodes["orders"]["in"] == len(records)
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        for log in logs:
            log.close()
    assert [p.returncode for p in processes] == [0, 0], _logs(logs)


def _logs(logs) -> str:
    text = []
    for log in logs:
        try:
            with open(log.name, encoding="utf-8") as f:
                text.append(f.read()[-3000:])
        except OSError:
            pass
    return "\n---\n".join(text)
