"""Alerts in the app, built on events as the worker sends them (no Kafka): the panel's
rows, the canvas marks, the desktop notification, and the rules editor in the inspector."""

from __future__ import annotations

import time

import pytest

from engine.model.alerts import default_rules
from gui.canvas.alert_mark import marked_nodes
from gui.designer.editors.alerts import AlertsParamEditor

QUIET = {"name": "quiet orders", "when": "rate_below", "node": "orders", "below": 5, "for": "1s"}


def snapshot(rate: float, errors: int = 0) -> dict:
    return {
        "status": "running",
        "reason": "",
        "elapsed_s": 1.0,
        "group_id": "g",
        "nodes": {"orders": {"in": 10, "out": 10, "errors": errors, "late": 0}},
        "rates": {"orders": {"in": rate, "out": rate}},
        "offsets": {},
        "lag": {},
    }


@pytest.fixture
def alerting(window):
    """The demo in the window with one rule, its run 'started' (no worker: events are fed)."""
    window.document.set_setting("alerts", [QUIET])
    controller = window.monitor.controller
    assert "orders" in window.document.topology.nodes
    controller._set_status("starting", "")
    assert window.alerts.monitor.evaluator is not None
    yield window
    controller._set_status("stopped", "")


def fire(window, rate: float, at: float):
    window.monitor.controller.handle_event("metrics", snapshot(rate))
    return window.alerts.monitor.evaluate(at)


def test_a_firing_rule_shows_in_the_panel_on_the_canvas_and_as_a_notification(alerting, qtbot):
    window, alerts = alerting, alerting.alerts
    now = time.monotonic()
    assert fire(window, 0.0, now) == []  # holds, not yet for 1 s
    fired = fire(window, 0.0, now + 1.2)
    assert [(t.rule, t.state, t.node) for t in fired] == [("quiet orders", "firing", "orders")]

    model = alerts.widget.model
    assert model.rowCount() == 1
    row = [model.data(model.index(0, c)) for c in range(model.columnCount())]
    assert (
        row[0] == "● firing" and row[2] == "quiet orders" and row[3] == "orders" and row[4] == "0"
    )
    assert row[5] == "records/s in of orders below 5 for 1s"
    assert model.data(model.index(0, 1))  # the time
    assert "1 firing" in alerts.widget.summary.text()
    assert marked_nodes(window.scene) == {"orders": ["quiet orders"]}
    assert alerts.notifier.shown[-1][0] == "Alert: quiet orders at orders"

    # The source is busy again: resolved after as long.
    fire(window, 50.0, now + 2.0)
    resolved = fire(window, 50.0, now + 3.3)
    assert [(t.state, t.value) for t in resolved] == [("resolved", 50.0)]
    assert model.rowCount() == 2
    assert model.data(model.index(0, 0)) == "✔ resolved"
    assert model.data(model.index(1, 0)) == "○ fired"
    assert marked_nodes(window.scene) == {}
    assert alerts.notifier.shown[-1][0] == "Resolved: quiet orders at orders"
    assert "nothing firing" in alerts.widget.summary.text()

    # Double-click on a row selects its node.
    alerts.widget.table.doubleClicked.emit(model.index(0, 2))
    assert window.scene.selected_node_ids() == ["orders"]


def test_marks_clear_when_the_run_stops_and_rows_stay(alerting):
    window, alerts = alerting, alerting.alerts
    now = time.monotonic()
    fire(window, 0.0, now)
    fire(window, 0.0, now + 1.5)
    assert marked_nodes(window.scene) == {"orders": ["quiet orders"]}
    window.monitor.controller._set_status("stopped", "")
    assert marked_nodes(window.scene) == {}
    assert alerts.widget.model.rowCount() == 1
    assert alerts.widget.model.data(alerts.widget.model.index(0, 0)) == "○ fired"
    assert alerts.monitor.evaluate(now + 5) == []  # nothing evaluated after the run


