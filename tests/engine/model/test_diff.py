"""The diff of two topologies and its state verdicts: a table of changes, each with the
verdict of every stateful node it touches, on a small shop topology with each kind of
stateful node (a windowed aggregate grouped by a field, one grouped by the record's key, a
session aggregate, a table join and a stream-stream join)."""

from __future__ import annotations

import pytest

from engine.model.diff import Verdict, diff_topologies
from engine.model.topology import Edge, Node, Topology
from engine.model.validation import errors, validate

KEPT, RESET, INCOMPATIBLE = Verdict.KEPT, Verdict.RESET, Verdict.INCOMPATIBLE
STATEFUL = ("revenue", "per_key", "sessions", "enrich", "pairs")


def shop() -> Topology:
    t = Topology("shop", {"processing_guarantee": "at_least_once"})
    nodes = [
        Node("orders", "kafka_source", {"topic": "orders"}, (0, 0)),
        Node("customers", "kafka_source", {"topic": "customers"}, (0, 100)),
        Node("clicks", "kafka_source", {"topic": "clicks"}, (0, 200)),
        Node("paid", "filter", {"expr": "value['status'] == 'paid'"}, (100, 0)),
        Node(
            "revenue",
            "aggregate",
            {
                "group_by": "value['category']",
                "window": {"type": "tumbling", "size": "1m", "grace": "5s"},
                "aggregations": [
                    {"name": "revenue", "fn": "sum", "expr": "value['amount']"},
                    {"name": "orders", "fn": "count"},
                ],
                "emit": "final",
            },
        ),
        Node("per_key", "aggregate", {"aggregations": [{"name": "n", "fn": "count"}]}),
        Node(
            "sessions",
            "aggregate",
            {
                "window": {"type": "session", "gap": "30s"},
                "aggregations": [{"name": "clicks", "fn": "count"}],
            },
        ),
        Node("enrich", "join", {"expr": "{**left, 'c': right}", "mode": "inner"}),
        Node("pairs", "join", {"expr": "[left, right]", "window": "10s"}),
        Node("out", "kafka_sink", {"topic": "revenue"}),
        Node("all", "merge", {}),
        Node("log", "console_sink", {}),
    ]
    for node in nodes:
        t.add_node(node)
    for source, target, port in [
        ("orders", "paid", "in"),
        ("paid", "revenue", "in"),
        ("revenue", "out", "in"),
        ("orders", "per_key", "in"),
        ("per_key", "all", "in"),
        ("clicks", "sessions", "in"),
        ("sessions", "all", "in"),
        ("orders", "enrich", "left"),
        ("customers", "enrich", "right"),
        ("enrich", "all", "in"),
        ("orders", "pairs", "left"),
        ("clicks", "pairs", "right"),
        ("pairs", "all", "in"),
        ("all", "log", "in"),
    ]:
        t.add_edge(Edge(source, target, "out", port))
    assert not errors(validate(t))
    return t


def _window(t, node, **changes):
    t.set_param(node, "window", {**t.nodes[node].params["window"], **changes})


def _aggs(t, node, aggs):
    t.set_param(node, "aggregations", aggs)


def _insert(t, before, node):
    """A node added on the edge into ``before``'s input."""
    edge = t.incoming(before)[0]
    t.remove_edge(edge)
    t.add_node(node)
    t.add_edge(Edge(edge.source, node.id, edge.source_port, "in"))
    t.add_edge(Edge(node.id, before, "out", edge.target_port))


def _insert_right(t):
    edge = next(e for e in t.incoming("enrich") if e.target_port == "right")
    t.remove_edge(edge)
    t.add_node(Node("by_id", "rekey", {"expr": "value['id']"}))
    t.add_edge(Edge(edge.source, "by_id"))
    t.add_edge(Edge("by_id", "enrich", "out", "right"))


REVENUE_AGGS = shop().nodes["revenue"].params["aggregations"]

