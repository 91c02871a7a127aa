"""``topology-studio broker --registry-port M``: the schema registry beside the broker."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import requests

from engine.cluster.broker import free_port, wait_for_port

pytestmark = pytest.mark.kafka
ROOT = Path(__file__).resolve().parents[3]


def test_broker_command_prints_and_serves_the_registry_url():
    port, registry_port = free_port(), free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gui.launcher",
            "broker",
            "--port",
            str(port),
            "--registry-port",
            str(registry_port),
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    said = threading.Event()

    def read() -> None:
        for line in proc.stderr:
            lines.append(line)
            if line.startswith("schema registry:"):
                said.set()

    threading.Thread(target=read, daemon=True).start()
    try:
        assert said.wait(15), "".join(lines)
        url = f"http://127.0.0.1:{registry_port}"
        assert f"schema registry: {url}\n" in lines
        body = {"schema": '{"type": "string"}'}
        answer = requests.post(f"{url}/subjects/s/versions", json=body, timeout=20)
        assert answer.json() == {"id": 1}
        assert requests.get(f"{url}/subjects", timeout=5).json() == ["s"]
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0
        assert not wait_for_port("127.0.0.1", registry_port, 0.3), "the registry outlived it"
    finally:
        if proc.poll() is None:
            proc.kill()


def test_a_registry_port_in_use_is_a_sentence_and_exit_code_3(capsys):
    from engine.cli import main

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["broker", "--port", str(free_port()), "--registry-port", str(port)]) == 3
    assert capsys.readouterr().err == (
        f"cannot start the sandbox broker: the schema registry's port {port} on 127.0.0.1 "
        "is already in use; choose another port\n"
    )
    with pytest.raises(SystemExit) as exited:
        main(["broker", "--registry-port", "70000"])
    assert exited.value.code == 2
