"""Fused chains of stateless nodes behave exactly as the nodes one by one: outputs, dead
letters (the record as it entered the failing node, under that node's id) and counters."""

from __future__ import annotations

from engine.code.builder import StreamsBuilder
from engine.runtime.compiler import compile_topology
from engine.runtime.fusion import ChainMetrics
from engine.runtime.local import LocalRun


def _topology():
    b = StreamsBuilder("fused", topic_partitions=1)
    s = (
        b.stream("in", name="src")
        .filter("value['n'] % 5 != 0", name="f1")
        .map("value if value['n'] % 11 else value['n']", name="m")  # a number: set_fields fails
        .set_fields(
            {"inv": "100 // (value['n'] % 7)", "k": "key"}, name="sf"
        )  # fails at n % 7 == 0
        .rekey("key + str(value['inv'])", name="rk")
        .filter("value['n'] % 3 != 0", name="f2")
    )
    s.to("out", name="sink")
    s.filter("value['n'] % 2 == 0", name="even").to("even", name="sink2")  # f2 has two children
    b.stream("in", name="raw").to("copy", name="sink3")  # a source with no chain
    return b.build()


def _runs():
    fused = LocalRun(_topology())
    plain = LocalRun(_topology())
    plain.metrics.clear()  # the same nodes, one executor each (a tap stops fusion)
    plain.compiled = compile_topology(
        plain.topology, plain, plain.application_id, tap=lambda node_id: lambda record: None
    )
    return fused, plain


def test_a_fused_chain_gives_what_the_nodes_give_one_by_one():
    fused, plain = _runs()
    assert isinstance(fused.metrics["sf"], ChainMetrics)
    assert not isinstance(plain.metrics["sf"], ChainMetrics)
    for run in (fused, plain):
        for n in range(200):
            run.send("in", {"n": n}, key=f"k{n}")
        run.send("in", {"x": 1}, key="bad")  # fails at the chain's first node
        run.send_raw("in", b"k", b"not json")
    for topic in ("out", "even", "copy"):
        assert fused.records(topic) == plain.records(topic)
    assert len(fused.records("out")) > 0
    assert [
        (d.node_id, d.record.key, d.record.value, type(d.error)) for d in fused.dead_letters
    ] == [(d.node_id, d.record.key, d.record.value, type(d.error)) for d in plain.dead_letters]
    assert {d.node_id for d in fused.dead_letters} == {"src", "raw", "f1", "sf"}
    assert {k: m.as_dict() for k, m in fused.metrics.items()} == {
        k: m.as_dict() for k, m in plain.metrics.items()
    }
    assert fused.metrics["f1"].in_ == 201 and fused.metrics["f1"].out == 160
