"""The data preview's schema header (reference §7.6), without a broker: records a worker would
send, and a registry's look-ups as a stand-in where none is reached."""

from __future__ import annotations

import resources
from engine.model import fileformat
from gui.monitor.qt_preview import QtPreviewWidget
from gui.monitor.qt_run_controller import RunController


def test_the_preview_names_a_schema_only_where_records_are_read(qtbot):
    """Past the source (a filter here) the values are the nodes' own: no schema is named,
    though the records came from the Avro topic."""
    demo, _ = fileformat.read(resources.DEMO_TOPOLOGY)
    c = RunController()
    c.set_topology_provider(lambda: demo)
    asked = []
    c.registry_lookup = lambda: asked.append(1)  # never reached for a filter
    preview = QtPreviewWidget(c)
    qtbot.addWidget(preview)
    preview.set_node("paid")
    sample = {"key": "c-1", "value": {"status": "paid"}, "topic": "orders", "schema_id": 1}
    c.samplesReceived.emit("paid", [sample])
    assert preview.records.model.rowCount() == 1 and preview.schema_text() == ""
    assert asked == [] and not preview.schema.isVisibleTo(preview)
    c.shutdown()


def test_the_preview_of_a_source_names_the_schema_of_its_records(qtbot):
    demo, _ = fileformat.read(resources.DEMO_TOPOLOGY)
    c = RunController()
    c.set_topology_provider(lambda: demo)

    class Lookup:
        def header(self, ids, topic):
            return f"Avro · subject {topic}-value · version 1 · schema ids {sorted(ids)}"

    c.registry_lookup = lambda: Lookup()
    preview = QtPreviewWidget(c)
    qtbot.addWidget(preview)
    preview.set_node("orders")
    sample = {"key": "c-1", "value": {"status": "paid"}, "topic": "orders", "schema_id": 3}
    c.samplesReceived.emit("orders", [sample, {**sample, "schema_id": 4}])
    qtbot.waitUntil(lambda: bool(preview.schema_text()), timeout=5000)
    assert preview.schema_text() == "Avro · subject orders-value · version 1 · schema ids [3, 4]"
    preview.set_node("clicks")  # another node: its own header, none here
    assert preview.schema_text() == ""
    c.shutdown()
