"""The expression editor: a text field that highlights the safe expression language
(engine.model.expressions), says where an expression is wrong, and completes the field
names ``value`` holds where the node runs."""

from __future__ import annotations

import re

from PySide6.QtCore import QRegularExpression, QSize, QStringListModel, Qt, Signal
from PySide6.QtGui import (
    QFont,
    QSyntaxHighlighter,
    QTextCharFormat,
    QTextCursor,
)
from PySide6.QtWidgets import (
    QCompleter,
    QPlainTextEdit,
    QSizePolicy,
)

from engine.model.expressions import (
    ALLOWED_FUNCTIONS,
    RECORD_NAMES,
    ExpressionError,
    compile_expression,
)
from gui.designer.editors.widgets import mono_font, set_invalid
from gui.style import theme

# -- expressions ----------------------------------------------------------------------


class ExpressionHighlighter(QSyntaxHighlighter):
    KEYWORDS = ("and", "or", "not", "in", "is", "if", "else", "for", "True", "False", "None")

    def __init__(self, document, names: tuple[str, ...] = RECORD_NAMES):
        super().__init__(document)
        self.error_col: int | None = None
        self.names = names
        self.apply_theme()

    def apply_theme(self) -> None:
        """The rules' colours from the palette in use (again when the theme changes)."""
        names = self.names

        def fmt(colour: str, bold: bool = False, italic: bool = False) -> QTextCharFormat:
            f = QTextCharFormat()
            f.setForeground(theme.current.colour(colour))
            if bold:
                f.setFontWeight(QFont.Weight.Bold)
            f.setFontItalic(italic)
            return f

        words = lambda ws: r"\b(" + "|".join(ws) + r")\b"
        self.rules = [
            (QRegularExpression(r"\b\d+(\.\d+)?\b"), fmt("syn_number")),
            (QRegularExpression(words(self.KEYWORDS)), fmt("syn_keyword", bold=True)),
            (QRegularExpression(words(ALLOWED_FUNCTIONS)), fmt("syn_function")),
            (QRegularExpression(r"\.\s*([A-Za-z_]\w*)(?=\s*\()"), fmt("syn_method")),
            (QRegularExpression(words(names)), fmt("syn_name", italic=True)),
            (
                QRegularExpression(r"'[^'\\]*(\\.[^'\\]*)*'?|\"[^\"\\]*(\\.[^\"\\]*)*\"?"),
                fmt("syn_string"),
            ),
        ]
        self.error_format = QTextCharFormat()
        self.error_format.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
        self.error_format.setUnderlineColor(theme.ERROR)

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

    def apply_theme(self) -> None:
        """Syntax colours from the palette in use (called when the theme changes)."""
        self.highlighter.apply_theme()
        blocked = self.blockSignals(True)
        try:
            self.highlighter.rehighlight()
        finally:
            self.blockSignals(blocked)

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
