"""The inspector's Changes box while a comparison is shown: for the selected node, what the
other version had and this one has, param by param (a window key by key; its id and
type when they changed), with its state verdict; nothing for a node that did not change."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QVBoxLayout

from engine.model.diff import TopologyDiff, Verdict
from gui.style import theme

VERDICT_WORDS = {
    Verdict.KEPT: "state kept",
    Verdict.RESET: "state reset",
    Verdict.INCOMPATIBLE: "state incompatible",
}


def shown(value: Any) -> str:
    if value is None:
        return "(not set)"
    return (
        value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)
    )


def node_changes(diff: TopologyDiff, node_id: str) -> list[tuple[str, Any, Any]]:
    """(what, old, new) for ``node_id`` of the current version."""
    rows: list[tuple[str, Any, Any]] = []
    old_id = next((o for o, n in diff.renamed.items() if n == node_id), None)
    if old_id is not None:
        rows.append(("id", old_id, node_id))
    for param, (old, new) in diff.changed.get(node_id, {}).items():
        if isinstance(old, dict) and isinstance(new, dict):  # a window: the keys that changed
            for key in sorted(set(old) | set(new)):
                if old.get(key) != new.get(key):
                    rows.append((f"{param}.{key}", old.get(key), new.get(key)))
        else:
            rows.append((param, old, new))
    return rows


class ParamChangesBox(QFrame):
    def __init__(self, diff: TopologyDiff, node_id: str, parent=None):
        super().__init__(parent)
        self.setObjectName("paramChanges")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 8)
        self.rows = node_changes(diff, node_id)
        added = node_id in diff.added
        title = QLabel(
            "Added since the compared version"
            if added
            else "Changed since the compared version"
            if self.rows
            else "Unchanged since the compared version"
        )
        title.setObjectName("sectionTitle")
        layout.addWidget(title)
        grid = QGridLayout()
        grid.setHorizontalSpacing(8)
        for col, text in enumerate(("", "was", "now")):
            header = QLabel(text)
            header.setObjectName("help")
            grid.addWidget(header, 0, col)
        self.value_labels: list[tuple[QLabel, QLabel]] = []
        for row, (what, old, new) in enumerate(self.rows, 1):
            grid.addWidget(QLabel(what), row, 0)
            was, now = QLabel(shown(old)), QLabel(shown(new))
            for label in (was, now):
                label.setWordWrap(True)
                label.setObjectName("mono")
            theme.style_widget(was, "color: @error@;")
            theme.style_widget(now, "color: @ok@;")
            grid.addWidget(was, row, 1)
            grid.addWidget(now, row, 2)
            self.value_labels.append((was, now))
        if self.rows:
            layout.addLayout(grid)
        verdict = diff.state.get(node_id)
        self.verdict_label: QLabel | None = None
        if verdict is not None:
            self.verdict_label = QLabel(f"{VERDICT_WORDS[verdict.verdict]}: {verdict.reason}")
            self.verdict_label.setWordWrap(True)
            self.verdict_label.setObjectName("help")
            layout.addWidget(self.verdict_label)
