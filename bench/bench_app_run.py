"""CPU per record of a run started by the app against ``topology-studio run``, same topology.

    python bench/bench_app_run.py [--records N] [--repeats R]

One sandbox broker; one input topic (3 partitions) of JSON orders (``bench_engine``'s),
produced once. The stateless job of ``bench_engine`` (kafka_source -> filter -> map ->
kafka_sink) reads all of it in a fresh consumer group, R times each way, interleaved:

    run   ``topology-studio run FILE --bootstrap ... --until-idle 1`` in a process of its
          own (``engine.cli``, as the command line starts it)
    app   the app's worker process, started as the app starts it: a ``RunSupervisor``
          (``engine.runtime.worker.supervisor``) with the app's options (metrics twice a
          second, a data preview of 50 records per node) and the preview of the map node
          shown, stopped once every output is counted

The figure is the CPU time of the process that runs the topology (user + system, every
thread, from its start to its exit; for the app, the worker process, not the app standing
in for it) divided by the input records; medians are compared. Both runs also say how
many records their sink wrote, which must be every record that passes the filter.

Target: app / run <= 1.1x (the app's runs take the same fused path as the command line's;
the preview samples records without switching fusion off).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for path in (str(ROOT), str(ROOT / "bench")):
    if path not in sys.path:
        sys.path.insert(0, path)

import bench_engine as be

TARGET = 1.1
SYSTEMS = ("run", "app")


def topology(group: str, source: str, sink: str):
    from engine.code.builder import StreamsBuilder

    b = StreamsBuilder(group, topic_partitions=be.PARTITIONS, commit_interval="1s")
    (
        b.stream(source, name="orders")
        .filter(be.FILTER_EXPR, name="paid")
        .map(be.MAP_EXPR, name="slim")
        .to(sink, name="out")
    )
    return b.build()


def children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def app_worker(path: str, bootstrap: str, expected: int) -> dict:
    """In a process of its own (this one stands in for the app): the worker as the app
    starts it, stopped once the sink has written every expected record; its CPU is that of
    this process's children."""
    from engine.model import fileformat
    from engine.runtime.worker.protocol import WorkerEvent
    from engine.runtime.worker.supervisor import RunSupervisor

    topo, _ = fileformat.loads(Path(path).read_text(encoding="utf-8"))
    done, finished = threading.Event(), threading.Event()
    final: dict = {}
    samples: list = []

    def on_event(kind, payload) -> None:
        if kind == WorkerEvent.METRICS:
            if payload.get("nodes", {}).get("out", {}).get("out", 0) >= expected:
                done.set()
        elif kind == WorkerEvent.SAMPLES:
            samples.append(payload)
        elif kind == WorkerEvent.FINISHED:
            final.update(payload or {})
            finished.set()

    sup = RunSupervisor(topo, bootstrap, on_event, metrics_interval_s=0.5, sample_size=50)
    sup.start()
    sup.preview("slim")
    if not done.wait(600):
        sup.stop()
        raise RuntimeError("the app's worker did not write every record in 600 s")
    sup.stop()
    finished.wait(30)
    return {
        "cpu": children_cpu_seconds(),
        "produced": final.get("nodes", {}).get("out", {}).get("out", 0),
        "previewed": sum(len(records) for _, records in samples),
    }


def measure(system: str, path: str, bootstrap: str, group: str, expected: int) -> dict:
    before = children_cpu_seconds()
    if system == "run":
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "metrics.json"
            cmd = [
                sys.executable,
                "-c",
                "import sys; from engine.cli import main; sys.exit(main(sys.argv[1:]))",
                "run",
                path,
                "--bootstrap",
                bootstrap,
                "--group-id",
                group,
                "--until-idle",
                "1",
                "--metrics-out",
                str(out),
            ]
            proc = subprocess.run(
                cmd, capture_output=True, text=True, cwd=ROOT, timeout=900, check=False
            )
            if proc.returncode != 0:
                raise RuntimeError(f"run failed (exit {proc.returncode}): {proc.stderr[-800:]}")
            nodes = json.loads(out.read_text(encoding="utf-8"))["nodes"]
        return {"cpu": children_cpu_seconds() - before, "produced": nodes["out"]["out"]}
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", path, bootstrap]
    cmd += ["--expected", str(expected)]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=900, check=False)
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT ") :])
    raise RuntimeError(f"app worker failed (exit {proc.returncode}): {proc.stderr[-800:]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=300_000, help="input records")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each (default 3)")
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--expected", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print("RESULT " + json.dumps(app_worker(*args.worker, args.expected)), flush=True)
        return 0

    from engine.cluster.broker import SandboxBroker
    from engine.model import fileformat

    broker = SandboxBroker().start()
    try:
        bootstrap = broker.bootstrap
        run_id = f"{os.getpid()}-{int(time.time())}"
        source = f"bench-app-orders-{run_id}"
        be.create_topics(bootstrap, [source])
        passing, size = be.fill_input(bootstrap, source, args.records)
        print(f"input {source}: {args.records} records x ~{size} bytes, {passing} pass the filter")
        results: dict[str, list[float]] = {s: [] for s in SYSTEMS}
        with tempfile.TemporaryDirectory() as tmp:
            for rep in range(args.repeats):
                for system in SYSTEMS:
                    group = f"bench-app-{system}-{rep}-{run_id}"
                    sink = f"{group}-out"
                    be.create_topics(bootstrap, [sink])
                    path = Path(tmp) / f"{group}.json"
                    path.write_text(fileformat.dumps(topology(group, source, sink)), "utf-8")
                    got = measure(system, str(path), bootstrap, group, passing)
                    us = got["cpu"] / args.records * 1e6
                    results[system].append(us)
                    wrote = got["produced"]
                    extra = f", {got['previewed']} preview samples" if "previewed" in got else ""
                    print(
                        f"  {system:<4} run {rep + 1}: CPU {us:5.2f} us/record, wrote {wrote:,}"
                        f"{'' if wrote == passing else ' (WRONG: expected ' + str(passing) + ')'}"
                        f"{extra}",
                        flush=True,
                    )
                    if wrote != passing:
                        return 1
        medians = {s: statistics.median(v) for s, v in results.items()}
        ratio = medians["app"] / medians["run"]
        print()
        for system in SYSTEMS:
            each = ", ".join(f"{v:.2f}" for v in results[system])
            print(f"{system:<4} CPU {medians[system]:5.2f} us/record (median; runs {each})")
        verdict = "PASS" if ratio <= TARGET else "FAIL"
        print(f"app / run CPU per record {ratio:5.2f}x   target <= {TARGET:.2f}x   {verdict}")
        return 0 if ratio <= TARGET else 1
    finally:
        broker.stop()


if __name__ == "__main__":
    sys.exit(main())
