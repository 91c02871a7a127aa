"""Repartitioned records handed to their aggregate in-process while a run holds every
partition (engine.runtime.repartition.handoff, engine.runtime.kafka.local_routes): the same
outputs as through the topic, the topic's backlog first, back to the topic when the group
grows."""

from __future__ import annotations

import json
import threading
import time
from collections import defaultdict
from types import SimpleNamespace

import pytest
from confluent_kafka import Producer, TopicPartition

from engine.code.builder import Aggregation, StreamsBuilder
from engine.runtime.kafka.local_routes import LocalRoutes
from engine.runtime.kafka.run import KafkaRun, RunConfig
from engine.runtime.repartition.handoff import murmur2, partition_of
from tests.engine.kafka_util import consume_all, create_topic


def signed(h: int) -> int:
    return h - (1 << 32) if h >= 1 << 31 else h


def test_murmur2_is_kafkas():
    # The cases of Kafka's UtilsTest.testMurmur2 (clients/src/test/.../UtilsTest.java).
    cases = {
        b"21": -973932308,
        b"foobar": -790332482,
        b"a-little-bit-long-string": -985981536,
        b"a-little-bit-longer-string": -1486304829,
        b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": -58897971,
        b"abc": 479470107,
    }
    assert {k: signed(murmur2(k)) for k in cases} == cases


pytestmark_kafka = pytest.mark.kafka


class FakeConsumer:
    """What LocalRoutes asks of a consumer: the assignment, metadata, positions, the end
    offsets of the latest fetches, pause and resume."""

    def __init__(self, counts, held=None):
        self.counts = counts
        self.held = (
            held if held is not None else [(t, p) for t, n in counts.items() for p in range(n)]
        )
        self.positions: dict[tuple[str, int], int] = {}
        self.fetched: dict[tuple[str, int], tuple[int, int]] = {}
        self.paused: set[tuple[str, int]] = set()

    def assignment(self):
        return [TopicPartition(t, p) for t, p in self.held]

    def list_topics(self, timeout):
        topics = {
            t: SimpleNamespace(partitions=dict.fromkeys(range(n)), error=None)
            for t, n in self.counts.items()
        }
        return SimpleNamespace(topics=topics)

    def position(self, tps):
        return [
            TopicPartition(
                tp.topic, tp.partition, self.positions.get((tp.topic, tp.partition), -1001)
            )
            for tp in tps
        ]

    def get_watermark_offsets(self, tp, timeout=None, cached=False):
        assert cached, "the sandbox answers offset queries below the end: fetches tell it"
        return self.fetched.get((tp.topic, tp.partition), (-1001, -1001))

    def pause(self, tps):
        self.paused |= {(tp.topic, tp.partition) for tp in tps}

    def resume(self, tps):
        self.paused -= {(tp.topic, tp.partition) for tp in tps}


class FakeProducer:
    def __init__(self):
        self.unacknowledged = 0

    def flush(self, timeout):
        return self.unacknowledged


def drain_setup(said=None, **held):
    routes = LocalRoutes(say=said.append if said is not None else None)
    routes.handoff.route("app-agg-repartition")
    consumer = FakeConsumer({"orders": 2, "app-agg-repartition": 2}, **held)
    attached = routes.attach(["orders", "app-agg-repartition"], {})
    assert attached is routes
    return routes, consumer, FakeProducer()


def test_no_routes_nothing_to_decide():
    assert LocalRoutes().attach(["orders"], {}) is None
    off = LocalRoutes(enabled=False)
    assert off.handoff is None and off.attach(["orders"], {}) is None


