"""Throughput of the engine against a raw confluent-kafka loop and Quix Streams.

    python bench/bench_engine.py [--records N] [--repeats R] [--only raw,engine,quix]

One sandbox broker; one input topic (3 partitions) of JSON orders, produced once.
Each system reads all of it in a fresh consumer group and runs the same pipeline,
consume -> decode JSON -> keep status == 'paid' -> build a smaller dict -> encode
JSON -> produce, at least once (producer flushed before every commit, commits once a
second), into an output topic of its own:

    raw         a hand-written confluent-kafka loop (consume(1000) batches, stdlib json)
    raw-orjson  the same loop with orjson: for reference, no target
    engine      KafkaRun on kafka_source -> filter -> map -> kafka_sink
    quix        Quix Streams: dataframe.filter().apply().to_topic()

The clock runs from the first record consumed to the broker's acknowledgement of
the last output, so group join, topic creation, process start-up and shut-down are
left out. Each system runs in a subprocess of its own, R times, interleaved; the
median is reported. Every output topic is then read back and checked record by
record against the expected output.

Targets (the issue's): engine >= 0.85 x raw and >= 1.5 x Quix Streams.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from confluent_kafka import (
    OFFSET_BEGINNING,
    Consumer,
    KafkaError,
    KafkaException,
    Producer,
    TopicPartition,
)
from confluent_kafka.admin import AdminClient, NewTopic

PARTITIONS = 3
BATCH = 1000
COMMIT_INTERVAL_S = 1.0
SESSION_TIMEOUT_MS = 2000
TARGET_RAW = 0.85
TARGET_QUIX = 1.5
STATUSES = ("paid", "paid", "paid", "pending", "cancelled")
REGIONS = ("eu-west", "eu-central", "us-east", "us-west", "ap-south")

FILTER_EXPR = "value['status'] == 'paid'"
MAP_EXPR = ("{'order_id': value['id'], 'customer': value['customer'], 'amount': value['amount'], "
            "'items': len(value['items']), 'tier': 'big' if value['amount'] >= 100 else 'small', "
            "'region': value['region']}")


def transform(value: dict) -> dict:
    """The map step, written out in Python (raw loop, Quix and the expected output)."""
    return {"order_id": value["id"], "customer": value["customer"], "amount": value["amount"],
            "items": len(value["items"]), "tier": "big" if value["amount"] >= 100 else "small",
            "region": value["region"]}


def make_order(i: int, rng: random.Random) -> dict:
    return {
        "id": i,
        "customer": f"c{rng.randrange(5000):05d}",
        "status": rng.choice(STATUSES),
        "amount": round(rng.uniform(1, 250), 2),
        "currency": "EUR",
        "region": rng.choice(REGIONS),
        "items": [{"sku": f"sku-{rng.randrange(900):03d}", "qty": rng.randint(1, 4)}
                  for _ in range(rng.randint(1, 3))],
        "ts": 1_700_000_000_000 + i,
    }


# -- broker set-up and checks (parent process) ------------------------------------------


def create_topics(bootstrap: str, names: list[str], partitions: int = PARTITIONS) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    futures = admin.create_topics([NewTopic(n, num_partitions=partitions, replication_factor=-1)
                                   for n in names])
    for future in futures.values():
        future.result(timeout=20)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        topics = admin.list_topics(timeout=5).topics
        if all(n in topics and not topics[n].error and len(topics[n].partitions) == partitions
               for n in names):
            return
        time.sleep(0.05)
    raise RuntimeError(f"topics {names} did not appear")


def fill_input(bootstrap: str, topic: str, records: int, seed: int = 7) -> tuple[int, int]:
    """Produce the input once; returns (records that pass the filter, mean value bytes)."""
    rng = random.Random(seed)
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 50, "batch.size": 1_000_000,
                         "queue.buffering.max.messages": 1_000_000, "acks": "all",
                         "partitioner": "murmur2_random"})
    paid = 0
    size = 0
    for i in range(records):
        order = make_order(i, rng)
        paid += order["status"] == "paid"
        data = json.dumps(order, separators=(",", ":")).encode()
        size += len(data)
        while True:
            try:
                producer.produce(topic, data, order["customer"].encode(), timestamp=order["ts"])
                break
            except BufferError:
                producer.poll(0.05)
        if i % 10_000 == 0:
            producer.poll(0)
    if producer.flush(60) != 0:
        raise RuntimeError("the input could not be produced")
    return paid, size // max(records, 1)


def expected_outputs(records: int, seed: int = 7) -> dict[int, dict]:
    rng = random.Random(seed)
    out = {}
    for i in range(records):
        order = make_order(i, rng)
        if order["status"] == "paid":
            out[i] = transform(order)
    return out


def check_output(bootstrap: str, topic: str, expected: dict[int, dict]) -> str:
    """'' when ``topic`` holds exactly the expected records (any order), else what is wrong."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"check-{time.monotonic_ns()}",
                         "enable.auto.commit": False, "enable.partition.eof": True})
    consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(PARTITIONS)])
    seen: dict[int, int] = {}
    wrong = 0
    at_end: set[int] = set()
    deadline = time.monotonic() + 120
    total = 0
    while time.monotonic() < deadline:
        msgs = consumer.consume(BATCH, timeout=0.5)
        for msg in msgs:
            err = msg.error()
            if err is not None:
                if err.code() == KafkaError._PARTITION_EOF:
                    at_end.add(msg.partition())
                continue
            at_end.discard(msg.partition())
            total += 1
            value = json.loads(msg.value())
            order_id = value.get("order_id")
            seen[order_id] = seen.get(order_id, 0) + 1
            if expected.get(order_id) != value or msg.key().decode() != value["customer"]:
                wrong += 1
        if len(at_end) == PARTITIONS and total >= len(expected):
            break
    consumer.close()
    problems = []
    if total != len(expected):
        problems.append(f"{total} records, expected {len(expected)}")
    missing = len(expected.keys() - seen.keys())
    if missing:
        problems.append(f"{missing} missing")
    dupes = sum(n - 1 for n in seen.values() if n > 1)
    if dupes:
        problems.append(f"{dupes} duplicates")
    if wrong:
        problems.append(f"{wrong} with a wrong key or value")
    return "; ".join(problems)


