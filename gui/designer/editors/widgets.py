"""Small pieces the param editors share: the monospace font, the style flags the style
sheet selects on (``invalid``), and the layouts of an editor's row and of a list's rows."""

from __future__ import annotations

from PySide6.QtGui import (
    QFont,
    QFontDatabase,
)
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QWidget,
)

DURATION_PRESETS = ("100ms", "500ms", "1s", "5s", "10s", "30s", "1m", "5m", "15m", "1h", "1d")


def mono_font() -> QFont:
    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    font.setPointSizeF(9.0)
    return font


def set_style_flag(widget: QWidget, name: str, on: bool) -> None:
    """Set the boolean property ``name`` the style sheet selects on (``[name="true"]``)."""
    if widget.property(name) != on:
        widget.setProperty(name, on)
        widget.style().unpolish(widget)
        widget.style().polish(widget)


def set_invalid(widget: QWidget, invalid: bool) -> None:
    set_style_flag(widget, "invalid", invalid)


def hbox(parent, *widgets, margins=0) -> QHBoxLayout:
    layout = QHBoxLayout(parent)
    layout.setContentsMargins(margins, margins, margins, margins)
    layout.setSpacing(6)
    for w in widgets:
        layout.addWidget(w)
    return layout


def list_row_layout(row: QFrame) -> QGridLayout:
    """The grid of one row of a list editor, styled as such (``#listRow`` in the stylesheet)."""
    row.setObjectName("listRow")
    grid = QGridLayout(row)
    grid.setContentsMargins(6, 6, 6, 6)
    grid.setHorizontalSpacing(6)
    grid.setVerticalSpacing(4)
    return grid
