"""The app's colours in one place: two palettes (dark and light) of named colours, and the
one in use.

Every colour the app shows is named here once per palette. The stylesheet
(resources/style.qss) is a template whose ``@name@`` placeholders are these names
(:func:`stylesheet`); what the canvas, the charts and the panels paint themselves reads the
module-level names below (``theme.CANVAS_BG`` …) at paint time, which :func:`use` rebinds
when the theme changes. Category colours carry white glyphs and titles in both palettes,
so they are the same in both.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtGui import QColor

import resources

# Names the painted parts read (module attributes, rebound by use()).
_CANVAS_NAMES = {
    "CANVAS_BG": "canvas_bg",
    "GRID_MINOR": "grid_minor",
    "GRID_MAJOR": "grid_major",
    "NODE_BODY": "node_body",
    "NODE_BODY_TEXT": "node_body_text",
    "NODE_MUTED_TEXT": "node_muted_text",
    "NODE_BORDER": "node_border",
    "NODE_SELECTED": "node_selected",
    "NODE_TITLE_TEXT": "node_title_text",
    "PORT_FILL": "port_fill",
    "PORT_CONNECTED": "port_connected",
    "PORT_HOVER": "port_hover",
    "PORT_LABEL": "port_label",
    "EDGE": "edge",
    "EDGE_SELECTED": "edge_selected",
    "EDGE_INVALID": "error",
    "PREVIEW_OK": "ok",
    "PREVIEW_REFUSED": "error",
    "ERROR": "error",
    "WARNING": "warning",
    "OK": "ok",
    "TEXT": "text",
    "STRONG_TEXT": "strong_text",
    "MUTED_TEXT": "muted_text",
    "FAINT_TEXT": "disabled",
    "CHART_BG": "chart_bg",
    "CHART_FG": "chart_fg",
    "CHART_AXIS": "scroll",
    "PANEL_BORDER": "row_border",
    "HINT_BG": "hint_bg",
    "HINT_TEXT": "hint_text",
    "FLOW": "flow",
}

_DARK = {
    # canvas
    "canvas_bg": "#181a1f",
    "grid_minor": "#1f2228",
    "grid_major": "#262a32",
    "node_body": "#262a33",
    "node_body_text": "#c9ced8",
    "node_muted_text": "#8b93a3",
    "node_border": "#3a404c",
    "node_selected": "#f4f6fa",
    "node_title_text": "#ffffff",
    "port_fill": "#aab3c2",
    "port_connected": "#e6ebf2",
    "port_hover": "#7fc8f8",
    "port_label": "#aeb6c4",
    "edge": "#7f889a",
    "edge_selected": "#f4f6fa",
    "flow": "#6fa3dc",
    "hint_bg": "#14161be6",
    "hint_text": "#f1f3f6",
    # states
    "error": "#e05d5d",
    "warning": "#e3a33b",
    "ok": "#57c28a",
    "problem": "#ef8585",
    "problems_bg": "#2b2024",
    "problems_border": "#5a2f36",
    "problems_text": "#f0c8c8",
    # widgets
    "window": "#1f232b",
    "text": "#d7dbe3",
    "strong_text": "#ffffff",
    "title_text": "#f1f3f6",
    "bar": "#1a1d24",
    "bar_text": "#c9ced8",
    "muted_text": "#9aa3b2",
    "subtitle": "#8b93a3",
    "field_label": "#c3c9d4",
    "help": "#7b8494",
    "summary": "#aeb6c4",
    "border_dark": "#14161b",
    "hover": "#2a2f3a",
    "pressed": "#333947",
    "disabled": "#5d6472",
    "placeholder": "#6c7483",
    "separator": "#2f3440",
    "menu": "#242831",
    "menu_border": "#353b47",
    "accent": "#3a7cc4",
    "accent_text": "#ffffff",
    "menu_selected_text": "#d7dbe3",
    "link": "#7fb3f0",
    "tooltip": "#2a2f3a",
    "tooltip_text": "#e6e9ef",
    "tooltip_border": "#3a404c",
    "input": "#15181d",
    "input_text": "#e1e5ec",
    "input_border": "#323844",
    "rule": "#2c313b",
    "row": "#242832",
    "row_border": "#2f3440",
    "add_row_border": "#3a4352",
    "add_row_hover": "#252b36",
    "selection": "#2f3542",
    "scroll": "#3a404c",
    "base": "#171a20",
    "alt_base": "#1c2027",
    "button": "#2a2f3a",
    "light": "#3a404c",
    "midlight": "#30353f",
    "shadow": "#0d0f12",
    "chart_bg": "#171a20",
    "chart_fg": "#9aa3b2",
    "chevron": "#9aa3b2",
    "chart_alt": "#1b1e25",
    "badge_border": "#6b5220",
    "button_hover": "#323846",
    "accent_button": "#2d5f96",
    "row_hover": "#272c36",
    "item_text": "#e6e9ef",
    "syn_number": "#e5c07b",
    "syn_keyword": "#c792ea",
    "syn_function": "#82aaff",
    "syn_method": "#dcdcaa",
    "syn_name": "#7fc8f8",
    "syn_string": "#a5d6a7",
    "dashboard_bg": "#14161b",
    "legend_hidden": "#5c6370",
    "folded": "#b48ef0",  # a record folded into an aggregate's state (test runs)
    # the read-only diagram of a Kafka Streams topology (gui/formats/describe)
    "describe_frame": "#1c1f26",
    "describe_frame_border": "#2e333d",
    "describe_frame_title": "#8b93a3",
    "describe_frame_note": "#6c7483",
    "describe_topic": "#232833",
    "describe_topic_border": "#5a6477",
    "describe_topic_text": "#d7dbe3",
    "describe_repartition": "#e3a33b",
    "describe_repartition_fill": "#30291b",
    "describe_repartition_text": "#f3d9a8",
    "describe_store": "#9d86e0",
    "describe_store_fill": "#272336",
    "describe_store_top": "#342e4a",
    "describe_store_text": "#ddd5f7",
}


_LIGHT = {
    "canvas_bg": "#f3f4f7",
    "grid_minor": "#e9ebf0",
    "grid_major": "#dde0e7",
    "node_body": "#ffffff",
    "node_body_text": "#2a2f3a",
    "node_muted_text": "#5c6472",
    "node_border": "#c3c8d2",
    "node_selected": "#1f5fa8",
    "node_title_text": "#ffffff",
    "port_fill": "#7d8697",
    "port_connected": "#3a4150",
    "port_hover": "#1f7fc8",
    "port_label": "#4d5564",
    "edge": "#7a8394",
    "edge_selected": "#1f5fa8",
    "flow": "#2f6fb8",
    "hint_bg": "#ffffffee",
    "hint_text": "#1f232b",
    "error": "#c33b3b",
    "warning": "#a8660f",
    "ok": "#23834f",
    "problem": "#b42f2f",
    "problems_bg": "#fbecec",
    "problems_border": "#e3b3b3",
    "problems_text": "#7a1f1f",
    "window": "#f5f6f8",
    "text": "#1f232b",
    "strong_text": "#000000",
    "title_text": "#111318",
    "bar": "#e9ebef",
    "bar_text": "#2a2f3a",
    "muted_text": "#4f5766",
    "subtitle": "#5c6472",
    "field_label": "#2f3542",
    "help": "#5f6775",
    "summary": "#454c5a",
    "border_dark": "#cfd3da",
    "hover": "#dde1e8",
    "pressed": "#cdd3dd",
    "disabled": "#9aa1ad",
    "placeholder": "#7c8492",
    "separator": "#d3d7de",
    "menu": "#ffffff",
    "menu_border": "#c9ced6",
    "accent": "#2f6fb8",
    "accent_text": "#ffffff",
    "menu_selected_text": "#ffffff",
    "link": "#1f5fa8",
    "tooltip": "#ffffff",
    "tooltip_text": "#1f232b",
    "tooltip_border": "#c3c8d2",
    "input": "#ffffff",
    "input_text": "#1a1d24",
    "input_border": "#c3c8d2",
    "rule": "#dadde3",
    "row": "#ffffff",
    "row_border": "#d3d7de",
    "add_row_border": "#aab3c2",
    "add_row_hover": "#e6ecf5",
    "selection": "#d6e4f5",
    "scroll": "#bcc2cc",
    "base": "#ffffff",
    "alt_base": "#f0f2f5",
    "button": "#e6e9ee",
    "light": "#ffffff",
    "midlight": "#eceef2",
    "shadow": "#9aa1ad",
    "chart_bg": "#ffffff",
    "chart_fg": "#4f5766",
    "chevron": "#4f5766",
    "chart_alt": "#f3f5f8",
    "badge_border": "#d9b77a",
    "button_hover": "#d7dce4",
    "accent_button": "#2f6fb8",
    "row_hover": "#e8ecf2",
    "item_text": "#1f232b",
    "syn_number": "#9a5b00",
    "syn_keyword": "#7a2fb0",
    "syn_function": "#2452b8",
    "syn_method": "#6b5a00",
    "syn_name": "#0b6a9e",
    "syn_string": "#2c7a33",
    "dashboard_bg": "#e4e7ec",
    "legend_hidden": "#a4abb6",
    "folded": "#7a3fc4",  # a record folded into an aggregate's state (test runs)
    # the read-only diagram of a Kafka Streams topology (gui/formats/describe)
    "describe_frame": "#e6e9ee",
    "describe_frame_border": "#c3c8d2",
    "describe_frame_title": "#4f5766",
    "describe_frame_note": "#5c6472",
    "describe_topic": "#ffffff",
    "describe_topic_border": "#7d8697",
    "describe_topic_text": "#1f232b",
    "describe_repartition": "#a8660f",
    "describe_repartition_fill": "#fbf1de",
    "describe_repartition_text": "#5e3a06",
    "describe_store": "#6d4fc2",
    "describe_store_fill": "#f3effc",
    "describe_store_top": "#e5ddf8",
    "describe_store_text": "#3a2a70",
}


@dataclass(frozen=True)
class Theme:
    """A palette: named colours as ``#rrggbb`` (or ``#rrggbbaa``) strings."""

    name: str
    is_dark: bool
    colours: dict[str, str] = field(repr=False)

    def hex(self, name: str) -> str:
        return self.colours[name]

    def colour(self, name: str) -> QColor:
        value = self.colours[name]
        if len(value) == 9:  # #rrggbbaa: QColor reads #aarrggbb
            return QColor("#" + value[7:9] + value[1:7])
        return QColor(value)


