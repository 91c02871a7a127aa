"""Screenshots of the running demo's dashboards: the main window with the Dashboard area
under the canvas (docs/screenshot-dashboard.png) and the dashboard opened in a window of
its own, as on a wall display (docs/screenshot-dashboard-wall.png).

    xvfb-run -a python scripts/screenshot_dashboard.py [--seconds 150] [--out-dir docs]

Presses Run on the demo against the app's sandbox broker and grabs both windows after
``--seconds`` (the demo's dashboards count per minute: run past a couple of minute
boundaries for lines and sparklines to have a shape). Window settings go to a temporary
folder, so your own layout is untouched.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.shot import demo_window, wait


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--seconds", type=float, default=150.0, help="how long to run before the screenshots"
    )
    parser.add_argument("--out-dir", default=str(ROOT / "docs"))
    parser.add_argument("--size", default="1800x1100", help="main window WxH")
    parser.add_argument("--wall-size", default="1600x900", help="detached dashboard window WxH")
    args = parser.parse_args(argv)

    from PySide6.QtWidgets import QApplication

    app, window = demo_window(args.size)
    window.start_sandbox_broker()
    window.show()
    wait(app, lambda: window.monitor.controller.bootstrap() is not None, 20)
    window.act_run.trigger()
    if not wait(app, lambda: window.monitor.status()[0] == "running", 30):
        print(f"the run did not start: {window.monitor.status()}", file=sys.stderr)
    started = time.monotonic()
    wait(app, lambda: window.dashboard.model.board.updated_at is not None, 30)
    print(f"first dashboard rows {time.monotonic() - started:.1f} s after the run started")
    wait(app, lambda: False, max(0.0, args.seconds - (time.monotonic() - started)))
    wall = window.central.open_window()
    wall.resize(*(int(v) for v in args.wall_size.split("x")))
    window.view.fit()
    wait(app, lambda: False, 1.5)  # the panels and charts catch up with the last rows
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    window.grab().save(str(out / "screenshot-dashboard.png"))
    wall.grab().save(str(out / "screenshot-dashboard-wall.png"))
    print(f"wrote {out / 'screenshot-dashboard.png'} and {out / 'screenshot-dashboard-wall.png'}")
    wall.close()
    window.document.undo_stack.setClean()
    window.close()  # stops the run and the sandbox broker
    QApplication.processEvents()
    return 0


if __name__ == "__main__":
    sys.exit(main())
