"""Render the Alerts panel with a firing alert to docs/screenshot-alerts.png.

    QT_QPA_PLATFORM=offscreen python scripts/screenshot_alerts.py [--seconds 30]

Runs the demo on the app's sandbox broker with the default rules and two more: the
clicks generator quiet (it is, until the run's consumer has joined its group: that
alert fires and resolves) and orders below 45/s (the generator writes 40/s: it fires
and stays). With nothing selected, the inspector shows the rules. Window settings go
to a temporary folder.
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

RULES = [
    {"name": "clicks slow", "when": "rate_below", "node": "clicks", "below": 60, "for": "1s"},
    {
        "name": "orders below target",
        "when": "rate_below",
        "node": "orders",
        "below": 45,
        "for": "5s",
    },
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", default=str(ROOT / "docs" / "screenshot-alerts.png"))
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--size", default="1800x1000")
    args = parser.parse_args(argv)

    from engine.model.alerts import default_rules

    app, window = demo_window(args.size)
    window.document.set_setting("alerts", default_rules() + RULES)
    window.start_sandbox_broker()
    window.show()
    wait(app, lambda: window.monitor.controller.bootstrap() is not None, 15)
    window.act_run.trigger()
    wait(app, lambda: window.monitor.status()[0] == "running", 30)
    wait(app, lambda: False, args.seconds)
    window.scene.clearSelection()
    window.inspector.show_nodes([])
    window.view.fit()
    window.alerts.dock.raise_()
    window.inspector.ensureWidgetVisible(window.inspector.fields["alerts"], 0, 0)
    wait(app, lambda: False, 1.0)
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    window.grab().save(str(out))
    print(
        f"wrote {out}; {window.alerts.widget.model.rowCount()} transitions, "
        f"{window.alerts.widget.firing_count()} firing"
    )
    window.document.undo_stack.setClean()
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
