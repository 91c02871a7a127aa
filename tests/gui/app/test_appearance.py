"""View → Theme: the choice remembered, switching repaints the stylesheet, the canvas and
the charts in place, and System follows the system's colour scheme as it changes."""

from __future__ import annotations

import pyqtgraph as pg
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QApplication

from gui.app import appearance
from gui.app.settings import theme_choice
from gui.style import theme


@pytest.fixture(autouse=True)
def _dark_again():
    yield
    app = QApplication.instance()
    appearance.apply(app, theme.DARK)


def _choose(window, choice: str) -> None:
    menu = window.findChild(type(window.menuBar().actions()[0].menu()), "themeMenu")
    action = next(a for a in menu.actions() if a.objectName() == f"theme_{choice}")
    action.trigger()
    QApplication.processEvents()


def _node_body_pixel(window, node_id: str):
    """The colour on screen just inside the node body's lower left corner (clear of the
    header, the text and the ports)."""
    item = window.scene.node_item(node_id)
    window.view.centerOn(item)
    QApplication.processEvents()
    point = window.view.mapFromScene(item.mapToScene(QPointF(14, item.height - 8)))
    image = window.view.viewport().grab().toImage()
    ratio = image.devicePixelRatio()
    return image.pixelColor(int(point.x() * ratio), int(point.y() * ratio)).name()


def _near(a: str, b: str) -> bool:
    """Two colours within antialiasing of each other (the palettes are far apart)."""
    return all(abs(int(a[i : i + 2], 16) - int(b[i : i + 2], 16)) <= 12 for i in (1, 3, 5))


def _chart_backgrounds(window) -> set[str]:
    return {w.backgroundBrush().color().name() for w in window.findChildren(pg.PlotWidget)}


def test_the_choice_is_remembered(window, settings):
    _choose(window, "light")
    assert theme_choice(settings) == "light"
    again = appearance.Appearance(QApplication.instance(), settings)
    assert again.choice == "light"
    _choose(window, "dark")
    assert appearance.Appearance(QApplication.instance(), settings).choice == "dark"


def test_system_is_the_default(settings):
    assert appearance.Appearance(QApplication.instance(), settings).choice == "system"
    settings.setValue("view/theme", "purple")
    assert appearance.Appearance(QApplication.instance(), settings).choice == "system"


def test_switching_repaints_stylesheet_canvas_and_charts(window):
    app = QApplication.instance()
    _choose(window, "dark")
    assert theme.DARK.hex("window") in app.styleSheet()
    assert _near(_node_body_pixel(window, "paid"), theme.DARK.hex("node_body"))
    assert _chart_backgrounds(window) == {theme.DARK.hex("chart_bg")}

    _choose(window, "light")
    assert theme.LIGHT.hex("window") in app.styleSheet()
    assert f"background: {theme.DARK.hex('window')}" not in app.styleSheet()
    assert app.palette().color(app.palette().ColorRole.Window).name() == theme.LIGHT.hex("window")
    assert _near(_node_body_pixel(window, "paid"), theme.LIGHT.hex("node_body"))
    assert _chart_backgrounds(window) == {theme.LIGHT.hex("chart_bg")}

    _choose(window, "dark")
    assert _near(_node_body_pixel(window, "paid"), theme.DARK.hex("node_body"))
    assert _chart_backgrounds(window) == {theme.DARK.hex("chart_bg")}


def test_widgets_with_their_own_stylesheet_are_restyled(window):
    panel_like = [w for w in QApplication.allWidgets() if w.property(theme.STYLE_PROPERTY)]
    assert panel_like  # the dashboard's panels, the charts' legends
    _choose(window, "light")
    assert all(theme.DARK.hex("chart_bg") not in w.styleSheet() for w in panel_like)


def test_system_follows_a_scheme_change(window, monkeypatch):
    app = QApplication.instance()
    _choose(window, "system")
    dark = {"value": False}
    monkeypatch.setattr(appearance, "system_is_dark", lambda _app=None: dark["value"])
    app.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Light)
    QApplication.processEvents()
    assert theme.current is theme.LIGHT
    assert _near(_node_body_pixel(window, "paid"), theme.LIGHT.hex("node_body"))

    dark["value"] = True
    app.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Dark)
    QApplication.processEvents()
    assert theme.current is theme.DARK
    assert theme.DARK.hex("window") in app.styleSheet()

    # A fixed choice ignores the system.
    _choose(window, "light")
    app.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Dark)
    QApplication.processEvents()
    assert theme.current is theme.LIGHT


def test_system_reads_qt_colour_scheme(monkeypatch):
    app = QApplication.instance()

    class Hints:
        def __init__(self, scheme):
            self.scheme = scheme

        def colorScheme(self):
            return self.scheme

    monkeypatch.setattr(app, "styleHints", lambda: Hints(Qt.ColorScheme.Dark))
    assert appearance.resolve("system", app) is theme.DARK
    monkeypatch.setattr(app, "styleHints", lambda: Hints(Qt.ColorScheme.Light))
    assert appearance.resolve("system", app) is theme.LIGHT
    assert appearance.resolve("dark", app) is theme.DARK
