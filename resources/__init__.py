"""Files the app and the engine ship with: demo topologies, icons, the stylesheet."""

import sys
from pathlib import Path

if getattr(sys, "frozen", False) and hasattr(sys, "_MEIPASS"):
    # The packaged app (packaging/topology-studio.spec) unpacks these under resources/.
    ROOT = Path(sys._MEIPASS) / "resources"
else:
    ROOT = Path(__file__).resolve().parent
DEMO_TOPOLOGY = ROOT / "demo" / "ecommerce.topology.json"


def path(*parts: str) -> Path:
    return ROOT.joinpath(*parts)
