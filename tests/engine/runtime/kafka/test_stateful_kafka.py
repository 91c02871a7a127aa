"""Stateful processing against the real sandbox broker: windows, restarts from the
changelog, several instances sharing the work, on-disk state, transactions."""

from __future__ import annotations

import json
import threading
import time
from collections import defaultdict

import pytest
from confluent_kafka import Producer

from engine.code.builder import Aggregation, StreamsBuilder, TumblingWindow
from engine.runtime.kafka.run import KafkaRun, RunConfig
from tests.engine.kafka_util import consume_all, create_topic

pytestmark = pytest.mark.kafka
MINUTE = 60_000
T0 = 1_700_000_040_000 - (1_700_000_040_000 % MINUTE)  # a minute boundary


def produce_timed(bootstrap, topic, records):
    """records: (key, value dict, timestamp ms)."""
    producer = Producer({"bootstrap.servers": bootstrap, "partitioner": "murmur2_random"})
    for key, value, ts in records:
        producer.produce(topic, json.dumps(value), key, timestamp=ts)
    assert producer.flush(20) == 0


def orders(n, *, start=T0, step=1_500, seed=0):
    cats = ["books", "toys", "home"]
    return [
        (
            f"c{(i * 7 + seed) % 11}",
            {"category": cats[(i * 5 + seed) % 3], "amount": (i * 37) % 100 + 1, "order": i},
            start + i * step,
        )
        for i in range(n)
    ]


def expected_per_minute(records):
    out = defaultdict(lambda: {"revenue": 0, "orders": 0})
    for _, value, ts in records:
        window = ts - ts % MINUTE
        cell = out[(value["category"], window)]
        cell["revenue"] += value["amount"]
        cell["orders"] += 1
    return dict(out)


def revenue_topology(name, src, out, **settings):
    b = StreamsBuilder(name, **settings)
    (
        b.stream(src, name="orders")
        .group_by("value['category']", name="revenue")
        .window(TumblingWindow("1m", grace="0s"))
        .aggregate(
            [Aggregation("revenue", "sum", "value['amount']"), Aggregation("orders", "count")],
            emit="final",
        )
        .to(out, name="out")
    )
    return b.build()


def run(topology, bootstrap, until_idle=1.5, **config):
    r = KafkaRun(topology, RunConfig(bootstrap=bootstrap, session_timeout_ms=2000, **config))
    result = r.run(until_idle=until_idle, max_seconds=90)
    assert result.status == "stopped", result.reason
    return r, result


def finals(bootstrap, topic, expect):
    got = {}
    for m in consume_all(bootstrap, topic, expect=expect, timeout=30):
        value = json.loads(m.value())
        cell = (value["key"], value["window_start"])
        assert cell not in got, f"window {cell} emitted twice"
        assert m.key().decode() == value["key"]
        assert value["window_end"] == value["window_start"] + MINUTE
        got[cell] = {"revenue": value["revenue"], "orders": value["orders"]}
    return got


def test_revenue_per_category_per_minute_exact(bootstrap, unique):
    src, out = f"orders-{unique}", f"revenue-{unique}"
    create_topic(bootstrap, src)
    records = orders(200)  # 300 s of orders
    flush = [("x", {"category": "zz", "amount": 0, "order": -1}, T0 + 10 * MINUTE)]
    produce_timed(bootstrap, src, records + flush)
    name = f"rev-{unique}"
    # every record through the topic (a run alone hands them over: test_local_routes.py)
    _, result = run(
        revenue_topology(name, src, out, topic_partitions=1), bootstrap, hand_over=False
    )
    expected = expected_per_minute(records)
    assert finals(bootstrap, out, expect=len(expected)) == expected
    assert result.metrics["nodes"]["revenue"]["late"] == 0
    # the group_by repartitioned through the internal topic, state went to the changelog
    assert len(consume_all(bootstrap, f"{name}-revenue-repartition", expect=201)) == 201
    assert consume_all(bootstrap, f"{name}-revenue-changelog", timeout=5)