# (what changes, the change, {node: verdict} for the stateful nodes whose verdict is not
# "kept"; every other stateful node must be kept)
CASES = [
    ("param of a stateless node", lambda t: t.set_param("paid", "expr", "True"), {}),
    ("moved node", lambda t: t.move_node("revenue", (500, 500)), {}),
    (
        "node added before an aggregate",
        lambda t: _insert(t, "revenue", Node("big", "filter", {"expr": "value['amount'] > 9"})),
        {},
    ),
    (
        "map added before a join",
        lambda t: _insert(t, "enrich", Node("tidy", "map", {"expr": "value"})),
        {},
    ),
    ("window size", lambda t: _window(t, "revenue", size="5m"), {"revenue": RESET}),
    (
        "window type",
        lambda t: _window(t, "revenue", type="hopping", advance="30s"),
        {"revenue": RESET},
    ),
    (
        "hopping that advances by its size is tumbling",
        lambda t: _window(t, "revenue", type="hopping", advance="1m"),
        {},
    ),
    ("window grace", lambda t: _window(t, "revenue", grace="1m"), {}),
    ("session gap", lambda t: _window(t, "sessions", gap="1m"), {}),
    ("emit", lambda t: t.set_param("revenue", "emit", "update"), {}),
    ("group_by", lambda t: t.set_param("revenue", "group_by", "value['shop']"), {"revenue": RESET}),
    (
        "group_by added where the key was used",
        lambda t: t.set_param("per_key", "group_by", "value['shop']"),
        {"per_key": RESET},
    ),
    (
        "rekey added before an aggregate grouped by key",
        lambda t: _insert(t, "per_key", Node("by_shop", "rekey", {"expr": "value['shop']"})),
        {"per_key": RESET},
    ),
    (
        "rekey added before an aggregate with a group_by",
        lambda t: _insert(t, "revenue", Node("by_shop", "rekey", {"expr": "value['shop']"})),
        {},
    ),
    (
        "source key format under an aggregate grouped by key",
        lambda t: t.set_param("orders", "key_format", "json"),
        {"per_key": RESET, "enrich": RESET, "pairs": RESET},
    ),
    (
        "aggregation added",
        lambda t: _aggs(t, "revenue", [*REVENUE_AGGS, {"name": "top", "fn": "max", "expr": "1"}]),
        {"revenue": RESET},
    ),
    ("aggregation removed", lambda t: _aggs(t, "revenue", REVENUE_AGGS[:1]), {"revenue": RESET}),
    (
        "aggregations reordered",
        lambda t: _aggs(t, "revenue", REVENUE_AGGS[::-1]),
        {"revenue": RESET},
    ),
    (
        "aggregation's expression",
        lambda t: _aggs(
            t, "revenue", [{**REVENUE_AGGS[0], "expr": "value['net']"}, REVENUE_AGGS[1]]
        ),
        {},
    ),
    (
        "aggregation renamed in its place",
        lambda t: _aggs(t, "revenue", [{**REVENUE_AGGS[0], "name": "total"}, REVENUE_AGGS[1]]),
        {},
    ),
    (
        "aggregation's function in its place",
        lambda t: _aggs(t, "revenue", [{**REVENUE_AGGS[0], "fn": "avg"}, REVENUE_AGGS[1]]),
        {"revenue": INCOMPATIBLE},
    ),
    ("node renamed", lambda t: t.rename_node("revenue", "sales"), {"sales": RESET}),
    ("stateful node removed", lambda t: t.remove_node("per_key"), {"per_key": RESET}),
    (
        "stateful node added",
        lambda t: _insert(
            t, "log", Node("more", "aggregate", {"aggregations": [{"name": "n", "fn": "count"}]})
        ),
        {},
    ),
    ("join mode", lambda t: t.set_param("enrich", "mode", "left"), {"enrich": RESET}),
    ("join mode written as its default", lambda t: t.set_param("pairs", "mode", "inner"), {}),
    ("join window", lambda t: t.set_param("pairs", "window", "1m"), {"pairs": RESET}),
    ("join before", lambda t: t.set_param("pairs", "before", "1m"), {"pairs": RESET}),
    ("join after", lambda t: t.set_param("pairs", "after", "1m"), {"pairs": RESET}),
    (
        "table join becomes a stream join",
        lambda t: t.set_param("enrich", "window", "5s"),
        {"enrich": RESET},
    ),
    ("join grace", lambda t: t.set_param("pairs", "grace", "5s"), {}),
    ("join expression", lambda t: t.set_param("enrich", "expr", "left"), {}),
    (
        "rekey added before a join's right input",
        _insert_right,
        {"enrich": RESET},
    ),
    (
        "node type changes under the same id",
        lambda t: _retype(t, "per_key", "join", {"expr": "left"}),
        {"per_key": INCOMPATIBLE},
    ),
    (
        "stateful node becomes stateless under the same id",
        lambda t: _retype(t, "per_key", "filter", {"expr": "True"}),
        {"per_key": RESET},
    ),
    (
        "processing_guarantee",
        lambda t: t.set_settings({**t.settings, "processing_guarantee": "exactly_once"}),
        {},
    ),
    ("state_store", lambda t: t.set_settings({**t.settings, "state_store": "rocksdb"}), {}),
    ("commit_interval", lambda t: t.set_settings({**t.settings, "commit_interval": "5s"}), {}),
    (
        "name (the application id)",
        lambda t: t.set_name("shop2"),
        {
            **dict.fromkeys(STATEFUL, RESET),
            **dict.fromkeys(("orders", "customers", "clicks"), RESET),
        },
    ),
]


