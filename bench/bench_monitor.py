"""Does a busy pipeline slow the app down? Chart update time and event-loop lateness,
idle vs. with the demo pipeline running at full speed in the worker, in one run.

    QT_QPA_PLATFORM=offscreen python bench/bench_monitor.py [--seconds 10] [--rate 2000]

Idle: the monitor's docks shown, charts fed synthetic metrics at the same cadence.
Load: the e-commerce demo (generator rates raised to --rate records/s each) running in
the worker process on a sandbox broker, charts fed its real metrics. Lateness is how
late a 10 ms precise QTimer fires. PASS when the loaded p95 figures are within 1.5x of
idle (each figure floored at 1 ms for lateness and 0.5 ms for chart updates, below
which differences are timer and scheduler noise, not stalls).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

LATENESS_FLOOR_MS = 1.0
CHART_FLOOR_MS = 0.5
LIMIT = 1.5


def percentile(values, q):
    import numpy as np
    return float(np.percentile(values, q)) if values else float("nan")


def measure(app, panels, seconds: float, feed=None) -> dict:
    from PySide6.QtCore import Qt, QTimer

    lateness: list[float] = []
    chart_ms: list[float] = []
    originals = []
    for panel in panels:
        original = panel.chart.refresh

        def timed(original=original):
            t0 = time.perf_counter()
            original()
            chart_ms.append((time.perf_counter() - t0) * 1000)
        panel.chart.refresh = timed
        originals.append((panel, original))
    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.setInterval(10)
    state = {"next": time.perf_counter() + 0.010}

    def tick():
        now = time.perf_counter()
        lateness.append(max(0.0, (now - state["next"]) * 1000))
        state["next"] = now + 0.010
    timer.timeout.connect(tick)
    feeder = None
    if feed is not None:
        feeder = QTimer()
        feeder.setInterval(500)
        feeder.timeout.connect(feed)
        feeder.start()
    timer.start()
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        app.processEvents()
        time.sleep(0.001)
    timer.stop()
    if feeder is not None:
        feeder.stop()
    for panel, original in originals:
        panel.chart.refresh = original
    return {"lateness_p50_ms": percentile(lateness, 50), "lateness_p95_ms": percentile(lateness, 95),
            "lateness_max_ms": max(lateness) if lateness else float("nan"), "ticks": len(lateness),
            "chart_mean_ms": sum(chart_ms) / len(chart_ms) if chart_ms else float("nan"),
            "chart_p95_ms": percentile(chart_ms, 95), "chart_updates": len(chart_ms)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rate", type=int, default=2000, help="records/s of each demo generator")
    args = parser.parse_args(argv)

    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QApplication, QMainWindow

    import resources
    from engine import fileformat
    from engine.broker import SandboxBroker
    from gui.monitor.connection import CLUSTER, ConnectionProfile
    from gui.monitor.qt_run_monitor import RunMonitor

    app = QApplication.instance() or QApplication([])
    data = json.loads(Path(resources.DEMO_TOPOLOGY).read_text(encoding="utf-8"))
    for node in data["nodes"]:
        if node["type"] == "generator_source":
            node["params"]["rate"] = args.rate
    data["name"] = f"bench-monitor-{os.getpid()}"
    topology, problems = fileformat.loads(json.dumps(data))
    assert topology is not None and not [p for p in problems if p.is_error], problems

    broker = SandboxBroker().start()
    window = QMainWindow()
    monitor = RunMonitor(window, profile=ConnectionProfile(kind=CLUSTER, name="bench", bootstrap=broker.bootstrap))
    monitor.set_topology_provider(lambda: topology)
    for dock in monitor.docks():
        window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
    window.resize(1400, 900)
    window.show()
    panels = [monitor.throughput, monitor.lag]
    c = monitor.controller
    nodes = list(topology.nodes)
    try:
        # Idle: same chart work, synthetic metrics.
        counter = {"n": 0}

        def synthetic():
            counter["n"] += 1
            n = counter["n"]
            c.throughput.append(time.time(), {node: float((n * 37 + i * 101) % 2000) for i, node in enumerate(nodes)})
            c.metricsReceived.emit({})
        idle = measure(app, panels, args.seconds, synthetic)
        c.throughput.clear()

        c.run()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (c.last_snapshot and
                                                    c.last_snapshot["nodes"]["orders"]["out"] > args.rate):
            app.processEvents()
            time.sleep(0.01)
        if not c.last_snapshot:
            print(f"the pipeline did not start: {c.status} {c.reason}")
            return 2
        load = measure(app, panels, args.seconds)
        snap = c.last_snapshot
        throughput = sum(r["out"] for n, r in snap["rates"].items() if n in ("orders", "clicks"))
    finally:
        monitor.shutdown()
        broker.stop()

    print(f"{'':24}{'idle':>10}{'pipeline':>10}")
    for key in ("lateness_p50_ms", "lateness_p95_ms", "lateness_max_ms", "ticks", "chart_mean_ms",
                "chart_p95_ms", "chart_updates"):
        print(f"{key:24}{idle[key]:>10.2f}{load[key]:>10.2f}")
    print(f"pipeline: generators out {throughput:,.0f} records/s (target {2 * args.rate:,}/s)")
    lat_ratio = max(load["lateness_p95_ms"], LATENESS_FLOOR_MS) / max(idle["lateness_p95_ms"], LATENESS_FLOOR_MS)
    chart_ratio = max(load["chart_p95_ms"], CHART_FLOOR_MS) / max(idle["chart_p95_ms"], CHART_FLOOR_MS)
    print(f"ratio pipeline/idle: lateness p95 {lat_ratio:.2f}x, chart update p95 {chart_ratio:.2f}x "
          f"(limit {LIMIT}x)")
    ok = lat_ratio <= LIMIT and chart_ratio <= LIMIT
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
