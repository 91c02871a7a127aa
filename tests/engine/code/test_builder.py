"""The builder API builds the same topology as the file that says the same thing."""

from __future__ import annotations

import pytest

from engine.code.builder import (
    Aggregation,
    Branch,
    HoppingWindow,
    SessionWindow,
    SlidingWindow,
    StreamsBuilder,
    TumblingWindow,
    window_from_param,
)
from engine.model import fileformat
from engine.model.catalogue import NODE_TYPES
from engine.model.problems import TopologyError


def from_file(nodes, edges, name="app", settings=None):
    topology, problems = fileformat.from_dict(
        {
            "format": "topology-studio/1",
            "name": name,
            "settings": settings or {},
            "nodes": nodes,
            "edges": edges,
        }
    )
    assert problems == []
    return topology


def assert_same(built, expected):
    assert built.equivalent(expected), (fileformat.to_dict(built), fileformat.to_dict(expected))
    # the same file, node order and edges included
    assert fileformat.to_dict(built) == fileformat.to_dict(expected)


SRC = {"id": "src", "type": "kafka_source", "params": {"topic": "in"}}
OUT = {"id": "out", "type": "console_sink", "params": {}}


def one_node(node, to="n"):
    return from_file([SRC, node, OUT], [{"from": "src", "to": to}, {"from": to, "to": "out"}])


@pytest.mark.parametrize(
    "build,node",
    [
        (
            lambda s: s.filter("value['a'] > 1", name="n"),
            {"id": "n", "type": "filter", "params": {"expr": "value['a'] > 1"}},
        ),
        (
            lambda s: s.map("{'a': value}", name="n"),
            {"id": "n", "type": "map", "params": {"expr": "{'a': value}"}},
        ),
        (
            lambda s: s.set_fields({"b": "value['a'] * 2"}, name="n"),
            {"id": "n", "type": "set_fields", "params": {"fields": {"b": "value['a'] * 2"}}},
        ),
        (
            lambda s: s.flat_map("value['items']", name="n"),
            {"id": "n", "type": "flat_map", "params": {"expr": "value['items']"}},
        ),
        (
            lambda s: s.rekey("value['user']", name="n"),
            {"id": "n", "type": "rekey", "params": {"expr": "value['user']"}},
        ),
        (
            lambda s: s.select_key("value['user']", name="n"),
            {"id": "n", "type": "rekey", "params": {"expr": "value['user']"}},
        ),
        (
            lambda s: (
                s.group_by("value['c']", name="n")
                .window(TumblingWindow("1m", grace="0s"))
                .aggregate(
                    [Aggregation("total", "sum", "value['x']"), Aggregation("n", "count")],
                    emit="final",
                )
            ),
            {
                "id": "n",
                "type": "aggregate",
                "params": {
                    "group_by": "value['c']",
                    "window": {"type": "tumbling", "size": "1m", "grace": "0s"},
                    "aggregations": [
                        {"name": "total", "fn": "sum", "expr": "value['x']"},
                        {"name": "n", "fn": "count"},
                    ],
                    "emit": "final",
                },
            },
        ),
        (
            lambda s: s.group_by_key(name="n").windowed_by(HoppingWindow("1m", "10s")).count(),
            {
                "id": "n",
                "type": "aggregate",
                "params": {
                    "window": {"type": "hopping", "size": "1m", "advance": "10s"},
                    "aggregations": [{"name": "count", "fn": "count"}],
                },
            },
        ),
        (
            lambda s: (
                s.group_by().window(SessionWindow("30s", grace="5s")).count(name="n", emit="update")
            ),
            {
                "id": "n",
                "type": "aggregate",
                "params": {
                    "window": {"type": "session", "gap": "30s", "grace": "5s"},
                    "aggregations": [{"name": "count", "fn": "count"}],
                    "emit": "update",
                },
            },
        ),
        (
            lambda s: s.aggregate(
                [{"name": "m", "fn": "max", "expr": "value"}],
                name="n",
                window={"type": "tumbling", "size": "5s"},
            ),
            {
                "id": "n",
                "type": "aggregate",
                "params": {
                    "window": {"type": "tumbling", "size": "5s"},
                    "aggregations": [{"name": "m", "fn": "max", "expr": "value"}],
                },
            },
        ),
    ],
)
def test_transform_and_aggregate_nodes(build, node):
    builder = StreamsBuilder("app")
    build(builder.stream("in", name="src")).to_console(name="out")
    assert_same(builder.build(), one_node(node))


