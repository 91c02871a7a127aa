"""Typed editors for node params, one per ParamSpec kind (SPEC §4).

Each editor shows a value, emits ``edited(value)`` as the user changes it, and bumps
``gesture`` when an edit is finished (Enter, leaving the field, picking a choice), so
the inspector can merge the keystrokes of one edit into one undo step. ``value()`` is
what the file would hold: ``None`` means the param is absent (its default applies).
"""

from __future__ import annotations

import re
from typing import ClassVar

from PySide6.QtCore import QRegularExpression, QSize, QStringListModel, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontDatabase,
    QSyntaxHighlighter,
    QTextCharFormat,
    QTextCursor,
)
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QCompleter,
    QDoubleSpinBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSizePolicy,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from engine.model.catalogue import AGGREGATION_FUNCTIONS, WINDOW_TYPES, ParamSpec
from engine.model.durations import DurationError, parse_duration
from engine.model.expressions import (
    ALLOWED_FUNCTIONS,
    RECORD_NAMES,
    ExpressionError,
    compile_expression,
)
from engine.model.validation import check_value

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


# -- expressions ----------------------------------------------------------------------


class ExpressionHighlighter(QSyntaxHighlighter):
    KEYWORDS = ("and", "or", "not", "in", "is", "if", "else", "for", "True", "False", "None")

    def __init__(self, document, names: tuple[str, ...] = RECORD_NAMES):
        super().__init__(document)
        self.error_col: int | None = None

        def fmt(colour: str, bold: bool = False, italic: bool = False) -> QTextCharFormat:
            f = QTextCharFormat()
            f.setForeground(QColor(colour))
            if bold:
                f.setFontWeight(QFont.Weight.Bold)
            f.setFontItalic(italic)
            return f

        words = lambda ws: r"\b(" + "|".join(ws) + r")\b"
        self.rules = [
            (QRegularExpression(r"\b\d+(\.\d+)?\b"), fmt("#e5c07b")),
            (QRegularExpression(words(self.KEYWORDS)), fmt("#c792ea", bold=True)),
            (QRegularExpression(words(ALLOWED_FUNCTIONS)), fmt("#82aaff")),
            (QRegularExpression(r"\.\s*([A-Za-z_]\w*)(?=\s*\()"), fmt("#dcdcaa")),
            (QRegularExpression(words(names)), fmt("#7fc8f8", italic=True)),
            (
                QRegularExpression(r"'[^'\\]*(\\.[^'\\]*)*'?|\"[^\"\\]*(\\.[^\"\\]*)*\"?"),
                fmt("#a5d6a7"),
            ),
        ]
        self.error_format = QTextCharFormat()
        self.error_format.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
        self.error_format.setUnderlineColor(QColor("#e05d5d"))

    def set_error_col(self, col: int | None) -> None:
        if col != self.error_col:
            self.error_col = col
            self.rehighlight()

    def highlightBlock(self, text: str) -> None:
        for regex, f in self.rules:
            it = regex.globalMatch(text)
            while it.hasNext():
                m = it.next()
                self.setFormat(m.capturedStart(), m.capturedLength(), f)
        if self.error_col is not None and self.currentBlock().blockNumber() == 0:
            # Columns count in the whole (stripped) text; expressions are one logical line.
            start = max(0, min(self.error_col, len(text) - 1))
            length = max(1, len(text) - start)
            if text:
                for i in range(start, start + length):
                    merged = QTextCharFormat(self.format(i))
                    merged.merge(self.error_format)
                    self.setFormat(i, 1, merged)


# ``value['amo`` or ``value.get("amo``: the quote, and the part of a field name typed so far.
FIELD_PREFIX = re.compile(r"""\bvalue(?:\[\s*|\.get\(\s*)(['"])(\w*)$""")


