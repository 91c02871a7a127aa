"""A node's ports and the connection rules (engine/model/ports.py): the ones validation
applies to a whole topology and the canvas to one wire, so both say the same."""

from __future__ import annotations

from engine.model.ports import (
    connection_problem,
    direction_problem,
    input_ports,
    node_ports,
    output_ports,
)
from engine.model.topology import Edge, Node, Topology
from engine.model.validation import validate

BRANCHES = {"branches": [{"name": "big", "expr": "value['n'] > 9"}]}


def _topology() -> Topology:
    t = Topology("t")
    t.add_node(Node("orders", "kafka_source", {"topic": "orders"}))
    t.add_node(Node("clicks", "kafka_source", {"topic": "clicks"}))
    t.add_node(Node("paid", "filter", {"expr": "True"}))
    t.add_node(Node("split", "branch", BRANCHES))
    t.add_node(Node("out", "kafka_sink", {"topic": "out"}))
    t.connect("orders", "paid")
    t.connect("paid", "split")
    t.connect("split", "out", "big")
    return t


def test_ports_come_from_the_type_and_a_branch_s_params():
    t = _topology()
    assert node_ports(t.node("orders")) == ((), ("out",))
    assert node_ports(t.node("paid")) == (("in",), ("out",))
    assert node_ports(t.node("out")) == (("in",), ())
    assert output_ports(t.node("split")) == ("big", "else")
    assert output_ports(Node("b", "branch", {"branches": "not a list"})) == ("else",)
    assert input_ports(Node("j", "join")) == ("left", "right")


def test_a_node_of_an_unknown_type_has_no_ports():
    assert node_ports(Node("odd", "no_such_type")) == ((), ())
    assert node_ports(Node("odd", 42)) == ((), ())


def test_connection_rules_explain_refusals():
    t = _topology()
    assert connection_problem(t, Edge("paid", "paid")) == "a node cannot feed itself"
    assert connection_problem(t, Edge("paid", "ghost")) == "both ends must be nodes"
    assert "cycle" in connection_problem(t, Edge("split", "paid", "else"))
    assert "already taken by 'orders'" in connection_problem(t, Edge("clicks", "paid"))
    assert connection_problem(t, Edge("split", "out", "nope")) == (
        "'split' has no output port 'nope' (ports: big, else)"
    )
    assert connection_problem(t, Edge("paid", "orders")) == (
        "'orders' is a source and takes no input, but an edge leads to it from 'paid'"
    )
    assert "already connected" in connection_problem(t, Edge("orders", "paid"))
    assert connection_problem(t, Edge("split", "out", "else")) is not None  # sink's input taken
    t.add_node(Node("m", "merge"))
    t.connect("paid", "m")
    assert connection_problem(t, Edge("clicks", "m")) is None  # merge takes many inputs
    assert direction_problem(True, True) and direction_problem(False, False)
    assert direction_problem(True, False) is None


def test_validation_says_what_the_canvas_says_of_a_bad_port():
    t = _topology()
    t.edges.append(Edge("split", "out", "small"))
    refused = connection_problem(_topology(), Edge("split", "out", "small"))
    reported = [p.message for p in validate(t) if p.node_id == "split"]
    assert refused == "'split' " + reported[0]
