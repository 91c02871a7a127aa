"""Fleet figures: instances sharing a topic, window state in memory vs RocksDB, end-to-end
latency against a raw loop, and what publishing run state costs.

    python bench/bench_fleet.py scale     [--records 150000]   # 1, 2, 4 instances, 6 partitions
    python bench/bench_fleet.py memory    [--keys 1000000]     # resident memory per store kind
    python bench/bench_fleet.py latency   [--rate 5000 --seconds 8]
    python bench/bench_fleet.py overhead  [--records 100000 --repeats 2]

Every phase starts its own sandbox broker (``--bootstrap`` for your cluster) and prints
one line per figure. See bench/README.md for what each measures.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from engine.cluster.broker import SandboxBroker
from engine.cluster.fleet_reader import FleetReader
from engine.code.builder import StreamsBuilder
from engine.model import fileformat


def create(bootstrap: str, name: str, partitions: int) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    for f in admin.create_topics([NewTopic(name, partitions, replication_factor=-1)]).values():
        f.result(20)
    time.sleep(0.5)


def fill(bootstrap: str, topic: str, n: int) -> None:
    producer = Producer(
        {
            "bootstrap.servers": bootstrap,
            "linger.ms": 20,
            "partitioner": "murmur2_random",
            "queue.buffering.max.messages": 500_000,
        }
    )
    for i in range(n):
        while True:
            try:
                producer.produce(
                    topic,
                    json.dumps(
                        {"i": i, "status": "paid" if i % 5 else "new", "amount": i % 100}
                    ).encode(),
                    f"k{i}".encode(),
                )
                break
            except BufferError:
                producer.poll(0.05)
    while producer.flush(10) > 0:
        pass  # every record in, however loaded the machine


def cli_env() -> dict:
    return {**os.environ, "PYTHONPATH": str(ROOT), "KAFKA_BOOTSTRAP_SERVERS": ""}


# -- scale -------------------------------------------------------------------------------


def _count_arrivals(
    bootstrap: str, topic: str, partitions: int, expect: int, timeout: float
) -> tuple[float, float, int]:
    """(first arrival, last arrival, count) of the records of ``topic``, read as they come."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"count-{uuid.uuid4().hex[:6]}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
            "fetch.wait.max.ms": 10,
        }
    )
    # Assigned, not subscribed: no group join to wait for before the first record.
    consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(partitions)])
    first = last = 0.0
    count = 0
    deadline = time.monotonic() + timeout
    try:
        while count < expect and time.monotonic() < deadline:
            msgs = [m for m in consumer.consume(5000, timeout=0.05) if m.error() is None]
            if msgs:
                now = time.monotonic()
                first = first or now
                last = now
                count += len(msgs)
    finally:
        consumer.close()
    return first, last, count


def scale(bootstrap: str, records: int) -> None:
    tag = uuid.uuid4().hex[:6]
    src = f"scale-in-{tag}"
    create(bootstrap, src, 6)
    fill(bootstrap, src, records)
    expect = sum(1 for i in range(records) if i % 5)
    print(
        f"scale: {records:,} records on 6 partitions, stateless filter+map ({expect:,} out), "
        f"{os.cpu_count()} cores shared by the broker, the instances and this script"
    )
    for count in (1, 2, 4):
        app = f"scale-{count}-{tag}"
        out = f"{app}-out"
        create(bootstrap, out, 6)
        b = StreamsBuilder(app)
        (
            b.stream(src, name="src")
            .filter("value['status'] == 'paid'", name="paid")
            .map("{'i': value['i'], 'amount': value['amount']}", name="slim")
            .to(out, name="out")
        )
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "t.topology.json"
            fileformat.write(b.build(), path)
            # Started together, the instances join the group's first generation together.
            procs = [
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "gui.launcher",
                        "run",
                        str(path),
                        "--bootstrap",
                        bootstrap,
                    ],
                    cwd=ROOT,
                    env=cli_env(),
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
                for _ in range(count)
            ]
            try:
                first, last, seen = _count_arrivals(bootstrap, out, 6, expect, 300)
                reader = FleetReader(bootstrap, app, tail=100)
                reader.catch_up()
                shares = sorted(len(i.partitions.get(src, [])) for i in reader.fleet.live())
                reader.close()
            finally:
                for p in procs:
                    p.terminate()
                for p in procs:
                    p.wait(30)
            if seen < expect or last <= first:
                print(f"  {count} instance(s): {seen:,} of {expect:,} outputs")
                continue
            print(
                f"  {count} instance{'s' * (count > 1)}: {records / (last - first):>10,.0f} input "
                f"records/s ({last - first:.1f} s from the first output to the last; "
                f"partitions per instance {shares})"
            )


# -- memory ------------------------------------------------------------------------------


