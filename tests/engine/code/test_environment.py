"""The environment a deployed run reads: Kafka credentials, the state folder, the slot."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from engine.code.builder import StreamsBuilder
from engine.code.environment import CLIENT_SETTINGS, client_config
from engine.model import fileformat
from engine.runtime.kafka.slots import claim_slot
from engine.runtime.state import default_state_dir

ROOT = Path(__file__).resolve().parents[3]


def test_credentials_come_from_the_environment_and_blanks_are_unset():
    env = {
        "KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
        "KAFKA_SASL_MECHANISM": " PLAIN ",
        "KAFKA_SASL_USERNAME": "svc",
        "KAFKA_SASL_PASSWORD": "",
        "UNRELATED": "x",
    }
    assert client_config(env) == {
        "security.protocol": "SASL_SSL",
        "sasl.mechanism": "PLAIN",
        "sasl.username": "svc",
    }
    assert set(CLIENT_SETTINGS.values()) >= {"sasl.password", "ssl.ca.location"}


def test_the_state_folder_and_slots_follow_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("TOPOLOGY_STUDIO_STATE_DIR", str(tmp_path / "state"))
    assert default_state_dir() == str(tmp_path / "state")
    slot = claim_slot("app")
    try:
        assert (tmp_path / "state" / "app" / f"instance-{slot.number}.lock").exists()
    finally:
        slot.release()
    monkeypatch.setenv("TOPOLOGY_STUDIO_STATE_DIR", "  ")
    assert default_state_dir() == os.path.join(tempfile.gettempdir(), "topology-studio")


@pytest.mark.kafka
def test_run_logs_in_with_the_credentials_of_the_environment(bootstrap, tmp_path):
    """The sandbox speaks plaintext: told to log in with SASL over TLS, the run cannot reach
    it, which shows the settings reached its clients."""
    builder = StreamsBuilder("creds-app")
    builder.stream("creds-in", name="src").to("creds-out", name="out")
    path = tmp_path / "t.topology.json"
    fileformat.write(builder.build(), path)
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
        "KAFKA_SASL_MECHANISM": "PLAIN",
        "KAFKA_SASL_USERNAME": "u",
        "KAFKA_SASL_PASSWORD": "p",
    }
    done = subprocess.run(
        [sys.executable, "-m", "gui.launcher", "run", str(path), "--max-seconds", "5"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 3, done.stderr
    assert "cannot reach Kafka" in done.stderr
