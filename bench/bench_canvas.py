"""Canvas benchmark: 500 nodes and 600 edges; build, pan, zoom and drag, in ms per frame.

    QT_QPA_PLATFORM=offscreen python bench/bench_canvas.py [--nodes 500 --edges 600]

Each frame is painted synchronously (``viewport().repaint()``), so the figures include
painting, not only the scene updates. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def big_topology(n_nodes: int, n_edges: int, seed: int = 1):
    from engine.model.catalogue import NODE_TYPES
    from engine.model.topology import Edge, Node, Topology

    rng = random.Random(seed)
    t = Topology("bench")
    kinds = ["filter", "map", "rekey", "merge", "aggregate", "join", "branch", "set_fields"]
    names = []
    for i in range(n_nodes):
        kind = "generator_source" if i < n_nodes // 20 else rng.choice(kinds)
        node = Node(f"n{i}", kind, NODE_TYPES[kind].defaults())
        t.add_node(node)
        names.append(node.id)
    free_inputs = {nid: list(NODE_TYPES[t.nodes[nid].type].inputs) for nid in names}
    added = 0
    tries = 0
    while added < n_edges and tries < n_edges * 50:
        tries += 1
        a, b = sorted(rng.sample(range(n_nodes), 2))
        src, dst = names[a], names[b]
        outs = NODE_TYPES[t.nodes[src].type].output_ports(t.nodes[src].params)
        spec = NODE_TYPES[t.nodes[dst].type]
        if not outs or not spec.inputs:
            continue
        port = (
            spec.inputs[0]
            if spec.many_inputs
            else (free_inputs[dst].pop() if free_inputs[dst] else None)
        )
        if port is None:
            continue
        edge = Edge(src, dst, rng.choice(outs), port)
        if edge not in t.edges:
            t.add_edge(edge)
            added += 1
    return t


def frames(app, view, step, count: int, full: bool = True) -> list[float]:
    """Time ``count`` frames; ``full`` repaints the whole viewport, else only what Qt marked dirty."""
    times = []
    for i in range(count):
        start = time.perf_counter()
        step(i)
        if full:
            view.viewport().repaint()
        app.processEvents()
        times.append((time.perf_counter() - start) * 1000)
    return times


def report(name: str, times: list[float]) -> None:
    times = sorted(times)
    p95 = times[int(len(times) * 0.95) - 1]
    print(
        f"{name:<50} median {statistics.median(times):6.1f} ms   p95 {p95:6.1f} ms   "
        f"≈{1000 / statistics.median(times):5.0f} fps"
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--nodes", type=int, default=500)
    parser.add_argument("--edges", type=int, default=600)
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--size", default="1600x1000")
    args = parser.parse_args(argv)

    from PySide6.QtCore import QEvent, QPointF, QSettings, Qt
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    from gui.app.application import make_application
    from gui.app.main_window import MainWindow
    from gui.document.document import TopologyDocument

    app = make_application()
    tmp = Path(tempfile.mkdtemp(prefix="topology-bench-"))
    topology = big_topology(args.nodes, args.edges)
    print(
        f"Topology: {len(topology.nodes)} nodes, {len(topology.edges)} edges; "
        f"Qt platform {QApplication.platformName()}, viewport {args.size}"
    )

    t0 = time.perf_counter()
    document = TopologyDocument()
    document.set_topology(topology)  # lays it out: no positions yet
    t1 = time.perf_counter()
    window = MainWindow(
        document, QSettings(str(tmp / "s.ini"), QSettings.Format.IniFormat), tmp / "r"
    )
    w, h = (int(v) for v in args.size.split("x"))
    window.resize(w, h)
    window.show()
    app.processEvents()
    t2 = time.perf_counter()
    print(f"{'auto-layout + validation':<50} {1000 * (t1 - t0):8.1f} ms")
    print(f"{'build scene + window':<50} {1000 * (t2 - t1):8.1f} ms")
    view, scene = window.view, window.scene

    view.fit()
    report("repaint, whole graph in view", frames(app, view, lambda i: None, 20))
    report(
        "pan, whole graph in view",
        frames(app, view, lambda i: view.pan_by(7 if i % 20 < 10 else -7, 3), args.frames),
    )
    report(
        "zoom in/out at cursor, whole graph",
        frames(
            app,
            view,
            lambda i: view.zoom_by(0.5 if i % 20 < 10 else -0.5, QPointF(w / 3, h / 3)),
            args.frames,
        ),
    )

    view.set_zoom(1.0)
    view.centerOn(scene.nodes_rect().center())
    report(
        "pan at 100%",
        frames(app, view, lambda i: view.pan_by(12 if i % 20 < 10 else -12, 6), args.frames),
    )
    report(
        "zoom at cursor around 100%",
        frames(
            app,
            view,
            lambda i: view.zoom_by(0.25 if i % 20 < 10 else -0.25, QPointF(w / 2, h / 2)),
            args.frames,
        ),
    )

    # Drag one well-connected node with the mouse, as a user would.
    degree = {}
    for e in topology.edges:
        degree[e.source] = degree.get(e.source, 0) + 1
        degree[e.target] = degree.get(e.target, 0) + 1
    busiest = max(degree, key=degree.get)
    view.centerOn(scene.node_item(busiest).sceneBoundingRect().center())
    app.processEvents()
    vp = view.viewport()

    def mouse(kind, scene_pos, buttons):
        local = QPointF(view.mapFromScene(scene_pos))
        button = (
            Qt.MouseButton.LeftButton if kind != QEvent.Type.MouseMove else Qt.MouseButton.NoButton
        )
        QApplication.sendEvent(
            vp,
            QMouseEvent(
                kind,
                local,
                QPointF(vp.mapToGlobal(local)),
                button,
                buttons,
                Qt.KeyboardModifier.NoModifier,
            ),
        )

    for label, selection in (
        (f"drag 1 node ({degree[busiest]} edges)", [busiest]),
        ("drag 50 selected nodes", None),
    ):
        item = scene.node_item(busiest)
        if selection is None:
            ids = [busiest] + [n for n in list(topology.nodes)[:200] if n != busiest][:49]
            scene.select_nodes(ids)
        else:
            scene.select_nodes(selection)
        grab = item.scenePos() + QPointF(60, 10)
        mouse(QEvent.Type.MouseButtonPress, grab, Qt.MouseButton.LeftButton)

        def step(i, grab=grab):
            offset = QPointF((i % 20) * 4.0, (i % 10) * 3.0)
            mouse(QEvent.Type.MouseMove, grab + offset, Qt.MouseButton.LeftButton)

        report(label + ", full repaint", frames(app, view, step, args.frames))
        report(label + ", dirty region", frames(app, view, step, args.frames, full=False))
        mouse(QEvent.Type.MouseButtonRelease, grab, Qt.MouseButton.NoButton)

    t3 = time.perf_counter()
    document.auto_layout()
    app.processEvents()
    print(f"{'auto-layout on demand (undoable)':<50} {1000 * (time.perf_counter() - t3):8.1f} ms")
    t4 = time.perf_counter()
    document.revalidate()
    print(f"{'validate + mark problems':<50} {1000 * (time.perf_counter() - t4):8.1f} ms")
    document.undo_stack.setClean()
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
