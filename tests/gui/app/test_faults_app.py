"""The app when the broker is gone at start and goes away mid-run: the window never
freezes (event-loop lateness measured throughout), the state is shown, and Run recovers
once the broker is back. Figures go to docs/reliability.md with the fault suite's."""

from __future__ import annotations

import threading
import time

import pytest
from PySide6.QtCore import QTimer

from engine.cluster.broker import SandboxBroker, free_port
from engine.code.builder import StreamsBuilder
from gui.monitor.connection import CLUSTER, ConnectionProfile
from gui.monitor.qt_run_controller import RunController
from tests.engine.faults.harness import _record

pytestmark = [pytest.mark.kafka, pytest.mark.slow]
TICK_MS = 20


class Lateness:
    """How late a 20 ms timer fires: the interface's responsiveness while faults happen."""

    def __init__(self):
        self.samples: list[float] = []
        self.timer = QTimer()
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self._tick)
        self._last = None

    def _tick(self):
        now = time.monotonic()
        if self._last is not None:
            self.samples.append(max(0.0, (now - self._last) * 1000 - TICK_MS))
        self._last = now

    def start(self):
        self.timer.start()

    def stop(self):
        self.timer.stop()

    def p95(self) -> float:
        ordered = sorted(self.samples)
        return ordered[int(0.95 * (len(ordered) - 1))] if ordered else 0.0

    def max(self) -> float:
        return max(self.samples, default=0.0)


def _in_background(qtbot, fn):
    """Start or stop a broker off the event loop: the test's own blocking calls must not count
    as the app's lateness."""
    done = {}
    thread = threading.Thread(target=lambda: done.setdefault("value", fn()), daemon=True)
    thread.start()
    qtbot.waitUntil(lambda: not thread.is_alive(), timeout=30_000)
    return done.get("value")


def test_broker_gone_at_start_and_mid_run_the_app_stays_responsive_and_recovers(qtbot, unique):
    port = free_port()
    b = StreamsBuilder(f"appfault-{unique}")
    b.generator(f"orders-{unique}", name="orders", rate=100, seed=5).to(
        f"copy-{unique}", name="out"
    )
    topology = b.build()
    controller = RunController(
        ConnectionProfile(kind=CLUSTER, name="faults", bootstrap=f"127.0.0.1:{port}"),
        metrics_interval_s=0.3,
    )
    controller.set_topology_provider(lambda: topology)
    outs: list[int] = []
    statuses: list[str] = []
    controller.nodeMetrics.connect(lambda m: outs.append(m["out"]["out"]))
    controller.statusChanged.connect(lambda s, r: statuses.append(s))
    lateness = Lateness()
    lateness.start()
    broker = None
    try:
        # 1. no broker at all: the run fails with a reason, the window keeps breathing
        assert controller.run()
        qtbot.waitUntil(lambda: controller.status == "failed", timeout=60_000)
        assert f"127.0.0.1:{port}" in controller.reason
        qtbot.waitUntil(lambda: controller.supervisor is None, timeout=15_000)
        at_start = (lateness.p95(), lateness.max())

        # 2. the broker comes up: Run again works
        broker = _in_background(qtbot, lambda: SandboxBroker(port=port).start())
        assert controller.run()
        qtbot.waitUntil(
            lambda: bool(controller.status == "running" and outs and outs[-1] > 20), timeout=60_000
        )

        # 3. the broker goes away mid-run: disconnected is shown, then it recovers
        _in_background(qtbot, broker.stop)
        gone = time.monotonic()
        qtbot.waitUntil(lambda: controller.status == "disconnected", timeout=30_000)
        shown_after = time.monotonic() - gone
        qtbot.wait(3_000)
        broker = _in_background(qtbot, lambda: SandboxBroker(port=port).start())
        before = outs[-1]
        back = time.monotonic()
        qtbot.waitUntil(
            lambda: bool(controller.status == "running" and outs[-1] > before + 20), timeout=60_000
        )
        recovered_after = time.monotonic() - back
    finally:
        lateness.stop()
        controller.shutdown()
        if broker is not None:
            broker.stop()
    _record(
        {
            "fault": "app: broker gone at start, then lost mid-run",
            "in": None,
            "out": outs[-1],
            "duplicates": 0,
            "lost": 0,
            "exact_totals": True,
            "lateness_p95_ms": round(lateness.p95(), 1),
            "lateness_max_ms": round(lateness.max(), 1),
            "lateness_p95_ms_no_broker": round(at_start[0], 1),
            "disconnected_shown_after_s": round(shown_after, 1),
            "running_again_after_s": round(recovered_after, 1),
        }
    )
    assert "failed" in statuses and "disconnected" in statuses
    assert lateness.p95() < 100, f"the event loop was late by {lateness.p95():.0f} ms (p95)"
    assert lateness.max() < 1000, f"the window froze for {lateness.max():.0f} ms"
