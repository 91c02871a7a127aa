"""The topology model: mutators as verbs, past-tense events after each change, and the
few rules that keep it a graph."""

from __future__ import annotations

import pytest

from engine.model.events import Event
from engine.model.topology import Edge, ModelError, Node, Topology

EVENTS = (
    "node_added",
    "node_removed",
    "node_renamed",
    "node_moved",
    "params_changed",
    "edge_added",
    "edge_removed",
    "settings_changed",
    "name_changed",
)


class Recorder:
    """Every event of a topology, with its args and a snapshot of the model at that moment."""

    def __init__(self, topology: Topology):
        self.log: list[tuple] = []
        self.topology = topology
        for name in EVENTS:
            getattr(topology, name).connect(
                lambda *args, _name=name: self.log.append((_name, *args))
            )
        self.seen_state: list[tuple] = []
        topology.node_removed.connect(
            lambda node: self.seen_state.append(
                ("edges at node_removed", list(topology.edges), node.id in topology.nodes)
            )
        )
        topology.node_added.connect(
            lambda node: self.seen_state.append(
                ("present at node_added", node.id in topology.nodes)
            )
        )

    def names(self):
        return [entry[0] for entry in self.log]


@pytest.fixture
def topo():
    t = Topology("app", {"processing_guarantee": "at_least_once"})
    t.add_node(Node("src", "kafka_source", {"topic": "in"}, (0.0, 0.0)))
    t.add_node(Node("f", "filter", {"expr": "True"}))
    t.add_node(Node("out", "console_sink"))
    t.connect("src", "f")
    t.connect("f", "out")
    return t


@pytest.fixture
def rec(topo):
    return Recorder(topo)


def test_add_node_emits_node_added_after_the_change(topo, rec):
    node = topo.add_node(Node("m", "merge"))
    assert rec.log == [("node_added", node)]
    assert ("present at node_added", True) in rec.seen_state
    assert topo.node("m") is node


def test_remove_node_removes_its_edges_first(topo, rec):
    removed = topo.remove_node("f")
    assert removed.id == "f"
    assert rec.log == [
        ("edge_removed", Edge("src", "f")),
        ("edge_removed", Edge("f", "out")),
        ("node_removed", removed),
    ]
    assert rec.seen_state == [("edges at node_removed", [], False)]
    assert topo.edges == [] and "f" not in topo.nodes


def test_remove_node_keeps_other_edges(topo, rec):
    topo.add_node(Node("m", "merge"))
    topo.connect("src", "m")
    topo.remove_node("out")
    assert topo.edges == [Edge("src", "f"), Edge("src", "m")]
    assert rec.names()[-2:] == ["edge_removed", "node_removed"]


def test_rename_node_updates_edges_and_keeps_order(topo, rec):
    node = topo.node("f")
    topo.rename_node("f", "paid")
    assert rec.log == [("node_renamed", "f", "paid")]
    assert list(topo.nodes) == ["src", "paid", "out"]
    assert topo.node("paid") is node and node.id == "paid"
    assert topo.edges == [Edge("src", "paid"), Edge("paid", "out")]
    assert topo.incoming("paid") == [Edge("src", "paid")] and topo.outgoing("paid") == [
        Edge("paid", "out")
    ]


def test_rename_keeps_ports(topo):
    topo.add_node(Node("b", "branch"))
    topo.add_node(Node("j", "join"))
    topo.connect("b", "j", "big", "right")
    topo.rename_node("b", "split")
    assert Edge("split", "j", "big", "right") in topo.edges


def test_rename_to_the_same_id_does_nothing(topo, rec):
    topo.rename_node("f", "f")
    assert rec.log == []


@pytest.mark.parametrize("new", ["out", "1abc", "a b", "", "a\n", "x" * 65, 5, None])
def test_rename_to_a_taken_or_invalid_id_raises_and_changes_nothing(topo, rec, new):
    with pytest.raises(ModelError):
        topo.rename_node("f", new)
    assert list(topo.nodes) == ["src", "f", "out"] and rec.log == []
    assert topo.node("f").id == "f"