class ExpressionEdit(QPlainTextEdit):
    """A code field for one expression: highlighted, checked as you type, and completing
    field names of ``value`` (``set_field_names``) after ``value['`` or ``value.get('``."""

    text_edited = Signal(str)
    finished = Signal()
    checked = Signal(object)  # error message or None

    def __init__(self, names: tuple[str, ...] = RECORD_NAMES, parent=None):
        super().__init__(parent)
        self.names = names
        self.setObjectName("expression")
        self.setFont(mono_font())
        self.setTabChangesFocus(True)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.highlighter = ExpressionHighlighter(self.document(), names)
        self.error: str | None = None
        self._setting = False
        self.textChanged.connect(self._on_text_changed)
        self.document().documentLayout().documentSizeChanged.connect(lambda *_: self._fit_height())
        self.setPlaceholderText("expression over " + ", ".join(names))
        self.field_names: list[str] = []
        self.completer = QCompleter(QStringListModel(self), self)
        self.completer.setWidget(self)
        self.completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.completer.setModelSorting(QCompleter.ModelSorting.CaseInsensitivelySortedModel)
        self.completer.activated.connect(self.insert_completion)
        self._fit_height()

    # -- field-name completions ----------------------------------------------------------

    def set_field_names(self, names) -> None:
        names = sorted(set(names), key=str.lower)
        if names != self.field_names:
            self.field_names = names
            self.completer.model().setStringList(names)

    def _field_prefix(self) -> re.Match | None:
        cursor = self.textCursor()
        before = cursor.block().text()[: cursor.positionInBlock()]
        return FIELD_PREFIX.search(before)

    def update_completions(self) -> bool:
        """Open (or close) the completion popup for the text before the cursor; True when open."""
        match = self._field_prefix() if self.field_names else None
        popup = self.completer.popup()
        if match is None:
            popup.hide()
            return False
        self.completer.setCompletionPrefix(match.group(2))
        if self.completer.completionCount() == 0 or (
            self.completer.completionCount() == 1
            and self.completer.currentCompletion() == match.group(2)
        ):
            popup.hide()
            return False
        popup.setCurrentIndex(self.completer.completionModel().index(0, 0))
        rect = self.cursorRect()
        rect.setWidth(
            popup.sizeHintForColumn(0) + popup.verticalScrollBar().sizeHint().width() + 12
        )
        self.completer.complete(rect)
        return True

    def insert_completion(self, name: str) -> None:
        """Replace the partly typed field name with ``name`` and close the subscript."""
        match = self._field_prefix()
        if match is None:
            return
        quote, typed = match.group(1), match.group(2)
        closing = quote + ("]" if "[" in match.group(0) else ")")
        cursor = self.textCursor()
        after = cursor.block().text()[cursor.positionInBlock() :]
        cursor.movePosition(
            QTextCursor.MoveOperation.Left, QTextCursor.MoveMode.KeepAnchor, len(typed)
        )
        cursor.insertText(name)
        if after.startswith(closing):
            cursor.movePosition(
                QTextCursor.MoveOperation.Right, QTextCursor.MoveMode.MoveAnchor, len(closing)
            )
        else:
            cursor.insertText(closing)
        self.setTextCursor(cursor)

    def text(self) -> str:
        return self.toPlainText()

    def set_text(self, text: str) -> None:
        self._setting = True
        self.setPlainText(text)
        self._setting = False
        self.check()

    def check(self) -> str | None:
        text = self.toPlainText()
        error, col, warned = None, None, ""
        if text.strip():
            try:
                said = compile_expression(text, self.names).python_warnings
                warned = "; ".join(f"Python warns: {w}" for w in said)
            except ExpressionError as exc:
                error, col = exc.message, exc.col
                if col is not None:
                    col += len(text) - len(text.lstrip())
        self.error = error
        self.highlighter.set_error_col(col if error else None)
        set_invalid(self, error is not None)
        self.setToolTip(error or warned)
        self.checked.emit(error)
        return error

    def _on_text_changed(self) -> None:
        if self._setting:
            return
        self.check()
        self.text_edited.emit(self.toPlainText())

    def _fit_height(self) -> None:
        lines = max(1, min(6, int(self.document().size().height())))
        fm = self.fontMetrics()
        self.setFixedHeight(
            int(lines * fm.lineSpacing() + 2 * self.document().documentMargin() + 8)
        )

    def keyPressEvent(self, event) -> None:
        if self.completer.popup().isVisible() and event.key() in (
            Qt.Key.Key_Return,
            Qt.Key.Key_Enter,
            Qt.Key.Key_Tab,
            Qt.Key.Key_Escape,
            Qt.Key.Key_Backtab,
        ):
            event.ignore()  # the completer's popup takes these
            return
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not (
            event.modifiers() & Qt.KeyboardModifier.ShiftModifier
        ):
            self.finished.emit()
            return
        super().keyPressEvent(event)
        if event.text() or event.key() in (Qt.Key.Key_Backspace, Qt.Key.Key_Delete):
            self.update_completions()

    def focusOutEvent(self, event) -> None:
        super().focusOutEvent(event)
        if not self.completer.popup().isVisible():  # focus went to the popup, not elsewhere
            self.finished.emit()

    def sizeHint(self) -> QSize:
        return QSize(200, self.height())


