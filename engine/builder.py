"""The builder API under the import path exported scripts use; it lives in ``engine.code.builder``."""

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

__all__ = [
    "Aggregation",
    "Branch",
    "GroupedStream",
    "HoppingWindow",
    "KStream",
    "SessionWindow",
    "SlidingWindow",
    "StreamsBuilder",
    "TumblingWindow",
    "window_from_param",
]
