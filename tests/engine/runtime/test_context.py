"""The run context: each run builds one from its own services, and operators touch nothing
it does not declare."""

from __future__ import annotations

import pytest

from engine.code.builder import StreamsBuilder, TumblingWindow
from engine.runtime.context import RunContext
from engine.runtime.kafka.run import KafkaRun, RunConfig
from engine.runtime.local import LocalRun
from engine.runtime.serde import MESSAGE_MAX_BYTES


def _topology():
    b = StreamsBuilder("ctx", topic_partitions=1)
    s = b.stream("in", name="src").filter("value['n'] > 0", name="pos")
    s.to("out", name="sink")
    (
        s.group_by("value['c']")
        .window(TumblingWindow("1m"))
        .aggregate([{"name": "n", "fn": "count"}], name="agg")
        .to("counts", name="counts")
    )
    return b.build()


def test_the_kafka_run_builds_the_context_from_its_collaborators_without_a_broker():
    run = KafkaRun(
        _topology(),
        RunConfig(bootstrap="127.0.0.1:1", client_config={"message.max.bytes": 5000}),
    )
    ctx = run.context(kafka_produce=print)
    assert isinstance(ctx, RunContext)
    assert ctx.produce == run.collector.produce and ctx.dead_letter == run.collector.dead_letter
    assert ctx.store == run.stores.store and ctx.before_flush is run.stores.before_flush
    assert ctx.open_file == run.files.open and ctx.kafka_produce is print
    assert ctx.metrics is run.metrics and ctx.dashboards is run.dashboards
    assert ctx.topology is run.topology and ctx.max_message_bytes == 5000
    assert run.clients.producer is None and run.clients.consumer is None  # opened by the run


def test_the_local_run_gives_the_neutral_form_of_what_it_does_not_have():
    run = LocalRun(_topology())
    ctx = run.context()
    assert ctx.kafka_produce is None and ctx.before_flush is None  # stores written at once
    assert ctx.max_message_bytes == MESSAGE_MAX_BYTES and ctx.topology is run.topology
    run.send("in", {"n": 1, "c": "a"}, key="k", timestamp=1000)
    assert run.records("out") == [("k", {"n": 1, "c": "a"})]
    assert run.stores[("agg", 0)].get("#stream_time") == 1000


def test_a_context_has_only_the_members_it_declares():
    ctx = LocalRun(_topology()).context()
    with pytest.raises(AttributeError):
        ctx.config = None  # no member is added after the fact
