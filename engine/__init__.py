"""Topology Studio's engine: the topology model, the node catalogue, validation,
the runtime that executes a topology against Kafka, metrics, and code export.

Qt-free by contract (see the import-linter contract in pyproject.toml)."""

from engine.model import Edge, Node, Topology

__all__ = ["Edge", "Node", "Topology"]
