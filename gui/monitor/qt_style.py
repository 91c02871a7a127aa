"""Chart colours and pyqtgraph defaults, from the palette in use (gui/style/theme.py):
``BACKGROUND``, ``FOREGROUND`` and ``AXIS`` are rebound by :func:`use_theme` when it changes."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtGui import QColor, QFont

from engine.model.status import RunStatus
from gui.style import theme

BACKGROUND = "#171a20"
FOREGROUND = "#9aa3b2"
AXIS = "#3a404c"
GRID_ALPHA = 0.18
# Chart lines, distinct on the chart's background, in an order where neighbours differ in
# hue and lightness: the dark palette's (at least 5:1 on its background) and the light
# one's (at least 4:1 on white; the dark set is 1.6-3:1 there).
LINE_COLOURS = (
    "#4e9af1",
    "#f2b544",
    "#57c28a",
    "#e86a6a",
    "#b58af0",
    "#3cc7c7",
    "#f08ac0",
    "#c8d46b",
    "#f39153",
    "#8fa6c4",
    "#6fdc9f",
    "#d9a3ff",
)
LIGHT_LINE_COLOURS = (
    "#2f6fb8",
    "#b26b00",
    "#23834f",
    "#c33b3b",
    "#7a3fc4",
    "#0f7f86",
    "#b8407f",
    "#707d12",
    "#c25a1c",
    "#52667f",
    "#3d8f2a",
    "#8a5a2b",
)
STATUS_COLOURS = {"OK": "#57c28a", "WARN": "#e3a33b", "STALL": "#e05d5d"}
RUN_STATUS_COLOURS = {
    RunStatus.IDLE: "#6c7483",
    RunStatus.STARTING: "#7fb3f0",
    RunStatus.RUNNING: "#57c28a",
    RunStatus.DISCONNECTED: "#e3a33b",
    RunStatus.STOPPING: "#7fb3f0",
    RunStatus.STOPPED: "#8b93a3",
    RunStatus.FAILED: "#e05d5d",
    "attached": "#3cc7c7",
}

_configured = False


def use_theme() -> None:
    """Take the chart colours from the palette in use (for charts made from now on; the
    theme's apply() restyles the ones already shown)."""
    global BACKGROUND, FOREGROUND, AXIS
    BACKGROUND = theme.current.hex("chart_bg")
    FOREGROUND = theme.current.hex("chart_fg")
    AXIS = theme.current.hex("scroll")
    pg.setConfigOptions(background=BACKGROUND, foreground=FOREGROUND)


def configure() -> None:
    global _configured
    if not _configured:
        pg.setConfigOptions(antialias=False)
        use_theme()
        _configured = True


def colour(index: int) -> QColor:
    """The ``index``-th chart line's colour in the palette in use."""
    colours = LINE_COLOURS if theme.current.is_dark else LIGHT_LINE_COLOURS
    return QColor(colours[index % len(colours)])


def axis_font() -> QFont:
    font = QFont()
    font.setPointSizeF(8.5)
    return font
