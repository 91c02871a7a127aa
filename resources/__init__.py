"""Files the app and the engine ship with: demo topologies, icons, the stylesheet."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent
DEMO_TOPOLOGY = ROOT / "demo" / "ecommerce.topology.json"


def path(*parts: str) -> Path:
    return ROOT.joinpath(*parts)