# -- the three systems (each in a worker process) ---------------------------------------


def run_raw(bootstrap: str, source: str, sink: str, group: str, total: int, expected: int,
            codec: str = "json") -> dict:
    """The baseline: what a careful hand-written loop does, at least once."""
    if codec == "orjson":
        import orjson

        loads, dumps = orjson.loads, orjson.dumps
    else:
        loads = json.loads
        encode = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode

        def dumps(value):
            return encode(value).encode()

    errors: list[str] = []
    acks = [0, 0.0]  # outputs acknowledged, when the last one was

    def on_delivery(err, msg):
        if err is not None:
            errors.append(err.str())
        else:
            acks[0] += 1
            if acks[0] == expected:
                acks[1] = time.monotonic()

    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5, "acks": "all",
                         "enable.idempotence": True, "partitioner": "murmur2_random",
                         "queue.buffering.max.messages": 500_000, "on_delivery": on_delivery})
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group,
                         "enable.auto.commit": False, "auto.offset.reset": "earliest",
                         "session.timeout.ms": SESSION_TIMEOUT_MS, "fetch.wait.max.ms": 100,
                         "heartbeat.interval.ms": 500})
    consumer.subscribe([source])
    produce = producer.produce
    consumed = produced = 0
    t0 = None
    next_commit = 0.0

    def commit():
        if producer.flush(30) != 0 or errors:
            raise RuntimeError(f"deliveries failed: {errors[:1]}")
        try:
            consumer.commit(asynchronous=False)
        except KafkaException as exc:
            if exc.args[0].code() != KafkaError._NO_OFFSET:  # nothing new since the last commit
                raise

    while consumed < total:
        msgs = consumer.consume(BATCH, timeout=0.1)
        if not msgs:
            continue
        if t0 is None:
            t0 = time.monotonic()
            next_commit = t0 + COMMIT_INTERVAL_S
        for msg in msgs:
            if msg.error() is not None:
                continue
            consumed += 1
            value = loads(msg.value())
            if value["status"] != "paid":
                continue
            out = dumps(transform(value))
            try:
                produce(sink, out, msg.key(), timestamp=msg.timestamp()[1])
            except BufferError:
                producer.poll(0.05)
                produce(sink, out, msg.key(), timestamp=msg.timestamp()[1])
            produced += 1
        producer.poll(0)
        if time.monotonic() >= next_commit:
            commit()
            next_commit = time.monotonic() + COMMIT_INTERVAL_S
    commit()
    consumer.close()
    return {"consumed": consumed, "produced": produced, "seconds": acks[1] - t0}


