"""Render the main window with the demo topology to a PNG (docs/screenshot.png).

    QT_QPA_PLATFORM=offscreen python scripts/screenshot.py [-o docs/screenshot.png] [--select NODE]
    QT_QPA_PLATFORM=offscreen python scripts/screenshot.py --scenario running [--seconds 10]

``running`` presses Run on the demo against the app's sandbox broker and grabs the
window after a while: live badges on the canvas, charts, the selected node's records
(docs/screenshot-running.png). Runs offscreen by default; ``widget.grab()`` renders the
same pixels as on a screen. Window settings go to a temporary folder, so your own layout
is untouched.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from scripts.shot import demo_window, wait


def _add_typo(document) -> None:
    """A typo in the revenue aggregate, to show how problems are marked."""
    import copy

    params = copy.deepcopy(document.topology.node("revenue").params)
    for agg in params.get("aggregations", []):
        if agg.get("expr"):
            agg["expr"] = agg["expr"].rstrip("]")
            break
    document.set_params("revenue", params)
    document.revalidate()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "-o",
        "--output",
        default=None,
        help="PNG to write (docs/screenshot.png, or docs/screenshot-running.png)",
    )
    parser.add_argument(
        "--select", default="order_size", help="node to show in the inspector ('' for none)"
    )
    parser.add_argument(
        "--size", default=None, help="WxH (1600x960; running: 1800x1000, room for the charts)"
    )
    parser.add_argument("--no-broker", action="store_true", help="do not start the sandbox broker")
    parser.add_argument(
        "--scenario",
        choices=("demo", "typo", "running"),
        default="demo",
        help="typo: break an expression of the revenue aggregate, to show problems; "
        "running: run the demo on the sandbox broker",
    )
    parser.add_argument(
        "--seconds", type=float, default=10.0, help="running: how long to run first"
    )
    args = parser.parse_args(argv)
    if args.size is None:
        args.size = "1800x1000" if args.scenario == "running" else "1600x960"
    if args.output is None:
        name = "screenshot-running.png" if args.scenario == "running" else "screenshot.png"
        args.output = str(ROOT / "docs" / name)

    from PySide6.QtWidgets import QApplication

    app, window = demo_window(args.size)
    width, height = (int(v) for v in args.size.split("x"))
    if args.scenario == "typo":
        _add_typo(window.document)
    if not args.no_broker:
        window.start_sandbox_broker()  # the app's one broker, as at launch
    window.show()
    for _ in range(5):
        app.processEvents()
    window.view.fit()
    if args.select:
        window.select_node(args.select)
    for _ in range(5):
        app.processEvents()
    if not args.no_broker:
        wait(app, lambda: window.monitor.controller.bootstrap() is not None, 15)
    if args.scenario == "running":
        _run_for(app, window, args.seconds)
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    window.grab().save(str(out))
    print(f"wrote {out} ({width}x{height})")
    window.document.undo_stack.setClean()
    window.close()  # stops the run and the sandbox broker
    QApplication.processEvents()
    return 0


def _run_for(app, window, seconds: float) -> None:
    """Press Run, let records flow for ``seconds``, then fit the canvas with its badges."""
    import time

    window.act_run.trigger()
    if not wait(app, lambda: window.monitor.status()[0] == "running", 30):
        print(f"the run did not start: {window.monitor.status()}", file=sys.stderr)
    wait(app, lambda: False, seconds)
    window.view.fit()
    for dock in (window.throughput_dock, window.lag_dock, window.preview_dock):
        dock.raise_()
    end = time.monotonic() + 1.0
    while time.monotonic() < end:  # let the charts and badges catch up with the last numbers
        app.processEvents()
        time.sleep(0.02)


if __name__ == "__main__":
    sys.exit(main())