def test_rename_missing_node_raises(topo):
    with pytest.raises(ModelError, match="there is no node 'ghost'"):
        topo.rename_node("ghost", "g")


def test_move_node(topo, rec):
    topo.move_node("f", (10, 20.5))
    assert rec.log == [("node_moved", "f", (10.0, 20.5))]
    assert topo.node("f").position == (10.0, 20.5)


def test_set_params_copies_and_emits(topo, rec):
    params = {"expr": "value > 1", "nested": {"a": [1]}}
    topo.set_params("f", params)
    params["nested"]["a"].append(2)
    assert topo.node("f").params == {"expr": "value > 1", "nested": {"a": [1]}}
    assert rec.log == [("params_changed", "f")]


def test_set_param_sets_and_none_removes(topo, rec):
    before = topo.node("src").params
    topo.set_param("src", "start", "latest")
    assert topo.node("src").params == {"topic": "in", "start": "latest"}
    assert before == {"topic": "in"}  # the old dict was not edited in place
    topo.set_param("src", "start", None)
    assert topo.node("src").params == {"topic": "in"}
    assert rec.log == [("params_changed", "src"), ("params_changed", "src")]


def test_add_and_remove_edge(topo, rec):
    topo.add_node(Node("m", "merge"))
    edge = topo.add_edge(Edge("src", "m"))
    topo.remove_edge(edge)
    assert rec.names() == ["node_added", "edge_added", "edge_removed"]
    assert rec.log[1] == ("edge_added", Edge("src", "m")) and rec.log[2] == ("edge_removed", edge)


def test_connect_emits_edge_added_with_ports(topo, rec):
    topo.add_node(Node("j", "join"))
    edge = topo.connect("f", "j", target_port="left")
    assert edge == Edge("f", "j", "out", "left")
    assert rec.log == [("node_added", topo.node("j")), ("edge_added", edge)]


def test_set_name_and_settings(topo, rec):
    settings = {"processing_guarantee": "exactly_once"}
    topo.set_name("other")
    topo.set_settings(settings)
    settings["x"] = 1
    assert rec.log == [("name_changed", "other"), ("settings_changed",)]
    assert topo.name == "other" and topo.settings == {"processing_guarantee": "exactly_once"}


# -- what keeps it a graph ----------------------------------------------------------


def test_duplicate_id_raises(topo, rec):
    with pytest.raises(ModelError, match="a node named 'f' already exists"):
        topo.add_node(Node("f", "map"))
    assert topo.node("f").type == "filter" and rec.log == []


@pytest.mark.parametrize(
    "node_id", ["", "1st", "has space", "a.b", "é", "a\n", "x" * 65, 5, None, ("a",)]
)
def test_invalid_id_raises(node_id):
    with pytest.raises(ModelError, match="is not a valid node id"):
        Topology().add_node(Node(node_id, "merge"))  # type: ignore[arg-type]


@pytest.mark.parametrize("node_id", ["a", "_a", "A-1_b", "x" * 64])
def test_valid_ids(node_id):
    Topology().add_node(Node(node_id, "merge"))


@pytest.mark.parametrize("edge", [Edge("src", "ghost"), Edge("ghost", "f"), Edge("x", "y")])
def test_edge_to_missing_node_raises(topo, rec, edge):
    with pytest.raises(ModelError, match="there is no node"):
        topo.add_edge(edge)
    assert len(topo.edges) == 2 and rec.log == []


def test_duplicate_edge_raises(topo):
    with pytest.raises(ModelError, match="already connected"):
        topo.connect("src", "f")


def test_same_nodes_on_other_ports_is_another_edge(topo):
    topo.add_node(Node("j", "join"))
    topo.connect("f", "j", target_port="left")
    topo.connect("f", "j", target_port="right")
    assert len(topo.incoming("j")) == 2