def run_engine(bootstrap: str, source: str, sink: str, group: str, total: int, expected: int,
               profile: str | None = None) -> dict:
    from engine.code.builder import StreamsBuilder
    from engine.runtime.kafka import clients as runtime
    from engine.runtime.kafka_run import KafkaRun, RunConfig, RunObserver

    b = StreamsBuilder(group, topic_partitions=PARTITIONS, commit_interval="1s")
    (b.stream(source, name="orders")
      .filter(FILTER_EXPR, name="paid")
      .map(MAP_EXPR, name="slim")
      .to(sink, name="out"))
    topology = b.build()

    class TimedRun(KafkaRun):
        """Marks the first record in."""

        t0: float | None = None
        t1: float | None = None

    class FirstRecord(RunObserver):
        """Once the run is compiled, wraps its entry executors to mark the first record,
        then leaves (a run with no observer makes no metrics snapshot)."""

        def on_start(self, run):
            run.config.observers.remove(self)
            entries = run.compiled.entries
            for topic, executor in list(entries.items()):
                def first(msg, _topic=topic, _executor=executor):
                    if run.t0 is None:
                        run.t0 = time.monotonic()
                    entries[_topic] = _executor  # from now on the run calls the engine directly
                    _executor(msg)
                entries[topic] = first

    run = TimedRun(topology, RunConfig(bootstrap=bootstrap, group_id=group,
                                       session_timeout_ms=SESSION_TIMEOUT_MS,
                                       observers=[FirstRecord()]))
    sink_metrics = run.metrics["out"]

    class TimedProducer(runtime.Producer):
        """The run's producer. Once every output has been produced (checked whenever the
        run polls or flushes it, i.e. once per batch), it is flushed at once: the clock
        stops when the last output is acknowledged, as in the raw loop, rather than when
        the run would next serve delivery reports (its next batch or commit, up to 1 s
        later), and the run is asked to stop."""

        def poll(self, *args):
            served = super().poll(*args)
            self._check()
            return served

        def flush(self, *args):
            left = super().flush(*args)
            self._check()
            return left

        def _check(self):
            if run.t1 is None and run.t0 is not None and sink_metrics.out >= expected:
                if super().flush(60) == 0:
                    run.t1 = time.monotonic()
                run.stop()

    runtime.Producer = TimedProducer  # this worker process runs nothing else
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        result = profiler.runcall(run.run, max_seconds=600)
        profiler.dump_stats(profile)
    else:
        result = run.run(max_seconds=600)
    if result.status != "stopped" or run.t1 is None:
        raise RuntimeError(f"the engine run {result.status}: {result.reason or 'outputs not acknowledged'}")
    nodes = result.metrics["nodes"]
    return {"consumed": nodes["orders"]["in"], "produced": nodes["out"]["out"],
            "seconds": run.t1 - run.t0}


