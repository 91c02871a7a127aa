"""The fault suite's tools: deterministic input, runs as subprocesses the suite may kill or
pause, read-back of outputs and the figures of docs/reliability.md.

Every scenario runs the same topology on keyed input with ids: a stateless path copies
each record's id to ``copy`` (so duplicates and losses are counted exactly), a stateful
path counts and sums per key and 10 s tumbling window (emit update) into ``totals`` (so
restored state is checked against the totals an uninterrupted run gives). A scenario's
figures are appended to the JSON file named by ``TOPOLOGY_FAULT_RESULTS`` when it is set;
``python -m tests.engine.faults.report`` prints them as the table of the document.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

from confluent_kafka import Consumer, Producer, TopicPartition

from engine.code.builder import Aggregation, StreamsBuilder, TumblingWindow
from engine.model import fileformat

ROOT = Path(__file__).resolve().parents[3]
WINDOW_MS = 10_000
T0 = 1_700_000_000_000 - 1_700_000_000_000 % WINDOW_MS


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "gui.launcher", *args]


def env() -> dict:
    return {**os.environ, "PYTHONPATH": str(ROOT), "KAFKA_BOOTSTRAP_SERVERS": ""}


def make_records(n: int, keys: int = 50, step_ms: int = 10) -> list[tuple[str, dict, int]]:
    """(key, value, timestamp): ids 0..n-1, ``n`` values 1..7, timestamps ``step_ms`` apart."""
    return [(f"k{i % keys:03d}", {"id": i, "n": i % 7 + 1}, T0 + i * step_ms) for i in range(n)]


def expected_totals(records) -> dict[tuple[str, int], tuple[int, int]]:
    out: dict[tuple[str, int], list[int]] = {}
    for key, value, ts in records:
        cell = out.setdefault((key, ts - ts % WINDOW_MS), [0, 0])
        cell[0] += 1
        cell[1] += value["n"]
    return {k: (c, s) for k, (c, s) in out.items()}


def produce(bootstrap: str, topic: str, records) -> None:
    producer = Producer(
        {"bootstrap.servers": bootstrap, "partitioner": "murmur2_random", "linger.ms": 5}
    )
    for key, value, ts in records:
        producer.produce(
            topic,
            value if isinstance(value, (bytes, type(None))) else json.dumps(value),
            key,
            timestamp=ts,
        )
        producer.poll(0)
    assert producer.flush(30) == 0


class Feeder(threading.Thread):
    """Produces ``records`` in batches over ``seconds``, so a fault lands mid-stream."""

    def __init__(self, bootstrap: str, topic: str, records, seconds: float, batches: int = 20):
        super().__init__(daemon=True)
        self.args = (bootstrap, topic, records, seconds, batches)
        self.done = threading.Event()

    def run(self) -> None:
        bootstrap, topic, records, seconds, batches = self.args
        size = -(-len(records) // batches)
        for start in range(0, len(records), size):
            produce(bootstrap, topic, records[start : start + size])
            time.sleep(seconds / batches)
        self.done.set()


def fault_topology(
    name: str,
    src: str,
    guarantee: str = "at_least_once",
    partitions: int = 3,
    *,
    regroup: bool = False,
):
    """``regroup``: the totals grouped by ``key`` as an expression, so through the repartition
    topic (handed over in-process while a run is alone) instead of by the record key."""
    b = StreamsBuilder(
        name, processing_guarantee=guarantee, commit_interval="500ms", topic_partitions=partitions
    )
    stream = b.stream(src, name="src")
    stream.map("{'id': value['id'], 'k': key}", name="copy").to(f"{name}-copy", name="copy_out")
    (
        (stream.group_by("key", name="totals") if regroup else stream.group_by_key(name="totals"))
        # regrouped, partitions interleave in the repartition topic: no record is late
        .window(TumblingWindow("10s", grace="10m") if regroup else TumblingWindow("10s"))
        .aggregate([Aggregation("count", "count"), Aggregation("sum", "sum", "value['n']")])
        .to(f"{name}-totals", name="totals_out")
    )
    return b.build()


def write_topology(topology, tmp_path: Path) -> Path:
    path = tmp_path / f"{topology.name}.topology.json"
    fileformat.write(topology, path)
    return path


class RunProcess:
    """``topology-studio run`` as a subprocess this suite started (and so may kill or pause)."""

    def __init__(self, path: Path, bootstrap: str, *extra: str, log: Path):
        self.log = log
        self._log = open(log, "w")  # noqa: SIM115 - closed in wait()/close()
        self.proc = subprocess.Popen(
            cli("run", str(path), "--bootstrap", bootstrap, *extra),
            cwd=ROOT,
            env=env(),
            stdout=subprocess.DEVNULL,
            stderr=self._log,
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def wait(self, timeout: float) -> int:
        try:
            return self.proc.wait(timeout)
        finally:
            self._log.close()

    def stop(self, timeout: float = 30) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            return self.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.wait(10)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self._log.close()

    def stderr(self) -> str:
        return self.log.read_text(errors="replace")


def read_topic(
    bootstrap: str,
    topic: str,
    *,
    expect: int | None = None,
    timeout: float = 30,
    quiet: float = 2.0,
) -> list:
    """Every message of ``topic`` (read_committed), until ``expect`` arrived and then ``quiet``
    seconds passed without a new one, or ``timeout``."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"fault-reader-{time.monotonic_ns()}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
            "isolation.level": "read_committed",
        }
    )
    try:
        meta = consumer.list_topics(topic, timeout=10).topics[topic]
        consumer.assign([TopicPartition(topic, p, 0) for p in meta.partitions])
        out: list = []
        deadline, last_new = time.monotonic() + timeout, time.monotonic()
        while time.monotonic() < deadline:
            fresh = [m for m in consumer.consume(1000, timeout=0.2) if m.error() is None]
            out.extend(fresh)
            if fresh:
                last_new = time.monotonic()
            if (expect is None or len(out) >= expect) and time.monotonic() - last_new > quiet:
                break
        return out
    finally:
        consumer.close()


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = predicate()
        if got:
            return got
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")


