"""Editors of one value: an expression, text, a choice, a flag, a number, a duration, a
timestamp."""

from __future__ import annotations

import json

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
)

from engine.model.catalogue import ParamSpec
from engine.model.durations import DurationError, parse_duration
from engine.model.validation import check_value
from gui.designer.editors.base import ParamEditor
from gui.designer.editors.expression_edit import ExpressionEdit
from gui.designer.editors.widgets import DURATION_PRESETS, hbox, set_invalid


class ExpressionParamEditor(ParamEditor):
    def __init__(self, spec: ParamSpec, parent=None):
        super().__init__(spec, parent)
        self.edit = ExpressionEdit(spec.names, self)
        if not spec.required:
            self.edit.setPlaceholderText(spec.help or "optional")
        hbox(self, self.edit)
        self.edit.text_edited.connect(self._emit)
        self.edit.finished.connect(self.end_gesture)

    def value(self):
        text = self.edit.text()
        return text if text.strip() else None

    def _show(self, value) -> None:
        self.edit.set_text("" if value is None else str(value))


class TextParamEditor(ParamEditor):
    """string, path and topic."""

    def __init__(self, spec: ParamSpec, parent=None):
        super().__init__(spec, parent)
        self.edit = QLineEdit(self)
        if spec.kind == "topic":
            self.edit.setPlaceholderText(
                "topic name" if spec.required else (spec.help or "optional")
            )
        elif spec.kind == "path":
            self.edit.setPlaceholderText("file path" if spec.required else "optional")
        hbox(self, self.edit)
        self.edit.textEdited.connect(self._on_edit)
        self.edit.editingFinished.connect(self.end_gesture)

    def _on_edit(self, text: str) -> None:
        value = self.value()
        set_invalid(self.edit, value is not None and check_value(self.spec, value) is not None)
        self._emit()

    def value(self):
        text = self.edit.text()
        return text if text.strip() else None

    def _show(self, value) -> None:
        self.edit.setText("" if value is None else str(value))
        set_invalid(self.edit, value is not None and check_value(self.spec, value) is not None)


class JsonParamEditor(TextParamEditor):
    """A list or object setting (masking rules) as one line of JSON; text that is not JSON
    is kept as text, so validation says what is wrong with it."""

    def __init__(self, spec: ParamSpec, parent=None):
        super().__init__(spec, parent)
        self.edit.setPlaceholderText('e.g. [{"field": "email"}]')

    def value(self):
        text = self.edit.text()
        if not text.strip():
            return None
        try:
            return json.loads(text)
        except ValueError:
            return text

    def _show(self, value) -> None:
        text = "" if value is None else json.dumps(value, ensure_ascii=False)
        self.edit.setText(text)
        set_invalid(self.edit, value is not None and check_value(self.spec, value) is not None)


class EnumParamEditor(ParamEditor):
    def __init__(self, spec: ParamSpec, parent=None):
        super().__init__(spec, parent)
        self.combo = QComboBox(self)
        for choice in spec.choices:
            label = choice.replace("_", " ")
            if choice == spec.default:
                label += "  (default)"
            self.combo.addItem(label, choice)
        hbox(self, self.combo)
        self.combo.currentIndexChanged.connect(self._on_changed)

    def _on_changed(self, index: int) -> None:
        self.end_gesture()
        self._emit()

    def value(self):
        return self.combo.currentData()

    def _show(self, value) -> None:
        value = self.spec.default if value is None else value
        index = self.combo.findData(value)
        if index < 0 and value is not None:
            self.combo.addItem(f"{value} (not valid)", value)
            index = self.combo.count() - 1
        self.combo.setCurrentIndex(index)


class BoolParamEditor(ParamEditor):
    """true / false; absent means the default."""

    def __init__(self, spec: ParamSpec, parent=None):
        super().__init__(spec, parent)
        self.check = QCheckBox("on", self)
        hbox(self, self.check)
        self.check.toggled.connect(self._on_toggled)

    def _on_toggled(self, _checked: bool) -> None:
        self.end_gesture()
        self._emit()

    def value(self):
        return self.check.isChecked()

    def _show(self, value) -> None:
        self.check.setChecked(bool(self.spec.default if value is None else value))