# -- the editors -----------------------------------------------------------------------


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


def _hbox(parent, *widgets, margins=0) -> QHBoxLayout:
    layout = QHBoxLayout(parent)
    layout.setContentsMargins(margins, margins, margins, margins)
    layout.setSpacing(6)
    for w in widgets:
        layout.addWidget(w)
    return layout


class ExpressionParamEditor(ParamEditor):
    def __init__(self, spec: ParamSpec, parent=None):
        super().__init__(spec, parent)
        self.edit = ExpressionEdit(spec.names, self)
        if not spec.required:
            self.edit.setPlaceholderText(spec.help or "optional")
        _hbox(self, self.edit)
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
        _hbox(self, self.edit)
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


class EnumParamEditor(ParamEditor):
    def __init__(self, spec: ParamSpec, parent=None):
        super().__init__(spec, parent)
        self.combo = QComboBox(self)
        for choice in spec.choices:
            label = choice.replace("_", " ")
            if choice == spec.default:
                label += "  (default)"
            self.combo.addItem(label, choice)
        _hbox(self, self.combo)
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
        _hbox(self, self.check)
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
            _hbox(self, self.edit)
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
            _hbox(self, self.spin)
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
        _hbox(self, self.edit)
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


# -- lists: fields, branches, aggregations -------------------------------------------------


def list_row_layout(row: QFrame) -> QGridLayout:
    """The grid of one row of a list editor, styled as such (``#listRow`` in the stylesheet)."""
    row.setObjectName("listRow")
    grid = QGridLayout(row)
    grid.setContentsMargins(6, 6, 6, 6)
    grid.setHorizontalSpacing(6)
    grid.setVerticalSpacing(4)
    return grid


class _Row(QFrame):
    def __init__(self, owner: RowsParamEditor):
        super().__init__(owner)
        self.owner = owner
        grid = list_row_layout(self)
        self.name = QLineEdit(self)
        self.name.setPlaceholderText("name")
        self.fn = None
        col = 1
        grid.addWidget(self.name, 0, 0)
        if owner.kind == "aggregations":
            self.fn = QComboBox(self)
            self.fn.addItems(AGGREGATION_FUNCTIONS)
            grid.addWidget(self.fn, 0, col)
            col += 1
        self.buttons = QWidget(self)
        buttons = _hbox(self.buttons)
        buttons.setSpacing(0)
        if owner.kind == "branches":
            self.up = self._button(
                "▲", "Move up (the first matching branch wins)", lambda: owner.move_row(self, -1)
            )
            self.down = self._button("▼", "Move down", lambda: owner.move_row(self, 1))
            buttons.addWidget(self.up)
            buttons.addWidget(self.down)
        self.remove = self._button("✕", "Remove", lambda: owner.remove_row(self))
        buttons.addWidget(self.remove)
        grid.addWidget(self.buttons, 0, col)
        grid.setColumnStretch(0, 1)
        self.expr = ExpressionEdit(owner.spec.names, self)
        if owner.kind == "aggregations":
            self.expr.setPlaceholderText("value to aggregate (count needs none)")
        grid.addWidget(self.expr, 1, 0, 1, col + 1)
        self.name.textEdited.connect(owner.emit_rows)
        self.name.editingFinished.connect(owner.end_gesture)
        self.expr.text_edited.connect(owner.emit_rows)
        self.expr.finished.connect(owner.end_gesture)
        if self.fn is not None:
            self.fn.currentIndexChanged.connect(self._on_fn)

    def _button(self, text: str, tip: str, slot) -> QToolButton:
        b = QToolButton(self)
        b.setText(text)
        b.setToolTip(tip)
        b.setAutoRaise(True)
        b.clicked.connect(slot)
        return b

    def _on_fn(self, *_):
        self.expr.setEnabled(self.fn.currentText() != "count" or bool(self.expr.text().strip()))
        self.owner.end_gesture()
        self.owner.emit_rows()

    def entry(self):
        name, expr = self.name.text(), self.expr.text()
        if self.owner.kind == "fields":
            return name, expr
        if self.owner.kind == "branches":
            return {"name": name, "expr": expr}
        entry = {"name": name, "fn": self.fn.currentText()}
        if expr.strip():
            entry["expr"] = expr
        return entry

    def show_entry(self, name: str, expr: str, fn: str | None = None) -> None:
        self.name.setText(name)
        if self.fn is not None and fn is not None:
            self.fn.blockSignals(True)
            index = self.fn.findText(fn)
            if index < 0:
                self.fn.addItem(fn)
                index = self.fn.count() - 1
            self.fn.setCurrentIndex(index)
            self.fn.blockSignals(False)
            self.expr.setEnabled(fn != "count" or bool(expr))
        self.expr.set_text(expr)


