"""Headless dashboards (reference §10): ``run --metrics-out`` writes every row each dashboard_sink
keeps, and they equal the aggregates computed here, independently, from the input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest
from confluent_kafka import Producer

from engine.code.builder import Aggregation, StreamsBuilder, TumblingWindow
from engine.model import fileformat
from tests.engine.kafka_util import create_topic

pytestmark = pytest.mark.kafka
ROOT = Path(__file__).resolve().parents[4]
T0 = 1_700_000_040_000  # a minute boundary
MINUTE = 60_000


def orders(n: int):
    for i in range(n):
        customer = f"c{i % 11}"
        yield (
            customer,
            {
                "category": ["books", "toys", "home", "garden"][i * 5 % 4],
                "amount": (i * 37) % 101,
                "customer": customer,
                "i": i,
            },
            T0 + i * 1_300,
        )


def test_run_writes_the_rows_of_every_dashboard(bootstrap, unique, tmp_path):
    topic = f"orders-{unique}"
    create_topic(bootstrap, topic, partitions=3)
    records = list(orders(400))
    producer = Producer({"bootstrap.servers": bootstrap, "partitioner": "murmur2_random"})
    for key, value, ts in records:
        producer.produce(topic, json.dumps(value), key, timestamp=ts)
    assert producer.flush(20) == 0

    b = StreamsBuilder(f"dash-{unique}")
    src = b.stream(topic, name="orders")
    (
        src.group_by("value['category']", name="per_minute")
        .window(TumblingWindow("1m", grace="10m"))
        .aggregate(
            [Aggregation("revenue", "sum", "value['amount']"), Aggregation("orders", "count")]
        )
        .to_dashboard("Revenue per minute", name="windowed", view="line", fields=["revenue"])
    )
    (
        src.group_by("value['category']", name="total")
        .aggregate([Aggregation("revenue", "sum", "value['amount']")])
        .to_dashboard("Revenue", name="unwindowed", view="bars")
    )
    src.to_dashboard("Latest order per customer", name="plain")
    path = tmp_path / "dash.topology.json"
    fileformat.write(b.build(), path)
    metrics = tmp_path / "metrics.json"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "gui.launcher",
            "run",
            str(path),
            "--bootstrap",
            bootstrap,
            "--until-idle",
            "2",
            "--metrics-out",
            str(metrics),
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    dashboards = json.loads(metrics.read_text())["dashboards"]

    windowed, total, latest = defaultdict(lambda: [0, 0]), defaultdict(int), {}
    for key, value, ts in records:
        cell = windowed[(value["category"], ts // MINUTE * MINUTE)]
        cell[0] += value["amount"]
        cell[1] += 1
        total[value["category"]] += value["amount"]
        latest[key] = (value, ts)
    assert [
        (
            r["key"],
            r["window_start"],
            r["value"]["revenue"],
            r["value"]["orders"],
            r["value"]["window_end"],
        )
        for r in dashboards["windowed"]
    ] == [(k, ws, v[0], v[1], ws + MINUTE) for (k, ws), v in sorted(windowed.items())]
    assert [
        (r["key"], r["window_start"], r["value"]["revenue"]) for r in dashboards["unwindowed"]
    ] == [(k, None, v) for k, v in sorted(total.items())]
    # A key's records share a partition, so its latest value wins whatever the order across them.
    assert [(r["key"], r["value"]) for r in dashboards["plain"]] == sorted(
        (k, v) for k, (v, _) in latest.items()
    )