def copy_ids(
    bootstrap: str, name: str, expect: int | None = None, timeout: float = 30
) -> list[int]:
    return [
        json.loads(m.value())["id"]
        for m in read_topic(bootstrap, f"{name}-copy", expect=expect, timeout=timeout)
    ]


def final_totals(bootstrap: str, name: str) -> dict[tuple[str, int], tuple[int, int]]:
    """The last update of each (key, window): a key's updates share a partition, in order."""
    out = {}
    for m in read_topic(bootstrap, f"{name}-totals", quiet=1.5):
        value = json.loads(m.value())
        out[(value["key"], value["window_start"])] = (value["count"], value["sum"])
    return out


def figures(fault: str, records, ids: list[int], totals: dict, **extra) -> dict:
    """One row of the table: records in and out, duplicates, lost, exact totals."""
    counts = Counter(ids)
    wanted = {value["id"] for _, value, _ in records}
    expected = expected_totals(records)
    wrong = [cell for cell, total in expected.items() if totals.get(cell) != total]
    row = {
        "fault": fault,
        "in": len(records),
        "out": len(ids),
        "duplicates": sum(c - 1 for c in counts.values() if c > 1),
        "lost": len(wanted - set(counts)),
        "exact_totals": not wrong and len(totals) == len(expected),
        "windows": len(expected),
        "windows_off": len(wrong),
        **extra,
    }
    _record(row)
    return row


def _record(row: dict) -> None:
    path = os.environ.get("TOPOLOGY_FAULT_RESULTS")
    if not path:
        return
    rows = json.loads(Path(path).read_text()) if Path(path).exists() else []
    rows = [r for r in rows if r["fault"] != row["fault"]] + [row]
    Path(path).write_text(json.dumps(rows, indent=1))