class NumberParamEditor(ParamEditor):
    """int and number. Params without a default may be left empty (absent)."""

    def __init__(self, spec: ParamSpec, parent=None):
        super().__init__(spec, parent)
        self.optional = spec.default is None
        if self.optional:
            self.spin = None
            self.edit = QLineEdit(self)
            self.edit.setPlaceholderText("not set" if spec.name != "limit" else "no limit")
            hbox(self, self.edit)
            self.edit.textEdited.connect(self._on_text)
            self.edit.editingFinished.connect(self.end_gesture)
        else:
            self.edit = None
            if spec.kind == "int":
                self.spin = QSpinBox(self)
                self.spin.setRange(
                    int(spec.minimum) if spec.minimum is not None else -(2**31), 2**31 - 1
                )
            else:
                self.spin = QDoubleSpinBox(self)
                self.spin.setDecimals(1)
                self.spin.setRange(spec.minimum if spec.minimum is not None else -1e12, 1e12)
            self.spin.setKeyboardTracking(False)
            hbox(self, self.spin)
            self.spin.valueChanged.connect(self._on_spin)

    def _on_spin(self, *_):
        self.end_gesture()
        self._emit()

    def _on_text(self, text: str) -> None:
        value = self._parse(text)
        set_invalid(
            self.edit,
            bool(text.strip()) and (value is None or check_value(self.spec, value) is not None),
        )
        if value is not None or not text.strip():
            self._emit()

    def _parse(self, text: str):
        text = text.strip()
        if not text:
            return None
        try:
            if self.spec.kind == "int":
                return int(text)
            number = float(text)
            return int(number) if number.is_integer() and "." not in text else number
        except ValueError:
            return None

    def value(self):
        if self.spin is not None:
            v = self.spin.value()
            return int(v) if self.spec.kind == "int" or float(v).is_integer() else v
        return self._parse(self.edit.text())

    def _show(self, value) -> None:
        if self.spin is not None:
            self.spin.setValue(
                value
                if isinstance(value, (int, float)) and not isinstance(value, bool)
                else (self.spec.default or 0)
            )
        else:
            self.edit.setText("" if value is None else str(value))


class DurationEdit(QComboBox):
    """An editable duration (``500ms``, ``10s``...), with common presets."""

    text_edited = Signal(str)

    def __init__(self, optional: bool = True, parent=None):
        super().__init__(parent)
        self.setEditable(True)
        self.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        if optional:
            self.addItem("")
        self.addItems(DURATION_PRESETS)
        self.lineEdit().setPlaceholderText("e.g. 10s, 1m, 1h" if not optional else "not set")
        self.lineEdit().textEdited.connect(self._on_text)
        self.activated.connect(lambda *_: self._on_text(self.currentText()))

    def _on_text(self, text: str) -> None:
        self.check()
        self.text_edited.emit(text)

    def check(self) -> str | None:
        text = self.currentText().strip()
        error = None
        if text:
            try:
                parse_duration(text)
            except DurationError as exc:
                error = str(exc)
        set_invalid(self, error is not None)
        self.setToolTip(error or "")
        return error

    def text(self) -> str:
        return self.currentText().strip()

    def set_text(self, text: str) -> None:
        self.setEditText(text)
        self.check()


class DurationParamEditor(ParamEditor):
    def __init__(self, spec: ParamSpec, parent=None):
        super().__init__(spec, parent)
        self.edit = DurationEdit(optional=not spec.required, parent=self)
        hbox(self, self.edit)
        self.edit.text_edited.connect(self._emit)
        self.edit.lineEdit().editingFinished.connect(self.end_gesture)

    def value(self):
        return self.edit.text() or None

    def _show(self, value) -> None:
        self.edit.set_text("" if value is None else str(value))


class TimestampParamEditor(ParamEditor):
    """'record' (the record's own timestamp) or an expression giving ms."""

    def __init__(self, spec: ParamSpec, parent=None):
        super().__init__(spec, parent)
        self.mode = QComboBox(self)
        self.mode.addItem("Record timestamp", "record")
        self.mode.addItem("From an expression (ms)", "expr")
        self.expr = ExpressionEdit(spec.names, self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.mode)
        layout.addWidget(self.expr)
        self.expr.setVisible(False)
        self.mode.currentIndexChanged.connect(self._on_mode)
        self.expr.text_edited.connect(self._emit)
        self.expr.finished.connect(self.end_gesture)

    def _on_mode(self, *_):
        is_expr = self.mode.currentData() == "expr"
        self.expr.setVisible(is_expr)
        if is_expr and not self._setting and not self.expr.text().strip():
            self.expr.set_text("value['ts']")
        self.end_gesture()
        self._emit()

    def value(self):
        if self.mode.currentData() == "record":
            return "record"
        return self.expr.text() if self.expr.text().strip() else "record"

    def _show(self, value) -> None:
        is_expr = value not in (None, "record")
        self.mode.setCurrentIndex(1 if is_expr else 0)
        self.expr.setVisible(is_expr)
        self.expr.set_text(str(value) if is_expr else "")
