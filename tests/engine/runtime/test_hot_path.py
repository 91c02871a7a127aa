"""The per-record path's shortcuts give what the plain path gives: records passed as their
parts (no Record between executors that take them), the producer called with positional
arguments, aggregations folded in one generated call, the stream time written at flush,
and unchanged JSON written as it was read."""

from __future__ import annotations

import itertools
from types import SimpleNamespace

import pytest

from engine.code.builder import StreamsBuilder, TumblingWindow
from engine.runtime.context import RunContext
from engine.runtime.kafka.state_manager import StateManager
from engine.runtime.local import LocalRun
from engine.runtime.operators import aggregate, kafka_sink
from engine.runtime.operators.aggregations import (
    STREAM_TIME,
    Aggregations,
    builders,
    fold_function,
)
from engine.runtime.operators.base import NodeMetrics, Record
from engine.runtime.serde import MESSAGE_MAX_BYTES, SerdeError
from engine.runtime.state import MemoryStore

FUNCTIONS = ("count", "sum", "avg", "min", "max", "first", "last", "count_distinct")


def _spec(i: int, fn: str, expr: str | None) -> dict:
    spec = {"name": f"a{i}", "fn": fn}
    if expr is not None:
        spec["expr"] = expr
    return spec


@pytest.mark.parametrize(
    "fns",
    [(fn,) for fn in FUNCTIONS]
    + list(itertools.combinations(FUNCTIONS, 2))
    + [("sum", "count", "avg", "count_distinct")],
)
def test_fold_steps_states_as_update_of_evaluate_does(fns):
    specs = [
        _spec(i, fn, "value.get('x')" if i % 2 else None if fn == "count" else "value['n']")
        for i, fn in enumerate(fns)
    ]
    aggs = Aggregations(specs)
    evaluate, update, _merge, _output = builders(aggs)
    fold = fold_function(aggs)
    folded = updated = None
    for t in range(300):
        value = {"n": (t * 7) % 13 - 3 + (0.5 if t % 4 == 0 else 0), "x": None if t % 3 else t % 5}
        folded = fold(folded, "k", value, t, {})
        updated = update(updated, evaluate("k", value, t, {}), t)
        assert folded == updated
    # states of another length (restored from an older topology) take the general update
    longer = [*folded, folded[-1]]
    value = {"n": 2, "x": 1}
    assert fold(longer, "k", value, 999, {}) == update(longer, evaluate("k", value, 999, {}), 999)


def test_fold_raises_what_the_expression_raises():
    fold = fold_function(
        Aggregations([_spec(0, "sum", "value['missing']"), _spec(1, "count", None)])
    )
    with pytest.raises(KeyError):
        fold(None, "k", {"n": 1}, 0, {})


class _Context:
    """A run context whose producer is recorded: ``kafka_produce`` takes confluent-kafka's
    positional arguments and can be made to refuse one record (a full queue)."""

    topology = None  # sinks measure every value
    max_message_bytes = MESSAGE_MAX_BYTES

    def __init__(self, full: int = 0):
        self.metrics = {"out": NodeMetrics()}
        self.sent: list[tuple] = []
        self.produced: list[tuple] = []
        self.dead: list[tuple] = []
        self.full = full

    def kafka_produce(
        self, topic, value, key, partition, callback, on_delivery, timestamp, headers
    ):
        assert (partition, callback, on_delivery) == (-1, None, None)
        if self.full:
            self.full -= 1
            raise BufferError("Local: Queue full")
        self.sent.append((topic, key, value, headers, timestamp))

    def produce(self, topic, key, value, headers=None, partition=None, timestamp=None):
        self.produced.append((topic, key, value, headers, timestamp))

    def dead_letter(self, record, node_id, error):
        self.dead.append((node_id, record.key, record.value, record.origin, type(error)))


def _sink(ctx):
    node = SimpleNamespace(id="out", params={"topic": "t"})
    return kafka_sink.get_executor(node, ctx, {})


def test_a_sink_given_parts_writes_what_it_writes_given_the_record():
    by_record, by_parts = _Context(), _Context()
    records = [
        Record("k", {"n": 1}, 5, {"h": "v"}, 2, "origin"),
        Record(None, [1, 2], 6),
        Record(3, "text", 7),
        Record("k", {"big": 1 << 70}, 8),
    ]
    for r in records:
        _sink(by_record)(r)
        _sink(by_parts).parts(r.key, r.value, r.timestamp, r.headers, r.partition, r.origin)
    assert by_record.sent == by_parts.sent and len(by_parts.sent) == 4
    assert by_parts.sent[0] == ("t", b"k", b'{"n":1}', [("h", b"v")], 5)
    bad = object()  # not JSON: dead-lettered with the record's parts and origin
    _sink(by_parts).parts("k", {"x": bad}, 9, {}, 1, "msg")
    assert by_parts.dead == [("out", "k", {"x": bad}, "msg", SerdeError)]
    assert by_parts.metrics["out"].as_dict() == {"in": 5, "out": 4, "errors": 1, "late": 0}