class RowsParamEditor(ParamEditor):
    """fields {name: expr}, branches [{name, expr}], aggregations [{name, fn, expr}]."""

    ADD_LABELS: ClassVar[dict[str, str]] = {
        "fields": "+ Add field",
        "branches": "+ Add branch",
        "aggregations": "+ Add aggregation",
    }

    def __init__(self, spec: ParamSpec, parent=None):
        super().__init__(spec, parent)
        self.kind = spec.kind
        self.rows: list[_Row] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        self.rows_box = QVBoxLayout()
        self.rows_box.setSpacing(4)
        layout.addLayout(self.rows_box)
        self.add = QToolButton(self)
        self.add.setObjectName("addRow")
        self.add.setText(self.ADD_LABELS[self.kind])
        self.add.clicked.connect(self.add_row)
        layout.addWidget(self.add, 0, Qt.AlignmentFlag.AlignLeft)

    def _new_row(self) -> _Row:
        row = _Row(self)
        row.expr.set_field_names(self.field_names)
        self.rows.append(row)
        self.rows_box.addWidget(row)
        return row

    def add_row(self) -> _Row:
        taken = {r.name.text() for r in self.rows}
        base = {"fields": "field", "branches": "branch", "aggregations": "count"}[self.kind]
        name, i = base, 2
        while name in taken:
            name, i = f"{base}{i}", i + 1
        row = self._new_row()
        row.show_entry(
            name,
            "" if self.kind == "aggregations" else ("True" if self.kind == "branches" else "value"),
            "count" if self.kind == "aggregations" else None,
        )
        self.end_gesture()
        self.emit_rows()
        self.end_gesture()
        row.name.setFocus()
        row.name.selectAll()
        return row

    def remove_row(self, row: _Row) -> None:
        self.rows.remove(row)
        row.setParent(None)
        row.deleteLater()
        self.end_gesture()
        self.emit_rows()
        self.end_gesture()

    def move_row(self, row: _Row, step: int) -> None:
        i = self.rows.index(row)
        j = i + step
        if not 0 <= j < len(self.rows):
            return
        self.rows[i], self.rows[j] = self.rows[j], self.rows[i]
        self.rows_box.removeWidget(row)
        self.rows_box.insertWidget(j, row)
        self.end_gesture()
        self.emit_rows()
        self.end_gesture()

    def emit_rows(self, *_):
        self._emit()

    def value(self):
        entries = [row.entry() for row in self.rows]
        if self.kind == "fields":
            return dict(entries) if entries else None
        return entries or None

    def _show(self, value) -> None:
        if self.kind == "fields":
            items = [(k, v, None) for k, v in value.items()] if isinstance(value, dict) else []
        else:
            items = (
                [
                    (str(e.get("name", "")), str(e.get("expr", "") or ""), e.get("fn"))
                    for e in value
                    if isinstance(e, dict)
                ]
                if isinstance(value, list)
                else []
            )
        while len(self.rows) > len(items):
            row = self.rows.pop()
            row.setParent(None)
            row.deleteLater()
        while len(self.rows) < len(items):
            self._new_row()
        for row, (name, expr, fn) in zip(self.rows, items):
            if row.entry() != _entry(self.kind, name, expr, fn):
                row.show_entry(name, str(expr), fn)


def _entry(kind, name, expr, fn):
    if kind == "fields":
        return name, expr
    if kind == "branches":
        return {"name": name, "expr": expr}
    entry = {"name": name, "fn": fn}
    if expr:
        entry["expr"] = expr
    return entry


