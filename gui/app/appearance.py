"""Which palette the app shows, and showing it: the user's choice (System, Light, Dark,
remembered in the settings), the system's colour scheme when the choice is System, and
repainting the whole app in place when either changes.

``Appearance`` owns the choice; ``apply(app, chosen)`` puts a palette on the application
(Qt palette, stylesheet, chart defaults) and repaints what paints itself: the canvas views
and their items, pyqtgraph plots, and any widget with an ``apply_theme()`` method (widgets
whose own stylesheet names palette colours).
"""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QObject, QSettings, Qt, Signal
from PySide6.QtGui import QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QGraphicsView

from gui.app.settings import set_theme_choice, theme_choice
from gui.style import theme

SYSTEM = "system"
LIGHT = "light"
DARK = "dark"
CHOICES = (SYSTEM, LIGHT, DARK)

_PALETTE_ROLES = {
    QPalette.ColorRole.Window: "window",
    QPalette.ColorRole.WindowText: "text",
    QPalette.ColorRole.Base: "base",
    QPalette.ColorRole.AlternateBase: "alt_base",
    QPalette.ColorRole.ToolTipBase: "tooltip",
    QPalette.ColorRole.ToolTipText: "tooltip_text",
    QPalette.ColorRole.Text: "text",
    QPalette.ColorRole.Button: "button",
    QPalette.ColorRole.ButtonText: "text",
    QPalette.ColorRole.BrightText: "strong_text",
    QPalette.ColorRole.Highlight: "accent",
    QPalette.ColorRole.HighlightedText: "accent_text",
    QPalette.ColorRole.Link: "link",
    QPalette.ColorRole.PlaceholderText: "placeholder",
    QPalette.ColorRole.Mid: "hover",
    QPalette.ColorRole.Dark: "border_dark",
    QPalette.ColorRole.Light: "light",
    QPalette.ColorRole.Midlight: "midlight",
    QPalette.ColorRole.Shadow: "shadow",
}

# The palette the platform gave the application before ours replaced it: what System
# falls back to where Qt cannot tell the colour scheme.
_platform_palette: QPalette | None = None


def qt_palette(chosen: theme.Theme) -> QPalette:
    palette = QPalette()
    for role, name in _PALETTE_ROLES.items():
        palette.setColor(role, chosen.colour(name))
    for role in (
        QPalette.ColorRole.Text,
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.ButtonText,
    ):
        palette.setColor(QPalette.ColorGroup.Disabled, role, chosen.colour("disabled"))
    return palette


def system_is_dark(app: QGuiApplication | None = None) -> bool:
    """The system's colour scheme (Qt ≥ 6.5), else the lightness of the platform's window
    colour."""
    app = app or QGuiApplication.instance()
    hints = app.styleHints() if app is not None else None
    scheme = getattr(hints, "colorScheme", None)
    if scheme is not None:
        value = scheme()
        if value == Qt.ColorScheme.Dark:
            return True
        if value == Qt.ColorScheme.Light:
            return False
    palette = _platform_palette if _platform_palette is not None else QPalette()
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def resolve(choice: str, app: QGuiApplication | None = None) -> theme.Theme:
    if choice == LIGHT:
        return theme.LIGHT
    if choice == DARK:
        return theme.DARK
    return theme.DARK if system_is_dark(app) else theme.LIGHT


def apply(app: QApplication, chosen: theme.Theme) -> None:
    """Show ``chosen`` everywhere, without a restart."""
    global _platform_palette
    if _platform_palette is None:
        _platform_palette = QPalette(app.palette())
    theme.use(chosen)
    app.setStyle("Fusion")
    app.setPalette(qt_palette(chosen))
    app.setStyleSheet(theme.stylesheet(chosen))
    _restyle_charts()
    for widget in app.allWidgets():
        template = widget.property(theme.STYLE_PROPERTY)
        if isinstance(template, str):
            widget.setStyleSheet(theme.fill(template, chosen))
        restyle = getattr(widget, "apply_theme", None)
        if callable(restyle):
            restyle()
        if isinstance(widget, QGraphicsView):
            widget.resetCachedContent()
            scene = widget.scene()
            if scene is not None:
                for item in scene.items():
                    item.update()
            widget.viewport().update()


def _restyle_charts() -> None:
    import pyqtgraph as pg

    from gui.monitor import qt_style

    qt_style.use_theme()
    app = QApplication.instance()
    if app is None:
        return
    for widget in app.allWidgets():
        if isinstance(widget, pg.PlotWidget):
            widget.setBackground(qt_style.BACKGROUND)
            plot = widget.getPlotItem()
            for name in ("left", "bottom", "right", "top"):
                axis = plot.getAxis(name)
                axis.setTextPen(pg.mkPen(qt_style.FOREGROUND))
                axis.setPen(pg.mkPen(qt_style.AXIS))


class Appearance(QObject):
    """The user's theme choice and the system's scheme, kept applied to the application."""

    changed = Signal(str)  # the palette now shown: "light" or "dark"
    _following: Appearance | None = None

    def __init__(self, app: QApplication, settings: QSettings, parent: QObject | None = None):
        super().__init__(parent)
        self.app = app
        self.settings = settings
        self.choice = theme_choice(settings)
        # One choice governs the application: the newest window's (the one the user sees).
        previous = Appearance._following
        if previous is not None and shiboken6.isValid(previous):
            previous._stop_following()
        Appearance._following = self
        self._signal = getattr(app.styleHints(), "colorSchemeChanged", None)
        if self._signal is not None:
            self._signal.connect(self._system_changed)

    def shown(self) -> theme.Theme:
        return resolve(self.choice, self.app)

    def choose(self, choice: str) -> None:
        if choice not in CHOICES:
            return
        self.choice = choice
        set_theme_choice(self.settings, choice)
        self.refresh()

    def refresh(self) -> None:
        chosen = self.shown()
        apply(self.app, chosen)
        self.changed.emit(chosen.name)

    def refresh_if_different(self) -> None:
        if self.shown() is not theme.current:
            self.refresh()

    def _stop_following(self) -> None:
        if self._signal is not None:
            try:
                self._signal.disconnect(self._system_changed)
            except (RuntimeError, TypeError, SystemError):
                pass  # already gone with its window
            self._signal = None

    def _system_changed(self, *_args) -> None:
        if self.choice == SYSTEM:
            self.refresh()


def theme_menu(appearance: Appearance, parent=None):
    """View → Theme: System, Light, Dark, one checked."""
    from PySide6.QtGui import QAction, QActionGroup
    from PySide6.QtWidgets import QMenu

    menu = QMenu("&Theme", parent)
    menu.setObjectName("themeMenu")
    group = QActionGroup(menu)
    group.setExclusive(True)
    labels = {SYSTEM: "&System", LIGHT: "&Light", DARK: "&Dark"}
    for choice in CHOICES:
        action = QAction(labels[choice], menu)
        action.setObjectName(f"theme_{choice}")
        action.setCheckable(True)
        action.setChecked(choice == appearance.choice)
        action.setStatusTip(
            "Follow the system's light or dark scheme"
            if choice == SYSTEM
            else f"Always show the {choice} theme"
        )
        action.triggered.connect(lambda _checked=False, c=choice: appearance.choose(c))
        group.addAction(action)
        menu.addAction(action)
    return menu