def test_a_drain_waits_for_the_topic_read_to_its_end_and_at_rest():
    said: list[str] = []
    routes, consumer, producer = drain_setup(said)
    r = "app-agg-repartition"
    consumer.positions = {(r, 0): 40, (r, 1): 10}
    consumer.fetched = {(r, 0): (0, 50), (r, 1): (0, 10)}
    assert routes.turn(consumer, producer, 0.0, flow_paused=False)  # holds all: drains
    assert consumer.paused == {("orders", 0), ("orders", 1)}  # the sources wait
    assert not routes.handoff.local
    routes.turn(consumer, producer, 0.1, False)  # first look: flushed, at rest from now
    routes.turn(consumer, producer, 0.6, False)  # settled, but 40 < 50: not read up
    assert not routes.handoff.local
    consumer.positions[(r, 0)] = 50  # the rest read: it moved, so a new flush and wait
    routes.turn(consumer, producer, 0.7, False)
    routes.turn(consumer, producer, 0.8, False)
    assert not routes.handoff.local  # fetches since the flush have not had time to tell
    assert said == []
    assert not routes.turn(consumer, producer, 1.1, False)
    assert routes.handoff.local and routes.handoff.entered == 1
    assert consumer.paused == set()
    assert said == [
        "repartition: records handed to the aggregates in-process while this run holds every "
        "partition (app-agg-repartition read to its end)"
    ]
    # the committer's positions: those the consumer has none of are where the drain read to
    positions = [
        TopicPartition(r, 0, -1001),
        TopicPartition(r, 1, 12),
        TopicPartition("orders", 0, -1001),
    ]
    assert [tp.offset for tp in routes.fill(positions)] == [50, 12, -1001]
    routes.leave()
    assert not routes.handoff.local
    assert said[1:] == [
        "repartition: records written to app-agg-repartition again (the group's partitions move)"
    ]
    routes.leave()  # a rebalance while the records go through the topic: nothing to tell
    assert len(said) == 2


def test_records_unacknowledged_hold_the_drain_until_it_gives_up():
    routes, consumer, producer = drain_setup()
    r = "app-agg-repartition"
    consumer.positions = {(r, 0): 5, (r, 1): 5}
    consumer.fetched = {(r, 0): (0, 5), (r, 1): (0, 5)}
    producer.unacknowledged = 3
    routes.turn(consumer, producer, 0.0, False)
    for now in (0.5, 1.0, 2.0):
        assert routes.turn(consumer, producer, now, False)
    assert not routes.handoff.local
    assert not routes.turn(consumer, producer, 3.1, False)  # DRAIN_S: the sources read again
    assert consumer.paused == set() and not routes.draining
    producer.unacknowledged = 0
    assert not routes.turn(consumer, producer, 4.0, False)  # CHECK_EVERY_S not yet passed
    assert routes.turn(consumer, producer, 5.1, False)


def test_no_drain_while_the_group_shares_the_work_or_much_is_left():
    routes, consumer, producer = drain_setup(held=[("orders", 0), ("app-agg-repartition", 0)])
    assert not routes.turn(consumer, producer, 0.0, False)
    assert consumer.paused == set()
    routes, consumer, producer = drain_setup()
    r = "app-agg-repartition"
    consumer.positions = {(r, 0): 0, (r, 1): 0}
    consumer.fetched = {(r, 0): (0, 60_000), (r, 1): (0, 0)}
    assert not routes.turn(consumer, producer, 0.0, False)  # the topic's backlog first
    routes, consumer, producer = drain_setup()
    assert not routes.turn(consumer, producer, 0.0, flow_paused=True)


def test_a_rebalance_ends_a_drain():
    said: list[str] = []
    routes, consumer, producer = drain_setup(said)
    assert routes.turn(consumer, producer, 0.0, False)
    routes.leave()
    assert said == []  # never local: nothing changed for the records
    assert not routes.draining and not routes.handoff.local
    assert routes.next_check == 0.0  # the new assignment may try at once


def test_an_empty_topic_never_fetched_waits_for_a_fetch():
    routes, consumer, producer = drain_setup()
    r = "app-agg-repartition"
    routes.turn(consumer, producer, 0.0, False)
    routes.turn(consumer, producer, 0.1, False)
    routes.turn(consumer, producer, 0.5, False)
    assert not routes.handoff.local  # no fetch answered yet: the end is unknown
    consumer.fetched = {(r, 0): (0, 0), (r, 1): (7, 7)}  # empty, and emptied
    routes.turn(consumer, producer, 0.6, False)  # positions moved (from unknown): again
    routes.turn(consumer, producer, 1.0, False)
    assert routes.handoff.local