# -- windows --------------------------------------------------------------------------


class WindowParamEditor(ParamEditor):
    """{type: none|tumbling|hopping|session, size, advance, gap, grace}."""

    FIELDS: ClassVar[dict[str, tuple[str, ...]]] = {
        "none": (),
        "tumbling": ("size", "grace"),
        "hopping": ("size", "advance", "grace"),
        "session": ("gap", "grace"),
    }
    HELP: ClassVar[dict[str, str]] = {
        "none": "One running result per key, never closed.",
        "tumbling": "Fixed, non-overlapping windows aligned to the epoch.",
        "hopping": "Fixed windows of 'size' that start every 'advance'.",
        "session": "Activity periods split by 'gap' without records.",
    }

    def __init__(self, spec: ParamSpec, parent=None):
        super().__init__(spec, parent)
        self.type = QComboBox(self)
        for t in WINDOW_TYPES:
            self.type.addItem("no window" if t == "none" else t, t)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(4)
        grid.addWidget(self.type, 0, 0, 1, 2)
        self.help = QLabel(self)
        self.help.setObjectName("help")
        self.help.setWordWrap(True)
        grid.addWidget(self.help, 1, 0, 1, 2)
        self.fields: dict[str, DurationEdit] = {}
        self.labels: dict[str, QLabel] = {}
        for row, key in enumerate(("size", "advance", "gap", "grace"), start=2):
            label = QLabel(key.capitalize(), self)
            label.setObjectName("subLabel")
            edit = DurationEdit(optional=key == "grace", parent=self)
            grid.addWidget(label, row, 0)
            grid.addWidget(edit, row, 1)
            edit.text_edited.connect(self._emit)
            edit.lineEdit().editingFinished.connect(self.end_gesture)
            self.fields[key], self.labels[key] = edit, label
        grid.setColumnStretch(1, 1)
        self.type.currentIndexChanged.connect(self._on_type)
        self._show_fields("none")

    def _show_fields(self, kind: str) -> None:
        for key, edit in self.fields.items():
            visible = key in self.FIELDS[kind]
            edit.setVisible(visible)
            self.labels[key].setVisible(visible)
        self.help.setText(self.HELP[kind])

    def _on_type(self, *_):
        kind = self.type.currentData()
        self._show_fields(kind)
        if not self._setting:
            seeds = {"size": "1m", "advance": "10s", "gap": "5m"}
            for key in self.FIELDS[kind]:
                if key in seeds and not self.fields[key].text():
                    self.fields[key].set_text(seeds[key])
        self.end_gesture()
        self._emit()

    def value(self):
        kind = self.type.currentData()
        if kind == "none":
            return None
        value = {"type": kind}
        for key in self.FIELDS[kind]:
            text = self.fields[key].text()
            if text:
                value[key] = text
        return value

    def _show(self, value) -> None:
        value = value if isinstance(value, dict) else {}
        kind = value.get("type", "none")
        index = self.type.findData(kind)
        self.type.setCurrentIndex(max(index, 0))
        self._show_fields(kind if kind in self.FIELDS else "none")
        for key, edit in self.fields.items():
            if edit.text() != str(value.get(key, "")):
                edit.set_text(str(value.get(key, "")))


EDITORS = {
    "expr": ExpressionParamEditor,
    "string": TextParamEditor,
    "path": TextParamEditor,
    "topic": TextParamEditor,
    "enum": EnumParamEditor,
    "int": NumberParamEditor,
    "number": NumberParamEditor,
    "bool": BoolParamEditor,
    "duration": DurationParamEditor,
    "timestamp": TimestampParamEditor,
    "fields": RowsParamEditor,
    "branches": RowsParamEditor,
    "aggregations": RowsParamEditor,
    "window": WindowParamEditor,
}


def editor_for(spec: ParamSpec, parent=None) -> ParamEditor:
    if spec.kind == "alerts":  # its own module: it builds on the editors here
        from gui.designer.editors.alerts import AlertsParamEditor

        return AlertsParamEditor(spec, parent)
    if spec.kind == "field_list":  # a dashboard's fields, picked from those seen upstream
        from gui.designer.editors.field_list import FieldListParamEditor

        return FieldListParamEditor(spec, parent)
    return EDITORS.get(spec.kind, TextParamEditor)(spec, parent)
