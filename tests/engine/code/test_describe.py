"""Reading Kafka Streams ``Topology#describe()`` text: real outputs in tests/engine/data."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.code.describe import (
    DescribeError,
    application_topics,
    consumer_group_hint,
    layout,
    parse_description,
    store_id,
    to_view_graph,
    topic_id,
)

DATA = Path(__file__).resolve().parents[1] / "data"
FIXTURES = sorted(DATA.glob("describe_*.txt"))


def _read(name: str):
    return parse_description((DATA / name).read_text(encoding="utf-8"))


def test_there_are_real_fixtures():
    assert len(FIXTURES) >= 6


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_every_fixture_parses_consistently(path):
    desc = parse_description(path.read_text(encoding="utf-8"))
    names = {n.name: n for n in desc.nodes()}
    for node in names.values():
        for succ in node.successors:
            assert node.name in names[succ].predecessors
        for pred in node.predecessors:
            assert node.name in names[pred].successors
        if node.kind == "source":
            assert node.topics or node.topic_pattern
            assert not node.predecessors
        if node.kind == "sink":
            assert (node.topics or node.extractor) and not node.successors
    graph = to_view_graph(desc)
    positions = layout(desc, graph)
    assert set(positions) == set(graph.nodes)
    assert len(set(positions.values())) == len(positions), "two nodes on one spot"
    for a, b, data in graph.edges(data=True):
        same_band = graph.nodes[a]["subtopology"] == graph.nodes[b]["subtopology"]
        if data["kind"] == "stream" and same_band:
            assert positions[a][0] < positions[b][0], (a, b)


def test_wordcount_in_the_compact_1_0_layout():
    desc = _read("describe_wordcount_1_0.txt")
    assert [s.id for s in desc.subtopologies] == [0, 1] and desc.global_stores == []
    source = desc.node("KSTREAM-SOURCE-0000000000")
    assert source.kind == "source" and source.topics == ["streams-plaintext-input"]
    assert source.successors == ["KSTREAM-FLATMAPVALUES-0000000001"]
    agg = desc.node("KSTREAM-AGGREGATE-0000000003")
    assert agg.stores == ["Counts"] and agg.predecessors == ["KSTREAM-SOURCE-0000000006"]
    assert agg.label == "aggregate 3"
    assert desc.node("KSTREAM-SINK-0000000004").topics == ["Counts-repartition"]
    topics = application_topics(desc)
    assert topics.inputs == ["streams-plaintext-input"]
    assert topics.outputs == ["streams-wordcount-output"]
    assert topics.repartition == ["Counts-repartition"]


def test_repartition_splits_sub_topologies_and_is_drawn_as_a_topic():
    desc = _read("describe_reduce_repartition.txt")  # no 'Topologies:' header at all
    repartition = "KSTREAM-AGGREGATE-STATE-STORE-0000000002-repartition"
    assert application_topics(desc).repartition == [repartition]
    graph = to_view_graph(desc)
    node = graph.nodes[topic_id(repartition)]
    assert node["kind"] == "repartition_topic"
    assert graph.has_edge("KSTREAM-SINK-0000000004", topic_id(repartition))
    assert graph.has_edge(topic_id(repartition), "KSTREAM-SOURCE-0000000006")
    assert graph.nodes[store_id("KSTREAM-AGGREGATE-STATE-STORE-0000000002")]["kind"] == "store"
    positions = layout(desc, graph)
    top = max(y for n, (x, y) in positions.items() if graph.nodes[n]["subtopology"] == 0)
    bottom = min(y for n, (x, y) in positions.items() if graph.nodes[n]["subtopology"] == 1)
    assert top < bottom, "sub-topologies are stacked"
    # The repartition topic sits with the sub-topology that reads it, left of its source.
    assert positions[topic_id(repartition)][1] >= bottom
    assert positions[topic_id(repartition)][0] < positions["KSTREAM-SOURCE-0000000006"][0]


def test_stream_table_join_shares_the_table_store():
    desc = _read("describe_stream_table_join.txt")
    graph = to_view_graph(desc)
    store = store_id("test-kstream-compacted-topic-STATE-STORE-0000000001")
    assert set(graph.predecessors(store)) == {"KSTREAM-JOIN-0000000004", "KTABLE-SOURCE-0000000003"}
    assert application_topics(desc).inputs == [
        "test-kstream-input-topic",
        "test-kstream-compacted-topic",
    ]


def test_global_stores_and_extractor_sinks():
    desc = _read("describe_global_store_extractor.txt")  # a log prefix before 'Topologies:'
    assert [s.id for s in desc.subtopologies] == [0, 2]
    [glob] = desc.global_stores
    assert glob.id == 1 and glob.source.topics == ["positions"]
    assert glob.stores == ["positions-STATE-STORE-0000000002"]
    sink = desc.node("KSTREAM-SINK-0000000001")
    assert sink.extractor.startswith("com.whipitupitude.streams.Streams$$Lambda$4")
    topics = application_topics(desc)
    assert topics.global_inputs == ["positions"]
    assert topics.dynamic_sinks == ["KSTREAM-SINK-0000000001"]
    graph = to_view_graph(desc)
    assert graph.nodes[store_id("positions-STATE-STORE-0000000002")]["kind"] == "global_store"
    assert graph.nodes["KTABLE-SOURCE-0000000004"]["global"] is True
    assert graph.nodes["extractor:KSTREAM-SINK-0000000001"]["kind"] == "dynamic_topic"
    positions = layout(desc, graph)
    lowest_regular = max(
        y for n, (x, y) in positions.items() if graph.nodes[n]["subtopology"] in (0, 2)
    )
    assert positions["KTABLE-SOURCE-0000000004"][1] > lowest_regular  # global stores go last


def test_windowed_join_merge_has_two_predecessors():
    desc = _read("describe_orders_windowed_join.txt")
    merge = desc.node("KSTREAM-MERGE-0000000018")
    assert sorted(merge.predecessors) == [
        "KSTREAM-JOINOTHER-0000000017",
        "KSTREAM-JOINTHIS-0000000016",
    ]
    assert desc.node("KSTREAM-JOINTHIS-0000000016").stores == ["KSTREAM-JOINOTHER-0000000017-store"]


def test_suppress_and_named_repartitions():
    desc = _read("describe_suppress_repartitions.txt")
    assert [len(s.nodes) for s in desc.subtopologies] == [4, 8, 6]
    assert desc.node("KTABLE-SUPPRESS-0000000006").stores == [
        "KTABLE-SUPPRESS-STATE-STORE-0000000007"
    ]
    assert desc.node("my-event").label == "my-event"
    assert application_topics(desc).repartition == [
        "chunk-num-aggregation-repartition",
        "user-id-aggregation-repartition",
    ]


def test_tabs_and_processor_api_nodes():
    assert len(_read("describe_count_tabs.txt").subtopologies[0].nodes) == 5
    desc = _read("describe_transform_processor_api.txt")
    assert desc.node("Process").stores == ["assignment-state"]
    # A topic the application writes and reads back itself.
    assert application_topics(desc).intermediate == ["moochannel-output"]


def test_topic_patterns():
    # Source.toString prints a Pattern without brackets; a set of names with them.
    text = (
        "Topologies:\n   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000000 (topics: topic-\\d+)\n"
        "      --> KSTREAM-SINK-0000000001\n"
        "    Source: KSTREAM-SOURCE-0000000002 (topics: [topic-.*])\n"
        "      --> KSTREAM-SINK-0000000001\n"
        "    Sink: KSTREAM-SINK-0000000001 (topic: out)\n"
        "      <-- KSTREAM-SOURCE-0000000000, KSTREAM-SOURCE-0000000002\n"
    )
    desc = parse_description(text)
    assert desc.node("KSTREAM-SOURCE-0000000000").topic_pattern == "topic-\\d+"
    assert desc.node("KSTREAM-SOURCE-0000000002").topic_pattern == "topic-.*"
    assert application_topics(desc).patterns == ["topic-\\d+", "topic-.*"]
    assert to_view_graph(desc).nodes["pattern:topic-.*"]["kind"] == "topic_pattern"


def test_consumer_group_hint_needs_the_application_id():
    desc = _read("describe_suppress_repartitions.txt")
    unknown = consumer_group_hint(desc, None)
    assert unknown.group_id is None and "application.id" in unknown.message
    hint = consumer_group_hint(desc, "mirror-app")
    assert hint.group_id == "mirror-app"
    assert "mirror-app-chunk-num-aggregation-repartition" in hint.topics
    assert "my-event" in hint.topics
    assert "mirror-app-KTABLE-SUPPRESS-STATE-STORE-0000000007-changelog" in hint.changelogs


@pytest.mark.parametrize(
    "text, line, words",
    [
        ("", 1, "no sub-topology"),
        (
            "Topologies:\n   Sub-topology: 0\n    Source: a (topics: [t])\n      --> b\n",
            3,
            "not described",
        ),
        ("Topologies:\n    Source: a (topics: [t])\n", 2, "before any 'Sub-topology:'"),
        ("Topologies:\n   Sub-topology: 0\n      --> b\n", 3, "before any node"),
        ("Topologies:\n   Sub-topology: 0\n    Sauce: a (topics: [t])\n", 3, "cannot read"),
        ("Topologies:\n   Sub-topology: 0\n    Source: a (topics: [t]\n", 3, "not closed"),
        ("Topologies:\n   Sub-topology: 0\n    Source: a (stores: [t])\n", 3, "expected topics"),
        (
            (
                "Topologies:\n   Sub-topology: 0\n    Source: a (topics: [t])\n      --> none\n"
                "   Sub-topology: 1\n    Source: a (topics: [u])\n      --> none\n"
            ),
            6,
            "described twice",
        ),
        (
            "Topologies:\n   Sub-topology: 0\n    Sink: s (topic: t)\n      --> x\n",
            4,
            "cannot have successors",
        ),
    ],
)
def test_parse_errors_name_the_line(text, line, words):
    with pytest.raises(DescribeError) as info:
        parse_description(text)
    assert info.value.line == line, str(info.value)
    assert str(info.value).startswith(f"line {line}: ") and words in str(info.value)
