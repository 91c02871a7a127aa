"""Render a test run of the demo: docs/screenshot-testrun.png (a node's records in and out
side by side, changed fields highlighted) and docs/screenshot-follow.png (one record
followed through the graph, its path on the canvas).

    QT_QPA_PLATFORM=offscreen python scripts/screenshot_testrun.py [--records 2000]

No broker: the samples come from the demo's generators. Window settings go to a
temporary folder.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from scripts.shot import demo_window, wait


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=2000, help="generated records per source")
    parser.add_argument("--size", default="1800x1100")
    parser.add_argument("--side", default=str(ROOT / "docs" / "screenshot-testrun.png"))
    parser.add_argument("--follow", default=str(ROOT / "docs" / "screenshot-follow.png"))
    parser.add_argument("--side-node", default="items", help="node shown side by side")
    parser.add_argument("--follow-node", default="order_size", help="node whose record is followed")
    parser.add_argument("--follow-row", type=int, default=3)
    args = parser.parse_args(argv)

    from PySide6.QtWidgets import QApplication

    app, window = demo_window(args.size)
    height = int(args.size.split("x")[1])
    window.show()
    for _ in range(5):
        app.processEvents()
    test = window.test_run
    test.widget.count.setValue(args.records)
    window.select_node(args.side_node)
    test.action.trigger()
    wait(app, lambda: test.widget.trace is not None, 60)
    # the test run across the bottom: the charts and dashboards have nothing to show here
    window.throughput_dock.hide()
    window.lag_dock.hide()
    window.cluster_dock.hide()
    if window.central.toggle_action.isChecked():
        window.central.toggle_action.trigger()
    window.resizeDocks([test.dock], [int(height * 0.5)], _vertical())
    _settle(app)
    window.view.fit()
    side = test.widget.side_by_side
    side.table.selectRow(1)
    _settle(app)
    _save(window, args.side)

    window.select_node(args.follow_node)
    _settle(app)
    rows = side.model.rows
    chosen = next((i for i, r in enumerate(rows) if r.port == "large"), args.follow_row)
    side.table.selectRow(chosen)
    _settle(app)
    marked = [
        item
        for item in window.scene.node_items()
        if getattr(item, "path_mark", None) is not None and item.path_mark.isVisible()
    ]
    if marked:  # the canvas on the followed record's path
        rect = marked[0].sceneBoundingRect()
        for item in marked[1:]:
            rect = rect.united(item.sceneBoundingRect())
        window.view.fit(rect)
    _settle(app)
    _save(window, args.follow)
    window.document.undo_stack.setClean()
    window.close()
    QApplication.processEvents()
    return 0


def _vertical():
    from PySide6.QtCore import Qt

    return Qt.Orientation.Vertical


def _save(window, path: str) -> None:
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    window.grab().save(str(out))
    print(f"wrote {out}")


def _settle(app, seconds: float = 0.5) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.02)


if __name__ == "__main__":
    sys.exit(main())
