"""The topology model: graph, file format, node catalogue, validation, safe expressions,
durations, problems and model events.

The bottom layer: imports nothing from the rest of the engine. Everything else builds on
it. ``Topology`` is re-exported here because exported scripts import it from
``engine.model``."""

from engine.model.topology import Edge, ModelError, Node, Topology

__all__ = ["Edge", "ModelError", "Node", "Topology"]
