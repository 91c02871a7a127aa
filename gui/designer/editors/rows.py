"""The editor of a list of rows: a projection's fields, a branch's branches, an
aggregate's aggregations (name, expression and, for aggregations, a function; a reduce's
expression is over ``agg`` and ``value``, and it may have an ``init``)."""

from __future__ import annotations

from typing import ClassVar

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QLineEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from engine.model.catalogue import AGGREGATION_FUNCTIONS, ParamSpec
from engine.model.expressions import INIT_NAMES, REDUCE_NAMES
from gui.designer.editors.base import ParamEditor
from gui.designer.editors.expression_edit import ExpressionEdit
from gui.designer.editors.widgets import hbox, list_row_layout


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
        buttons = hbox(self.buttons)
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
        self.init: ExpressionEdit | None = None
        self.subtract: ExpressionEdit | None = None
        if owner.kind == "aggregations":
            self.init = ExpressionEdit(INIT_NAMES, self)
            self.init.setObjectName("init")
            self.init.setPlaceholderText("init: a constant such as '0' or [] (optional)")
            self.init.setVisible(False)
            grid.addWidget(self.init, 2, 0, 1, col + 1)
            self.init.text_edited.connect(owner.emit_rows)
            self.init.finished.connect(owner.end_gesture)
            self.subtract = ExpressionEdit(REDUCE_NAMES, self)
            self.subtract.setObjectName("subtract")
            self.subtract.setPlaceholderText(
                "subtract: how a table aggregate takes a row's old value back (agg, value)"
            )
            self.subtract.setVisible(False)
            grid.addWidget(self.subtract, 3, 0, 1, col + 1)
            self.subtract.text_edited.connect(owner.emit_rows)
            self.subtract.finished.connect(owner.end_gesture)
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
        self._show_fn(self.fn.currentText())
        self.owner.end_gesture()
        self.owner.emit_rows()

    def _show_fn(self, fn: str) -> None:
        """A reduce's expr is over agg and value, and it shows its init."""
        reduce = fn == "reduce"
        names = REDUCE_NAMES if reduce else self.owner.spec.names
        if self.expr.names != names:
            self.expr.names = names
            self.expr.setPlaceholderText(
                "fold: agg (the result so far) and value"
                if reduce
                else "value to aggregate (count needs none)"
            )
            self.expr.check()
        if self.init is not None:
            self.init.setVisible(reduce)
        if self.subtract is not None:
            self.subtract.setVisible(reduce)

    def entry(self):
        name, expr = self.name.text(), self.expr.text()
        if self.owner.kind == "fields":
            return name, expr
        if self.owner.kind == "branches":
            return {"name": name, "expr": expr}
        entry = {"name": name, "fn": self.fn.currentText()}
        if expr.strip():
            entry["expr"] = expr
        if self.init is not None and entry["fn"] == "reduce" and self.init.text().strip():
            entry["init"] = self.init.text()
        if self.subtract is not None and entry["fn"] == "reduce" and self.subtract.text().strip():
            entry["subtract"] = self.subtract.text()
        return entry

    def show_entry(
        self, name: str, expr: str, fn: str | None = None, init: str = "", subtract: str = ""
    ) -> None:
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
            self._show_fn(fn)
        if self.init is not None:
            self.init.set_text(init)
        if self.subtract is not None:
            self.subtract.set_text(subtract)
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
            items = (
                [(k, v, None, "", "") for k, v in value.items()] if isinstance(value, dict) else []
            )
        else:
            items = (
                [
                    (
                        str(e.get("name", "")),
                        str(e.get("expr", "") or ""),
                        e.get("fn"),
                        str(e.get("init", "") or ""),
                        str(e.get("subtract", "") or ""),
                    )
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
        for row, (name, expr, fn, init, subtract) in zip(self.rows, items):
            if row.entry() != _entry(self.kind, name, expr, fn, init, subtract):
                row.show_entry(name, str(expr), fn, init, subtract)


def _entry(kind, name, expr, fn, init="", subtract=""):
    if kind == "fields":
        return name, expr
    if kind == "branches":
        return {"name": name, "expr": expr}
    entry = {"name": name, "fn": fn}
    if expr:
        entry["expr"] = expr
    if fn == "reduce" and init:
        entry["init"] = init
    if fn == "reduce" and subtract:
        entry["subtract"] = subtract
    return entry
