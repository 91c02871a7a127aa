"""A schema registry on the session's sandbox broker, and a confluent-kafka client for it."""

from __future__ import annotations

import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient

from engine.cluster.registry import SchemaRegistryServer


@pytest.fixture(scope="session")
def registry(broker):
    server = SchemaRegistryServer(broker.bootstrap).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def client(registry) -> SchemaRegistryClient:
    return SchemaRegistryClient({"url": registry.url})