@pytestmark_kafka
def test_partition_of_is_the_producers_choice(bootstrap, unique):
    """Every key length (each tail of the hash), text and numbers as the repartition writer
    encodes them: the partition librdkafka's murmur2_random partitioner picks."""
    topic = f"parts-{unique}"
    create_topic(bootstrap, topic, partitions=7)
    keys = [json.dumps(k).encode() for k in ["", "a", "ab", "abc", "abcd", "é", "日本語", 0, -1]]
    keys += [json.dumps(f"customer-{i}").encode() for i in range(300)]
    keys += [json.dumps(i * 7919).encode() for i in range(100)]
    chosen = {}

    def delivered(err, msg):
        assert err is None
        chosen[msg.key()] = msg.partition()

    producer = Producer({"bootstrap.servers": bootstrap, "partitioner": "murmur2_random"})
    for key in keys:
        producer.produce(topic, b"{}", key, on_delivery=delivered)
    assert producer.flush(20) == 0
    assert chosen == {key: partition_of(key, 7) for key in keys}


def topology(name, src, out, *, partitions=3):
    b = StreamsBuilder(name, topic_partitions=partitions)
    (
        b.stream(src, name="orders")
        .group_by("value['category']", name="totals")
        .aggregate(
            [
                Aggregation("revenue", "sum", "value['amount']"),
                Aggregation("orders", "count"),
                Aggregation("last", "last", "value['order']"),
            ]
        )
        .to(out, name="out")
    )
    return b.build()


def produce_orders(bootstrap, topic, first, last, *, partitions=1):
    producer = Producer({"bootstrap.servers": bootstrap})
    cats = ["books", "toys", "home", "garden", "food"]
    for i in range(first, last):
        value = {"category": cats[(i * 7) % 5], "amount": (i * 37) % 100 + 1, "order": i}
        producer.produce(topic, json.dumps(value), f"c{i % 11}", partition=i % partitions)
    assert producer.flush(20) == 0


def outputs(bootstrap, topic):
    """Each key's outputs, in order."""
    by_key = defaultdict(list)
    for m in consume_all(bootstrap, topic, timeout=30, quiet=1.5):
        value = json.loads(m.value())
        by_key[value["key"]].append((value["revenue"], value["orders"], value["last"]))
    return dict(by_key)


def run(topology, bootstrap, **config):
    r = KafkaRun(topology, RunConfig(bootstrap=bootstrap, session_timeout_ms=2000, **config))
    result = r.run(until_idle=2.0, max_seconds=90)
    assert result.status == "stopped", result.reason
    return r, result


@pytestmark_kafka
def test_handed_over_gives_what_the_topic_gives(bootstrap, unique):
    """Alone in its group, a run hands the records over and writes (almost) nothing to the
    repartition topic; every key's outputs are those of a run that sends every record
    through the topic, in the same order (a one-partition source: one order of input)."""
    src = f"orders-{unique}"
    create_topic(bootstrap, src)
    produce_orders(bootstrap, src, 0, 3_000)

    via_topic = f"topic-{unique}"
    r, _ = run(topology(via_topic, src, f"{via_topic}-out"), bootstrap, hand_over=False)
    assert r.handoff is None
    assert len(consume_all(bootstrap, f"{via_topic}-totals-repartition", expect=3_000)) == 3_000

    handed = f"handed-{unique}"
    lines: list[tuple[str, str]] = []
    r, result = run(
        topology(handed, src, f"{handed}-out"),
        bootstrap,
        console=lambda node, text: lines.append((node, text)),
    )
    assert r.handoff is not None and r.handoff.entered == 1
    # the console says so once; a clean stop is not a rebalance to tell of
    told = [(node, text) for node, text in lines if text.startswith("repartition:")]
    assert told == [
        (
            "run",
            "repartition: records handed to the aggregates in-process while this run holds "
            f"every partition ({handed}-totals-repartition read to its end)",
        )
    ]
    assert len(consume_all(bootstrap, f"{handed}-totals-repartition", timeout=5)) < 3_000
    assert result.metrics["nodes"]["totals"]["in"] == 3_000
    expected = outputs(bootstrap, f"{via_topic}-out")
    assert sum(len(v) for v in expected.values()) == 3_000
    assert outputs(bootstrap, f"{handed}-out") == expected
    # the stores' partitions are the topic's: a run through the topic restores them exactly
    produce_orders(bootstrap, src, 3_000, 3_100)
    run(topology(handed, src, f"{handed}-out"), bootstrap, hand_over=False)
    run(topology(via_topic, src, f"{via_topic}-out"), bootstrap, hand_over=False)
    assert outputs(bootstrap, f"{handed}-out") == outputs(bootstrap, f"{via_topic}-out")