@pytest.mark.parametrize(
    "call",
    [
        lambda t: t.remove_node("ghost"),
        lambda t: t.move_node("ghost", (0, 0)),
        lambda t: t.set_params("ghost", {}),
        lambda t: t.set_param("ghost", "a", 1),
        lambda t: t.remove_edge(Edge("src", "out")),
        lambda t: t.node("ghost"),
    ],
)
def test_missing_things_raise_model_error(topo, rec, call):
    with pytest.raises(ModelError):
        call(topo)
    assert rec.log == []


def test_model_error_is_a_value_error():
    assert issubclass(ModelError, ValueError)


# -- queries ------------------------------------------------------------------------


def test_equivalent_ignores_positions_and_order(topo):
    other = Topology("app", {"processing_guarantee": "at_least_once"})
    other.add_node(Node("out", "console_sink", position=(5, 5)))
    other.add_node(Node("f", "filter", {"expr": "True"}, (100, 100)))
    other.add_node(Node("src", "kafka_source", {"topic": "in"}))
    other.connect("f", "out")
    other.connect("src", "f")
    assert topo.equivalent(other) and other.equivalent(topo)


@pytest.mark.parametrize(
    "change",
    [
        lambda t: t.set_name("other"),
        lambda t: t.set_settings({}),
        lambda t: t.set_param("f", "expr", "False"),
        lambda t: t.rename_node("out", "sink"),
        lambda t: t.remove_edge(Edge("f", "out")),
        lambda t: t.add_node(Node("m", "merge")),
    ],
)
def test_equivalent_sees_everything_but_positions(topo, change):
    other = topo.copy()
    assert topo.equivalent(other)
    change(other)
    assert not topo.equivalent(other)


def test_node_type_matters_for_equivalence(topo):
    other = topo.copy()
    other.nodes["f"].type = "map"
    assert not topo.equivalent(other)


def test_copy_is_deep_and_silent(topo, rec):
    other = topo.copy()
    other.set_param("f", "expr", "False")
    other.move_node("src", (9, 9))
    other.connect("src", "out")
    other.settings["x"] = 1
    assert topo.node("f").params == {"expr": "True"} and topo.node("src").position == (0.0, 0.0)
    assert len(topo.edges) == 2 and "x" not in topo.settings
    assert rec.log == []


def test_unique_id():
    t = Topology()
    assert t.unique_id("filter") == "filter"
    t.add_node(Node("filter", "filter"))
    assert t.unique_id("filter") == "filter_2"
    t.add_node(Node("filter_2", "filter"))
    assert t.unique_id("filter") == "filter_3"
    assert t.unique_id("my node!") == "my_node_"
    assert t.unique_id("") == "node"
    assert t.unique_id("2x") == "n_2x"
    for base in ("x" * 100, "é" * 80, "9" * 70):
        node_id = t.unique_id(base)
        t.add_node(Node(node_id, "merge"))
        t.add_node(Node(t.unique_id(base), "merge"))


# -- events -------------------------------------------------------------------------


def test_event_calls_handlers_in_connect_order_and_disconnects():
    event, calls = Event(), []
    first = lambda *a: calls.append(("first", a))
    event.connect(first)
    event.connect(lambda *a: calls.append(("second", a)))
    event.emit(1, "x")
    event.disconnect(first)
    event.disconnect(first)  # twice is harmless
    event.emit(2)
    assert calls == [("first", (1, "x")), ("second", (1, "x")), ("second", (2,))]


def test_handler_may_disconnect_itself_while_emitting():
    event, calls = Event(), []

    def once(*a):
        calls.append("once")
        event.disconnect(once)

    event.connect(once)
    event.connect(lambda: calls.append("other"))
    event.emit()
    event.emit()
    assert calls == ["once", "other", "other"]
