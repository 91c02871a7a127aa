"""``topology-studio run`` starts its run under the topology's memory limit (RLIMIT_AS)."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest

from engine.code.builder import StreamsBuilder
from tests.engine.faults.harness import cli, env, write_topology

pytestmark = pytest.mark.kafka
ROOT = Path(__file__).resolve().parents[3]


def _address_space_limit(pid: int) -> str | None:
    try:
        for line in Path(f"/proc/{pid}/limits").read_text().splitlines():
            if line.startswith("Max address space"):
                return line.split()[3]
    except OSError:
        return None
    return None


def test_run_is_started_under_its_memory_limit(bootstrap, unique, tmp_path):
    b = StreamsBuilder(f"memlimit-{unique}", worker_memory_limit=1536)
    b.generator(f"orders-{unique}", name="gen", rate=20).to(f"copy-{unique}", name="out")
    path = write_topology(b.build(), tmp_path)
    proc = subprocess.Popen(
        cli("run", str(path), "--bootstrap", bootstrap),
        cwd=ROOT,
        env=env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        # (not any limit: the process may start with one inherited, e.g. from an in-process
        # run of an earlier test, before it sets its own)
        deadline, limit = time.monotonic() + 30, None
        while time.monotonic() < deadline and limit != str(1536 * 1024 * 1024):
            limit = _address_space_limit(proc.pid)
            time.sleep(0.2)
        assert limit == str(1536 * 1024 * 1024)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
