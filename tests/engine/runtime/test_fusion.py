"""Fused chains of stateless nodes behave exactly as the nodes one by one: outputs, dead
letters (the record as it entered the failing node, under that node's id) and counters."""

from __future__ import annotations

from types import SimpleNamespace

from engine.code.builder import StreamsBuilder
from engine.model.topology import Edge
from engine.runtime.compiler import _sample_outputs, _sampling, compile_topology
from engine.runtime.fusion import ChainMetrics
from engine.runtime.kafka.samples import Samples
from engine.runtime.local import LocalRun
from engine.runtime.operators.base import Record


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


# A trace that watches nothing: the compiler fuses no chain when given a trace.
UNFUSED = SimpleNamespace(output=lambda node, port, ex: ex, input=lambda node, port, ex: ex)


def _runs(fused_preview=None, plain_preview=None):
    fused = LocalRun(_topology())
    if fused_preview is not None:
        fused.metrics.clear()
        fused.compiled = compile_topology(
            fused.topology, fused.context(), fused.application_id, preview=fused_preview
        )
    plain = LocalRun(_topology())
    plain.metrics.clear()  # the same nodes, one executor each
    plain.compiled = compile_topology(
        plain.topology, plain.context(), plain.application_id, preview=plain_preview, trace=UNFUSED
    )
    return fused, plain


def _chain_length(run, node_id):
    """How many nodes run in one function with ``node_id`` (each node alone is a chain of one)."""
    metrics = run.metrics[node_id]
    assert isinstance(metrics, ChainMetrics)
    return len(metrics.chain.nodes)


def _feed(run):
    for n in range(200):
        run.send("in", {"n": n}, key=f"k{n}")
    run.send("in", {"x": 1}, key="bad")  # fails at the chain's first node
    run.send_raw("in", b"k", b"not json")


def test_a_fused_chain_gives_what_the_nodes_give_one_by_one():
    fused, plain = _runs()
    assert _chain_length(fused, "sf") == 5  # f1 > m > sf > rk > f2
    assert _chain_length(plain, "sf") == 1
    for run in (fused, plain):
        _feed(run)
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


NODES = ("src", "f1", "m", "sf", "rk", "f2", "sink", "even", "sink2", "raw", "sink3")


def test_with_the_preview_on_chains_stay_fused_and_every_node_is_sampled_as_unfused():
    fused_samples, plain_samples = Samples(7), Samples(7)
    fused, plain = _runs(fused_samples, plain_samples)
    assert _chain_length(fused, "sf") == 5  # the fused path, preview on
    assert _chain_length(plain, "sf") == 1
    for run in (fused, plain):
        _feed(run)
    for node_id in NODES:
        assert fused_samples.of(node_id) == plain_samples.of(node_id), node_id
        assert len(fused_samples.of(node_id)) == 7, node_id
    # what the chain's nodes show is what left each of them
    assert [s["value"]["n"] for s in fused_samples.of("f1")][-1] == 199
    assert all(isinstance(s["value"], dict) and "inv" in s["value"] for s in fused_samples.of("sf"))
    assert all(s["key"].startswith("k") for s in fused_samples.of("rk"))
    assert fused.records("out") == plain.records("out")


def test_a_busy_run_samples_one_record_in_every_batch_over_size():
    samples = Samples(5)
    run, _ = _runs(samples)
    samples.pace(100)  # a batch of 100: its first record, then one in 20
    for n in range(1, 101):
        run.send("in", {"n": n}, key=f"k{n}")
    taken = [s["value"]["n"] for s in samples.of("src")]
    assert taken == [1, 21, 41, 61, 81]
    assert [s["value"]["n"] for s in samples.of("f1")] == taken  # none of them filtered
    assert [s["value"]["n"] for s in samples.of("sink3")] == taken
    samples.pace(1)  # a quiet run: every record
    run.send("in", {"n": 1001}, key="k")
    assert samples.of("src")[-1]["value"]["n"] == 1001
    assert samples.of("f1")[-1]["value"]["n"] == 1001


def test_a_sink_fed_by_a_chain_and_by_a_source_shows_what_entered_it_from_both():
    def topology():
        b = StreamsBuilder("two-in", topic_partitions=1)
        b.stream("in", name="src").filter("value['n'] % 2 == 0", name="even").map(
            "{'n': value['n'] * 10}", name="times"
        ).to("out", name="sink")
        b.stream("other", name="other")
        topo = b.build()
        topo.add_edge(Edge("other", "sink"))  # the sink's second input, no chain between
        return topo

    runs, previews = [], []
    for trace in (None, UNFUSED):
        run, samples = LocalRun(topology()), Samples(20)
        run.metrics.clear()
        run.compiled = compile_topology(
            run.topology, run.context(), run.application_id, preview=samples, trace=trace
        )
        for n in range(6):
            run.send("in", {"n": n}, key=f"k{n}")
            run.send("other", {"n": -n}, key=f"o{n}")
        runs.append(run)
        previews.append(samples)
    fused, plain = previews
    assert _chain_length(runs[0], "times") == 2 and _chain_length(runs[1], "times") == 1
    entered = [s["value"]["n"] for s in fused.of("sink")]
    assert entered == [0, 0, -1, 20, -2, -3, 40, -4, -5]
    assert fused.of("sink") == plain.of("sink")
    assert fused.of("times") == plain.of("times") and fused.of("other") == plain.of("other")


def test_a_node_feeding_a_sink_samples_for_both_with_one_call_a_record():
    """An aggregate (no chain) into a sink: one countdown samples the aggregate's output and
    the sink's input, and calls the sink itself, not the sink's own sampling wrapper."""
    b = StreamsBuilder("agg-sink", topic_partitions=1)
    b.stream("in", name="src").group_by("value['g']").aggregate(
        [{"name": "n", "fn": "count"}], name="agg"
    ).to("out", name="sink")
    topology = b.build()
    samples, entered = Samples(5), []
    sink = _sampling(entered.append, samples.ring("sink"), samples.sampler())
    [edge] = topology.outgoing("agg")
    children = {edge.source_port: [sink]}
    _sample_outputs(topology, topology.nodes["agg"], [edge.source_port], children, samples)
    [wrapper] = children[edge.source_port]
    assert wrapper.inner == entered.append  # the sink itself: one call a record
    samples.pace(1)
    wrapper(Record("k", {"n": 1}, 5, {}))
    assert len(entered) == 1
    assert samples.of("agg") == samples.of("sink") != []

    run, samples = LocalRun(topology), Samples(5)  # and in a run, both show the same records
    run.metrics.clear()
    run.compiled = compile_topology(
        run.topology, run.context(), run.application_id, preview=samples
    )
    for n in range(4):
        run.send("in", {"g": "a" if n % 2 else "b"}, key=str(n))
    assert [s["value"]["n"] for s in samples.of("agg")] == [1, 1, 2, 2]
    assert samples.of("sink") == samples.of("agg")
    assert len(run.records("out")) == 4