MEMORY_CHILD = """
import json, os, sys, time
sys.path.insert(0, {root!r})
from engine.runtime import state
kind, keys, tmp = sys.argv[1], int(sys.argv[2]), sys.argv[3]
def rss():
    for line in open('/proc/self/status'):
        if line.startswith('VmRSS'):
            return int(line.split()[1]) / 1024
before = rss()
store = state.make_store(kind, tmp, 'bench', 'agg', 0)
window = 60_000
for i in range(keys):
    start = (i % 60) * window
    # what an aggregate keeps per key and window: the running aggregations
    store.put(f'customer-{{i}}@{{start}}', {{'count': i % 17, 'sum': i * 1.5, 'min': 1, 'max': i}})
after = rss()
probe = [store.get(f'customer-{{i}}@{{(i % 60) * window}}') for i in range(0, keys, keys // 1000)]
assert all(p is not None for p in probe)
print(json.dumps({{'kind': kind, 'rss_mb': round(after, 1), 'growth_mb': round(after - before, 1)}}))
"""


def memory(keys: int) -> None:
    print(
        f"memory: one process holding {keys:,} keys of window state (key@window_start -> "
        "4 aggregations), resident set size after the last put"
    )
    for kind in ("memory", "rocksdb"):
        with tempfile.TemporaryDirectory() as tmp:
            out = subprocess.run(
                [sys.executable, "-c", MEMORY_CHILD.format(root=str(ROOT)), kind, str(keys), tmp],
                capture_output=True,
                text=True,
                timeout=900,
                check=False,
            )
            if out.returncode != 0:
                print(f"  {kind}: failed: {out.stderr.strip()[-300:]}")
                continue
            result = json.loads(out.stdout.strip().splitlines()[-1])
            print(
                f"  {kind:<8} {result['rss_mb']:>7.0f} MB resident ({result['growth_mb']:.0f} MB "
                "for the state)"
            )


# -- latency -----------------------------------------------------------------------------


def _pace(bootstrap: str, topic: str, rate: int, seconds: float) -> None:
    producer = Producer(
        {"bootstrap.servers": bootstrap, "linger.ms": 1, "partitioner": "murmur2_random"}
    )
    start = time.monotonic()
    sent = 0
    total = int(rate * seconds)
    while sent < total:
        due = int((time.monotonic() - start) * rate) + 1
        while sent < min(due, total):
            producer.produce(
                topic,
                json.dumps(
                    {
                        "i": sent,
                        "t": time.time() * 1000,
                        "category": f"c{sent % 20}",
                        "amount": sent % 50,
                    }
                ).encode(),
                f"k{sent % 1000}".encode(),
            )
            sent += 1
        producer.poll(0)
        time.sleep(0.001)
    producer.flush(30)


def _collect(bootstrap: str, topic: str, expect: int, stop: threading.Event, out: list) -> None:
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"lat-{uuid.uuid4().hex[:6]}",
            "auto.offset.reset": "earliest",
            "fetch.wait.max.ms": 5,
            "enable.auto.commit": False,
        }
    )
    consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(3)])
    try:
        while not stop.is_set() and len(out) < expect:
            for msg in consumer.consume(500, timeout=0.05):
                if msg.error() is None and msg.value():
                    t = json.loads(msg.value()).get("t")
                    if t is not None:
                        out.append(time.time() * 1000 - t)
    finally:
        consumer.close()


def _raw_loop(bootstrap: str, src: str, dst: str, stop: threading.Event) -> None:
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"raw-{uuid.uuid4().hex[:6]}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": True,
            "fetch.wait.max.ms": 5,
            "session.timeout.ms": 6000,
        }
    )
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
    consumer.subscribe([src])
    while not stop.is_set():
        for msg in consumer.consume(1000, timeout=0.05):
            if msg.error() is None:
                value = json.loads(msg.value())
                producer.produce(
                    dst, json.dumps({"i": value["i"], "t": value["t"]}).encode(), msg.key()
                )
        producer.poll(0)
    producer.flush(10)
    consumer.close()


