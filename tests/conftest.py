"""Shared fixtures: the real sandbox broker, started once per session on a free port."""

from __future__ import annotations

import os
import uuid

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(scope="session")
def broker():
    """A real Kafka-compatible broker (Tansu) on 127.0.0.1, stopped in all cases."""
    from engine.cluster.broker import SandboxBroker

    sandbox = SandboxBroker()
    sandbox.start()
    try:
        yield sandbox
    finally:
        sandbox.stop()


@pytest.fixture
def bootstrap(broker) -> str:
    return broker.bootstrap


@pytest.fixture
def unique():
    """A unique suffix for topic and group names, so tests never see each other's data."""
    return uuid.uuid4().hex[:8]


def pytest_collection_modifyitems(config, items):
    """The files holding tests marked slow come first (each keeps its own order): with the
    suite spread over processes (./dev.sh test), the longest work starts at once rather than
    last, when the other processes have nothing left to do."""
    slow = {item.path for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.path not in slow)