def test_a_sink_whose_producer_queue_is_full_waits_through_produce():
    ctx = _Context(full=1)
    _sink(ctx)(Record("k", {"n": 1}, 5))
    assert ctx.sent == [] and ctx.produced == [("t", b"k", b'{"n":1}', None, 5)]


def _windowed(app: str):
    b = StreamsBuilder(app, topic_partitions=1)
    (
        b.stream("in", name="src")
        .group_by("value['c']")
        .window(TumblingWindow("1m", grace="1m"))
        .aggregate(
            [{"name": "total", "fn": "sum", "expr": "value['n']"}, {"name": "n", "fn": "count"}],
            name="agg",
        )
        .to("out", name="sink")
    )
    return b.build()


def _chain(app: str):
    b = StreamsBuilder(app, topic_partitions=1)
    b.stream("in", name="src").filter("value['n'] % 2 == 0", name="even").to("out", name="sink")
    return b.build()


@pytest.mark.parametrize("topology", [_windowed, _chain])
def test_no_record_object_is_made_between_executors_that_take_parts(topology, monkeypatch):
    made = []
    original = Record.__init__

    def counting(self, *args, **kwargs):
        made.append(args)
        original(self, *args, **kwargs)

    run = LocalRun(topology("parts"))
    monkeypatch.setattr(Record, "__init__", counting)
    for i in range(50):
        run.send("in", {"c": f"c{i % 3}", "n": i}, key=f"k{i}", timestamp=1000 * i)
    assert made == []
    assert len(run.records("out")) == (50 if topology is _windowed else 25)


def test_unchanged_json_is_written_as_read_and_changed_json_is_encoded():
    b = StreamsBuilder("asread", topic_partitions=1)
    s = b.stream("in", name="src").filter("value['n'] > 0", name="positive")
    s.to("kept", name="kept")
    b.stream("in", name="src2").map("{'n': value['n']}", name="copy").to("mapped", name="mapped")
    run = LocalRun(b.build())
    raw = b'{ "n" : 1,  "tags": [ "a" ] }'
    run.send_raw("in", b"k", raw)
    assert [m.value() for m in run.topics["kept"]] == [raw]
    assert [m.value() for m in run.topics["mapped"]] == [b'{"n":1}']


def _context(**services) -> RunContext:
    def unused(*args):
        raise AssertionError("not a service this test's operator needs")

    return RunContext(
        application_id="app",
        metrics={"agg": NodeMetrics()},
        produce=unused,
        dead_letter=unused,
        console=unused,
        open_file=unused,
        **services,
    )


def test_the_stream_time_reaches_the_store_and_changelog_at_each_flush():
    sent: list[tuple] = []
    stores = StateManager("app", "memory", None, lambda *args: sent.append(args), {})
    ctx = _context(store=stores.store, before_flush=stores.before_flush)
    out: list = []
    node = SimpleNamespace(
        id="agg",
        params={
            "window": {"type": "tumbling", "size": "1m", "grace": "1m"},
            "aggregations": [{"name": "n", "fn": "count"}],
        },
    )
    process = aggregate.get_executor(node, ctx, {"out": [out.append]})
    for ts in (1000, 5000, 3000):
        process(Record("k", {}, ts, {}, 0))
    store = stores.store("agg", 0)
    assert store.get(STREAM_TIME) is None  # kept in memory between flushes
    stores.flush()
    assert store.get(STREAM_TIME) == 5000
    assert ("app-agg-changelog", b"#stream_time", b"5000", None, 0, None) in sent
    sent.clear()
    stores.flush()  # unchanged: nothing written again
    assert sent == []
    store.close()  # as when its partition is revoked
    process(Record("k", {}, 9000, {}, 1))  # another partition; the closed store is left alone
    stores.flush()
    assert stores.store("agg", 1).get(STREAM_TIME) == 9000
    assert [s for s in sent if s[4] == 0] == []
    assert len(out) == 4


def test_without_a_flush_the_stream_time_is_written_at_once():
    store = MemoryStore()
    ctx = _context(store=lambda node, p: store)  # no before_flush: stores are not flushed
    node = SimpleNamespace(
        id="agg",
        params={
            "window": {"type": "tumbling", "size": "1m"},
            "aggregations": [{"name": "n", "fn": "count"}],
        },
    )
    aggregate.get_executor(node, ctx, {})(Record("k", {}, 4000, {}, 0))
    assert store.get(STREAM_TIME) == 4000
