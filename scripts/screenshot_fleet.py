"""Render the app attached to two headless instances of the demo (docs/screenshot-attached.png).

    QT_QPA_PLATFORM=offscreen python scripts/screenshot_fleet.py [-o PNG] [--seconds 14]

Starts the app's sandbox broker, runs the demo topology twice with ``topology-studio run``
(two instances in one consumer group), attaches the window to them and grabs it: live
rates summed over both on the canvas, the Instances panel with the partitions each holds,
the group's lag. The instances are stopped afterwards.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from scripts.shot import demo_window, wait

DEMO = ROOT / "resources" / "demo" / "ecommerce.topology.json"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", default=str(ROOT / "docs" / "screenshot-attached.png"))
    parser.add_argument("--seconds", type=float, default=14.0)
    parser.add_argument("--size", default="1800x1000")
    args = parser.parse_args(argv)

    from PySide6.QtWidgets import QApplication

    app, window = demo_window(args.size)
    width, height = (int(v) for v in args.size.split("x"))
    window.start_sandbox_broker()
    window.show()
    controller = window.monitor.controller
    wait(app, lambda: controller.bootstrap() is not None, 20)
    bootstrap = controller.bootstrap()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "KAFKA_BOOTSTRAP_SERVERS": ""}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "gui.launcher", "run", str(DEMO), "--bootstrap", bootstrap],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(2)
    ]
    try:
        wait(app, lambda: False, 6)
        window.fleet.attach(window.document.topology.name)
        wait(app, lambda: False, args.seconds)
        # The canvas is the point here: the dashboards under it are hidden, the panel widened.
        window.central.set_dashboard_visible(False)
        from PySide6.QtCore import Qt

        for dock in (window.fleet.dock, window.throughput_dock, window.lag_dock):
            dock.raise_()
        window.resizeDocks(
            [window.validation_dock, window.throughput_dock, window.lag_dock],
            [720, 440, 640],
            Qt.Orientation.Horizontal,
        )
        window.resizeDocks([window.validation_dock], [300], Qt.Orientation.Vertical)
        wait(app, lambda: False, 0.3)
        window.view.fit()
        wait(app, lambda: False, 1.5)
        out = Path(args.output)
        out.parent.mkdir(parents=True, exist_ok=True)
        window.grab().save(str(out))
        print(f"wrote {out} ({width}x{height}); instances: {window.fleet.instances.rows()}")
    finally:
        window.fleet.detach()
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(30)
    window.document.undo_stack.setClean()
    window.close()
    QApplication.processEvents()
    return 0


if __name__ == "__main__":
    sys.exit(main())