def test_late_records_are_dropped_and_counted(bootstrap, unique):
    src, out = f"orders-{unique}", f"revenue-{unique}"
    create_topic(bootstrap, src)
    produce_timed(
        bootstrap,
        src,
        [
            ("a", {"category": "books", "amount": 5, "order": 1}, T0 + 1_000),
            (
                "a",
                {"category": "books", "amount": 7, "order": 2},
                T0 + MINUTE + 1_000,
            ),  # closes minute 0
            ("a", {"category": "books", "amount": 100, "order": 3}, T0 + 2_000),  # late
            ("a", {"category": "books", "amount": 1, "order": 4}, T0 + 5 * MINUTE),
        ],
    )
    _, result = run(revenue_topology(f"late-{unique}", src, out, topic_partitions=1), bootstrap)
    assert finals(bootstrap, out, expect=2) == {
        ("books", T0): {"revenue": 5, "orders": 1},
        ("books", T0 + MINUTE): {"revenue": 7, "orders": 1},
    }
    assert result.metrics["nodes"]["revenue"]["late"] == 1


@pytest.mark.parametrize("store", ["memory", "rocksdb"])
def test_stopped_mid_window_and_restarted_gives_the_same_totals(bootstrap, unique, tmp_path, store):
    src, out = f"orders-{unique}", f"revenue-{unique}"
    create_topic(bootstrap, src)
    records = orders(160, step=1_000)
    first, second = records[:75], records[75:]  # record 75 is mid-minute
    assert (first[-1][2] - T0) // MINUTE == (second[0][2] - T0) // MINUTE
    flush = [("x", {"category": "zz", "amount": 0, "order": -1}, T0 + 10 * MINUTE)]
    settings = {"topic_partitions": 1, "state_store": store, "state_dir": str(tmp_path / "state")}
    topology = revenue_topology(f"restart-{unique}", src, out, **settings)

    produce_timed(bootstrap, src, first)
    run(topology, bootstrap)
    if store == "rocksdb":  # a new machine: nothing on disk, all from the changelog
        import shutil

        shutil.rmtree(tmp_path / "state")
    produce_timed(bootstrap, src, second + flush)
    restarted, _ = run(topology, bootstrap)
    assert restarted.restored > 0, "the second run must rebuild its state from the changelog"
    expected = expected_per_minute(records)
    assert finals(bootstrap, out, expect=len(expected)) == expected