def test_sources_with_every_param():
    builder = StreamsBuilder("app", processing_guarantee="exactly_once", dead_letter_topic=None)
    a = builder.stream(
        "in",
        name="src",
        key_format="json",
        value_format="string",
        start="latest",
        timestamp="value['ts']",
    )
    g = builder.generator("orders", name="gen", profile="clicks", rate=5, seed=3, limit=10)
    a.merge(g, name="m").to_console(name="out", limit=5)
    expected = from_file(
        [
            {
                "id": "src",
                "type": "kafka_source",
                "params": {
                    "topic": "in",
                    "key_format": "json",
                    "value_format": "string",
                    "start": "latest",
                    "timestamp": "value['ts']",
                },
            },
            {
                "id": "gen",
                "type": "generator_source",
                "params": {
                    "topic": "orders",
                    "profile": "clicks",
                    "rate": 5,
                    "seed": 3,
                    "limit": 10,
                },
            },
            {"id": "m", "type": "merge", "params": {}},
            {"id": "out", "type": "console_sink", "params": {"limit": 5}},
        ],
        [{"from": "src", "to": "m"}, {"from": "gen", "to": "m"}, {"from": "m", "to": "out"}],
        settings={"processing_guarantee": "exactly_once"},
    )
    assert_same(builder.build(), expected)


def test_sinks():
    builder = StreamsBuilder("app")
    s = builder.stream("in", name="src")
    s.to("out-topic", name="k", key_format="json", value_format="string")
    s.to_file("o.jsonl", name="f", format="jsonl")
    s.to_console(name="c")
    expected = from_file(
        [
            SRC,
            {
                "id": "k",
                "type": "kafka_sink",
                "params": {"topic": "out-topic", "key_format": "json", "value_format": "string"},
            },
            {"id": "f", "type": "file_sink", "params": {"path": "o.jsonl", "format": "jsonl"}},
            {"id": "c", "type": "console_sink", "params": {}},
        ],
        [{"from": "src", "to": "k"}, {"from": "src", "to": "f"}, {"from": "src", "to": "c"}],
    )
    assert_same(builder.build(), expected)


def test_branch_returns_a_stream_per_port():
    builder = StreamsBuilder("app")
    ports = builder.stream("in", name="src").branch(
        [Branch("big", "value > 10"), {"name": "small", "expr": "value < 2"}], name="b"
    )
    assert sorted(ports) == ["big", "else", "small"]
    ports["big"].to_console(name="o1")
    ports["else"].to_console(name="o2")
    ports["small"].to_console(name="o3")
    expected = from_file(
        [
            SRC,
            {
                "id": "b",
                "type": "branch",
                "params": {
                    "branches": [
                        {"name": "big", "expr": "value > 10"},
                        {"name": "small", "expr": "value < 2"},
                    ]
                },
            },
            {"id": "o1", "type": "console_sink"},
            {"id": "o2", "type": "console_sink"},
            {"id": "o3", "type": "console_sink"},
        ],
        [
            {"from": "src", "to": "b"},
            {"from": "b", "from_port": "big", "to": "o1"},
            {"from": "b", "from_port": "else", "to": "o2"},
            {"from": "b", "from_port": "small", "to": "o3"},
        ],
    )
    assert_same(builder.build(), expected)


@pytest.mark.parametrize(
    "call,params",
    [
        (lambda l, r: l.join(r, "{**left, **right}", name="j"), {"expr": "{**left, **right}"}),
        (
            lambda l, r: l.join(r, "left", name="j", mode="inner", window="5m"),
            {"expr": "left", "mode": "inner", "window": "5m"},
        ),
        (
            lambda l, r: l.left_join(r, "[left, right]", name="j"),
            {"expr": "[left, right]", "mode": "left"},
        ),
    ],
)
def test_join(call, params):
    builder = StreamsBuilder("app")
    left, right = builder.stream("l", name="l"), builder.stream("r", name="r")
    call(left, right).to_console(name="out")
    expected = from_file(
        [
            {"id": "l", "type": "kafka_source", "params": {"topic": "l"}},
            {"id": "r", "type": "kafka_source", "params": {"topic": "r"}},
            {"id": "j", "type": "join", "params": params},
            OUT,
        ],
        [
            {"from": "l", "to": "j", "to_port": "left"},
            {"from": "r", "to": "j", "to_port": "right"},
            {"from": "j", "to": "out"},
        ],
    )
    assert_same(builder.build(), expected)


