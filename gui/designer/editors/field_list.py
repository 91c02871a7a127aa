"""The inspector's editor of a dashboard's ``fields``: the field names ``value`` holds where
the dashboard is (``gui.designer.inspector.value_fields``: from the topics and nodes upstream), each
with a check box, in the order they were checked; a name nobody upstream tells of can
be typed in. Nothing checked means the param is absent: every numeric field is shown."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout

from engine.model.catalogue import ParamSpec
from gui.designer.editors.base import ParamEditor
from gui.style import theme

ROW_HEIGHT = 20
MAX_ROWS_SHOWN = 8


class FieldListParamEditor(ParamEditor):
    def __init__(self, spec: ParamSpec, parent=None):
        super().__init__(spec, parent)
        self.chosen: list[str] = []
        self.list = QListWidget(self)
        self.list.setObjectName("fieldList")
        self.list.setUniformItemSizes(True)
        self.list.setToolTip("Check the fields to show, in the order they should appear")
        theme.style_widget(
            self.list,
            "QListWidget::indicator { width: 12px; height: 12px; border: 1px solid @port_fill@;"
            " border-radius: 2px; background: @input@; }"
            " QListWidget::indicator:checked { background: @accent@; border-color: @accent@; }",
        )
        self.add_edit = QLineEdit(self)
        self.add_edit.setObjectName("addField")
        self.add_edit.setPlaceholderText("another field (Enter to add)")
        self.hint = QLabel(
            "No fields known upstream yet: they appear once the topics upstream "
            "have records (or type one).",
            self,
        )
        self.hint.setObjectName("help")
        self.hint.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.list)
        layout.addWidget(self.hint)
        layout.addWidget(self.add_edit)
        self.list.itemChanged.connect(self._on_item_changed)
        self.add_edit.returnPressed.connect(self._on_add)
        self._rebuild()

    def set_field_names(self, names) -> None:
        super().set_field_names(names)
        self._rebuild()

    def names(self) -> list[str]:
        """The rows offered, in order (for tests)."""
        return [self.list.item(i).text() for i in range(self.list.count())]

    def check(self, name: str, checked: bool = True) -> None:
        """Check or uncheck a field as the user would (adding it when it is not offered)."""
        if name not in self.names():
            self.add_edit.setText(name)
            self._on_add()
            if checked:
                return
        item = self.list.item(self.names().index(name))
        item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)

    def _rebuild(self) -> None:
        self.list.blockSignals(True)
        try:
            self.list.clear()
            offered = list(self.chosen) + [n for n in self.field_names if n not in self.chosen]
            for name in offered:
                item = QListWidgetItem(name)
                item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(
                    Qt.CheckState.Checked if name in self.chosen else Qt.CheckState.Unchecked
                )
                if name not in self.field_names:
                    item.setToolTip("Not seen upstream (yet)")
                self.list.addItem(item)
        finally:
            self.list.blockSignals(False)
        rows = min(MAX_ROWS_SHOWN, max(1, len(offered)))
        row_height = self.list.sizeHintForRow(0) if offered else ROW_HEIGHT
        self.list.setFixedHeight(rows * max(12, row_height) + 2 * self.list.frameWidth() + 4)
        self.list.setVisible(bool(offered))
        self.hint.setVisible(not self.field_names)

    def _on_item_changed(self, item: QListWidgetItem) -> None:
        name = item.text()
        if item.checkState() == Qt.CheckState.Checked and name not in self.chosen:
            self.chosen.append(name)
        elif item.checkState() != Qt.CheckState.Checked and name in self.chosen:
            self.chosen.remove(name)
        self.end_gesture()
        self._emit()

    def _on_add(self) -> None:
        name = self.add_edit.text().strip()
        self.add_edit.clear()
        if not name or name in self.chosen:
            return
        self.chosen.append(name)
        self._rebuild()
        self.end_gesture()
        self._emit()

    def value(self):
        return list(self.chosen) or None

    def _show(self, value) -> None:
        self.chosen = [v for v in value if isinstance(v, str)] if isinstance(value, list) else []
        self._rebuild()
