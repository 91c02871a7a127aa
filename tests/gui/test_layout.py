"""The app's house rules (issue 22): no import cycle among gui modules nor among its
packages, and no module over 700 lines. Which gui modules stay Qt-free is import-linter's
contract in pyproject.toml (``lint-imports``)."""

from __future__ import annotations

from pathlib import Path

import grimp
import networkx as nx

GUI = Path(__file__).resolve().parents[2] / "gui"
MAX_MODULE_LINES = 700  # lines as ruff format writes them


def _imports() -> nx.DiGraph:
    # An import under TYPE_CHECKING names a type for annotations and runs nothing: a gesture
    # (gui.canvas.interactions) is typed by the scene that starts it without importing it.
    graph = grimp.build_graph("gui", exclude_type_checking_imports=True)
    imports = nx.DiGraph()
    for module in graph.modules:
        for imported in graph.find_modules_directly_imported_by(module):
            if imported.startswith("gui."):
                imports.add_edge(module, imported)
    return imports


def _said(cycles: list[list[str]]) -> str:
    return "; ".join(" -> ".join(c + c[:1]) for c in cycles[:5])


def test_no_import_cycles_among_gui_modules():
    cycles = list(nx.simple_cycles(_imports()))
    assert not cycles, "import cycles: " + _said(cycles)


def test_no_import_cycles_among_gui_packages():
    """gui.canvas must not need gui.document while gui.document needs gui.canvas, even when
    no single module closes the loop: a package is read, moved and tested as a whole."""
    packages = nx.DiGraph()
    for module, imported in _imports().edges:
        a, b = module.split(".")[1], imported.split(".")[1]
        if a != b:
            packages.add_edge(a, b)
    cycles = list(nx.simple_cycles(packages))
    assert not cycles, "import cycles between gui packages: " + _said(cycles)


def test_gui_modules_are_small():
    big = [
        f"{path.relative_to(GUI.parent).as_posix()}: {lines} lines"
        for path in sorted(GUI.rglob("*.py"))
        if (lines := path.read_text(encoding="utf-8").count("\n")) > MAX_MODULE_LINES
    ]
    assert not big, f"modules over {MAX_MODULE_LINES} lines (split by concern): {big}"
