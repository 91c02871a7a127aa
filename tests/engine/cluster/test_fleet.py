"""Folding run-state records into a fleet (reference §12), without a broker."""

from __future__ import annotations

import json
import time

from confluent_kafka import TopicPartition

from engine.cluster.fleet import FORMAT, Fleet, topology_sha256
from engine.cluster.fleet_reader import _read_to_end
from engine.code.builder import StreamsBuilder
from engine.model import fileformat


def record(
    instance: str,
    time_ms: int,
    *,
    status="running",
    nodes=None,
    partitions=None,
    lag=None,
    app="app",
) -> bytes:
    return json.dumps(
        {
            "format": FORMAT,
            "application_id": app,
            "instance": instance,
            "host": "h",
            "pid": 1,
            "started_ms": 0,
            "time_ms": time_ms,
            "status": status,
            "reason": "",
            "topology_sha256": "abc",
            "partitions": partitions or {},
            "nodes": nodes or {},
            "lag": lag or {},
        }
    ).encode()


def counts(n_in: int, n_out: int | None = None) -> dict:
    return {"src": {"in": n_in, "out": n_in if n_out is None else n_out, "errors": 0, "late": 0}}


def test_rates_and_totals_sum_over_instances():
    fleet = Fleet("app")
    fleet.add(record("a", 1000, nodes=counts(0)), now_ms=1000)
    fleet.add(record("b", 1000, nodes=counts(0)), now_ms=1000)
    fleet.add(record("a", 2000, nodes=counts(100)), now_ms=2000)
    fleet.add(record("b", 3000, nodes=counts(400)), now_ms=3000)
    nodes = fleet.nodes(now_ms=3000)
    assert nodes["src"]["in"] == 500
    assert nodes["src"]["rate_in"] == 100 + 200
    # a goes silent: its rate no longer counts, its totals still do
    assert fleet.nodes(now_ms=7500)["src"]["rate_in"] == 200
    assert fleet.nodes(now_ms=7500)["src"]["in"] == 500


def test_joined_left_and_lost_events():
    fleet = Fleet("app")
    assert [e.kind for e in fleet.add(record("a", 1000), now_ms=1000)] == ["joined"]
    assert fleet.add(record("a", 2000), now_ms=2000) == []
    assert fleet.check(now_ms=6000) == []
    lost = fleet.check(now_ms=7100)
    assert [(e.kind, e.instance.instance) for e in lost] == [("lost", "a")]
    assert fleet.check(now_ms=8000) == []  # told once
    assert [e.kind for e in fleet.add(record("a", 8000), now_ms=8000)] == ["joined"]
    left = fleet.add(record("a", 9000, status="stopped"), now_ms=9000)
    assert [e.kind for e in left] == ["left"]
    assert not fleet.instances["a"].alive(9000)


def test_foreign_and_malformed_records_are_skipped_and_counted():
    fleet = Fleet("app")
    bad = [
        b"not json",
        b"",
        None,
        b"[1, 2]",
        json.dumps({"format": "other/1"}).encode(),
        json.dumps({"format": FORMAT, "instance": "x"}).encode(),  # no time
        json.dumps(
            {"format": FORMAT, "instance": "x", "time_ms": 1, "nodes": {"n": {"in": "many"}}}
        ).encode(),
        record("x", 1000, app="another-app"),
        b"\xff\xfe",
    ]
    for value in bad:
        assert fleet.add(value, now_ms=1000) == []
    assert fleet.skipped == len(bad)
    assert fleet.instances == {}
    fleet.add(record("a", 1000, partitions={"t": [0, 2]}), now_ms=1000)
    summary = fleet.summary(now_ms=1500)
    assert summary["instances"][0]["partitions"] == {"t": [0, 2]}
    assert summary["instances"][0]["alive"] is True


def test_older_record_does_not_go_back_in_time():
    fleet = Fleet("app")
    fleet.add(record("a", 2000, nodes=counts(50)), now_ms=2000)
    fleet.add(record("a", 1000, nodes=counts(10)), now_ms=2000)
    assert fleet.nodes(now_ms=2000)["src"]["in"] == 50


def test_hash_ignores_layout_but_not_logic():
    b = StreamsBuilder("h")
    b.stream("in", name="src").filter("value['x'] > 1", name="f").to("out", name="out")
    topology = b.build()
    moved = fileformat.loads(fileformat.dumps(topology))[0]
    for i, node in enumerate(moved.nodes.values()):
        node.position = (i * 100.0, 7.0)
    assert topology_sha256(moved) == topology_sha256(topology)
    changed = fileformat.loads(fileformat.dumps(topology))[0]
    changed.nodes["f"].params["expr"] = "value['x'] > 2"
    assert topology_sha256(changed) != topology_sha256(topology)


class _SlowFirstFetch:
    """A consumer whose brokers take `delay` seconds to answer the first fetch, as a busy
    broker did (the first fetch took 0.5 s and the reader had given up before it)."""

    def __init__(self, delay: float, values: list[bytes]):
        self.start = time.monotonic()
        self.delay = delay
        self.values = values
        self.offset = -1001  # librdkafka's "no position yet"

    def _answered(self) -> bool:
        return time.monotonic() - self.start >= self.delay

    def consume(self, n, timeout):
        time.sleep(timeout)
        if not self._answered() or self.offset >= len(self.values):
            return []
        batch = [_Msg(v) for v in self.values[max(self.offset, 0) :]]
        self.offset = len(self.values)
        return batch

    def position(self, tps):
        return [TopicPartition(tp.topic, tp.partition, self.offset) for tp in tps]

    def get_watermark_offsets(self, tp, cached=False):
        return (0, len(self.values)) if self._answered() else (-1001, -1001)


class _Msg:
    def __init__(self, value: bytes):
        self._value = value

    def error(self):
        return None

    def value(self):
        return self._value


def test_reading_to_the_end_waits_for_a_slow_first_fetch():
    consumer = _SlowFirstFetch(1.2, [b"a", b"b", b"c"])
    seen: list[bytes] = []
    _read_to_end(consumer, [TopicPartition("t", 0)], 8.0, lambda m: seen.append(m.value()))
    assert seen == [b"a", b"b", b"c"]


def test_reading_an_empty_partition_ends_once_the_broker_answered():
    consumer = _SlowFirstFetch(0.3, [])
    began = time.monotonic()
    _read_to_end(consumer, [TopicPartition("t", 0)], 8.0, lambda m: None)
    assert time.monotonic() - began < 3.0  # not the whole 8 s timeout
