"""A run's figures: counters per node, recent rates, offsets and lag per partition.

High watermarks come from fetch responses (exact on every broker, no extra request);
lag is the high watermark minus the committed offset, so it counts what a restart
would read again."""

from __future__ import annotations

import time
from typing import Callable

from confluent_kafka import KafkaException

from engine.runtime.kafka.lifecycle import RunState
from engine.runtime.operators.base import NodeMetrics

RATE_WINDOW_S = 5


class RunMetrics:
    """``tick()`` is called every loop turn and reports at most once per ``interval_s``,
    while ``listening()`` (a snapshot costs a little: none is made for nobody)."""

    def __init__(self, nodes: dict[str, NodeMetrics], state: RunState, application_id: str,
                 committed: dict[tuple[str, int], int], *, interval_s: float = 1.0,
                 report: Callable[[dict], None] | None = None,
                 listening: Callable[[], bool] = lambda: True):
        self.nodes = nodes
        self.state = state
        self.application_id = application_id
        self.committed = committed
        self.interval_s = interval_s
        self.report = report
        self.listening = listening
        self.consumer = None
        self.started = time.monotonic()
        self.next_report = 0.0
        self.final_lag: dict = {}
        self._rate_window: list[tuple[float, dict]] = []

    def tick(self) -> None:
        if self.report is None or not self.listening():
            return
        now = time.monotonic()
        if now >= self.next_report:
            self.next_report = now + self.interval_s
            self.report(self.snapshot())

    def snapshot(self) -> dict:
        """Counters, lag per partition and recent rates, as plain data."""
        now = time.monotonic()
        nodes = {node_id: m.as_dict() for node_id, m in self.nodes.items()}
        window = self._rate_window
        window.append((now, nodes))
        while len(window) > 2 and now - window[0][0] > RATE_WINDOW_S:
            window.pop(0)
        t0, first = window[0]
        span = now - t0
        rates = {}
        for node_id, counts in nodes.items():
            before = first.get(node_id, counts)
            rates[node_id] = {
                "in": round((counts["in"] - before["in"]) / span, 2) if span > 0 else 0.0,
                "out": round((counts["out"] - before["out"]) / span, 2) if span > 0 else 0.0,
            }
        offsets = self.offsets()
        return {"status": self.state.status, "reason": self.state.reason, "nodes": nodes,
                "rates": rates, "lag": lag_of(offsets), "offsets": offsets,
                "elapsed_s": round(now - self.started, 3), "group_id": self.application_id}

    def lag(self) -> dict[str, dict[str, int]]:
        """Lag per partition: high watermark − committed offset."""
        return lag_of(self.offsets())

    def offsets(self) -> dict[str, dict[str, tuple[int, int]]]:
        """(committed offset, high watermark) per assigned partition."""
        consumer = self.consumer
        if consumer is None:
            return {}
        out: dict[str, dict[str, tuple[int, int]]] = {}
        try:
            assignment = consumer.assignment()
        except (KafkaException, RuntimeError):
            return {}
        for tp in assignment:
            try:
                _, high = consumer.get_watermark_offsets(tp, cached=True)
            except (KafkaException, RuntimeError):
                continue
            if high is None or high < 0:
                continue
            committed = self.committed.get((tp.topic, tp.partition), 0)
            out.setdefault(tp.topic, {})[str(tp.partition)] = (committed, high)
        return out

    def final(self) -> dict:
        elapsed = time.monotonic() - self.started
        nodes = {node_id: m.as_dict() for node_id, m in self.nodes.items()}
        return {
            "nodes": nodes,
            "lag": self.final_lag,
            "records_per_second": {node_id: round(c["in"] / elapsed, 2) if elapsed > 0 else 0.0
                                   for node_id, c in nodes.items()},
            "elapsed_s": round(elapsed, 3),
        }


def lag_of(offsets: dict[str, dict[str, tuple[int, int]]]) -> dict[str, dict[str, int]]:
    return {topic: {p: max(0, high - committed) for p, (committed, high) in parts.items()}
            for topic, parts in offsets.items()}
