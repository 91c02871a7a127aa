"""ParamEditor, what every param editor is (reference §5).

Each editor shows a value, emits ``edited(value)`` as the user changes it, and bumps
``gesture`` when an edit is finished (Enter, leaving the field, picking a choice), so
the inspector can merge the keystrokes of one edit into one undo step. ``value()`` is
what the file would hold: ``None`` means the param is absent (its default applies).
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QWidget,
)

from engine.model.catalogue import ParamSpec
from gui.designer.editors.expression_edit import ExpressionEdit


class ParamEditor(QWidget):
    edited = Signal(object)

    def __init__(self, spec: ParamSpec, parent=None):
        super().__init__(parent)
        self.spec = spec
        self.gesture = 0
        self._setting = False
        self.field_names: list[str] = []

    def end_gesture(self) -> None:
        self.gesture += 1

    def set_field_names(self, names) -> None:
        """Field names ``value`` holds where this node's expressions run, for completions."""
        self.field_names = list(names)
        for edit in self.findChildren(ExpressionEdit):
            edit.set_field_names(self.field_names)

    def value(self):
        raise NotImplementedError

    def set_value(self, value) -> None:
        self._setting = True
        try:
            self._show(value)
        finally:
            self._setting = False

    def _show(self, value) -> None:
        raise NotImplementedError

    def _emit(self, *_args) -> None:
        if not self._setting:
            self.edited.emit(self.value())
