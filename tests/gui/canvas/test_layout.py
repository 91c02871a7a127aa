"""Auto-layout (gui/canvas/layout.py): Qt-free logic of the canvas."""

import resources
from engine.model import fileformat
from engine.model.ports import node_ports
from engine.model.topology import Edge, Node, Topology
from gui.canvas.geometry import NODE_WIDTH, node_height
from gui.canvas.layout import auto_layout


def _demo() -> Topology:
    topology, problems = fileformat.read(resources.DEMO_TOPOLOGY)
    assert not problems
    return topology


def test_layout_places_every_node_left_to_right_without_overlaps():
    topology = _demo()
    positions = auto_layout(topology)
    assert set(positions) == set(topology.nodes)
    for e in topology.edges:
        assert positions[e.source][0] < positions[e.target][0]
    boxes = []
    for nid, (x, y) in positions.items():
        boxes.append((x, y, x + NODE_WIDTH, y + node_height(*node_ports(topology.node(nid))), nid))
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            overlap = a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
            assert not overlap, (a[4], b[4])


def test_layout_survives_cycles_unknown_types_and_isolated_nodes():
    t = Topology("t")
    for nid in "abc":
        t.add_node(Node(nid, "filter", {"expr": "True"}))
    t.add_node(Node("odd", "no_such_type"))
    t.connect("a", "b")
    t.connect("b", "c")
    t.connect("c", "a")
    positions = auto_layout(t)
    assert set(positions) == {"a", "b", "c", "odd"}


def test_layout_of_a_large_graph_is_quick():
    import random
    import time

    rng = random.Random(1)
    t = Topology("big")
    for i in range(500):
        t.add_node(Node(f"n{i}", "merge" if i % 7 == 0 else "filter", {"expr": "True"}))
    added = 0
    while added < 600:
        a, b = sorted(rng.sample(range(500), 2))
        if Edge(f"n{a}", f"n{b}") not in t.edges:
            t.connect(f"n{a}", f"n{b}")
            added += 1
    start = time.perf_counter()
    auto_layout(t)
    assert time.perf_counter() - start < 5
