"""Render the main window in both themes: /tmp/theme-light.png and /tmp/theme-dark.png.

    QT_QPA_PLATFORM=offscreen python scripts/screenshot_theme.py [--size 1600x960] [--out /tmp]

Opens resources/demo/ecommerce.topology.json, selects a node, and switches View → Theme
live (Light, then Dark) in the one window, grabbing it after each switch.
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="1600x960", help="WxH")
    parser.add_argument("--out", default="/tmp", help="folder for theme-light.png, theme-dark.png")
    parser.add_argument("--select", default="order_size", help="node shown in the inspector")
    args = parser.parse_args(argv)

    app, window = demo_window(args.size)
    window.files.open_file(str(ROOT / "resources" / "demo" / "ecommerce.topology.json"))
    window.show()
    wait(app, lambda: window.isVisible(), 5)
    window.show_topology()
    item = window.scene.node_item(args.select)
    if item is not None:
        item.setSelected(True)
    for choice in ("light", "dark"):
        window.appearance.choose(choice)
        wait(app, lambda: False, 0.5)
        path = Path(args.out) / f"theme-{choice}.png"
        window.grab().save(str(path))
        print(path)
    window.document.undo_stack.setClean()
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
