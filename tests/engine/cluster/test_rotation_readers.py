"""Readers of a topic, in any process on the machine, keep it from being rotated: a
consumer that has fetched from a topic the sandbox deletes crashes its process."""

from __future__ import annotations

import subprocess
import sys
import uuid

import pytest

from engine.cluster import rotation
from engine.cluster.rotation import RotationError


def test_a_topic_followed_here_or_by_another_process_is_not_rotated():
    topic = f"followed-{uuid.uuid4().hex[:8]}"
    assert not rotation.followed(topic)
    rotation.follow([topic])
    rotation.follow([topic])
    assert rotation.followed(topic)
    with pytest.raises(RotationError), rotation._unfollowed(topic):
        pass
    rotation.unfollow([topic])
    assert rotation.followed(topic)  # one reader left
    rotation.unfollow([topic])
    assert not rotation.followed(topic)

    other = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import time; from engine.cluster import rotation; "
            f"rotation.follow(['{topic}']); print('ok', flush=True); time.sleep(30)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert other.stdout is not None and other.stdout.readline().strip() == "ok"
        assert rotation.followed(topic)
        with pytest.raises(RotationError), rotation._unfollowed(topic):
            pass
    finally:
        other.kill()
        other.wait(10)
    assert not rotation.followed(topic)  # its lock went with it
    with rotation._unfollowed(topic):
        pass