def test_the_alerts_dock_is_in_the_window_and_view_menu(window):
    dock = window.alerts.dock
    assert dock.objectName() == "alertsDock" and dock.windowTitle() == "Alerts"
    view = next(a.menu() for a in window.menuBar().actions() if a.text().replace("&", "") == "View")
    assert dock.toggleViewAction() in view.actions()


def test_a_new_topology_starts_with_the_default_rules(window):
    window.document.new_empty()
    assert window.document.topology.settings["alerts"] == default_rules()
    assert not window.document.problems


def test_rules_are_edited_in_the_inspector_with_nothing_selected(window, qtbot):
    doc, inspector = window.document, window.inspector
    doc.set_setting("alerts", [QUIET])
    window.scene.clearSelection()
    inspector.show_nodes([])
    editor = inspector.fields["alerts"].editor
    assert isinstance(editor, AlertsParamEditor)
    assert editor.value() == [QUIET]
    row = editor.rows[0]
    assert [row.node.itemData(i) for i in range(row.node.count())] == list(
        doc.topology.nodes
    )  # required: no "any"
    row.threshold.setValue(12)
    assert doc.topology.settings["alerts"][0]["below"] == 12
    editor.add.click()
    assert len(doc.topology.settings["alerts"]) == 2
    new = editor.rows[1]
    new.when.setCurrentIndex(new.when.findData("lag_records"))
    new.when.activated.emit(new.when.currentIndex())
    assert doc.topology.settings["alerts"][1] == {"name": "rule", "when": "lag_records", "above": 0}
    sources = [new.node.itemData(i) for i in range(new.node.count())]
    assert sources[0] == "" and set(sources[1:]) == {
        n.id for n in doc.topology.nodes.values() if n.type in ("kafka_source", "generator_source")
    }
    doc.undo_stack.undo()
    assert doc.topology.settings["alerts"][1]["when"] == "errors_per_minute"
    assert editor.rows[1].when.currentData() == "errors_per_minute"

    # A bad rule (a file written by hand) is a problem shown under the field.
    doc.set_setting("alerts", [{"name": "x", "when": "lag_records", "above": -1}])
    field = inspector.fields["alerts"]
    qtbot.waitUntil(lambda: field.problem.text() != "")
    assert field.problem.text() == "alert rule 'x': 'above' must not be negative (-1)"
    assert not field.problem.isHidden()
    editor.rows[0].remove.click()
    assert doc.topology.settings.get("alerts") is None
    editor.defaults.click()
    assert doc.topology.settings["alerts"] == default_rules()
    assert editor.rows[0].node.currentText() == "the consumer group"
    assert editor.rows[0].threshold.isHidden()  # group_status takes no threshold
    qtbot.waitUntil(lambda: inspector.fields["alerts"].problem.isHidden())


def test_instance_lost_follows_the_fleet_watcher(window, qtbot):
    from PySide6.QtCore import SIGNAL

    watcher = window.fleet.watcher
    qtbot.waitUntil(
        lambda: watcher.receivers(SIGNAL("updated(QVariantMap)")) >= 2
    )  # fleet + alerts
    window.document.set_setting("alerts", [{"name": "lost", "when": "instance_lost", "for": "1s"}])
    controller, monitor = window.monitor.controller, window.alerts.monitor
    controller._set_status("starting", "")
    app_id = window.document.topology.name
    a = {"instance": "a", "status": "running", "alive": True}
    b = {"instance": "b", "status": "running", "alive": True}
    now = time.monotonic()
    monitor.observe_fleet({"application_id": app_id, "instances": [a, b]})
    assert monitor.evaluate(now) == []
    monitor.observe_fleet({"application_id": "someone-else", "instances": []})  # not ours: ignored
    monitor.observe_fleet({"application_id": app_id, "instances": [a, {**b, "alive": False}]})
    monitor.evaluate(now + 1)
    fired = monitor.evaluate(now + 2.5)
    assert [(t.rule, t.state, t.value) for t in fired] == [("lost", "firing", 1)]
    controller._set_status("stopped", "")
