"""Render the main window with the demo topology to a PNG (docs/screenshot.png).

    QT_QPA_PLATFORM=offscreen python scripts/screenshot.py [-o docs/screenshot.png] [--select NODE]

Runs offscreen by default; ``widget.grab()`` renders the same pixels as on a screen.
Window settings go to a temporary folder, so your own layout is untouched.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


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
    parser.add_argument("-o", "--output", default=str(ROOT / "docs" / "screenshot.png"))
    parser.add_argument("--select", default="order_size", help="node to show in the inspector ('' for none)")
    parser.add_argument("--size", default="1600x960")
    parser.add_argument("--no-broker", action="store_true", help="do not start the sandbox broker")
    parser.add_argument("--scenario", choices=("demo", "typo"), default="demo",
                        help="typo: break an expression of the revenue aggregate, to show problems")
    args = parser.parse_args(argv)

    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from gui.app import make_application
    from gui.main_window import MainWindow

    tmp = tempfile.mkdtemp(prefix="topology-studio-shot-")
    app = make_application()
    settings = QSettings(str(Path(tmp) / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings=settings, recovery_dir=Path(tmp) / "recovery")
    width, height = (int(v) for v in args.size.split("x"))
    window.resize(width, height)
    window.document.new_from_demo()
    if args.scenario == "typo":
        _add_typo(window.document)
    broker = None
    if not args.no_broker:
        from engine.broker import BrokerError, SandboxBroker
        try:
            broker = SandboxBroker().start()
            window.set_broker_status(f"Sandbox broker {broker.bootstrap}", True)
        except BrokerError as exc:
            window.set_broker_status(f"Sandbox broker unavailable: {exc}", False)
    window.show()
    for _ in range(5):
        app.processEvents()
    window.view.fit()
    if args.select:
        window.select_node(args.select)
    for _ in range(5):
        app.processEvents()
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    window.grab().save(str(out))
    print(f"wrote {out} ({width}x{height})")
    window.document.undo_stack.setClean()
    window.close()
    if broker is not None:
        broker.stop()
    QApplication.processEvents()
    return 0


if __name__ == "__main__":
    sys.exit(main())
