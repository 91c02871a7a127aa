"""The palettes: every name in both, the stylesheet template fully filled, and body text
readable (WCAG AA, 4.5:1) against the backgrounds it is shown on."""

from __future__ import annotations

import re

import pytest

from gui.style import theme

# (text, background) pairs of body text, by palette name.
BODY_TEXT = [
    ("text", "window"),
    ("text", "base"),
    ("text", "menu"),
    ("text", "chart_bg"),
    ("text", "selection"),
    ("input_text", "input"),
    ("bar_text", "bar"),
    ("muted_text", "bar"),
    ("muted_text", "window"),
    ("tooltip_text", "tooltip"),
    ("title_text", "window"),
    ("field_label", "window"),
    ("subtitle", "window"),
    ("summary", "window"),
    ("item_text", "window"),
    ("item_text", "selection"),
    ("link", "window"),
    ("problem", "window"),
    ("problems_text", "problems_bg"),
    ("node_body_text", "node_body"),
    ("node_muted_text", "node_body"),
    ("port_label", "node_body"),
    ("strong_text", "node_body"),
    ("chart_fg", "chart_bg"),
    ("syn_number", "input"),
    ("syn_keyword", "input"),
    ("syn_function", "input"),
    ("syn_method", "input"),
    ("syn_name", "input"),
    ("syn_string", "input"),
]


def luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_contrast_helper_matches_the_wcag_examples():
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)


@pytest.mark.parametrize("palette", [theme.DARK, theme.LIGHT], ids=lambda p: p.name)
def test_body_text_meets_wcag_aa(palette):
    low = [
        (fg, bg, round(contrast(palette.hex(fg), palette.hex(bg)), 2))
        for fg, bg in BODY_TEXT
        if contrast(palette.hex(fg), palette.hex(bg)) < 4.5
    ]
    assert low == []


def test_both_palettes_name_the_same_colours():
    assert set(theme.DARK.colours) == set(theme.LIGHT.colours)
    assert theme.DARK.is_dark and not theme.LIGHT.is_dark


@pytest.mark.parametrize("palette", [theme.DARK, theme.LIGHT], ids=lambda p: p.name)
def test_stylesheet_is_filled_from_the_palette(palette):
    qss = theme.stylesheet(palette)
    assert "@" not in re.sub(r"/\*.*?\*/", "", qss, flags=re.DOTALL)
    assert f"QMainWindow, QDockWidget {{ background: {palette.hex('window')};" in qss
    assert "chevron-down.svg" in qss


def test_the_dark_stylesheet_is_the_one_the_app_always_had():
    qss = theme.stylesheet(theme.DARK)
    assert "QMainWindow, QDockWidget { background: #1f232b; color: #d7dbe3; }" in qss
    assert "QToolTip { background: #2a2f3a; color: #e6e9ef;" in qss
    colours = set(re.findall(r"#[0-9a-f]{6}", qss))
    assert "#f5f6f8" not in colours  # the light window


def test_use_rebinds_what_the_canvas_reads():
    try:
        theme.use(theme.LIGHT)
        assert theme.CANVAS_BG.name() == theme.LIGHT.hex("canvas_bg")
        assert theme.NODE_BODY.name() == theme.LIGHT.hex("node_body")
        theme.use(theme.DARK)
        assert theme.CANVAS_BG.name() == "#181a1f"
        assert theme.NODE_BODY.name() == "#262a33"
    finally:
        theme.use(theme.DARK)


def test_translucent_colours_keep_their_alpha():
    assert theme.DARK.colour("hint_bg").alpha() == 0xE6
