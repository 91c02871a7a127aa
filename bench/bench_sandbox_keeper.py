"""The sandbox broker's memory and CPU with the e-commerce demo running, with and without
the sandbox keeper (reference §16).

    python bench/bench_sandbox_keeper.py [--speed 10] [--seconds 180] [--mode both]

For each mode, a fresh sandbox broker (with its schema registry) runs the demo
(resources/demo/ecommerce.topology.json) with its generators' rates times ``--speed``:
a run for half the time, a Stop, then a run again for the other half (as a user presses
Stop and Run). ``on``: as the app does, the keeper bounds the topics before the second run
and the runs bound their written topics as they go; ``off``: neither. The broker's
resident memory and CPU are sampled every 2 s.

Printed per mode: the broker's peak and final resident memory, its CPU time over the whole
test and its CPU use over the last 30 s, the keeper's time before the second run and what it
said, the second run's time to running (restoring its state), and the live rotations.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

CLK = 100  # clock ticks per second (/proc/<pid>/stat)


def demo(speed: float):
    from engine.model import fileformat

    text = (ROOT / "resources" / "demo" / "ecommerce.topology.json").read_text()
    topology, _problems = fileformat.loads(text)
    for node in topology.nodes.values():
        if node.type == "generator_source":
            node.params["rate"] = int(node.params.get("rate", 50) * speed)
    return topology


def broker_figures(pid: int) -> tuple[float, float]:
    """(resident MB, CPU seconds so far) of the broker process."""
    rss = 0.0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            rss = int(line.split()[1]) / 1024
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return rss, (int(fields[11]) + int(fields[12])) / CLK


def one_run(topology, broker, seconds: float, said: list[str]) -> float:
    """Runs ``topology`` for ``seconds``; returns the seconds from start to running."""
    from engine.runtime.kafka.run import KafkaRun, RunConfig

    started = time.monotonic()
    running: list[float] = []

    def status(s, _reason):
        if s == "running" and not running:
            running.append(time.monotonic() - started)

    run = KafkaRun(
        topology,
        RunConfig(
            bootstrap=broker.bootstrap,
            console=lambda node, text: said.append(text) if node == "run" else None,
            on_status=status,
            schema_registry_url=broker.registry_url,
        ),
    )
    thread = threading.Thread(target=run.run, daemon=True)
    thread.start()
    time.sleep(seconds)
    run.stop()
    thread.join(60)
    return running[0] if running else float("nan")


def measure(mode: str, speed: float, seconds: float) -> dict:
    from engine.cluster.broker import SandboxBroker
    from engine.runtime.kafka import live_keeper
    from engine.runtime.kafka.keeper import SandboxKeeper

    real_start = live_keeper.LiveKeeper.start
    if mode == "off":
        live_keeper.LiveKeeper.start = classmethod(lambda cls, run, compiled: cls())
    rotations: list[float] = []
    real_rotate = live_keeper.LiveKeeper._rotate

    def timed_rotate(self, topic, size):
        t = time.monotonic()
        real_rotate(self, topic, size)
        rotations.append(time.monotonic() - t)

    live_keeper.LiveKeeper._rotate = timed_rotate
    samples: list[tuple[float, float, float]] = []
    said: list[str] = []
    out: dict = {"mode": mode}
    try:
        with SandboxBroker() as broker:
            pid = broker.process.pid
            stop = threading.Event()

            def sample():
                t0 = time.monotonic()
                while not stop.wait(2.0):
                    rss, cpu = broker_figures(pid)
                    samples.append((time.monotonic() - t0, rss, cpu))

            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
            topology = demo(speed)
            out["first_running_s"] = one_run(topology, broker, seconds / 2, said)
            out["rss_at_stop_mb"] = broker_figures(pid)[0]
            t = time.monotonic()
            if mode == "on":
                said += SandboxKeeper(broker.bootstrap).bound(topology)
            out["keeper_s"] = time.monotonic() - t
            out["rss_after_keeper_mb"] = broker_figures(pid)[0]
            out["second_running_s"] = one_run(demo(speed), broker, seconds / 2, said)
            stop.set()
            sampler.join(5)
            rss, cpu = broker_figures(pid)
            out["rss_final_mb"] = rss
            out["cpu_total_s"] = cpu
    finally:
        live_keeper.LiveKeeper.start = real_start
        live_keeper.LiveKeeper._rotate = real_rotate
    out["rss_peak_mb"] = max(s[1] for s in samples)
    last = [s for s in samples if s[0] >= samples[-1][0] - 30]
    out["cpu_last_30s_pct"] = (
        100 * (last[-1][2] - last[0][2]) / (last[-1][0] - last[0][0]) if len(last) > 1 else 0.0
    )
    out["live_rotations"] = len(rotations)
    out["longest_rotation_s"] = max(rotations, default=0.0)
    out["said"] = [s for s in said if s.startswith("sandbox:")]
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--speed", type=float, default=10.0)
    parser.add_argument("--seconds", type=float, default=180.0)
    parser.add_argument("--mode", choices=("on", "off", "both"), default="both")
    args = parser.parse_args()
    modes = ("off", "on") if args.mode == "both" else (args.mode,)
    for mode in modes:
        r = measure(mode, args.speed, args.seconds)
        print(f"keeper {mode}: demo x{args.speed:g}, {args.seconds:.0f} s with one Stop/Run")
        for key in (
            "rss_at_stop_mb",
            "rss_after_keeper_mb",
            "rss_peak_mb",
            "rss_final_mb",
            "cpu_total_s",
            "cpu_last_30s_pct",
            "keeper_s",
            "first_running_s",
            "second_running_s",
            "live_rotations",
            "longest_rotation_s",
        ):
            value = r[key]
            print(
                f"  {key:22} {value:10.1f}" if isinstance(value, float) else f"  {key:22} {value}"
            )
        for line in r["said"]:
            print(f"  {line}")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
