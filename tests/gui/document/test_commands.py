"""Every undo command: redo then undo returns the model to exactly where it was."""

import pytest

from engine.model.topology import Edge, ModelError
from gui.document.document import TopologyDocument


def state(t):
    return (
        t.name,
        repr(sorted(t.settings.items())),
        {nid: (n.type, repr(n.params), n.position) for nid, n in t.nodes.items()},
        sorted((e.source, e.source_port, e.target, e.target_port) for e in t.edges),
    )


@pytest.fixture
def doc(qapp):
    d = TopologyDocument()
    d.new_from_demo()
    return d


def round_trip(doc, gesture):
    before = state(doc.topology)
    was_modified = doc.modified
    count = doc.undo_stack.count()
    gesture()
    assert doc.undo_stack.count() == count + 1, "one gesture, one undo step"
    after = state(doc.topology)
    assert after != before
    assert doc.modified
    doc.undo_stack.undo()
    assert state(doc.topology) == before
    assert doc.modified == was_modified
    doc.undo_stack.redo()
    assert state(doc.topology) == after
    return after


def test_add_node(doc):
    round_trip(doc, lambda: doc.add_node("aggregate", (10, 20)))
    assert doc.topology.nodes["aggregate"].params == {
        "aggregations": [{"name": "count", "fn": "count"}]
    }


def test_a_new_generator_writes_to_a_topic_of_its_own(doc):
    used = {n.params.get("topic") for n in doc.topology.nodes.values()}
    first = doc.add_node("generator_source", (0, 0))
    second = doc.add_node("generator_source", (0, 100))
    topics = [doc.topology.nodes[n].params["topic"] for n in (first, second)]
    assert topics == [first, second] and not set(topics) & used
    doc.topology.nodes[second].params["topic"] = "generator-3"
    third = doc.add_node("generator_source", (0, 200))
    assert doc.topology.nodes[third].params["topic"] not in topics + ["generator-3"]


def test_remove_nodes_restores_their_edges(doc):
    round_trip(doc, lambda: doc.remove(["paid", "watch"]))
    assert "paid" not in doc.topology.nodes
    assert not [e for e in doc.topology.edges if "paid" in (e.source, e.target)]


def test_remove_edge_only(doc):
    round_trip(doc, lambda: doc.remove([], [Edge("orders", "paid")]))


def test_move_nodes(doc):
    moves = {
        "paid": (doc.topology.nodes["paid"].position, (500.0, 600.0)),
        "orders": (doc.topology.nodes["orders"].position, (1.0, 2.0)),
    }
    round_trip(doc, lambda: doc.move_nodes(moves))
    assert doc.topology.nodes["paid"].position == (500.0, 600.0)


def test_add_edge_and_refusal(doc):
    doc.add_node("merge", (0, 0))
    round_trip(doc, lambda: doc.connect(Edge("paid", "merge")))
    count = doc.undo_stack.count()
    assert "cycle" in doc.connect(Edge("items", "paid"))
    assert "taken" in doc.connect(Edge("clicks", "paid"))
    assert doc.undo_stack.count() == count


def test_set_params_merges_typing_into_one_step(doc):
    before = state(doc.topology)
    for text in ("v", "va", "value['x'] > 1"):
        doc.set_param("paid", "expr", text, merge_key=("expr", 0))
    assert doc.undo_stack.count() == 1
    assert doc.topology.nodes["paid"].params["expr"] == "value['x'] > 1"
    doc.set_param("paid", "expr", "True", merge_key=("expr", 1))  # a new gesture
    assert doc.undo_stack.count() == 2
    doc.undo_stack.undo()
    doc.undo_stack.undo()
    assert state(doc.topology) == before


def test_renaming_a_branch_moves_its_edges(doc):
    new = {"branches": [{"name": "big", "expr": "value['amount'] >= 250"}]}
    round_trip(doc, lambda: doc.set_params("order_size", new))
    ports = {e.source_port for e in doc.topology.outgoing("order_size")}
    assert ports == {"big"}


def test_removing_a_branch_removes_its_edges(doc):
    new = {
        "branches": [
            {"name": "small", "expr": "value['amount'] < 10"},
            {"name": "medium", "expr": "value['amount'] < 100"},
        ]
    }
    round_trip(doc, lambda: doc.set_params("order_size", new))
    assert not doc.topology.outgoing("order_size")


def test_rename_node(doc):
    round_trip(doc, lambda: doc.rename_node("paid", "paid_orders"))
    assert Edge("orders", "paid_orders") in doc.topology.edges
    with pytest.raises(ModelError):
        doc.rename_node("paid_orders", "orders")
    with pytest.raises(ModelError):
        doc.rename_node("paid_orders", "9 bad")


def test_paste_and_duplicate(doc):
    from gui.document import clipboard

    frag = clipboard.fragment(doc.topology, ["paid", "items"])
    round_trip(doc, lambda: doc.paste(frag))
    assert {"paid_2", "items_2"} <= set(doc.topology.nodes)
    assert Edge("paid_2", "items_2") in doc.topology.edges
    round_trip(doc, lambda: doc.duplicate(["by_user"]))
    assert "by_user_2" in doc.topology.nodes


def test_auto_layout(doc):
    doc.move_nodes({"paid": (doc.topology.nodes["paid"].position, (3000.0, 3000.0))})
    round_trip(doc, doc.auto_layout)


def test_settings_and_topology_name(doc):
    round_trip(doc, lambda: doc.set_setting("processing_guarantee", "exactly_once"))
    round_trip(doc, lambda: doc.set_setting("dead_letter_topic", None))
    round_trip(doc, lambda: doc.rename_topology("shop"))
    assert doc.topology.name == "shop"


def test_macro_of_add_and_connect_is_one_step(doc):
    before = state(doc.topology)
    doc.undo_stack.beginMacro("Add and connect")
    nid = doc.add_node("console_sink", (0, 0))
    doc.connect(Edge("by_user", nid))
    doc.undo_stack.endMacro()
    doc.undo_stack.undo()
    assert state(doc.topology) == before
