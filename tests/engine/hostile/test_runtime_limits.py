"""Records that exceed a bound go to the dead letters with the reason; processing goes on.
Outputs over message.max.bytes are never sent; huge aliased values are never encoded.
A run's process is started with a memory limit."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from engine.model.bounds import SAFE_STEPS, value_bounds
from engine.model.expressions import BudgetExceededError, ExpressionLimitError
from engine.model.topology import Edge, Node, Topology
from engine.runtime import serde
from engine.runtime.local import LocalRun
from engine.runtime.serde import OutputTooLargeError

ROOT = Path(__file__).resolve().parents[3]


def _pipeline(*transforms: tuple[str, dict]) -> Topology:
    topology = Topology("limits")
    topology.add_node(Node("src", "kafka_source", {"topic": "in"}))
    previous = "src"
    for i, (type_name, params) in enumerate(transforms):
        topology.add_node(Node(f"t{i}", type_name, params))
        topology.add_edge(Edge(previous, f"t{i}"))
        previous = f"t{i}"
    topology.add_node(Node("out", "kafka_sink", {"topic": "out"}))
    topology.add_edge(Edge(previous, "out"))
    return topology


def test_a_record_over_budget_is_dead_lettered_and_the_next_goes_on():
    run = LocalRun(_pipeline(("map", {"expr": "len([a for a in value for b in value])"})))
    run.send("in", "x" * 2000)  # 4,002,000 steps
    run.send("in", "x" * 10)
    assert run.values("out") == [100]
    [dead] = run.dead_letters
    assert dead.node_id == "t0" and isinstance(dead.error, BudgetExceededError)
    assert "1,000,000 steps" in str(dead.error)


def test_an_output_over_message_max_bytes_is_dead_lettered_not_sent():
    run = LocalRun(_pipeline(("map", {"expr": "value + value"})))
    run.send("in", "é" * 300_000)  # 600 KB in, 1.2 MB of UTF-8 out
    run.send("in", "x" * 1000)
    assert run.values("out") == ["x" * 2000]
    [dead] = run.dead_letters
    assert dead.node_id == "out" and isinstance(dead.error, OutputTooLargeError)
    assert "message.max.bytes" in str(dead.error)


def test_a_900_kb_value_passes():
    run = LocalRun(_pipeline(("filter", {"expr": "True"})))
    run.send("in", "y" * 900_000)
    assert len(run.values("out")[0]) == 900_000 and not run.dead_letters


def _doubling_chain(n: int) -> Topology:
    return _pipeline(
        *[("map", {"expr": "[value, value, value, value, value, value, value, value]"})] * n
    )


def test_bounds_are_small_for_ordinary_topologies():
    demo = _pipeline(
        ("filter", {"expr": "value['status'] == 'paid'"}),
        ("map", {"expr": "{'id': value['id'], 'amount': value['amount']}"}),
    )
    assert value_bounds(demo)["out"] <= SAFE_STEPS
    assert value_bounds(_doubling_chain(10))["out"] > SAFE_STEPS


def test_an_aliased_monster_is_refused_before_encoding(monkeypatch):
    encoded = []
    real = serde._orjson_dumps
    monkeypatch.setattr(serde, "_orjson_dumps", lambda v, **kw: encoded.append(1) or real(v, **kw))
    run = LocalRun(_doubling_chain(10))  # 8 ** 10 references to each input: a terabyte as JSON
    run.send_raw("in", None, b"[" + b",".join([b"0"] * 100) + b"]")
    [dead] = run.dead_letters
    assert (dead.node_id, type(dead.error)) == ("out", OutputTooLargeError)
    assert encoded == [], "orjson must never see it (it aborts when an allocation fails)"
    run.dead_letters.clear()  # nothing may print the monster (pytest would, on a failure)


def test_windows_per_record_are_bounded_at_validation():
    from engine.model.validation import validate

    topology = _pipeline(
        (
            "aggregate",
            {
                "window": {"type": "hopping", "size": "100s", "advance": "1ms"},
                "aggregations": [{"name": "n", "fn": "count"}],
            },
        )
    )
    assert any("opens 100,000 windows per record" in p.message for p in validate(topology))
    ok = _pipeline(
        (
            "aggregate",
            {
                "window": {"type": "hopping", "size": "10s", "advance": "1s"},
                "aggregations": [{"name": "n", "fn": "count"}],
            },
        )
    )
    assert not [p for p in validate(ok) if "windows per record" in p.message]


def test_the_memory_limit_turns_exhaustion_into_a_reason():
    script = textwrap.dedent("""
        from engine.runtime.worker.memory import apply_memory_limit, out_of_memory_reason
        mb = apply_memory_limit({"worker_memory_limit": 600})
        try:
            hog = bytearray(2 * 1024 ** 3)
        except MemoryError:
            print(out_of_memory_reason(mb))
    """)
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "more memory than its memory limit (600 MB, setting worker_memory_limit)" in done.stdout


def test_the_memory_limit_setting_is_validated():
    from engine.model.validation import validate

    topology = _pipeline()
    topology.settings["worker_memory_limit"] = -1
    assert any("worker_memory_limit" in p.message for p in validate(topology))
    topology.settings["worker_memory_limit"] = 2048
    assert not [p for p in validate(topology) if "worker_memory_limit" in p.message]


@pytest.mark.parametrize(
    "settings, expected",
    [({}, 4096), ({"worker_memory_limit": 0}, 0), ({"worker_memory_limit": 100}, 512)],
)
def test_memory_limit_defaults(settings, expected):
    from engine.runtime.worker.memory import limit_mb

    assert limit_mb(settings) == expected


def test_a_worker_killed_by_a_signal_is_explained():
    from engine.runtime.worker.supervisor import _signal_hint

    assert "memory ran out" in _signal_hint(-9) and "worker_memory_limit" in _signal_hint(-9)
    assert "crashed (SIGABRT)" in _signal_hint(-6)
    assert _signal_hint(0) == _signal_hint(None) == ""


def _grouped(*transforms: tuple[str, dict]) -> Topology:
    """``_pipeline`` ending in a grouped aggregate: records reach it through a repartition
    topic."""
    return _pipeline(
        *transforms,
        ("aggregate", {"group_by": "'all'", "aggregations": [{"name": "n", "fn": "count"}]}),
    )


def test_a_repartition_record_over_message_max_bytes_is_dead_lettered_not_sent():
    run = LocalRun(_grouped(("map", {"expr": "value + value"})))
    run.send("in", "é" * 300_000)  # 1.2 MB once encoded
    run.send("in", "x")
    assert [v["n"] for v in run.values("out")] == [1]
    [dead] = run.dead_letters
    assert isinstance(dead.error, OutputTooLargeError) and "message.max.bytes" in str(dead.error)


def test_an_aliased_monster_is_refused_before_the_repartition_encodes_it(monkeypatch):
    encoded = []
    real = serde._orjson_dumps

    def dumps(value, **kw):
        encoded.extend([1] if isinstance(value, list) else [])  # (the key is a str)
        return real(value, **kw)

    from engine.runtime.repartition import topic

    monkeypatch.setattr(serde, "_orjson_dumps", dumps)
    monkeypatch.setattr(topic, "_dumps", dumps)
    eight = "[value, value, value, value, value, value, value, value]"
    run = LocalRun(_grouped(*[("map", {"expr": eight})] * 10))
    run.send_raw("in", None, b"[" + b",".join([b"0"] * 100) + b"]")
    [dead] = run.dead_letters
    assert type(dead.error) is OutputTooLargeError
    assert encoded == [], "orjson must never see it (it aborts when an allocation fails)"
    run.dead_letters.clear()


def test_a_format_writing_a_field_many_times_is_dead_lettered_where_it_is_built():
    run = LocalRun(_pipeline(("map", {"expr": "'%(s)s' * 400 % value"})))
    run.send("in", {"s": "x" * 100_000})  # 40,000,000 characters from one 100,000
    run.send("in", {"s": "ab"})
    assert run.values("out") == ["ab" * 400]
    [dead] = run.dead_letters
    assert dead.node_id == "t0" and isinstance(dead.error, ExpressionLimitError)
    assert "longer than 1,000,000 characters" in str(dead.error)