def _retype(t, node_id, new_type, params):
    t.nodes[node_id].type = new_type
    t.set_params(node_id, params)


@pytest.mark.parametrize("what, change, expected", CASES, ids=[c[0] for c in CASES])
def test_verdicts(what, change, expected):
    old = shop()
    new = old.copy()
    change(new)
    result = diff_topologies(old, new)
    verdicts = {nid: v.verdict for nid, v in result.state.items()}
    for nid, verdict in verdicts.items():
        assert verdict == expected.get(nid, KEPT), (nid, result.state[nid].reason)
    assert set(expected) <= set(verdicts)
    for v in result.state.values():
        assert v.reason
    if what in ("moved node", "join mode written as its default"):
        assert not result.has_changes
    else:
        assert result.has_changes


def test_window_advance_of_a_hopping_window():
    old = shop()
    _window(old, "revenue", type="hopping", advance="30s")
    new = old.copy()
    _window(new, "revenue", advance="20s")
    verdict = diff_topologies(old, new).state["revenue"]
    assert verdict.verdict == RESET
    assert verdict.reason == "the window advance changes from 30s to 20s"


def test_unchanged_stateful_nodes_are_listed_as_kept():
    result = diff_topologies(shop(), shop())
    assert not result.has_changes
    assert {nid: v.verdict for nid, v in result.state.items()} == dict.fromkeys(STATEFUL, KEPT)


def test_params_are_listed_param_by_param_with_defaults_as_absent():
    old, new = shop(), shop()
    _window(new, "revenue", size="5m")
    new.set_param("revenue", "emit", None)
    new.set_param("enrich", "mode", None)  # "inner" is the default: no change
    new.set_param("paid", "expr", "True")
    result = diff_topologies(old, new)
    assert result.changed == {
        "revenue": {
            "emit": ("final", None),
            "window": (
                {"type": "tumbling", "size": "1m", "grace": "5s"},
                {"type": "tumbling", "size": "5m", "grace": "5s"},
            ),
        },
        "paid": {"expr": ("value['status'] == 'paid'", "True")},
    }


def test_a_renamed_node_takes_its_edges_and_names_both_changelogs():
    old, new = shop(), shop()
    new.rename_node("revenue", "sales")
    result = diff_topologies(old, new)
    assert result.renamed == {"revenue": "sales"}
    assert result.added == result.removed == []
    assert result.edges_added == result.edges_removed == []
    verdict = result.state["sales"]
    assert verdict.topics == [
        "shop-revenue-repartition",
        "shop-revenue-changelog",
        "shop-sales-repartition",
        "shop-sales-changelog",
    ]
    assert "shop-revenue-changelog" in verdict.reason