def run_quix(bootstrap: str, source: str, sink: str, group: str, total: int, expected: int) -> dict:
    import logging

    from quixstreams import Application

    state_dir = tempfile.mkdtemp(prefix="bench-quix-")
    app = Application(
        broker_address=bootstrap, consumer_group=group, auto_offset_reset="earliest",
        commit_interval=COMMIT_INTERVAL_S, loglevel=logging.WARNING, state_dir=state_dir,
        use_changelog_topics=False,
        consumer_extra_config={"session.timeout.ms": SESSION_TIMEOUT_MS, "heartbeat.interval.ms": 500,
                               "fetch.wait.max.ms": 100},
        producer_extra_config={"linger.ms": 5},
    )
    in_topic = app.topic(source, key_deserializer="str", value_deserializer="json")
    out_topic = app.topic(sink, key_serializer="str", value_serializer="json")
    sdf = app.dataframe(in_topic)
    sdf = sdf.filter(lambda value: value["status"] == "paid")
    sdf = sdf.apply(transform)
    sdf.to_topic(out_topic)

    marks: dict[str, float] = {}
    consumer = app._consumer
    poll_row = consumer.poll_row

    def first_poll(*args, **kwargs):
        rows = poll_row(*args, **kwargs)
        if rows:
            marks["t0"] = time.monotonic()
            del consumer.poll_row  # back to the class's method: no cost from here on
        return rows

    consumer.poll_row = first_poll
    context = app._processing_context
    commit_checkpoint = context.commit_checkpoint

    def timed_checkpoint(force: bool = False, **kwargs):
        commit_checkpoint(force=force, **kwargs)
        if force and "t0" in marks and "t1" not in marks:
            marks["t1"] = time.monotonic()

    context.commit_checkpoint = timed_checkpoint
    producer = app._producer
    on_delivery = producer._on_delivery
    acks = [0]

    def counted_delivery(err, msg):
        on_delivery(err, msg)
        if err is None:
            acks[0] += 1
            if acks[0] == expected:
                marks["acked"] = time.monotonic()

    producer._on_delivery = counted_delivery
    app.run(count=expected, collect=False)
    return {"consumed": None, "produced": acks[0],
            "seconds": marks.get("acked", marks["t1"]) - marks["t0"]}


def run_raw_orjson(*args) -> dict:
    return run_raw(*args, codec="orjson")


SYSTEMS = {"raw": run_raw, "raw-orjson": run_raw_orjson, "engine": run_engine, "quix": run_quix}
# Targets are against these; raw-orjson (the same loop with orjson, as Quix Streams
# uses) is shown for reference, to tell plumbing overhead from JSON codec speed.
TARGETS = (("raw", TARGET_RAW), ("quix", TARGET_QUIX))


def worker(args) -> None:
    kwargs = {"profile": args.profile} if args.profile else {}
    out = SYSTEMS[args.worker](args.bootstrap, args.source, args.sink, args.group, args.records,
                               args.expected, **kwargs)
    print("RESULT " + json.dumps(out), flush=True)


def measure(system: str, bootstrap: str, source: str, sink: str, group: str, records: int,
            expected: int, profile: str | None = None) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", system,
           "--bootstrap", bootstrap, "--source", source, "--sink", sink, "--group", group,
           "--records", str(records), "--expected", str(expected)]
    if profile:
        cmd += ["--profile", profile]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=900, check=False)
    for line in proc.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT "):])
    tail = (proc.stderr.strip().splitlines() or ["(no output)"])[-8:]
    raise RuntimeError(f"{system} failed (exit {proc.returncode}):\n    " + "\n    ".join(tail))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=200_000, help="input records (default 200000)")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each system (default 3)")
    default = ",".join(s for s in SYSTEMS if s != "raw-orjson" or importlib.util.find_spec("orjson"))
    parser.add_argument("--only", default=default,
                        help=f"systems to run, comma-separated (default {default})")
    parser.add_argument("--bootstrap", help="use this cluster instead of starting the sandbox broker")
    parser.add_argument("--profile", help="engine only: write cProfile stats of KafkaRun.run here")
    parser.add_argument("--no-check", action="store_true", help="skip reading the outputs back")
    for hidden in ("--worker", "--source", "--sink", "--group"):
        parser.add_argument(hidden, help=argparse.SUPPRESS)
    parser.add_argument("--expected", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args)
        return 0

    systems = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = set(systems) - SYSTEMS.keys()
    if unknown:
        parser.error(f"unknown systems: {', '.join(sorted(unknown))}")
    broker = None
    if args.bootstrap:
        bootstrap = args.bootstrap
    else:
        from engine.cluster.broker import SandboxBroker

        broker = SandboxBroker().start()
        bootstrap = broker.bootstrap
    try:
        return bench(args, systems, bootstrap)
    finally:
        if broker is not None:
            broker.stop()


