"""The data preview dock: the latest records that passed the selected node, live; for a
source in a schema format (reference §7.6) the values decoded, and a header naming the schema
they were written with: format, subject, version and schema id."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from engine.model.masking import mask_records, masker_for_node
from gui.monitor.qt_records import QtRecordsView
from gui.monitor.qt_tasks import BackgroundCall
from gui.style import theme


class QtPreviewWidget(QWidget):
    """Model: the RunController (``samplesReceived``, ``preview_node``, ``registry_lookup``)."""

    def __init__(self, controller, parent=None):
        super().__init__(parent)
        self.controller = controller
        self.title = QLabel()
        self.title.setObjectName("previewTitle")
        theme.style_widget(self.title, "padding: 4px 8px; color: @bar_text@;")
        self.schema = QLabel()
        self.schema.setObjectName("previewSchema")
        theme.style_widget(self.schema, "padding: 0 8px 4px 8px; color: @link@;")
        self.schema.hide()
        self.records = QtRecordsView()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.title)
        layout.addWidget(self.schema)
        layout.addWidget(self.records, 1)
        controller.samplesReceived.connect(self._on_samples)
        controller.statusChanged.connect(self._on_status_changed)
        self._count = 0
        self._schema_ids: frozenset = frozenset()
        self._schema_call: BackgroundCall | None = None
        self._update_title()

    def set_node(self, node_id: str | None) -> None:
        if node_id == self.controller.preview_node:
            return
        self.controller.set_preview_node(node_id)
        self.records.clear()
        self._count = 0
        self._schema_ids = frozenset()
        self._show_schema(frozenset(), "")
        self._update_title()

    def _on_samples(self, node_id: str, records: list) -> None:
        if node_id != self.controller.preview_node:
            return
        self._count = len(records)
        masker = masker_for_node(self.controller.topology_provider(), node_id)  # reference §9.12
        self.records.set_records(mask_records(masker, records))
        self._update_title()
        ids = (
            frozenset(r["schema_id"] for r in records if isinstance(r.get("schema_id"), int))
            if self._reads_topic(node_id)
            else frozenset()  # past the source the values are the nodes' own, not the schema's
        )
        if ids != self._schema_ids:
            topic = next((r.get("topic") for r in records if r.get("topic")), "") or ""
            self._ask_schema(ids, topic)

    def _reads_topic(self, node_id: str) -> bool:
        topology = self.controller.topology_provider()
        node = topology.nodes.get(node_id) if topology is not None else None
        return node is not None and node.type in ("kafka_source", "generator_source")

    def _ask_schema(self, ids: frozenset, topic: str) -> None:
        self._schema_ids = ids
        if not ids:
            self._show_schema(ids, "")
            return
        controller = self.controller

        def work() -> str:
            lookup = controller.registry_lookup()
            return lookup.header(ids, topic) if lookup is not None else ""

        self._schema_call = BackgroundCall(
            work,
            lambda text: self._show_schema(ids, text),
            lambda exc: self._show_schema(ids, f"schema ids {', '.join(map(str, sorted(ids)))}"),
            name="preview-schema",
        ).start()

    def _show_schema(self, ids: frozenset, text: str) -> None:
        if ids != self._schema_ids and ids:
            return  # an answer about records no longer shown
        self.schema.setText(text)
        self.schema.setToolTip(text)
        self.schema.setVisible(bool(text))

    def schema_text(self) -> str:
        return self.schema.text()

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
