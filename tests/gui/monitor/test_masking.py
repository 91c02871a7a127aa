"""Masking in the app (reference §9.12): the rules of the open topology applied to a node's or a
topic's records, and in the data preview. No Kafka."""

from __future__ import annotations

from engine.model.masking import mask_records, masker_for_node, masker_for_topic
from engine.model.topology import Edge, Node, Topology
from gui.monitor.qt_log import QtLogWidget
from gui.monitor.qt_preview import QtPreviewWidget
from gui.monitor.qt_run_controller import RunController


def topology(rules: list[dict]) -> Topology:
    t = Topology("t", {"masking": rules})
    t.add_node(Node("src", "kafka_source", {"topic": "customers"}))
    t.add_node(Node("paid", "filter", {"expr": "True"}))
    t.add_node(Node("other", "kafka_source", {"topic": "payments"}))
    t.add_edge(Edge("src", "paid"))
    return t


RECORD = {
    "key": {"email": "k@example.com"},
    "value": {"name": "Ada", "email": "a@example.com", "card": {"number": "4111"}},
    "headers": {"email": "h@example.com", "trace": "t1"},
}


def test_a_nodes_records_are_masked_by_the_rules_of_the_topics_upstream():
    t = topology([{"field": "email", "topic": "cust*"}, {"field": "card.number"}])
    [masked] = mask_records(masker_for_node(t, "paid"), [RECORD])
    assert masked["value"] == {"name": "Ada", "email": "***", "card": {"number": "***"}}
    assert masked["key"] == {"email": "***"}
    assert masked["headers"] == {"email": "***", "trace": "t1"}
    assert RECORD["value"]["email"] == "a@example.com"  # never in place
    # A node that reads another topic: only the rule for every topic applies.
    [other] = mask_records(masker_for_node(t, "other"), [RECORD])
    assert other["value"]["email"] == "a@example.com" and other["value"]["card"]["number"] == "***"


def test_a_topics_records_and_no_rules():
    t = topology([{"field": "email", "topic": "customers"}])
    assert mask_records(masker_for_topic(t, "customers"), [RECORD])[0]["value"]["email"] == "***"
    assert mask_records(masker_for_topic(t, "orders"), [RECORD]) == [RECORD]
    assert mask_records(masker_for_topic(None, "customers"), [RECORD]) == [RECORD]


def test_the_preview_shows_masked_values(qtbot):
    controller = RunController()
    t = topology([{"field": "email"}])
    controller.set_topology_provider(lambda: t)
    preview = QtPreviewWidget(controller)
    qtbot.addWidget(preview)
    try:
        preview.set_node("paid")
        controller.handle_event(
            "samples", ("paid", [{**RECORD, "partition": 0, "offset": 1, "timestamp": 1}])
        )
        shown = preview.records.model.index(0, 4).data()
        assert '"email": "***"' in shown and "a@example.com" not in shown
        t.settings["masking"] = []
        controller.handle_event(
            "samples", ("paid", [{**RECORD, "partition": 0, "offset": 1, "timestamp": 1}])
        )
        assert "a@example.com" in preview.records.model.index(0, 4).data()
    finally:
        controller.shutdown()


def test_the_dead_letter_view_shows_masked_values(qtbot):
    controller = RunController()
    t = topology([{"field": "email", "topic": "customers"}])
    controller.set_topology_provider(lambda: t)
    log = QtLogWidget(controller)
    qtbot.addWidget(log)
    try:
        controller.handle_event(
            "dead_letter",
            [
                {
                    "node": "paid",
                    "error": "boom",
                    "topic": "customers",
                    "partition": 0,
                    "offset": 3,
                    "key": None,
                    "value": {"email": "a@example.com", "n": 1},
                }
            ],
        )
        detail = log.model.entry(log.model.rowCount() - 1).detail
        assert "'***'" in detail and "a@example.com" not in detail
    finally:
        controller.shutdown()
