"""Schema registries for the schema-format tests: confluent-kafka's own mock client
(``mock://``), one fresh registry per test."""

import itertools

import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient

_names = itertools.count()


@pytest.fixture
def registry():
    return SchemaRegistryClient.new_client({"url": f"mock://schemas-{next(_names)}"})
