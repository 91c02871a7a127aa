"""Run → Attach to Running Application…: the applications publishing run state on the
connected cluster, with their live instances and when they were last heard from."""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from engine.cluster.fleet_reader import Application, applications
from gui.monitor.qt_tasks import run_in_background


def ago(last_seen_ms: int, now_ms: float | None = None) -> str:
    now_ms = time.time() * 1000 if now_ms is None else now_ms
    seconds = max(0.0, (now_ms - last_seen_ms) / 1000)
    if seconds < 120:
        return f"{seconds:.0f} s ago"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min ago"
    return f"{seconds / 3600:.0f} h ago"


class QtAttachDialog(QDialog):
    """Lists applications found by ``find()`` (blocking, run off the GUI thread);
    ``application_id()`` is the one chosen."""

    def __init__(self, find: Callable[[], list[Application]], where: str, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Attach to Running Application")
        self.find = find
        self.found: list[Application] = []
        self.intro = QLabel(
            f"Applications publishing their run state on {where}. Attaching "
            "watches them; it never stops or changes them."
        )
        self.intro.setWordWrap(True)
        self.note = QLabel("Looking…")
        self.note.setObjectName("help")
        self.table = QTableWidget(0, 4)
        self.table.setObjectName("applicationsTable")
        self.table.setHorizontalHeaderLabels(("Application", "Live instances", "Seen", "Last seen"))
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.table.itemDoubleClicked.connect(lambda _item: self.accept())
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.attach_button = self.buttons.addButton(
            "Attach", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.refresh_button = QPushButton("Refresh")
        self.buttons.addButton(self.refresh_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.refresh_button.clicked.connect(self.refresh)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addWidget(self.table)
        layout.addWidget(self.note)
        layout.addWidget(self.buttons)
        self.resize(560, 320)
        self._update_buttons()
        self.refresh()

    def refresh(self) -> None:
        self.note.setText("Looking…")
        self.refresh_button.setEnabled(False)
        run_in_background(self.find, self._on_found, self._on_failed, name="find-applications")

    def _on_found(self, found: list[Application]) -> None:
        self.found = list(found)
        self.refresh_button.setEnabled(True)
        self.table.setRowCount(len(found))
        for row, app in enumerate(found):
            cells = (app.application_id, str(app.live), str(app.instances), ago(app.last_seen_ms))
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if col in (1, 2):
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                self.table.setItem(row, col, item)
        if found:
            self.table.selectRow(0)
            self.note.setText(f"{len(found)} application{'s' * (len(found) != 1)} found.")
        else:
            self.note.setText(
                "No application publishes its run state here yet: start one with "
                "topology-studio run, an exported script or Run."
            )
        self._update_buttons()

    def _on_failed(self, exc: BaseException) -> None:
        self.refresh_button.setEnabled(True)
        self.note.setText(f"Cannot list applications: {exc}")

    def application_id(self) -> str | None:
        rows = self.table.selectionModel().selectedRows()
        return self.found[rows[0].row()].application_id if rows else None

    def _update_buttons(self) -> None:
        self.attach_button.setEnabled(self.application_id() is not None)


def find_applications(bootstrap: str, client_config: dict) -> Callable[[], list[Application]]:
    return lambda: applications(bootstrap, client_config)
