"""Topology Studio's engine, Qt-free by contract (import-linter, pyproject.toml).

Four layers, each allowed to use only those below it:

- ``engine.cli``      the command line (``topology-studio run|validate|export|...``)
- ``engine.code``     builder API, Python export/import, Kafka Streams describe(), the runner
- ``engine.runtime``  compiler, operators, state, windows, serde, the local and the Kafka run
- ``engine.cluster``  sandbox broker, admin/cluster client, consumer lag, process priority
- ``engine.model``    topology, file format, catalogue, validation, expressions, durations

Exported scripts import the top-level facade ``topology_studio``; ``engine.builder`` and
``engine.runner`` (re-exports from ``engine.code``) keep working for scripts exported before it.
"""

from engine.model.topology import Edge, Node, Topology

# The one version number: pyproject.toml reads it from here, the command line's --version
# and Help > About show it, the packaged folder and tarball are named after it.
__version__ = "0.1.0"

__all__ = ["Edge", "Node", "Topology", "__version__"]
