"""The editor of a window: its type and the durations that type needs."""

from __future__ import annotations

from typing import ClassVar

from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QLabel,
)

from engine.model.catalogue import WINDOW_TYPES, ParamSpec
from gui.designer.editors.base import ParamEditor
from gui.designer.editors.scalars import DurationEdit

# -- windows --------------------------------------------------------------------------


class WindowParamEditor(ParamEditor):
    """{type: none|tumbling|hopping|session|sliding, size, advance, gap, grace}."""

    FIELDS: ClassVar[dict[str, tuple[str, ...]]] = {
        "none": (),
        "tumbling": ("size", "grace"),
        "hopping": ("size", "advance", "grace"),
        "session": ("gap", "grace"),
        "sliding": ("size", "grace"),
    }
    HELP: ClassVar[dict[str, str]] = {
        "none": "One running result per key, never closed.",
        "tumbling": "Fixed, non-overlapping windows aligned to the epoch.",
        "hopping": "Fixed windows of 'size' that start every 'advance'.",
        "session": "Activity periods split by 'gap' without records.",
        "sliding": "Every span of 'size' (both ends included) that holds records.",
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
