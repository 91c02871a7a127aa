"""The inspector's editor of ``settings.alerts`` (reference §14): one row per rule — its name,
what it watches (``when``), the node, the threshold and how long the condition must hold
(``for``) — with buttons to add a rule or start from the default rules.

A ParamEditor like the others (``editor_for`` hands it the ``alerts`` setting); the
inspector tells it the topology (``set_topology``) so the node lists offer the nodes a
rule may watch. Problems of the rules show under the field, as for any setting.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
)

from engine.model.alerts import DEFAULT_FOR, KINDS, default_rules
from engine.model.catalogue import ParamSpec
from gui.designer.editors.base import ParamEditor
from gui.designer.editors.scalars import DurationEdit
from gui.designer.editors.widgets import list_row_layout

ANY = ""  # the node combo's entry for "no node"


class _NodeCombo(QComboBox):
    """Refills itself from the topology each time it opens (nodes come and go)."""

    def __init__(self, row: _RuleRow):
        super().__init__(row)
        self.row = row

    def showPopup(self) -> None:
        self.row.fill_nodes(self.currentData())
        super().showPopup()


class _RuleRow(QFrame):
    def __init__(self, owner: AlertsParamEditor):
        super().__init__(owner)
        self.owner = owner
        grid = list_row_layout(self)
        self.name = QLineEdit(self)
        self.name.setPlaceholderText("rule name")
        self.remove = QToolButton(self)
        self.remove.setText("✕")
        self.remove.setToolTip("Remove this rule")
        self.remove.setAutoRaise(True)
        self.remove.clicked.connect(lambda: owner.remove_row(self))
        self.when = QComboBox(self)
        for kind in KINDS.values():
            self.when.addItem(kind.title, kind.name)
        self.when.setToolTip("What the rule watches")
        self.node = _NodeCombo(self)
        self.node.setToolTip("The node the rule watches")
        self.side = QLabel("above", self)
        self.side.setObjectName("help")
        self.threshold = QDoubleSpinBox(self)
        self.threshold.setRange(0, 1e9)
        self.threshold.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.threshold.setMinimumWidth(72)
        self.threshold.setDecimals(1)
        self.threshold.setKeyboardTracking(False)
        self.unit = QLabel("", self)
        self.unit.setObjectName("help")
        self.for_label = QLabel("for", self)
        self.for_label.setObjectName("help")
        self.duration = DurationEdit(optional=True, parent=self)
        self.duration.lineEdit().setPlaceholderText(DEFAULT_FOR)
        self.duration.setToolTip(
            "How long the condition must hold before the rule fires "
            f"(and be over before it resolves); {DEFAULT_FOR} when empty"
        )
        # One column of short lines: the inspector is narrow.
        for combo in (self.when, self.node, self.duration):
            combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
            combo.setMinimumContentsLength(6)
        grid.addWidget(self.name, 0, 0, 1, 5)
        grid.addWidget(self.remove, 0, 5)
        grid.addWidget(self.when, 1, 0, 1, 6)
        grid.addWidget(self.node, 2, 0, 1, 6)
        grid.addWidget(self.side, 3, 0)
        grid.addWidget(self.threshold, 3, 1)
        grid.addWidget(self.unit, 3, 2)
        grid.addWidget(self.for_label, 3, 3, Qt.AlignmentFlag.AlignRight)
        grid.addWidget(self.duration, 3, 4, 1, 2)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(4, 1)
        self.name.textEdited.connect(owner.emit_rows)
        self.name.editingFinished.connect(owner.end_gesture)
        self.when.activated.connect(self._on_when)
        self.node.activated.connect(self._on_discrete)
        self.threshold.valueChanged.connect(self._on_discrete)
        self.duration.text_edited.connect(owner.emit_rows)
        self.duration.lineEdit().editingFinished.connect(owner.end_gesture)

    def _on_when(self, *_):
        self._show_kind(self.when.currentData())
        self._on_discrete()

    def _on_discrete(self, *_):
        if self.owner._setting:
            return
        self.owner.end_gesture()
        self.owner.emit_rows()
        self.owner.end_gesture()

    def _show_kind(self, when: str) -> None:
        kind = KINDS[when]
        has_threshold = kind.threshold is not None
        for widget in (self.side, self.threshold, self.unit):
            widget.setVisible(has_threshold)
        self.side.setText(kind.threshold or "")
        self.unit.setText(kind.unit)
        self.node.setVisible(kind.node != "none")
        self.fill_nodes(self.node.currentData())

    def fill_nodes(self, current) -> None:
        kind = KINDS[self.when.currentData()]
        self.node.blockSignals(True)
        self.node.clear()
        if kind.node == "optional":
            whole = (
                "the consumer group"
                if kind.name in ("group_status", "lag_records", "lag_seconds")
                else "any node (the worst)"
            )
            self.node.addItem(whole, ANY)
        for node_id, type_name in self.owner.node_types.items():
            if not kind.node_types or type_name in kind.node_types:
                self.node.addItem(node_id, node_id)
        if current and self.node.findData(current) < 0:
            self.node.addItem(f"{current} (not in the topology)", current)
        index = self.node.findData(current if current else ANY)
        self.node.setCurrentIndex(max(index, 0))
        self.node.blockSignals(False)

    def entry(self) -> dict:
        when = self.when.currentData()
        kind = KINDS[when]
        entry = {"name": self.name.text().strip(), "when": when}
        node = self.node.currentData()
        if kind.node != "none" and node:
            entry["node"] = node
        if kind.threshold:
            value = self.threshold.value()
            entry[kind.threshold] = int(value) if float(value).is_integer() else value
        if self.duration.text():
            entry["for"] = self.duration.text()
        return entry

    def show_entry(self, rule: dict) -> None:
        when = rule.get("when")
        if self.when.findData(when) < 0:
            when = "group_status"
        self.name.setText(str(rule.get("name", "")))
        self.when.setCurrentIndex(self.when.findData(when))
        kind = KINDS[when]
        node = rule.get("node")
        self._show_kind(when)
        self.fill_nodes(node)
        value = rule.get(kind.threshold) if kind.threshold else None
        self.threshold.setValue(float(value) if isinstance(value, (int, float)) else 0.0)
        duration = rule.get("for")
        self.duration.set_text(str(duration) if duration is not None else "")


class AlertsParamEditor(ParamEditor):
    def __init__(self, spec: ParamSpec, parent=None):
        super().__init__(spec, parent)
        self.rows: list[_RuleRow] = []
        self.node_types: dict[str, str] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        self.rows_box = QVBoxLayout()
        self.rows_box.setSpacing(4)
        layout.addLayout(self.rows_box)
        self.empty = QLabel("No rules: nothing is watched.", self)
        self.empty.setObjectName("help")
        layout.addWidget(self.empty)
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        self.add = QToolButton(self)
        self.add.setObjectName("addRow")
        self.add.setText("+ Add rule")
        self.add.clicked.connect(self.add_row)
        self.defaults = QToolButton(self)
        self.defaults.setObjectName("addRow")
        self.defaults.setText("Add the default rules")
        self.defaults.setToolTip("Consumer group behind, lag over a minute, records failing")
        self.defaults.clicked.connect(self.add_defaults)
        buttons.addWidget(self.add)
        buttons.addWidget(self.defaults)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.next_run = QLabel(
            "A run is on: it watches the rules it started with. "
            "Changes here apply from the next Run.",
            self,
        )
        self.next_run.setObjectName("help")
        self.next_run.setWordWrap(True)
        self.next_run.setVisible(False)
        layout.addWidget(self.next_run)

    def set_run_active(self, active: bool) -> None:
        self.next_run.setVisible(active)

    def set_topology(self, topology) -> None:
        self.node_types = {n.id: n.type for n in topology.nodes.values()}
        for row in self.rows:
            row.fill_nodes(row.node.currentData())

    def _new_row(self) -> _RuleRow:
        row = _RuleRow(self)
        self.rows.append(row)
        self.rows_box.addWidget(row)
        self.empty.setVisible(False)
        return row

    def add_row(self) -> _RuleRow:
        taken = {r.name.text() for r in self.rows}
        name, i = "rule", 2
        while name in taken:
            name, i = f"rule {i}", i + 1
        row = self._new_row()
        self._quietly(row.show_entry, {"name": name, "when": "errors_per_minute", "above": 0})
        self._changed()
        row.name.setFocus()
        row.name.selectAll()
        return row

    def add_defaults(self) -> None:
        taken = {r.name.text() for r in self.rows}
        for rule in default_rules():
            if rule["name"] not in taken:
                self._quietly(self._new_row().show_entry, rule)
        self._changed()

    def _quietly(self, fn, *args) -> None:
        self._setting = True
        try:
            fn(*args)
        finally:
            self._setting = False

    def remove_row(self, row: _RuleRow) -> None:
        self.rows.remove(row)
        row.setParent(None)
        row.deleteLater()
        self.empty.setVisible(not self.rows)
        self._changed()

    def _changed(self) -> None:
        self.end_gesture()
        self.emit_rows()
        self.end_gesture()

    def emit_rows(self, *_):
        self._emit()

    def value(self):
        return [row.entry() for row in self.rows] or None

    def _show(self, value) -> None:
        rules = [r for r in value if isinstance(r, dict)] if isinstance(value, list) else []
        while len(self.rows) > len(rules):
            row = self.rows.pop()
            row.setParent(None)
            row.deleteLater()
        while len(self.rows) < len(rules):
            self._new_row()
        for row, rule in zip(self.rows, rules):
            if row.entry() != rule:
                row.show_entry(rule)
        self.empty.setVisible(not self.rows)