BACKLOG = 20_000  # more than a fetch brings: read over many batches


@pytestmark_kafka
def test_the_topics_backlog_comes_first(bootstrap, unique):
    """Records an earlier instance left in the repartition topic are read before any record
    is handed over: ``last`` is the source's record, not the backlog's."""
    src, name = f"orders-{unique}", f"backlog-{unique}"
    create_topic(bootstrap, src)
    repartition = f"{name}-totals-repartition"
    create_topic(bootstrap, repartition, partitions=3)
    producer = Producer({"bootstrap.servers": bootstrap, "partitioner": "murmur2_random"})
    for i in range(BACKLOG):  # as the writer writes them: keys and values as JSON
        value = {"category": "books", "amount": 1, "order": -1 - i}
        producer.produce(repartition, json.dumps(value), json.dumps("books"))
    assert producer.flush(20) == 0
    produce_orders(bootstrap, src, 0, 500)

    r, _ = run(topology(name, src, f"{name}-out"), bootstrap)
    assert r.handoff.entered == 1
    books = outputs(bootstrap, f"{name}-out")["books"]
    handed = [order for order in range(500) if (order * 7) % 5 == 0]
    assert books[-1] == (
        BACKLOG + sum((i * 37) % 100 + 1 for i in handed),
        BACKLOG + len(handed),
        handed[-1],
    )
    assert [last for _, _, last in books[:BACKLOG]] == [-1 - i for i in range(BACKLOG)]


@pytestmark_kafka
def test_a_second_instance_sends_the_records_through_the_topic_again(bootstrap, unique):
    """A run alone hands records over; once a second instance joins, both write to the
    repartition topic and read their partitions of it, and the totals stay exact."""
    src, name = f"orders-{unique}", f"grow-{unique}"
    create_topic(bootstrap, src, partitions=4)
    out = f"{name}-out"
    lines: list[str] = []
    make = lambda: KafkaRun(
        topology(name, src, out, partitions=4),
        RunConfig(
            bootstrap=bootstrap,
            session_timeout_ms=2000,
            console=lambda _node, text: lines.append(text),
        ),
    )
    first, second = make(), make()
    results = {}
    threading.Thread(
        target=lambda: results.update(first=first.run(max_seconds=60)), daemon=True
    ).start()
    produce_orders(bootstrap, src, 0, 1_000, partitions=4)
    deadline = time.monotonic() + 30
    while not first.handoff.local and time.monotonic() < deadline:
        time.sleep(0.05)
    assert first.handoff.local
    repartition = f"{name}-totals-repartition"
    before = len(consume_all(bootstrap, repartition, timeout=5))

    threading.Thread(
        target=lambda: results.update(second=second.run(max_seconds=60)), daemon=True
    ).start()
    deadline = time.monotonic() + 30
    while not (second.assignment and second.assignment.idle.assigned) and (
        time.monotonic() < deadline
    ):
        time.sleep(0.05)
    time.sleep(1.0)
    assert not first.handoff.local and not second.handoff.local
    assert (
        f"repartition: records written to {name}-totals-repartition again (the group's "
        "partitions move)" in lines
    )
    produce_orders(bootstrap, src, 1_000, 3_000, partitions=4)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        done = first.metrics["totals"].in_ + second.metrics["totals"].in_
        if done >= 3_000:
            break
        time.sleep(0.1)
    first.stop()
    second.stop()
    while len(results) < 2 and time.monotonic() < deadline + 30:
        time.sleep(0.1)
    assert {k: r.status for k, r in results.items()} == {"first": "stopped", "second": "stopped"}
    assert len(consume_all(bootstrap, repartition, expect=before + 2_000)) >= before + 2_000
    assert second.metrics["totals"].in_ > 0

    expected = defaultdict(lambda: [0, 0])
    for i in range(3_000):
        cell = expected[["books", "toys", "home", "garden", "food"][(i * 7) % 5]]
        cell[0] += (i * 37) % 100 + 1
        cell[1] += 1
    last = {}
    for key, values in outputs(bootstrap, out).items():
        last[key] = max(values, key=lambda v: v[1])[:2]
    assert last == {k: tuple(v) for k, v in expected.items()}


