"""The sandbox broker owns the schema registry: a free port, a URL callers read, stopped
with the broker."""

from __future__ import annotations

import pytest
import requests

from engine.cluster.broker import SandboxBroker, wait_for_port

pytestmark = pytest.mark.kafka


def test_the_sandbox_starts_and_stops_its_registry():
    broker = SandboxBroker().start()
    try:
        url = broker.registry_url
        assert url is not None and url.startswith("http://127.0.0.1:")
        assert requests.get(f"{url}/config", timeout=10).json() == {
            "compatibilityLevel": "BACKWARD"
        }
    finally:
        broker.stop()
    assert broker.registry_url is None
    assert not wait_for_port("127.0.0.1", int(url.rsplit(":", 1)[1]), 0.3)


def test_a_sandbox_without_a_registry():
    with SandboxBroker(registry=False) as broker:
        assert broker.registry_url is None