def test_added_and_removed_nodes_and_edges():
    old, new = shop(), shop()
    _insert(new, "revenue", Node("big", "filter", {"expr": "value['amount'] > 9"}))
    new.remove_node("log")
    result = diff_topologies(old, new)
    assert result.added == ["big"]
    assert result.removed == ["log"]
    assert Edge("paid", "big") in result.edges_added
    assert Edge("paid", "revenue") in result.edges_removed
    assert Edge("all", "log") in result.edges_removed


def test_json_has_the_shape_of_the_reference():
    old, new = shop(), shop()
    _window(new, "revenue", size="5m")
    new.set_settings({**new.settings, "state_store": "rocksdb"})
    data = diff_topologies(old, new).to_json()
    assert set(data) == {"name", "nodes", "edges", "settings", "state"}
    assert data["nodes"]["changed"]["revenue"]["window"][1]["size"] == "5m"
    assert data["settings"] == {"state_store": [None, "rocksdb"]}
    assert data["state"]["revenue"] == {
        "verdict": "reset",
        "reason": "the window size changes from 1m to 5m",
        "topics": ["shop-revenue-repartition", "shop-revenue-changelog"],
    }
    assert data["state"]["sessions"]["verdict"] == "kept"


def test_broken_topologies_are_compared_without_raising():
    import json
    from pathlib import Path

    from engine.model import fileformat

    data = Path(__file__).resolve().parents[1] / "data"
    demo, _ = fileformat.read(data.parents[2] / "resources" / "demo" / "ecommerce.topology.json")
    files = sorted(data.glob("**/*.json"))
    assert files
    for path in files:
        broken, _ = fileformat.read(path)
        for old, new in ((broken, demo), (demo, broken), (broken, broken)):
            json.dumps(diff_topologies(old, new).to_json())


def test_a_new_init_of_a_reduce_keeps_the_state_and_says_it_folds_anew():
    old = shop()
    reduce = {"name": "names", "fn": "reduce", "expr": "agg + value['id']", "init": "''"}
    _aggs(old, "revenue", [*REVENUE_AGGS, reduce])
    new = old.copy()
    _aggs(new, "revenue", [*REVENUE_AGGS, {**reduce, "init": "'-'"}])
    verdict = diff_topologies(old, new).state["revenue"]
    assert verdict.verdict == KEPT
    assert "the aggregation 'names' folds a new expression" in verdict.reason


def _tables() -> Topology:
    from engine.code.builder import StreamsBuilder

    b = StreamsBuilder("tables")
    b.table("customers", name="customers").to("a", name="a")
    latest = b.stream("orders", name="orders").to_table(name="latest")
    latest.to("b", name="b")
    latest.table_join(b.table("customers", name="c2"), "left", name="both").to("j", name="j")
    latest.table_aggregate([{"name": "n", "fn": "count"}], group_by="value", name="g").to("g_out")
    return b.build()


@pytest.mark.parametrize(
    "change, expected",
    [
        (lambda t: None, {}),
        (lambda t: t.set_param("customers", "topic", "clients"), {"customers": RESET}),
        (lambda t: t.set_param("customers", "key_format", "json"), {"customers": RESET}),
        (lambda t: t.set_param("customers", "value_format", "string"), {}),
        (
            lambda t: t.set_param("orders", "key_format", "json"),
            {"latest": RESET, "both": RESET, "g": RESET},
        ),
        (lambda t: t.set_param("both", "mode", "outer"), {}),
        (lambda t: t.set_param("both", "expr", "right"), {}),
        (lambda t: t.set_param("g", "group_by", "key"), {"g": RESET}),
        (
            lambda t: t.set_param("g", "aggregations", [{"name": "n", "fn": "sum", "expr": "1"}]),
            {"g": INCOMPATIBLE},
        ),
    ],
)
def test_verdicts_of_tables(change, expected):
    old = _tables()
    new = old.copy()
    change(new)
    verdicts = {nid: v.verdict for nid, v in diff_topologies(old, new).state.items()}
    assert verdicts == {
        **dict.fromkeys(("customers", "latest", "c2", "both", "g"), KEPT),
        **expected,
    }
