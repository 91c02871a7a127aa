"""The data preview dock: the latest records that passed the selected node, live."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from gui.monitor.masking import mask_records, masker_for_node
from gui.monitor.qt_records import QtRecordsView


class QtPreviewWidget(QWidget):
    """Model: the RunController (``samplesReceived``, ``preview_node``)."""

    def __init__(self, controller, parent=None):
        super().__init__(parent)
        self.controller = controller
        self.title = QLabel()
        self.title.setObjectName("previewTitle")
        self.title.setStyleSheet("padding: 4px 8px; color: #c9ced8;")
        self.records = QtRecordsView()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.title)
        layout.addWidget(self.records, 1)
        controller.samplesReceived.connect(self._on_samples)
        controller.statusChanged.connect(self._on_status_changed)
        self._count = 0
        self._update_title()

    def set_node(self, node_id: str | None) -> None:
        if node_id == self.controller.preview_node:
            return
        self.controller.set_preview_node(node_id)
        self.records.clear()
        self._count = 0
        self._update_title()

    def _on_samples(self, node_id: str, records: list) -> None:
        if node_id != self.controller.preview_node:
            return
        self._count = len(records)
        masker = masker_for_node(self.controller.topology_provider(), node_id)  # SPEC §15
        self.records.set_records(mask_records(masker, records))
        self._update_title()

    def _on_status_changed(self, _status: str, _reason: str) -> None:
        self._update_title()

    def _update_title(self) -> None:
        node = self.controller.preview_node
        if not node:
            self.title.setText("Select a node on the canvas to see the records that pass it.")
        elif not self.controller.is_active() and not self._count:
            self.title.setText(f"<b>{node}</b> — run the topology to see its records.")
        elif not self._count:
            self.title.setText(f"<b>{node}</b> — waiting for records…")
        else:
            self.title.setText(f"<b>{node}</b> — latest {self._count} records, newest first")