def bench(args, systems: list[str], bootstrap: str) -> int:
    run_id = f"{os.getpid()}-{int(time.time())}"
    source = f"bench-orders-{run_id}"
    create_topics(bootstrap, [source])
    started = time.monotonic()
    expected_count, mean_size = fill_input(bootstrap, source, args.records)
    print(f"broker {bootstrap}; input {source}: {args.records} records x ~{mean_size} bytes, "
          f"{PARTITIONS} partitions, {expected_count} pass the filter "
          f"(produced in {time.monotonic() - started:.1f} s)", flush=True)
    expected = {} if args.no_check else expected_outputs(args.records)

    rates: dict[str, list[float]] = {s: [] for s in systems}
    failures: dict[str, str] = {}
    for rep in range(args.repeats):
        for system in systems:
            if system in failures:
                continue
            sink = f"bench-out-{system}-{rep}-{run_id}"
            create_topics(bootstrap, [sink])
            profile = args.profile if system == "engine" and rep == 0 else None
            try:
                result = measure(system, bootstrap, source, sink, f"bench-{system}-{rep}-{run_id}",
                                 args.records, expected_count, profile)
            except (RuntimeError, subprocess.TimeoutExpired) as exc:
                failures[system] = str(exc)
                print(f"  {system:<10} run {rep + 1}: FAILED\n    {exc}", flush=True)
                continue
            rate = args.records / result["seconds"]
            problem = "" if args.no_check else check_output(bootstrap, sink, expected)
            if problem:
                failures[system] = f"wrong output: {problem}"
            rates[system].append(rate)
            print(f"  {system:<10} run {rep + 1}: {result['seconds']:6.2f} s  {rate:9,.0f} records/s  "
                  f"output {'not checked' if args.no_check else (problem or 'exact')}", flush=True)

    print()
    print(f"{'system':<12}{'median records/s':>18}   runs")
    medians = {}
    for system in systems:
        if rates[system]:
            medians[system] = statistics.median(rates[system])
            runs = ", ".join(f"{r:,.0f}" for r in rates[system])
            print(f"{system:<12}{medians[system]:>18,.0f}   {runs}")
        else:
            print(f"{system:<12}{'failed':>18}")
    print()
    ok = not (failures.keys() - {"raw-orjson"})
    for base, target in TARGETS:
        if "engine" in medians and base in medians:
            ratio = medians["engine"] / medians[base]
            verdict = "PASS" if ratio >= target else "FAIL"
            ok = ok and ratio >= target
            print(f"engine / {base:<10} {ratio:5.2f}x   target >= {target:.2f}x   {verdict}")
        elif "engine" in systems and base in systems:
            print(f"engine / {base:<10}   n/a   target >= {target:.2f}x   (no measurement)")
    if "engine" in medians and "raw-orjson" in medians:
        ratio = medians["engine"] / medians["raw-orjson"]
        print(f"engine / {'raw-orjson':<10} {ratio:5.2f}x   (for reference: no target)")
    for system, reason in failures.items():
        print(f"{system}: {reason}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