def latency(bootstrap: str, rate: int, seconds: float) -> None:
    from engine.runtime.kafka.run import KafkaRun, RunConfig
    from engine.runtime.watch.publisher import RunPublisher

    print(
        f"latency: {rate:,} records/s for {seconds:g} s, time from a record's append to its "
        "output's arrival at a consumer (ms), 3 partitions"
    )
    results = {}
    for variant in ("raw", "stateless", "windowed-update"):
        tag = uuid.uuid4().hex[:6]
        src, dst = f"lat-in-{tag}", f"lat-out-{tag}"
        create(bootstrap, src, 3)
        create(bootstrap, dst, 3)
        stop = threading.Event()
        lat: list[float] = []
        expect = int(rate * seconds)
        runner = None
        if variant == "raw":
            worker = threading.Thread(target=_raw_loop, args=(bootstrap, src, dst, stop))
        else:
            b = StreamsBuilder(f"lat-{variant}-{tag}", commit_interval="1s")
            s = b.stream(src, name="src")
            if variant == "stateless":
                s.map("{'i': value['i'], 't': value['t']}", name="slim").to(dst, name="out")
            else:
                (
                    s.group_by("value['category']", name="agg")
                    .window({"type": "tumbling", "size": "10s"})
                    .aggregate(
                        [
                            {"name": "t", "fn": "max", "expr": "value['t']"},
                            {"name": "n", "fn": "count"},
                        ],
                        emit="update",
                    )
                    .to(dst, name="out")
                )
            runner = KafkaRun(
                b.build(),
                RunConfig(bootstrap=bootstrap, console=lambda *_: None, observers=[RunPublisher()]),
            )
            worker = threading.Thread(target=runner.run)
        worker.start()
        collector = threading.Thread(target=_collect, args=(bootstrap, dst, 10 * expect, stop, lat))
        collector.start()
        # Warm up until a record goes through: the group has joined and the topics exist.
        warm = Producer({"bootstrap.servers": bootstrap, "linger.ms": 1})
        deadline = time.monotonic() + 60
        while not lat and time.monotonic() < deadline:
            warm.produce(
                src,
                json.dumps(
                    {"i": -1, "t": time.time() * 1000, "category": "w", "amount": 0}
                ).encode(),
                b"warm",
            )
            warm.flush(5)
            time.sleep(0.3)
        time.sleep(1)
        lat.clear()
        _pace(bootstrap, src, rate, seconds)
        time.sleep(3)
        stop.set()
        if runner is not None:
            runner.stop()
        worker.join(30)
        collector.join(30)
        lat.sort()
        if not lat:
            print(f"  {variant}: no output")
            continue
        p50 = lat[len(lat) // 2]
        p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
        results[variant] = (p50, p99)
        print(f"  {variant:<16} p50 {p50:7.1f} ms   p99 {p99:7.1f} ms   ({len(lat):,} outputs)")
    if "raw" in results:
        for variant in ("stateless", "windowed-update"):
            if variant in results:
                ratio = results[variant][1] / results["raw"][1]
                print(
                    f"  {variant} p99 = {ratio:.2f} x raw ({'PASS' if ratio <= 2 else 'FAIL'}: "
                    "target within 2x)"
                )


# -- overhead ----------------------------------------------------------------------------


def overhead(bootstrap: str, records: int, repeats: int) -> None:
    from engine.runtime.kafka.run import KafkaRun, RunConfig
    from engine.runtime.watch.publisher import RunPublisher

    tag = uuid.uuid4().hex[:6]
    src = f"ovh-in-{tag}"
    create(bootstrap, src, 3)
    fill(bootstrap, src, records)
    times: dict[str, list[float]] = {"off": [], "on": []}
    for r in range(repeats):
        for mode in ("off", "on"):
            b = StreamsBuilder(f"ovh-{mode}-{r}-{tag}", publish_metrics=mode == "on")
            (
                b.stream(src, name="src")
                .filter("value['status'] == 'paid'", name="paid")
                .map("{'i': value['i']}", name="slim")
                .to(f"ovh-out-{mode}-{r}-{tag}", name="out")
            )
            run = KafkaRun(
                b.build(),
                RunConfig(bootstrap=bootstrap, console=lambda *_: None, observers=[RunPublisher()]),
            )
            started = time.monotonic()
            result = run.run(until_idle=1.0)
            # the idle second at the end is the same for both
            times[mode].append(time.monotonic() - started - 1.0)
            assert result.metrics["nodes"]["src"]["in"] == records, result.metrics
    off, on = statistics.median(times["off"]), statistics.median(times["on"])
    print(
        f"overhead: {records:,} records, filter+map, median of {repeats}: publishing off "
        f"{records / off:,.0f} records/s, on {records / on:,.0f} records/s ({on / off:.3f} x the time)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("phase", choices=("scale", "memory", "latency", "overhead"))
    parser.add_argument("--bootstrap")
    parser.add_argument("--records", type=int)
    parser.add_argument("--keys", type=int, default=1_000_000)
    parser.add_argument("--rate", type=int, default=5000)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    if args.phase == "memory":
        memory(args.keys)
        return 0
    broker = None
    bootstrap = args.bootstrap
    if bootstrap is None:
        broker = SandboxBroker().start()
        bootstrap = broker.bootstrap
    try:
        if args.phase == "scale":
            scale(bootstrap, args.records or 150_000)
        elif args.phase == "latency":
            latency(bootstrap, args.rate, args.seconds)
        else:
            overhead(bootstrap, args.records or 100_000, args.repeats)
    finally:
        if broker is not None:
            broker.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