DARK = Theme("dark", True, _DARK)
LIGHT = Theme("light", False, _LIGHT)
THEMES = {"dark": DARK, "light": LIGHT}

CATEGORY_COLOURS = {
    "Sources": QColor("#2b9a6c"),
    "Transforms": QColor("#3a7cc4"),
    "Aggregates": QColor("#c7782b"),
    "Joins": QColor("#8a5ccc"),
    "Sinks": QColor("#c0466a"),
}
UNKNOWN_CATEGORY = QColor("#6b7280")

current: Theme = DARK

# Rebound by use(); declared for readers and type checkers.
CANVAS_BG = GRID_MINOR = GRID_MAJOR = NODE_BODY = NODE_BODY_TEXT = QColor()
NODE_MUTED_TEXT = NODE_BORDER = NODE_SELECTED = NODE_TITLE_TEXT = QColor()
PORT_FILL = PORT_CONNECTED = PORT_HOVER = PORT_LABEL = QColor()
EDGE = EDGE_SELECTED = EDGE_INVALID = PREVIEW_OK = PREVIEW_REFUSED = QColor()
ERROR = WARNING = OK = TEXT = STRONG_TEXT = MUTED_TEXT = FAINT_TEXT = QColor()
CHART_BG = CHART_FG = CHART_AXIS = PANEL_BORDER = HINT_BG = HINT_TEXT = FLOW = QColor()


