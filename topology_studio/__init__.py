"""Topology Studio's public name for scripts: the builder API, the run entry point and the
version, under one import that no other distribution is likely to use.

Scripts written by ``topology-studio export`` import from here::

    from topology_studio import StreamsBuilder, Topology, run_main

It is a facade over the engine (``engine.code.builder``, ``engine.code.runner``): it may import
the engine, the engine never imports it (an import-linter contract in pyproject.toml). The older
names (``engine.builder``, ``engine.runner``, ``engine.model``) keep working for scripts
exported before it existed.
"""

from engine import __version__
from engine.code.builder import (
    Aggregation,
    Branch,
    GroupedStream,
    HoppingWindow,
    KStream,
    SessionWindow,
    SlidingWindow,
    StreamsBuilder,
    TumblingWindow,
    window_from_param,
)
from engine.code.runner import run_main
from engine.model.topology import Topology

__all__ = [
    "Aggregation",
    "Branch",
    "GroupedStream",
    "HoppingWindow",
    "KStream",
    "SessionWindow",
    "SlidingWindow",
    "StreamsBuilder",
    "Topology",
    "TumblingWindow",
    "__version__",
    "run_main",
    "window_from_param",
]
