"""The app's colours in one place: the canvas, node categories, ports, edges and problems.

The stylesheet (resources/style.qss) styles widgets; these colours are for what the
canvas paints itself. Keep the two in the same dark palette.
"""

from __future__ import annotations

from PySide6.QtGui import QColor

CANVAS_BG = QColor("#181a1f")
GRID_MINOR = QColor("#1f2228")
GRID_MAJOR = QColor("#262a32")

NODE_BODY = QColor("#262a33")
NODE_BODY_TEXT = QColor("#c9ced8")
NODE_MUTED_TEXT = QColor("#8b93a3")
NODE_BORDER = QColor("#3a404c")
NODE_SELECTED = QColor("#f4f6fa")
NODE_TITLE_TEXT = QColor("#ffffff")

PORT_FILL = QColor("#aab3c2")
PORT_CONNECTED = QColor("#e6ebf2")
PORT_HOVER = QColor("#7fc8f8")
PORT_LABEL = QColor("#aeb6c4")

EDGE = QColor("#7f889a")
EDGE_SELECTED = QColor("#f4f6fa")
EDGE_INVALID = QColor("#e05d5d")
PREVIEW_OK = QColor("#57c28a")
PREVIEW_REFUSED = QColor("#e05d5d")

ERROR = QColor("#e05d5d")
WARNING = QColor("#e3a33b")
OK = QColor("#57c28a")

CATEGORY_COLOURS = {
    "Sources": QColor("#2b9a6c"),
    "Transforms": QColor("#3a7cc4"),
    "Aggregates": QColor("#c7782b"),
    "Joins": QColor("#8a5ccc"),
    "Sinks": QColor("#c0466a"),
}
UNKNOWN_CATEGORY = QColor("#6b7280")


def category_colour(category: str | None) -> QColor:
    return CATEGORY_COLOURS.get(category or "", UNKNOWN_CATEGORY)
