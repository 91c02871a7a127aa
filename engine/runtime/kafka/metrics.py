"""A run's figures: counters per node, recent rates, offsets and lag per partition.

High watermarks come from fetch responses (exact on every broker, no extra request);
lag is the high watermark minus the committed offset, so it counts what a restart
would read again."""

from __future__ import annotations

import time
from collections.abc import Callable

from confluent_kafka import KafkaException, TopicPartition

from engine.runtime.kafka.clients import RunClients
from engine.runtime.kafka.lifecycle import RunState
from engine.runtime.operators.base import NodeMetrics

RATE_WINDOW_S = 5


class RunMetrics:
    """``tick()`` is called every loop turn and reports at most once per ``interval_s``,
    while ``listening()`` (a snapshot costs a little: none is made for nobody)."""

    def __init__(
        self,
        nodes: dict[str, NodeMetrics],
        state: RunState,
        application_id: str,
        committed: dict[tuple[str, int], int],
        clients: RunClients,
        *,
        interval_s: float = 1.0,
        report: Callable[[dict], None] | None = None,
        listening: Callable[[], bool] = lambda: True,
        restore: Callable[[], dict] = dict,
    ):
        self.nodes = nodes
        self.state = state
        self.application_id = application_id
        self.committed = committed
        self.interval_s = interval_s
        self.report = report
        self.listening = listening
        self.restore = restore
        self.clients = clients  # the consumer, for lag, once the run has opened it
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
        return {
            "status": self.state.status,
            "reason": self.state.reason,
            "nodes": nodes,
            "rates": rates,
            "lag": lag_of(offsets),
            "offsets": offsets,
            "restore": dict(self.restore()),
            "elapsed_s": round(now - self.started, 3),
            "group_id": self.application_id,
        }

    def lag(self) -> dict[str, dict[str, int]]:
        """Lag per partition: high watermark − committed offset."""
        return lag_of(self.offsets())

    def offsets(self) -> dict[str, dict[str, tuple[int, int]]]:
        """(committed offset, high watermark) per assigned partition."""
        consumer = self.clients.consumer
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

    def measure_final_lag(
        self, lost: set[tuple[str, int]], skip_topics: set[str], budget_s: float = 3.0
    ) -> dict[str, dict[str, int]]:
        """Lag per partition at the end: the partitions assigned now and those lost during
        the run (not given back), committed offsets against high watermarks asked of the
        brokers. Within ``budget_s`` in all: once the brokers fail to answer, the cached
        watermarks and the run's own committed offsets are used. Partitions of
        ``skip_topics`` (sources read from ``latest``) with no committed offset are left
        out: nothing of them was meant to be read."""
        consumer = self.clients.consumer
        if consumer is None:
            return {}
        deadline = time.monotonic() + budget_s
        try:
            assigned = {(tp.topic, tp.partition) for tp in consumer.assignment()}
        except (KafkaException, RuntimeError):
            assigned = set()
        committed = dict(self.committed)
        others = sorted(lost - assigned)
        if others:
            try:
                for tp in consumer.committed(
                    [TopicPartition(t, p) for t, p in others],
                    timeout=max(0.1, deadline - time.monotonic()),
                ):
                    if tp.offset >= 0:
                        committed[(tp.topic, tp.partition)] = tp.offset
            except (KafkaException, RuntimeError):
                pass
        out: dict[str, dict[str, int]] = {}
        ask = True
        for topic, partition in sorted(assigned | set(others)):
            tp = TopicPartition(topic, partition)
            low = high = None
            if ask and time.monotonic() < deadline:
                try:
                    low, high = consumer.get_watermark_offsets(
                        tp, timeout=max(0.1, min(1.0, deadline - time.monotonic()))
                    )
                except (KafkaException, RuntimeError):
                    ask = False
            try:  # fetch responses carry the exact mark; some brokers' offset queries do not
                cached_low, fetched = consumer.get_watermark_offsets(tp, cached=True)
            except (KafkaException, RuntimeError):
                cached_low, fetched = None, None
            if fetched is not None and fetched >= 0 and (high is None or fetched > high):
                low = cached_low if low is None else low
                high = fetched
            if high is None or high < 0:
                continue
            at = committed.get((topic, partition))
            if at is None:
                if topic in skip_topics:
                    continue
                at = max(low or 0, 0)
            out.setdefault(topic, {})[str(partition)] = max(0, high - at)
        return out

    def final(self) -> dict:
        elapsed = time.monotonic() - self.started
        nodes = {node_id: m.as_dict() for node_id, m in self.nodes.items()}
        return {
            "nodes": nodes,
            "lag": self.final_lag,
            "records_per_second": {
                node_id: round(c["in"] / elapsed, 2) if elapsed > 0 else 0.0
                for node_id, c in nodes.items()
            },
            "elapsed_s": round(elapsed, 3),
        }


def lag_of(offsets: dict[str, dict[str, tuple[int, int]]]) -> dict[str, dict[str, int]]:
    return {
        topic: {p: max(0, high - committed) for p, (committed, high) in parts.items()}
        for topic, parts in offsets.items()
    }


def unread_note(lag: dict[str, dict[str, int]], shown: int = 4) -> str:
    """``stopped with 15,000 records unread (orders [0]: 9,000, ...)``, or "" with none."""
    total = sum(n for parts in lag.values() for n in parts.values())
    if not total:
        return ""
    worst = sorted(
        ((n, f"{t} [{p}]") for t, parts in lag.items() for p, n in parts.items() if n), reverse=True
    )
    where = ", ".join(f"{name}: {n:,}" for n, name in worst[:shown])
    more = f" and {len(worst) - shown} more partitions" if len(worst) > shown else ""
    return f"stopped with {total:,} records unread ({where}{more})"
