"""The Topic Browser's parts that need no broker: the records table model, the record
opened whole (900 KB values truncated with Show all, bytes as hex), positions typed."""

from __future__ import annotations

import base64

import pytest
from PySide6.QtCore import Qt

from engine.cluster.topics.positions import PositionError, StartKind
from gui.topics.qt_browser import QtTopicBrowser
from gui.topics.qt_record_panel import TRUNCATE_AT, QtRecordPanel, hex_dump
from gui.topics.qt_reset_offsets import reset_position
from gui.topics.qt_topic_admin import QtTopicConfigDialog, parse_configs
from gui.topics.records_model import RecordsTableModel


def record(value, fmt="json", **extra):
    return {
        "topic": "t",
        "partition": 0,
        "offset": 7,
        "timestamp": 1_765_000_000_000,
        "key": "k",
        "value": value,
        "headers": {"h": "v"},
        "key_format": "string",
        "value_format": fmt,
        **extra,
    }


def test_the_model_appends_pages_and_shows_the_columns_picked(qtbot):
    model = RecordsTableModel()
    model.append([record({"n": i}, offset=i) for i in range(3)])
    assert model.rowCount() == 3
    assert model.index(0, 2).data() == "2025-12-06T05:46:40.000Z"
    assert model.index(2, 1).data() == "2"
    model.set_columns(["value", "headers", "offset"])
    titles = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    assert titles == ["Offset", "Value", "Headers"]
    assert model.index(0, 2).data() == '{"h": "v"}'


def test_a_large_value_is_truncated_with_show_all(qtbot):
    panel = QtRecordPanel()
    qtbot.addWidget(panel)
    panel.show_record(record("x" * (TRUNCATE_AT + 5000), fmt="string"))
    assert panel.truncated() and "more characters" in panel.text.toPlainText()
    assert len(panel.text.toPlainText()) < TRUNCATE_AT + 1000
    panel.show_all.click()
    assert not panel.truncated()
    assert panel.text.toPlainText().endswith("x" * 5000)
    panel.show_record(record({"a": 1}))
    assert not panel.truncated() and '"a": 1' in panel.text.toPlainText()
    assert '"h": "v"' in panel.text.toPlainText()


def test_bytes_are_shown_as_hex(qtbot):
    panel = QtRecordPanel()
    qtbot.addWidget(panel)
    data = bytes(range(20))
    panel.show_record(record(base64.b64encode(data).decode(), fmt="bytes"))
    assert hex_dump(data) in panel.text.toPlainText()
    assert "00 01 02 03" in panel.text.toPlainText()


def test_positions_typed_are_understood_or_said(qtbot):
    browser = QtTopicBrowser("t", lambda: None)
    qtbot.addWidget(browser)
    browser.set_position("Time", "2026-12-06T10:00:00Z")
    start = browser.start_position()
    assert start.kind is StartKind.TIME and start.value == 1_796_551_200_000
    browser.set_position("Offset", "-3")
    with pytest.raises(PositionError, match="not an offset"):
        browser.start_position()
    browser.search()
    assert "Not connected" in browser.status.text()
    assert reset_position("Time", "1796551200000").value == 1_796_551_200_000
    with pytest.raises(PositionError, match="type the offset"):
        reset_position("Offset", " ")


def test_a_bad_filter_is_said_under_the_box_and_not_run(qtbot):
    browser = QtTopicBrowser("t", lambda: None)
    qtbot.addWidget(browser)
    browser.filter_edit.setText("value[")
    assert not browser.filter_error.isHidden() and not browser.debounce.isActive()
    browser.filter_edit.setText("value['a'] == 1")
    assert browser.filter_error.isHidden() and browser.debounce.isActive()


def test_topic_configs_are_name_value_lines():
    assert parse_configs("retention.ms=60000\n\n# note\ncleanup.policy = compact") == {
        "retention.ms": "60000",
        "cleanup.policy": "compact",
    }
    with pytest.raises(ValueError, match="line 1 is not name=value"):
        parse_configs("retention.ms")


class _Configs:
    def __init__(self, configs):
        self.configs = configs

    def topic_config(self, _topic):
        return self.configs


@pytest.mark.parametrize(
    ("configs", "said"),
    [
        ({"retention.ms": ("60000", False), "cleanup.policy": ("delete", True)}, "2 settings"),
        ({}, "The broker lists no settings of orders: it uses the broker's defaults."),
    ],
)
def test_the_config_dialog_says_what_the_broker_listed(qtbot, configs, said):
    dialog = QtTopicConfigDialog(_Configs(configs), "orders")
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.message.text().startswith(said[:10]), timeout=5000)
    assert said in dialog.message.text()
    assert dialog.table.rowCount() == len(configs)
    if configs:
        bold = {
            dialog.table.item(r, 0).text(): dialog.table.item(r, 1).font().bold() for r in range(2)
        }
        assert bold == {"retention.ms": True, "cleanup.policy": False}


def test_a_registry_refusing_the_schema_is_said_under_the_new_record(qtbot):
    """The registry answers, but not with a schema (here 401): said as such, the line
    left as it was."""
    from types import SimpleNamespace

    from confluent_kafka.schema_registry.error import SchemaRegistryError

    from gui.topics.qt_produce_dialog import NEW_RECORD, QtProduceDialog

    def refuse(*_args):
        raise SchemaRegistryError(401, 40101, "Unauthorized")

    client = SimpleNamespace(get_latest_version=refuse)
    registry = SimpleNamespace(client=client, serialized=client, url="http://registry:8081")
    dialog = QtProduceDialog("orders", "127.0.0.1:1", registry=registry)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: not dialog.schema_note.isHidden(), timeout=5000)
    assert dialog.schema_note.text() == (
        "The schema registry at http://registry:8081 gave no schema of orders (Unauthorized "
        "(HTTP status code 401, SR code 40101)): a line without a format is written as JSON "
        "or text."
    )
    assert dialog.editor.toPlainText() == NEW_RECORD