def test_two_instances_share_the_work_and_agree_with_one(bootstrap, unique):
    src = f"orders-{unique}"
    create_topic(bootstrap, src, partitions=4)
    records = orders(3_000, step=10)
    produce_timed(bootstrap, src, records)

    def topology(name, out):
        b = StreamsBuilder(name, topic_partitions=4)
        (
            b.stream(src, name="orders")
            .group_by("value['category']", name="totals")
            .aggregate(
                [Aggregation("revenue", "sum", "value['amount']"), Aggregation("orders", "count")]
            )
            .to(out, name="out")
        )
        return b.build()

    def last_per_key(topic):
        last = {}
        for m in consume_all(bootstrap, topic, timeout=30, quiet=2.0):
            value = json.loads(m.value())
            if value["orders"] >= last.get(value["key"], {"orders": -1})["orders"]:
                last[value["key"]] = value
        return {k: (v["revenue"], v["orders"]) for k, v in last.items()}

    expected = defaultdict(lambda: [0, 0])
    for _, value, _ in records:
        expected[value["category"]][0] += value["amount"]
        expected[value["category"]][1] += 1
    expected = {k: tuple(v) for k, v in expected.items()}

    run(topology(f"one-{unique}", f"one-out-{unique}"), bootstrap)
    assert last_per_key(f"one-out-{unique}") == expected

    name, out = f"two-{unique}", f"two-out-{unique}"
    instances = [
        KafkaRun(topology(name, out), RunConfig(bootstrap=bootstrap, session_timeout_ms=2000))
        for _ in range(2)
    ]
    results = [None, None]

    def go(i):
        results[i] = instances[i].run(until_idle=4, max_seconds=90)

    threads = [threading.Thread(target=go, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert all(r is not None and r.status == "stopped" for r in results), [
        r and r.reason for r in results
    ]
    processed = [r.metrics["nodes"]["totals"]["in"] for r in results]
    assert all(p > 0 for p in processed), (
        f"both instances must take a share of the work: {processed}"
    )
    assert last_per_key(out) == expected


def test_exactly_once_commits_output_and_offsets_together(bootstrap, unique):
    src, out = f"orders-{unique}", f"eos-out-{unique}"
    create_topic(bootstrap, src, partitions=2)
    records = orders(500, step=10)
    produce_timed(bootstrap, src, records)
    b = StreamsBuilder(f"eos-{unique}", processing_guarantee="exactly_once", topic_partitions=2)
    b.stream(src, name="orders").filter("value['amount'] > 50", name="big").to(out, name="out")
    topology = b.build()
    _, result = run(topology, bootstrap)
    wanted = sorted(v["order"] for _, v, _ in records if v["amount"] > 50)
    assert (
        sorted(
            json.loads(m.value())["order"] for m in consume_all(bootstrap, out, expect=len(wanted))
        )
        == wanted
    )
    assert result.metrics["lag"] == {src: {"0": 0, "1": 0}}
    # A second run finds the offsets committed in the transactions: nothing is processed again.
    _, again = run(topology, bootstrap, until_idle=1.0)
    assert again.metrics["nodes"]["orders"]["in"] == 0


@pytest.mark.parametrize("mode", ["inner", "left"])
def test_stream_table_join_with_missing_right_keys(bootstrap, unique, mode):
    orders_topic, customers_topic, out = (
        f"orders-{unique}",
        f"customers-{unique}",
        f"enriched-{unique}",
    )
    create_topic(bootstrap, orders_topic, partitions=2)
    create_topic(bootstrap, customers_topic, partitions=2)
    b = StreamsBuilder(f"join-{mode}-{unique}", topic_partitions=2)
    orders_stream = b.stream(orders_topic, name="orders")
    customers = b.stream(customers_topic, name="customers")
    (
        orders_stream.join(
            customers,
            "{'order': left['order'], 'tier': right['tier'] if right else None}",
            name="enrich",
            mode=mode,
        ).to(out, name="out")
    )
    run_ = KafkaRun(b.build(), RunConfig(bootstrap=bootstrap, session_timeout_ms=2000))
    thread = threading.Thread(target=lambda: run_.run(max_seconds=60))
    thread.start()
    try:
        # The table first: customers c0..c3 (c2 deleted again by a tombstone), then the stream.
        producer = Producer({"bootstrap.servers": bootstrap, "partitioner": "murmur2_random"})
        for i in range(4):
            producer.produce(
                customers_topic, json.dumps({"tier": ["gold", "silver"][i % 2]}), f"c{i}"
            )
        producer.produce(customers_topic, None, "c2")
        assert producer.flush(10) == 0
        deadline = time.monotonic() + 30
        while run_.metrics["enrich"].in_ < 5 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert run_.metrics["enrich"].in_ == 5, "the table must be loaded before the orders arrive"
        for i in range(6):
            producer.produce(orders_topic, json.dumps({"order": i}), f"c{i}")
        assert producer.flush(10) == 0
        expected = {0: "gold", 1: "silver", 3: "silver"}
        if mode == "left":
            expected.update({2: None, 4: None, 5: None})
        got = {
            json.loads(m.value())["order"]: json.loads(m.value())["tier"]
            for m in consume_all(bootstrap, out, expect=len(expected), timeout=30)
        }
        assert got == expected
    finally:
        run_.stop()
        thread.join(30)
