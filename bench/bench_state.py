"""Browsing a live run's state must not slow the run down (issue 12: within 5 %).

    flock /tmp/bench.lock python bench/bench_state.py [--seconds 96] [--phase 2]

A worker process (the app's RunSupervisor) runs the demo's orders generator at full speed
into an aggregate of orders per customer per second (a day of grace, so its store keeps
growing: thousands of windows). Phases alternate: idle (no request), and serving (pages of
1,000 rows asked of the worker, one after another as each answer arrives, the worst a user
clicking Refresh can do, labelled "serving"; and at 1 and 4 pages a second). The aggregate's records/s in each phase come
from the worker's metrics; the first half second of a phase is not counted. Prints the
ratio of each serving phase to the idle phases either side, median per kind; target
≥ 0.95 at 1 and 4 pages a second (the app asks for at most 4 a second, one at a time);
back-to-back pages are shown for reference.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def topology(name: str):
    from engine.code.builder import Aggregation, StreamsBuilder

    b = StreamsBuilder(name)
    orders = b.generator(f"{name}-orders", name="orders", rate=0, seed=1)
    orders.aggregate(
        [Aggregation("orders", "count"), Aggregation("amount", "sum", "value['amount']")],
        name="per_second",
        window={"type": "tumbling", "size": "1s", "grace": "1d"},
    ).to(f"{name}-out", name="out")
    return b.build()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=96.0)
    parser.add_argument("--phase", type=float, default=2.0)
    parser.add_argument("--warmup", type=float, default=6.0)
    args = parser.parse_args(argv)

    from engine.cluster.broker import SandboxBroker
    from engine.runtime.worker.supervisor import RunSupervisor

    broker = SandboxBroker()
    broker.start()
    counts: list[tuple[float, int]] = []  # (time, aggregate records in)
    replies: list[tuple[float, float, int]] = []  # (asked, answered, rows)
    asked: dict[int, float] = {}
    answered = threading.Event()
    lock = threading.Lock()

    def on_event(kind, payload):
        if kind == "metrics":
            with lock:
                counts.append((time.monotonic(), payload["nodes"]["per_second"]["in"]))
        elif kind == "state":
            now = time.monotonic()
            with lock:
                replies.append((asked.pop(payload["id"], now), now, len(payload.get("rows", []))))
            answered.set()

    sup = RunSupervisor(
        topology(f"bench-state-{os.getpid()}"), broker.bootstrap, on_event, metrics_interval_s=0.1
    )
    sup.start()
    phases: list[tuple[str, float, float]] = []
    ids = iter(range(1, 10**9))
    try:
        time.sleep(args.warmup)
        end = time.monotonic() + args.seconds
        kinds = ["idle", "serving 1/s", "idle", "serving 4/s", "idle", "serving"]
        i = 0
        while time.monotonic() < end:
            kind = kinds[i % len(kinds)]
            start = time.monotonic()
            stop = start + args.phase
            while time.monotonic() < stop:
                if kind == "idle":
                    time.sleep(0.05)
                    continue
                rid = next(ids)
                answered.clear()
                sent = time.monotonic()
                with lock:
                    asked[rid] = sent
                sup.request_state(
                    {"id": rid, "node": "per_second", "page": rid % 5, "page_size": 1000}
                )
                answered.wait(5)
                pause = {"serving 4/s": 0.25, "serving 1/s": 1.0}.get(kind, 0.0)
                time.sleep(max(0.0, pause - (time.monotonic() - sent)))
            phases.append((kind, start, stop))
            i += 1
    finally:
        sup.stop()
        broker.stop()

    def rate(start: float, stop: float) -> float | None:
        window = [(t, n) for t, n in counts if start + 0.5 <= t <= stop]
        if len(window) < 2 or window[-1][0] == window[0][0]:
            return None
        return (window[-1][1] - window[0][1]) / (window[-1][0] - window[0][0])

    # Each serving phase is compared with the idle phases either side of it (the machine's
    # load drifts over a run); the median of those ratios per kind is the figure.
    rates = [(kind, rate(start, stop)) for kind, start, stop in phases]
    by_kind: dict[str, list[float]] = {}
    ratios: dict[str, list[float]] = {}
    for i, (kind, r) in enumerate(rates):
        if r is None:
            continue
        by_kind.setdefault(kind, []).append(r)
        if kind != "idle" and 0 < i < len(rates) - 1:
            around = [x for k, x in (rates[i - 1], rates[i + 1]) if k == "idle" and x]
            if len(around) == 2:
                ratios.setdefault(kind, []).append(r / (sum(around) / 2))
    idle = statistics.median(by_kind.get("idle", [0.0]))
    print(f"aggregate throughput, {args.phase:.0f}-s phases over {args.seconds:.0f} s:")
    print(
        f"  idle            {idle:10,.0f} records/s median  ({len(by_kind.get('idle', []))} phases)"
    )
    ok = True
    for kind in ("serving 1/s", "serving 4/s", "serving"):
        values = ratios.get(kind)
        if not values:
            continue
        ratio = statistics.median(values)
        ok &= ratio >= 0.95 or kind == "serving"
        verdict = (
            "" if kind == "serving" else f"  {'PASS' if ratio >= 0.95 else 'FAIL'} (target ≥ 0.95)"
        )
        print(
            f"  {kind:15} {statistics.median(by_kind[kind]):10,.0f} records/s median  "
            f"{ratio:.3f}x the idle phases around it (median of {len(values)}; "
            f"{min(values):.2f}–{max(values):.2f}){verdict}"
        )
    if replies:
        served = sorted(b - a for a, b, _ in replies)
        rows = max(r for _, _, r in replies)
        print(
            f"  pages served: {len(replies)}, {rows} rows each at most; answer time median "
            f"{served[len(served) // 2] * 1000:.0f} ms, p95 {served[int(len(served) * 0.95)] * 1000:.0f} ms"
        )
    stores = counts[-1][1] if counts else 0
    print(f"  records aggregated in all: {stores:,}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
