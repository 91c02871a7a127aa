"""Small pieces the param editors share: the monospace font, the style flags the style
sheet selects on (``invalid``), the layouts of an editor's row and of a list's rows, and
the wheel guard that keeps scrolling from changing the values it passes."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import (
    QFont,
    QFontDatabase,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QWidget,
)

DURATION_PRESETS = ("100ms", "500ms", "1s", "5s", "10s", "30s", "1m", "5m", "15m", "1h", "1d")


class WheelGuard(QObject):
    """Wheel events over a combo box or spin box that has no focus scroll ``area`` (the
    inspector) instead of changing the box's value; a click or Tab gives the box focus, and
    then the wheel changes it as usual. ``watch(root)`` guards every such box under
    ``root``, and those added later (a new row, a rebuilt form) as they are shown."""

    def __init__(self, area: QAbstractScrollArea):
        super().__init__(area)
        self.area = area

    def watch(self, root: QWidget) -> None:
        # installEventFilter moves an installed filter to the front: watching twice is harmless
        for widget in (root, *root.findChildren(QWidget)):
            widget.installEventFilter(self)
            if isinstance(widget, (QComboBox, QAbstractSpinBox)):
                widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # not WheelFocus

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if (
            kind == QEvent.Type.Wheel
            and isinstance(watched, (QComboBox, QAbstractSpinBox))
            and not watched.hasFocus()
        ):
            self._scroll(event)
            return True
        if kind == QEvent.Type.ChildPolished:
            child = event.child()
            if isinstance(child, QWidget):
                self.watch(child)
        return False

    def _scroll(self, event: QWheelEvent) -> None:
        """The wheel goes to the scroll area, whoever stands between (and the box's parents
        are not asked again: the event is accepted)."""
        viewport = self.area.viewport()
        forwarded = QWheelEvent(
            viewport.mapFromGlobal(event.globalPosition()),
            event.globalPosition(),
            event.pixelDelta(),
            event.angleDelta(),
            event.buttons(),
            event.modifiers(),
            event.phase(),
            event.inverted(),
        )
        QApplication.sendEvent(viewport, forwarded)
        event.accept()


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
