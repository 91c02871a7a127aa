"""The engine's own cost per record, without the broker's noise.

bench_engine.py measures whole processes against a broker on the same two cores, where
one run differs from the next by up to 10 %. This script measures only the part the
engine decides: the CPU time of the thread that runs the compiled topology, per input
record. It reads the bench's input once into memory (real confluent-kafka messages),
then hands the same messages, batch by batch, to the run's entry executors exactly as
the run's loop does (``entries[msg.topic()](msg)``, ``producer.poll(0)`` after each
batch, the state flushed to the changelogs once per 60,000 records as commits would);
the run's producer is real and writes to the sandbox broker, but librdkafka's own
threads are not counted; the garbage collector is set as the run's loop sets it. ``windowed`` is the windowed job as a run alone runs it: its
repartition records handed to the aggregate in-process (docs/reference.md §7.3);
``windowed-topic`` is the same job through its repartition topic, the second stage
(repartition topic → aggregate → sink) fed the topic a first, real run wrote.

    python bench/bench_hotpath.py [--jobs stateless,arith,strings,lists,windowed,windowed-topic]
                                   [--records 200000] [--repeats 5]

Prints the best and the median of the repeats, in microseconds per input record.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for path in (str(ROOT), str(ROOT / "bench")):
    if path not in sys.path:
        sys.path.insert(0, path)

import bench_engine as be

from engine.runtime.compiler import compile_topology
from engine.runtime.kafka.collection import collecting_less
from engine.runtime.kafka.run import KafkaRun, RunConfig

BATCH = 5000
PARTITIONS = be.PARTITIONS
FLUSH_EVERY = 60_000  # about one commit interval of input at the engine's rate


def topology_of(job: str, app: str, source: str, sink: str):
    """The job's topology, as bench_engine.py runs it."""
    return be.build_topology(job, app, source, sink)


def prepared(topology, bootstrap: str, app: str, hand_over: bool = False) -> KafkaRun:
    """A run with its clients open and its topology compiled, as run() leaves it before
    its loop starts; ``hand_over``: its repartition routes local, as once the run has
    drained them holding every partition."""
    run = KafkaRun(topology, RunConfig(bootstrap=bootstrap, group_id=app))
    prepare = getattr(run, "_prepare", None)
    if prepare is not None:
        prepare()
    else:  # older trees: the same steps, in run()'s order
        run.topics.check_reachable()
        run.compiled = compile_topology(topology, run, run.application_id)
        run.stores.attach(run.compiled, run.committer)
        run.topics.ensure(run.compiled)
        run._open_clients()
    if hand_over:
        run.handoff.enter({route: PARTITIONS for route in run.handoff.routes})
    return run


def batches(first: list, second: list) -> list[list]:
    """The two stages' messages as the consumer would interleave them: a batch of each."""
    out = []
    for i in range(0, max(len(first), len(second)), BATCH):
        for msgs in (first[i : i + BATCH], second[i : i + BATCH]):
            if msgs:
                out.append(msgs)
    return out


def once(run: KafkaRun, work: list[list], records: int) -> float:
    entries = run.compiled.entries
    producer = run.clients.producer if hasattr(run, "clients") else run._producer
    flush = run.stores.flush
    with collecting_less():  # the collector as the run's loop sets it
        started = time.thread_time()
        seen = 0
        for msgs in work:
            for msg in msgs:
                if msg.error() is None:
                    entries[msg.topic()](msg)
            producer.poll(0)
            seen += len(msgs)
            if seen >= FLUSH_EVERY:
                seen = 0
                flush()
        flush()
        spent = time.thread_time() - started
    producer.flush(60)
    return spent / records * 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--jobs", default="stateless,windowed")
    parser.add_argument(
        "--bootstrap", help="use this cluster instead of starting the sandbox broker"
    )
    args = parser.parse_args(argv)
    from engine.cluster.broker import SandboxBroker

    broker = None if args.bootstrap else SandboxBroker().start()
    bootstrap = args.bootstrap or broker.bootstrap
    try:
        run_id = f"{os.getpid()}-{int(time.time())}"
        source = f"hot-orders-{run_id}"
        be.create_topics(bootstrap, [source])
        be.fill_input(bootstrap, source, args.records)
        inputs = list(be.read_topic(bootstrap, source, args.records))
        for job in [j.strip() for j in args.jobs.split(",") if j.strip()]:
            app, sink = f"hot-{job}-{run_id}", f"hot-out-{job}-{run_id}"
            be.create_topics(bootstrap, [sink])
            topology = topology_of(job.removesuffix("-topic"), app, source, sink)
            second: list = []
            if job == "windowed-topic":  # a real run writes the topic stage two reads
                KafkaRun(
                    topology, RunConfig(bootstrap=bootstrap, group_id=app, hand_over=False)
                ).run(until_idle=3, max_seconds=300)
                second = list(be.read_topic(bootstrap, f"{app}-revenue-repartition", args.records))
            work = batches(inputs, second)
            figures = []
            for _ in range(args.repeats):
                run = prepared(topology, bootstrap, app, hand_over=job == "windowed")
                try:
                    figures.append(once(run, work, args.records))
                finally:
                    run.state.stop(0)
                    run._close()
            print(
                f"{job:<10} engine thread CPU per record: best {min(figures):.2f} us, "
                f"median {statistics.median(figures):.2f} us  "
                f"({', '.join(f'{f:.2f}' for f in figures)})",
                flush=True,
            )
    finally:
        if broker is not None:
            broker.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
