"""A working day on the sandbox: the demo at N times its rates, stopped and run again.

    flock /tmp/bench.lock python bench/bench_soak.py                  # 30 min, Stop/Run every 5
    flock /tmp/bench.lock python bench/bench_soak.py --minutes 4 --cycle 1
    python bench/bench_soak.py --rate-scale 10 --sample 5 --json-out /tmp/soak.json

The app's path: a sandbox broker started as the app starts it (``SandboxBroker(background=True)``
with its schema registry, whose address every run is given: the demo's orders are Avro), the
demo (resources/demo/ecommerce.topology.json) with every generator's ``rate`` multiplied by
``--rate-scale``, run by a ``RunSupervisor`` with the app's options (metrics twice a second,
samples of 50 records, no group id: the topology's name), stopped with ``stop()`` (flush and
commit) every ``--cycle`` minutes and started again at once, for ``--minutes`` in all; as
the app does, the sandbox keeper bounds the topology's topics before each start (counted in
the time to numbers) and as soon as each run stops (not counted: the app does it while the
results are looked at). The
broker keeps everything the runs wrote; every re-run restores the aggregates' state from
their changelogs before its first record.

Measured:

- the broker's resident memory (VmRSS of ``SandboxBroker.process``) and CPU (utime + stime of
  every thread, /proc/<pid>/stat), and the worker's CPU (its generators included), sampled
  every ``--sample`` seconds; the broker's CPU idle (broker up, no run) for ``--idle`` seconds
  before the first run;
- per run: the time to numbers, from ``start()`` until every dashboard of the demo has received
  rows (the worker's ``dashboards`` events, which is when the app draws them), and until the
  aggregates' first records counted in a ``metrics`` event; the restore (first to last status
  whose reason starts with "restoring state", and the changelog records read, from the
  metrics' ``restore``); the group's lag when it stops (did the run keep up); the broker's
  RSS when the run starts and just before it stops; the broker's and the worker's CPU over
  the cycle (start to stopped), as % of one core, and the broker's per 1,000 records
  generated.

The model, for 8 hours at the demo's own rates (``rate-scale`` times fewer records a second):

- memory: the broker holds what was written, so its growth follows records written, and 8 h at
  normal rates write what 8 h / scale write here (48 min at 10x). If RSS grows linearly
  (least squares over the samples), it is extrapolated linearly to that point; if it levels
  off (the second half of the run grows less than a fifth of the first half), the plateau
  (the highest sample) is the figure.
- CPU: what Tansu spends grows with the rate and with what it holds. Per cycle, CPU % is
  fitted linearly against time; at 8 h / scale (the same data held) its part above the idle
  broker's is divided by the scale (records a second), the idle part kept:
  idle + (fit(8 h / scale) - idle) / scale; a falling trend is not extrapolated (the mean
  is taken instead). The measured 10x figures are printed beside it.
- re-runs: what a restore reads grows with what was written, so the time to numbers of the
  re-runs (and the records they restored) is fitted linearly against the minutes run before
  each, and read at 8 h / scale.

Targets (on the model at 8 h, normal rates): broker RSS <= 1 GB, broker CPU <= 25 % of a core,
every re-run's numbers within 10 s (each measured re-run too). Exits 1 when one is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEMO = ROOT / "resources" / "demo" / "ecommerce.topology.json"
WORKDAY_H = 8.0
TARGET_RSS_MB = 1024.0
TARGET_CPU_PCT = 25.0
TARGET_NUMBERS_S = 10.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# -- /proc ------------------------------------------------------------------------


def cpu_seconds(pid: int | None) -> float | None:
    """User + system time of every thread of ``pid`` (None once it is gone)."""
    if pid is None:
        return None
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2 :].split()  # the name may hold spaces
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime (fields 14, 15)


def rss_mb(pid: int | None) -> float | None:
    if pid is None:
        return None
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


class Sampler(threading.Thread):
    """Every ``interval`` seconds: (time, broker RSS MB, broker CPU s, worker CPU s)."""

    def __init__(self, broker_pid: int, worker_pid, interval: float):
        super().__init__(name="soak-sampler", daemon=True)
        self.broker_pid = broker_pid
        self.worker_pid = worker_pid  # a callable: the current run's worker, or None
        self.interval = interval
        self.samples: list[tuple[float, float | None, float | None, float | None]] = []
        self.halt = threading.Event()

    def sample(self) -> tuple[float, float | None, float | None, float | None]:
        row = (
            time.monotonic(),
            rss_mb(self.broker_pid),
            cpu_seconds(self.broker_pid),
            cpu_seconds(self.worker_pid()),
        )
        self.samples.append(row)
        return row

    def run(self) -> None:
        while not self.halt.wait(self.interval):
            self.sample()


# -- one run ----------------------------------------------------------------------


@dataclass
class Cycle:
    index: int
    started: float = 0.0  # monotonic, at start()
    stopped: float = 0.0  # monotonic, stop() returned
    minutes_before: float = 0.0  # minutes run before this cycle
    first_processed_s: float | None = None  # aggregates' first records counted in metrics
    numbers_s: float | None = None  # every dashboard has rows
    restore_started_s: float | None = None
    restore_s: float | None = None
    restored: int = 0  # changelog records read by the restore
    keeper_s: float | None = None  # the sandbox keeper bounding the topics, before start()
    keeper_phases: dict = field(default_factory=dict)  # step -> seconds, within keeper_s
    keeper_after_s: float | None = None  # the keeper again as soon as the run stopped
    generated: int = 0  # records the generators wrote
    unread: int | None = None  # the group's lag in the last metrics before the stop
    rss_start_mb: float | None = None
    rss_end_mb: float | None = None
    broker_cpu_pct: float | None = None
    worker_cpu_pct: float | None = None
    broker_cpu_ms_per_1k: float | None = None  # broker CPU per 1,000 records generated
    failed: str = ""
    statuses: list = field(default_factory=list)  # (s since start, status, reason), abridged
    seen_dashboards: set = field(default_factory=set)

    def figures(self) -> dict:
        out = asdict(self)
        for key in ("started", "stopped", "seen_dashboards"):
            out.pop(key)
        return out


class CycleWatch:
    """The supervisor's ``on_event`` for one run: times the run's first numbers and restore."""

    def __init__(self, cycle: Cycle, dashboards: set[str], aggregates: set[str], sources):
        self.cycle = cycle
        self.dashboards = dashboards
        self.aggregates = aggregates
        self.sources = sources
        self.finished = threading.Event()
        self.numbers = threading.Event()

    def since(self) -> float:
        return round(time.monotonic() - self.cycle.started, 3)

    def __call__(self, kind: str, payload) -> None:
        from engine.model.status import RunStatus
        from engine.runtime.worker.protocol import WorkerEvent

        c = self.cycle
        if kind == WorkerEvent.STATUS:
            status, reason = payload
            restoring = str(reason).startswith("restoring state")
            if len(c.statuses) < 40 and not (restoring and c.restore_started_s is not None):
                c.statuses.append((self.since(), str(status), str(reason)))
            if restoring and c.restore_started_s is None:
                c.restore_started_s = self.since()
            elif not restoring and c.restore_started_s is not None and c.restore_s is None:
                c.restore_s = round(self.since() - c.restore_started_s, 3)
            if status == RunStatus.FAILED and not c.failed:
                c.failed = str(reason)
        elif kind == WorkerEvent.METRICS:
            self._count(payload)
            nodes = payload.get("nodes", {})
            if c.first_processed_s is None and any(
                nodes.get(n, {}).get("in", 0) > 0 for n in self.aggregates
            ):
                c.first_processed_s = self.since()
        elif kind == WorkerEvent.DASHBOARDS:
            c.seen_dashboards.update(n for n, rows in payload.items() if rows)
            if c.numbers_s is None and self.dashboards <= c.seen_dashboards:
                c.numbers_s = self.since()
                self.numbers.set()
        elif kind == WorkerEvent.FINISHED:
            if payload:
                self._count(payload)
            self.finished.set()

    def _count(self, snapshot: dict) -> None:
        c = self.cycle
        restore = snapshot.get("restore") or {}
        c.restored = max(c.restored, int(restore.get("records", 0) or 0))
        lag = snapshot.get("lag")
        if isinstance(lag, dict) and lag:
            c.unread = sum(n for parts in lag.values() for n in parts.values())
        nodes = snapshot.get("nodes", {})
        c.generated = max(c.generated, sum(nodes.get(n, {}).get("out", 0) for n in self.sources))


# -- figures ----------------------------------------------------------------------


def fit(points: list[tuple[float, float]]) -> tuple[float, float] | None:
    """Least squares (intercept, slope); None with fewer than two distinct x."""
    if len({x for x, _ in points}) < 2:
        return None
    n = len(points)
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    slope = sum((x - mx) * (y - my) for x, y in points) / sxx
    return my - slope * mx, slope


def verdict(ok: bool | None) -> str:
    return "n/a (no re-run)" if ok is None else "PASS" if ok else "FAIL"


def model(cycles: list[Cycle], samples, t0: float, idle_pct: float, scale: float) -> dict:
    """The figures over the whole soak and their model at 8 h of normal rates."""
    horizon_h = WORKDAY_H / scale  # hours at these rates that write what 8 h at normal rates do
    out: dict = {"horizon_h_at_scale": round(horizon_h, 3), "idle_broker_cpu_pct": idle_pct}

    # memory
    rss = [((t - t0) / 3600, r) for t, r, _, _ in samples if r is not None and t >= t0]
    line = fit(rss)
    slope = line[1] if line else 0.0
    half = (samples[-1][0] - t0) / 3600 / 2 if rss else 0.0
    first = fit([(h, r) for h, r in rss if h <= half])
    second = fit([(h, r) for h, r in rss if h > half])
    grew_first = first[1] * half if first else 0.0  # MB over each half, by its own fit
    grew_second = second[1] * half if second else 0.0
    plateau = slope <= 0 or (
        first is not None and second is not None and grew_second < 0.2 * max(grew_first, 0.0)
    )
    peak = max((r for _, r in rss), default=0.0)
    if plateau or line is None:
        rss_model = peak
        how = f"plateau: the highest sample ({peak:.0f} MB)"
    else:
        rss_model = line[0] + slope * horizon_h
        how = (
            f"linear: {line[0]:.0f} MB + {slope:.0f} MB/h x {horizon_h:.2f} h "
            f"(8 h / {scale:g}: the same records written)"
        )
    out["rss"] = {
        "first_mb": round(rss[0][1], 1) if rss else None,
        "last_mb": round(rss[-1][1], 1) if rss else None,
        "peak_mb": round(peak, 1),
        "growth_mb_per_h_at_scale": round(slope, 1),
        "growth_first_half_mb": round(grew_first, 1),
        "growth_second_half_mb": round(grew_second, 1),
        "shape": "plateau" if plateau else "linear",
        "model_8h_mb": round(rss_model, 1),
        "model": how,
        "target_mb": TARGET_RSS_MB,
        "pass": rss_model <= TARGET_RSS_MB,
    }

    # CPU
    per_cycle = [
        (((c.started + c.stopped) / 2 - t0) / 3600, c.broker_cpu_pct)
        for c in cycles
        if c.broker_cpu_pct is not None
    ]
    measured = [p for _, p in per_cycle]
    cpu_line = fit(per_cycle)
    mean = sum(measured) / len(measured) if measured else 0.0
    # A falling trend is not extrapolated: no credit is taken for the broker doing less later.
    at_horizon = max(cpu_line[0] + cpu_line[1] * horizon_h if cpu_line else 0.0, mean)
    cores = 100.0 * (os.cpu_count() or 1)
    capped = at_horizon > cores  # a trend beyond every core of the machine: a short run's noise
    at_horizon = min(max(at_horizon, idle_pct), cores)
    cpu_model = idle_pct + (at_horizon - idle_pct) / scale
    out["cpu"] = {
        "measured_mean_pct_at_scale": round(mean, 1) if measured else None,
        "measured_last_pct_at_scale": round(measured[-1], 1) if measured else None,
        "trend_pct_per_h_at_scale": round(cpu_line[1], 1) if cpu_line else 0.0,
        "at_scale_at_horizon_pct": round(at_horizon, 1),
        "model_8h_pct": round(cpu_model, 1),
        "model": (
            f"idle {idle_pct:.1f} % + ({at_horizon:.1f} % at {scale:g}x after "
            f"{horizon_h:.2f} h{', capped at the cores' if capped else ''} - idle) / {scale:g}"
        ),
        "target_pct": TARGET_CPU_PCT,
        "pass": cpu_model <= TARGET_CPU_PCT,
    }

    # re-runs
    reruns = [c for c in cycles[1:] if c.stopped]
    shown = [c.numbers_s for c in reruns if c.numbers_s is not None]
    worst = max(shown) if shown and len(shown) == len(reruns) else None  # None: one never did
    numbers_line = fit(
        [(c.minutes_before / 60, c.numbers_s) for c in reruns if c.numbers_s is not None]
    )
    restored_line = fit([(c.minutes_before / 60, float(c.restored)) for c in reruns])
    # A falling trend is not extrapolated (no re-run gets faster than the slowest measured).
    numbers_model = (
        max(numbers_line[0] + numbers_line[1] * horizon_h, worst or 0.0)
        if numbers_line
        else (worst if worst is not None else None)
    )
    restored_model = (
        max(restored_line[0] + restored_line[1] * horizon_h, max(c.restored for c in reruns))
        if restored_line
        else None
    )
    measured_ok = bool(reruns) and worst is not None and worst <= TARGET_NUMBERS_S
    model_ok = numbers_model is not None and numbers_model <= TARGET_NUMBERS_S
    out["reruns"] = {
        "count": len(reruns),
        "worst_numbers_s": worst,
        "numbers_s_per_h_at_scale": round(numbers_line[1], 2) if numbers_line else None,
        "restored_per_h_at_scale": round(restored_line[1]) if restored_line else None,
        "model_8h_numbers_s": round(numbers_model, 2) if numbers_model is not None else None,
        "model_8h_restored": round(restored_model) if restored_model is not None else None,
        "target_s": TARGET_NUMBERS_S,
        "pass": (measured_ok and model_ok) if reruns else None,
    }
    return out


def show(value, spec: str = ".1f", missing: str = "-") -> str:
    return missing if value is None else format(value, spec)


def report(cycles: list[Cycle], figures: dict, scale: float) -> None:
    print()
    print(
        f"{'run':>3} {'numbers s':>9} {'1st agg s':>9} {'restore s':>9} {'restored':>9} "
        f"{'generated':>9} {'unread':>7} {'RSS start':>9} {'RSS end':>8} {'broker %':>8} {'ms/1k':>6} "
        f"{'worker %':>8}"
    )
    for c in cycles:
        print(
            f"{c.index:>3} {show(c.numbers_s, '.2f'):>9} {show(c.first_processed_s, '.2f'):>9} "
            f"{show(c.restore_s, '.2f'):>9} {c.restored:>9,} {c.generated:>9,} "
            f"{show(c.unread, ','):>7} {show(c.rss_start_mb, '.0f'):>9} {show(c.rss_end_mb, '.0f'):>8} "
            f"{show(c.broker_cpu_pct):>8} {show(c.broker_cpu_ms_per_1k):>6} "
            f"{show(c.worker_cpu_pct):>8}" + (f"  FAILED: {c.failed}" if c.failed else "")
        )
    r, cpu, re = figures["rss"], figures["cpu"], figures["reruns"]
    h = figures["horizon_h_at_scale"]
    print()
    print(
        f"(numbers: from start() until every dashboard has rows; 1st agg: the aggregates' first "
        f"records in the metrics; unread: the group's lag when stopped; RSS in MB; CPU in % of one core over the cycle; ms/1k: broker "
        f"CPU per 1,000 records generated; 8 h at normal "
        f"rates write what {h:.2f} h at {scale:g}x do)"
    )
    print()
    print(
        f"broker RSS     {show(r['first_mb'], '.0f')} -> {show(r['last_mb'], '.0f')} MB, "
        f"{r['growth_mb_per_h_at_scale']:+.0f} MB/h at {scale:g}x "
        f"(first half {r['growth_first_half_mb']:+.0f} MB, second half "
        f"{r['growth_second_half_mb']:+.0f} MB: {r['shape']})"
    )
    print(
        f"  model 8 h    {r['model_8h_mb']:.0f} MB ({r['model']})   target <= "
        f"{TARGET_RSS_MB:.0f} MB   {verdict(r['pass'])}"
    )
    print(
        f"broker CPU     idle {figures['idle_broker_cpu_pct']:.1f} %, at {scale:g}x mean "
        f"{show(cpu['measured_mean_pct_at_scale'])} %, last run "
        f"{show(cpu['measured_last_pct_at_scale'])} %, trend "
        f"{cpu['trend_pct_per_h_at_scale']:+.1f} %/h"
    )
    print(
        f"  model 8 h    {cpu['model_8h_pct']:.1f} % of a core ({cpu['model']})   target <= "
        f"{TARGET_CPU_PCT:.0f} %   {verdict(cpu['pass'])}"
    )
    print(
        f"re-runs        {re['count']}, slowest numbers "
        f"{show(re['worst_numbers_s'], '.2f', 'never' if re['count'] else '-')} s, "
        f"{show(re['numbers_s_per_h_at_scale'], '+.2f')} s and "
        f"{show(re['restored_per_h_at_scale'], '+,')} records restored more per hour run at "
        f"{scale:g}x"
    )
    print(
        f"  model 8 h    numbers in {show(re['model_8h_numbers_s'], '.1f')} s, "
        f"{show(re['model_8h_restored'], ',')} records restored   target <= "
        f"{TARGET_NUMBERS_S:.0f} s (every re-run and the model)   {verdict(re['pass'])}"
    )


# -- the soak ---------------------------------------------------------------------


def time_keeper_steps() -> dict[str, float]:
    """Times the sandbox keeper's steps (reads, ends, rotations, commits) as they are called;
    returns the dict they are added to (cleared by the caller before each keeper)."""
    from engine.cluster import rotation, topic_admin

    spent: dict[str, float] = {}

    def timed(module, name: str) -> None:
        inner = getattr(module, name)

        def step(*args, **kwargs):
            t = time.perf_counter()
            try:
                return inner(*args, **kwargs)
            finally:
                spent[name] = spent.get(name, 0.0) + time.perf_counter() - t

        setattr(module, name, step)

    for name in ("ends", "_fetched_ends", "read_ranges", "rotate", "write_all", "commit"):
        timed(rotation, name)
    for name in ("topic_configs", "_delete", "_as_wanted"):
        timed(topic_admin, name)
    return spent


def demo_topology(path: Path, scale: float):
    from engine.model import fileformat

    topology = fileformat.load(path)
    for node in topology.nodes.values():
        if node.type == "generator_source" and node.params.get("rate"):
            node.params["rate"] = float(node.params["rate"]) * scale
    return topology


def nodes_of(topology, kind: str) -> set[str]:
    return {n.id for n in topology.nodes.values() if n.type == kind}


def soak(args, cycles: list[Cycle], state: dict) -> None:
    from engine.cluster.broker import SandboxBroker
    from engine.runtime.kafka.keeper import SandboxKeeper
    from engine.runtime.worker.supervisor import RunSupervisor

    topology = demo_topology(Path(args.topology), args.rate_scale)
    dashboards = nodes_of(topology, "dashboard_sink")
    aggregates = nodes_of(topology, "aggregate")
    sources = nodes_of(topology, "generator_source")

    print("starting the sandbox broker (background, with its schema registry) ...", flush=True)
    broker = state["broker"] = SandboxBroker(background=True).start()
    pid = broker.process.pid if broker.process is not None else None
    if pid is None:
        raise RuntimeError("the sandbox broker has no process")
    sampler = state["sampler"] = Sampler(
        pid, lambda: state["sup"].pid if state.get("sup") else None, args.sample
    )
    t_a, _, cpu0, _ = sampler.sample()
    time.sleep(args.idle)
    t_b, _, cpu1, _ = sampler.sample()
    idle = 100 * ((cpu1 or 0) - (cpu0 or 0)) / (t_b - t_a)
    state["idle_pct"] = idle
    print(f"broker pid {pid} at {broker.bootstrap}, idle CPU {idle:.1f} % of a core", flush=True)
    sampler.start()

    count = max(1, round(args.minutes / args.cycle))
    run_minutes = 0.0
    steps = time_keeper_steps()
    for index in range(1, count + 1):
        cycle = Cycle(index, minutes_before=round(run_minutes, 3))
        cycles.append(cycle)
        watch = CycleWatch(cycle, dashboards, aggregates, sources)
        sup = RunSupervisor(
            topology,
            broker.bootstrap,
            watch,
            metrics_interval_s=0.5,  # the app's (RunController's) options
            sample_size=50,
            schema_registry_url=broker.registry_url,
        )
        _, cycle.rss_start_mb, b0, _ = sampler.sample()
        cycle.started = time.monotonic()
        if index == 1:
            state["t0"] = cycle.started
        state["sup"] = sup
        # As the app's Run does (RunController): the topology's sandbox topics bounded
        # first (reference §16); the wait is part of the time to numbers.
        steps.clear()
        bounded = SandboxKeeper(broker.bootstrap).bound(topology, topology.name)
        cycle.keeper_s = time.monotonic() - cycle.started
        cycle.keeper_phases = {k: round(v, 2) for k, v in steps.items()}
        for line in bounded:
            print(f"  {line}", flush=True)
        if steps:
            print(
                "  keeper steps: "
                + ", ".join(
                    f"{k} {v:.2f} s" for k, v in sorted(steps.items(), key=lambda i: -i[1])
                ),
                flush=True,
            )
        sup.start()
        end = cycle.started + args.cycle * 60
        while time.monotonic() < end and not watch.finished.is_set():
            time.sleep(min(1.0, max(0.0, end - time.monotonic())))
        t_w, cycle.rss_end_mb, _, w1 = sampler.sample()
        sup.stop()
        watch.finished.wait(30)
        state["sup"] = None
        cycle.stopped = time.monotonic()
        _, _, b1, _ = sampler.sample()
        wall = cycle.stopped - cycle.started
        run_minutes += wall / 60
        if b0 is not None and b1 is not None:
            cycle.broker_cpu_pct = round(100 * (b1 - b0) / wall, 1)
            if cycle.generated:
                cycle.broker_cpu_ms_per_1k = round(1e6 * (b1 - b0) / cycle.generated, 1)
        if w1 is not None:
            cycle.worker_cpu_pct = round(100 * w1 / (t_w - cycle.started), 1)  # a new process
        if watch.finished.is_set() and not cycle.failed and time.monotonic() < end - 1:
            cycle.failed = "the run ended by itself"
        # As the app does (RunController): the topics bounded again as soon as the run
        # stops, while its results are looked at; not part of the next run's wait.
        steps.clear()
        t_k = time.monotonic()
        bounded = SandboxKeeper(broker.bootstrap).bound(topology, topology.name)
        cycle.keeper_after_s = round(time.monotonic() - t_k, 2)
        for line in bounded:
            print(f"  after the stop: {line}", flush=True)
        print(
            f"run {index}/{count}: numbers after {show(cycle.numbers_s, '.2f', 'never')} s "
            f"(keeper {show(cycle.keeper_s, '.2f')} s; {show(cycle.keeper_after_s, '.2f')} s after the stop), restored {cycle.restored:,} records in {show(cycle.restore_s, '.2f')} s, "
            f"RSS {show(cycle.rss_start_mb, '.0f')} -> {show(cycle.rss_end_mb, '.0f')} MB, "
            f"broker {show(cycle.broker_cpu_pct)} % of a core"
            + (f"; FAILED: {cycle.failed}" if cycle.failed else ""),
            flush=True,
        )
        if cycle.failed and "ended" not in cycle.failed:
            break


def stop_all(state: dict) -> None:
    sup, broker, sampler = state.get("sup"), state.get("broker"), state.get("sampler")
    if sampler is not None:
        sampler.halt.set()
    if sup is not None:
        sup.stop()
    if broker is not None:
        broker.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=30.0, help="soak length (default 30)")
    parser.add_argument("--cycle", type=float, default=5.0, help="minutes per run (default 5)")
    parser.add_argument(
        "--rate-scale", type=float, default=10.0, help="times the demo's rates (default 10)"
    )
    parser.add_argument("--sample", type=float, default=5.0, help="seconds between samples")
    parser.add_argument("--idle", type=float, default=10.0, help="seconds of idle broker CPU")
    parser.add_argument("--topology", default=str(DEMO), help="the topology (default: the demo)")
    parser.add_argument("--json-out", metavar="PATH", help="write the figures as JSON")
    args = parser.parse_args(argv)
    if args.minutes <= 0 or args.cycle <= 0 or args.cycle > args.minutes:
        parser.error("--minutes and --cycle must be positive, and --cycle at most --minutes")
    if args.rate_scale <= 0 or args.sample <= 0 or args.idle <= 0:
        parser.error("--rate-scale, --sample and --idle must be positive")
    if not Path(args.topology).is_file():
        parser.error(f"there is no topology file at {args.topology}")

    cycles: list[Cycle] = []
    state: dict = {}
    code = 0
    try:
        soak(args, cycles, state)
    except KeyboardInterrupt:
        print("\ninterrupted: stopping the run and the broker", flush=True)
        code = 130
    except Exception as exc:  # noqa: BLE001 - a sentence for the user, not a traceback
        print(f"the soak could not go on: {type(exc).__name__}: {exc}", file=sys.stderr)
        code = 2
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not leave a broker
        stop_all(state)
    done = [c for c in cycles if c.stopped]
    if not done or "t0" not in state:
        return code or 2
    samples = [row for row in state["sampler"].samples if row[0] <= done[-1].stopped]
    figures = model(done, samples, state["t0"], state["idle_pct"], args.rate_scale)
    report(done, figures, args.rate_scale)
    if code:
        print(f"(interrupted: the figures of the {len(done)} runs completed)")
    if args.json_out:
        payload = {
            "args": {k: v for k, v in vars(args).items() if k != "json_out"},
            "cycles": [c.figures() for c in done],
            "overall": figures,
            "samples": [
                {
                    "t_s": round(t - state["t0"], 2),
                    "broker_rss_mb": r,
                    "broker_cpu_s": b,
                    "worker_cpu_s": w,
                }
                for t, r, b, w in samples
            ],
        }
        try:
            Path(args.json_out).write_text(json.dumps(payload, indent=1), encoding="utf-8")
        except OSError as exc:
            print(f"cannot write {args.json_out}: {exc.strerror or exc}", file=sys.stderr)
            code = code or 2
    ok = all(figures[k]["pass"] is not False for k in ("rss", "cpu", "reruns"))
    if code:
        return code
    return 0 if ok and not any(c.failed for c in done) else 1


if __name__ == "__main__":
    sys.exit(main())
