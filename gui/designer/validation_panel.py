"""The list of problems: errors and warnings of the topology; clicking one selects its node."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from engine.model.problems import Problem
from gui.document.document import TopologyDocument
from gui.style import theme

PROBLEM_ROLE = Qt.ItemDataRole.UserRole + 1


def _dot(colour: QColor) -> QIcon:
    pixmap = QPixmap(12, 12)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setBrush(colour)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.drawEllipse(1, 1, 10, 10)
    painter.end()
    return QIcon(pixmap)


class ValidationPanel(QWidget):
    node_activated = Signal(str)  # a problem's node was clicked

    def __init__(self, document: TopologyDocument, parent=None):
        super().__init__(parent)
        self.setObjectName("validation")
        self.document = document
        self.summary = QLabel(self)
        self.summary.setObjectName("validationSummary")
        self.list = QListWidget(self)
        self.list.setObjectName("problems")
        self.list.setUniformItemSizes(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 8)
        layout.setSpacing(4)
        layout.addWidget(self.summary)
        layout.addWidget(self.list)
        self._icons = {"error": _dot(theme.ERROR), "warning": _dot(theme.WARNING)}
        self.list.itemClicked.connect(self._on_item_clicked)
        self.list.itemActivated.connect(self._on_item_clicked)
        document.problems_changed.connect(self._on_problems_changed)
        self._on_problems_changed(document.problems)

    def _on_problems_changed(self, problems: list[Problem]) -> None:
        self.list.clear()
        shown = self.document.all_problems()
        for p in sorted(shown, key=lambda p: (not p.is_error, p.node_id or "")):
            where = p.node_id if p.node_id is not None else "topology"
            item = QListWidgetItem(
                self._icons.get(p.severity, self._icons["error"]), f"{where}: {p.message}"
            )
            item.setData(PROBLEM_ROLE, p)
            item.setToolTip(str(p))
            if p.node_id is None:
                item.setForeground(QBrush(theme.TEXT))
            self.list.addItem(item)
        errors = sum(1 for p in shown if p.is_error)
        warnings = len(shown) - errors
        if not shown:
            self.summary.setText(
                f"<span style='color:{theme.OK.name()}'>✔</span> The topology is valid."
            )
        else:
            parts = []
            if errors:
                parts.append(
                    f"<span style='color:{theme.ERROR.name()}'>{errors} error{'s' if errors != 1 else ''}</span>"
                )
            if warnings:
                parts.append(
                    f"<span style='color:{theme.WARNING.name()}'>{warnings} warning{'s' if warnings != 1 else ''}</span>"
                )
            self.summary.setText(" · ".join(parts) + " — click one to select its node")

    def _on_item_clicked(self, item: QListWidgetItem) -> None:
        problem = item.data(PROBLEM_ROLE)
        if problem is not None and problem.node_id is not None:
            self.node_activated.emit(problem.node_id)
