"""An exported script, run on its own, produces the same records as ``topology-studio run``
of the original topology on the same input (each on a fresh sandbox broker)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from confluent_kafka import Producer

from engine.cluster.broker import SandboxBroker
from engine.code.builder import Aggregation, Branch, StreamsBuilder, TumblingWindow
from engine.code.export import export_script
from engine.code.importer import import_script
from engine.model import fileformat
from engine.model.catalogue import NODE_TYPES
from tests.engine.kafka_util import consume_all, create_topic

pytestmark = pytest.mark.kafka
ROOT = Path(__file__).resolve().parents[3]
T0 = 1_700_000_000_000
SINKS = [
    "cheap",
    "big",
    "rest",
    "sold",
    "everything",
    "per-minute",
    "joined",
    "carriers",
    "latest",
    "both",
]


def every_node_type():
    b = StreamsBuilder("equivalence", topic_partitions=1, dead_letter_topic="equivalence.dlq")
    orders = b.stream("orders", name="orders")
    shipments = b.stream("shipments", name="shipments")
    generated = b.generator(
        "generated", name="generated", profile="clicks", rate=0, seed=9, limit=40
    ).map("{k: v for k, v in value.items() if k != 'ts'}", name="no_clock")
    valid = orders.filter("value['amount'] > 0", name="valid")
    tagged = valid.set_fields({"vat": "round(value['amount'] * 0.2, 2)"}, name="vat")
    ports = tagged.branch(
        [Branch("big", "value['amount'] >= 50"), Branch("cheap", "value['amount'] < 10")],
        name="size",
    )
    ports["cheap"].map("{'id': value['id']}", name="cheap_ids").to("cheap", name="cheap_out")
    ports["big"].rekey("value['customer']", name="by_customer").to("big", name="big_out")
    ports["else"].to_console(name="log")
    ports["else"].to("rest", name="rest_out")
    items = valid.flat_map("[{'sku': s, 'id': value['id']} for s in value['skus']]", name="items")
    items.to("sold", name="sold_out")
    items.to_file("items.jsonl", name="items_file")
    items.merge(generated, name="all").to("everything", name="everything_out")
    per_minute = (
        valid.group_by("value['customer']", name="per_minute")
        .window(TumblingWindow("1m"))
        .aggregate(
            [Aggregation("n", "count"), Aggregation("total", "sum", "value['amount']")],
            emit="update",
        )
    )
    per_minute.to("per-minute", name="per_minute_out")
    per_minute.to_dashboard("Per minute", name="per_minute_dash", view="bars", fields=["total"])
    (
        valid.join(
            shipments,
            "{'id': left['id'], 'carrier': right['carrier']}",
            name="shipped",
            window="1h",
        ).to("joined", name="joined_out")
    )
    carriers = b.table("shipments", name="carriers")
    carriers.to("carriers", name="carriers_out")
    latest = valid.map("value['amount']", name="amounts").to_table(name="latest_amount")
    latest.to("latest", name="latest_out")
    latest.table_join(carriers, "[left, right]", name="amount_and_carrier", mode="outer").to(
        "both", name="both_out"
    )
    carriers.table_aggregate(
        [Aggregation("customers", "count")], group_by="value['carrier']", name="per_carrier"
    ).to("per-carrier", name="per_carrier_out")
    return b.build()


def feed(bootstrap):
    create_topic(bootstrap, "orders")
    create_topic(bootstrap, "shipments")
    producer = Producer({"bootstrap.servers": bootstrap})
    for i in range(60):
        value = {
            "id": i,
            "amount": (i * 13) % 90 - 5,
            "customer": f"c{i % 4}",
            "skus": [f"s{j}" for j in range(i % 3)],
        }
        producer.produce("orders", json.dumps(value), f"c{i % 4}", timestamp=T0 + i * 5_000)
    for i in range(0, 60, 3):
        producer.produce(
            "shipments",
            json.dumps({"carrier": ["dhl", "ups"][i % 2]}),
            f"c{i % 4}",
            timestamp=T0 + i * 5_000 + 100,
        )
    producer.produce("orders", b"{broken", "c0", timestamp=T0)
    assert producer.flush(20) == 0


def outputs(bootstrap, cwd: Path, stdout: str):
    out = {}
    for topic in SINKS:
        out[topic] = Counter(
            (m.key(), m.value()) for m in consume_all(bootstrap, topic, timeout=15, quiet=0.8)
        )
    dead = consume_all(bootstrap, "equivalence.dlq", timeout=10, quiet=1.0)
    out["dlq"] = Counter((m.key(), m.value(), dict(m.headers())["ts.node"]) for m in dead)
    out["file"] = Counter((cwd / "items.jsonl").read_text().splitlines())
    out["console"] = Counter(line for line in stdout.splitlines() if line.startswith("[log]"))
    out["dashboards"] = json.loads((cwd / "metrics.json").read_text())["dashboards"]
    return out


def run_in(cmd, cwd: Path) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("KAFKA_BOOTSTRAP_SERVERS", None)
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_exported_script_produces_what_run_produces(tmp_path):
    topology = every_node_type()
    assert {n.type for n in topology.nodes.values()} == set(NODE_TYPES)
    script = export_script(topology)
    assert import_script(script).equivalent(topology)

    original_dir, script_dir = tmp_path / "original", tmp_path / "script"
    original_dir.mkdir()
    script_dir.mkdir()
    fileformat.write(topology, original_dir / "t.topology.json")
    (script_dir / "pipeline.py").write_text(script)

    results = []
    for cwd, cmd in [
        (original_dir, [sys.executable, "-m", "gui.launcher", "run", "t.topology.json"]),
        (script_dir, [sys.executable, "pipeline.py"]),
    ]:
        with SandboxBroker() as broker:
            feed(broker.bootstrap)
            stdout = run_in(
                [
                    *cmd,
                    "--bootstrap",
                    broker.bootstrap,
                    "--until-idle",
                    "2",
                    "--metrics-out",
                    "metrics.json",
                ],
                cwd,
            )
            results.append(outputs(broker.bootstrap, cwd, stdout))

    original, exported = results
    for topic in SINKS:
        assert sum(original[topic].values()) > 0, (
            f"{topic} got nothing: the test would prove nothing"
        )
    assert sum(original["dlq"].values()) == 1
    assert len(original["dashboards"]["per_minute_dash"]) > 0
    assert original == exported