def use(chosen: Theme) -> None:
    """Make ``chosen`` the palette everything paints with from now on."""
    global current
    current = chosen
    names = globals()
    for attr, key in _CANVAS_NAMES.items():
        names[attr] = chosen.colour(key)


def category_colour(category: str | None) -> QColor:
    return CATEGORY_COLOURS.get(category or "", UNKNOWN_CATEGORY)


def fill(template: str, chosen: Theme | None = None) -> str:
    """``template`` with its ``@name@`` placeholders replaced by the palette's colours."""
    chosen = chosen or current
    for name, value in sorted(chosen.colours.items(), key=lambda kv: -len(kv[0])):
        template = template.replace(f"@{name}@", value[:7])
    return template


def style_widget(widget, template: str) -> None:
    """Give ``widget`` its own stylesheet in palette colours (``@name@``), restyled when
    the theme changes (gui/app/appearance.py)."""
    widget.setProperty(STYLE_PROPERTY, template)
    widget.setStyleSheet(fill(template))


STYLE_PROPERTY = "themeStyle"


def stylesheet(chosen: Theme | None = None) -> str:
    """resources/style.qss with its ``@name@`` placeholders filled from the palette."""
    chosen = chosen or current
    text = resources.path("style.qss").read_text(encoding="utf-8")
    text = text.replace("@ICONS@", resources.path("icons").as_posix())
    text = text.replace("@CHEVRONS@", chevron_directory(chosen).as_posix())
    return fill(text, chosen)


def chevron_directory(chosen: Theme):
    """The chevrons of the spin boxes and combo boxes, recoloured for the palette (the
    files in resources/icons are the dark palette's)."""
    import tempfile
    from pathlib import Path

    folder = Path(tempfile.gettempdir()) / f"topology-studio-chevrons-{chosen.name}"
    folder.mkdir(exist_ok=True)
    for name in ("chevron-down.svg", "chevron-up.svg"):
        svg = resources.path("icons", name).read_text(encoding="utf-8")
        target = folder / name
        text = svg.replace(_DARK["chevron"], chosen.hex("chevron"))
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")
    return folder


use(DARK)