@pytestmark_kafka
def test_a_record_the_aggregate_refuses_is_dead_lettered_as_read(bootstrap, unique):
    """Handed over, a record the aggregate cannot take goes to the dead-letter topic with
    the bytes and place of the message the run read (reference §8.2)."""
    src, name = f"orders-{unique}", f"refused-{unique}"
    create_topic(bootstrap, src)
    r = KafkaRun(
        topology(name, src, f"{name}-out"), RunConfig(bootstrap=bootstrap, session_timeout_ms=2000)
    )
    results = []
    threading.Thread(target=lambda: results.append(r.run(max_seconds=60)), daemon=True).start()
    deadline = time.monotonic() + 30
    while not r.handoff.local and time.monotonic() < deadline:
        time.sleep(0.05)
    assert r.handoff.local  # before any record: the topic is empty, the drain immediate
    produce_orders(bootstrap, src, 0, 50)
    bad = json.dumps({"category": "books", "amount": "lots", "order": 50})
    producer = Producer({"bootstrap.servers": bootstrap})
    producer.produce(src, bad, "c50")
    assert producer.flush(20) == 0
    produce_orders(bootstrap, src, 51, 100)
    while r.metrics["totals"].in_ < 100 and time.monotonic() < deadline:
        time.sleep(0.05)
    r.stop()
    while not results and time.monotonic() < deadline + 30:
        time.sleep(0.05)
    assert results[0].status == "stopped", results[0].reason
    assert r.metrics["totals"].errors == 1
    assert consume_all(bootstrap, f"{name}-totals-repartition", timeout=3) == []
    [dead] = consume_all(bootstrap, f"{name}.dlq", expect=1)
    headers = dict(dead.headers())
    assert (dead.key(), dead.value()) == (b"c50", bad.encode())
    assert headers["ts.node"] == b"totals"
    assert (headers["ts.source.topic"], headers["ts.source.offset"]) == (src.encode(), b"50")


@pytestmark_kafka
def test_headers_and_timestamps_arrive_as_through_the_topic(bootstrap, unique):
    """Headers as Kafka carries them (text where UTF-8, bytes else) and timestamps: the
    aggregate sees a handed-over record as it would have read it from the topic."""
    src = f"orders-{unique}"
    create_topic(bootstrap, src)
    producer = Producer({"bootstrap.servers": bootstrap})
    for i in range(200):
        value = json.dumps({"category": ["a", "b"][i % 2], "amount": i})
        headers = [("h", f"v{i}".encode()), ("raw", b"\xff\xfe")] if i % 3 else None
        producer.produce(src, value, f"c{i}", headers=headers, timestamp=1_700_000_000_000 + i)
    assert producer.flush(20) == 0

    def headed(name):
        b = StreamsBuilder(name)
        (
            b.stream(src, name="orders")
            .group_by("value['category']", name="totals")
            .aggregate(
                [
                    Aggregation("h", "last", "headers.get('h', '-')"),
                    Aggregation("raw", "last", "str(headers.get('raw'))"),
                    Aggregation("ts", "max", "timestamp"),
                ]
            )
            .to(f"{name}-out", name="out")
        )
        return b.build()

    def seen(name):
        return [
            (m.key(), m.value(), m.timestamp()[1])
            for m in consume_all(bootstrap, f"{name}-out", expect=200)
        ]

    r, _ = run(headed(f"t-{unique}"), bootstrap, hand_over=False)
    r2, _ = run(headed(f"h-{unique}"), bootstrap)
    assert r2.handoff.entered == 1
    through_topic = seen(f"t-{unique}")
    assert len(through_topic) == 200
    last = json.loads(max(through_topic, key=lambda m: json.loads(m[1])["ts"])[1])
    assert (last["h"], last["raw"], last["ts"]) == ("v199", "b'\\xff\\xfe'", 1_700_000_000_199)
    assert sorted(seen(f"h-{unique}")) == sorted(through_topic)
    assert len(consume_all(bootstrap, f"h-{unique}-totals-repartition", timeout=3)) < 200