def test_every_catalogue_type_is_reachable_from_the_builder():
    builder = StreamsBuilder("app")
    s = builder.stream("in")
    g = builder.generator("gen")
    ports = (
        s.filter("True")
        .map("value")
        .set_fields({"a": "1"})
        .flat_map("[value]")
        .rekey("key")
        .branch([Branch("a", "True")])
    )
    joined = ports["a"].merge(ports["else"], g).group_by_key().count().join(s, "left")
    joined.to("t")
    joined.to_console()
    joined.to_file("x.jsonl")
    joined.to_dashboard("Totals")
    table = builder.table("t2").to_table()
    table.table_join(builder.table("t4"), "[left, right]", mode="outer").to("t3")
    table.table_aggregate([Aggregation("n", "count")], group_by="value").to("t5")
    topology = builder.build()
    assert {n.type for n in topology.nodes.values()} == set(NODE_TYPES)
    assert len(topology.nodes) == len(set(topology.nodes))


def test_generated_ids_are_unique_and_valid():
    builder = StreamsBuilder("app")
    s = builder.stream("in")
    s.filter("True").filter("False").to_console()
    s.filter("True").to_console()
    assert list(builder.build().nodes) == [
        "kafka_source",
        "filter",
        "filter_2",
        "console_sink",
        "filter_3",
        "console_sink_2",
    ]


def test_layout_sets_positions_without_changing_equivalence():
    builder = StreamsBuilder("app")
    builder.stream("in", name="src").to_console(name="out")
    builder.layout({"src": (1, 2), "out": (3.5, 4)})
    topology = builder.build()
    assert topology.node("src").position == (1.0, 2.0) and topology.node("out").position == (
        3.5,
        4.0,
    )
    assert topology.equivalent(from_file([SRC, OUT], [{"from": "src", "to": "out"}]))


def test_build_raises_topology_error_listing_problems():
    builder = StreamsBuilder("bad name")
    builder.stream("in", name="src").filter("value.__class__", name="f").group_by(
        name="agg"
    ).aggregate([Aggregation("s", "sum")])
    with pytest.raises(TopologyError) as info:
        builder.build()
    lines = str(info.value).splitlines()
    assert (
        "topology: the name 'bad name' cannot be used as an application id: use letters, digits, "
        "'.', '_' and '-'" in lines
    )
    assert any(
        line.startswith("f: Keep when (expr): attribute access '.__class__'") for line in lines
    )
    assert "agg: aggregations 's': sum needs an expr" in lines
    assert all(p.is_error for p in info.value.problems)
    assert len(info.value.problems) == len(lines) == 3  # warnings (agg's output) are not errors


def test_build_without_check_returns_the_model():
    builder = StreamsBuilder("app")
    builder.stream("in", name="src").filter("(", name="f")
    topology = builder.build(check=False)
    assert list(topology.nodes) == ["src", "f"]


def test_duplicate_name_raises_at_once():
    from engine.model.topology import ModelError

    builder = StreamsBuilder("app")
    s = builder.stream("in", name="src")
    with pytest.raises(ModelError, match="a node named 'src' already exists"):
        s.filter("True", name="src")


@pytest.mark.parametrize(
    "window,expected",
    [
        (None, None),
        ({}, None),
        ({"type": "none"}, None),
        ({"type": "tumbling", "size": "1m"}, TumblingWindow("1m")),
        ({"type": "tumbling", "size": "1m", "grace": "5s"}, TumblingWindow("1m", "5s")),
        ({"type": "hopping", "size": "1m", "advance": "5s"}, HoppingWindow("1m", "5s")),
        ({"type": "session", "gap": "1m", "grace": "1s"}, SessionWindow("1m", "1s")),
        ({"type": "sliding", "size": "1m"}, SlidingWindow("1m")),
        ({"type": "sliding", "size": "1m", "grace": "1s"}, SlidingWindow("1m", "1s")),
    ],
)
def test_window_from_param_round_trips(window, expected):
    assert window_from_param(window) == expected
    if expected is not None:
        assert expected.to_param() == window


def test_window_from_param_refuses_unknown_type():
    with pytest.raises(ValueError, match="unknown window type 'rolling'"):
        window_from_param({"type": "rolling", "size": "1m"})
