"""The application's look (apply_theme: the palette and resources/style.qss)."""

from __future__ import annotations

from PySide6.QtGui import QAction, QColor
from PySide6.QtWidgets import QMenu

from gui.style import theme


def brightest(image, top: int, bottom: int) -> float:
    return max(
        QColor(image.pixel(x, y)).lightnessF()
        for y in range(top, bottom)
        for x in range(image.width())
    )


def test_a_disabled_menu_item_looks_disabled(qtbot):
    menu = QMenu()
    qtbot.addWidget(menu)
    menu.setStyleSheet(theme.stylesheet(theme.DARK))
    enabled, disabled = (
        QAction("Attach to Running Application…", menu),
        QAction("Attach to Running Application…", menu),
    )
    disabled.setEnabled(False)
    menu.addActions([enabled, disabled])
    menu.adjustSize()
    image = menu.grab().toImage()
    a, b = menu.actionGeometry(enabled), menu.actionGeometry(disabled)
    bright, dim = brightest(image, a.top(), a.bottom()), brightest(image, b.top(), b.bottom())
    assert dim < bright - 0.25, (bright, dim)
