"""The Topic Browser, produce, the Cluster dock's actions and Reset Offsets against the real
sandbox broker."""

from __future__ import annotations

import json

import pytest
from confluent_kafka import Consumer, TopicPartition
from PySide6.QtCore import Qt

from engine.model.topology import Topology
from gui.monitor.connection import CLUSTER, ConnectionProfile
from gui.monitor.qt_cluster import QtClusterWidget
from gui.monitor.qt_run_controller import RunController
from gui.topics.install import Topics
from tests.engine.kafka_util import consume_all, create_topic, produce

pytestmark = pytest.mark.kafka


class Answers:
    """What the confirmation questions answer, and what they asked."""

    def __init__(self, yes: bool = True):
        self.yes = yes
        self.asked: list[str] = []

    def __call__(self, _parent, _title: str, text: str) -> bool:
        self.asked.append(text)
        return self.yes


@pytest.fixture
def app(qtbot, bootstrap):
    topology = Topology("t")
    controller = RunController(ConnectionProfile(kind=CLUSTER, name="test", bootstrap=bootstrap))
    controller.set_topology_provider(lambda: topology)
    cluster = QtClusterWidget(controller)
    qtbot.addWidget(cluster)
    answers = Answers()
    topics = Topics(controller, cluster, None, confirm=answers)
    topics.answers, topics.topology = answers, topology
    yield topics
    for browser in list(topics.browsers.values()):
        browser.runner.cancel()
        browser.wait_for_scan(10)
        browser.close()
    for dialog in topics.open_dialogs():
        dialog.close()
    cluster.shutdown()
    controller.shutdown()


def orders(bootstrap: str, topic: str, n: int = 30, partitions: int = 2) -> None:
    create_topic(bootstrap, topic, partitions)
    produce(
        bootstrap,
        topic,
        [
            (f"c-{i % 3}", {"n": i, "email": f"u{i}@example.com"}, [("source", b"test")])
            for i in range(n)
        ],
    )


def open_browser(qtbot, app, topic: str, rows: int):
    browser = app.browse(topic)
    qtbot.waitUntil(
        lambda: browser.model.rowCount() == rows and not browser.scanning, timeout=20_000
    )
    return browser


def test_browse_shows_partitions_offsets_records_and_a_record_whole(qtbot, app, bootstrap, unique):
    topic = f"browse-{unique}"
    orders(bootstrap, topic)
    browser = open_browser(qtbot, app, topic, 30)
    assert browser.partitions.topLevelItemCount() == 2
    highs = [int(browser.partitions.topLevelItem(i).text(2)) for i in range(2)]
    assert sum(highs) == 30
    values = sorted(r["value"]["n"] for r in browser.model.records)
    assert values == list(range(30))
    assert "30 matches" in browser.status.text()
    # The first record is open whole beside the table, with its headers.
    assert '"source": "test"' in browser.panel.text.toPlainText()
    assert '"email"' in browser.panel.text.toPlainText()
    # Columns to pick: headers shown on demand.
    browser.column_actions["headers"].setChecked(True)
    assert "Headers" in [
        browser.model.headerData(c, Qt.Orientation.Horizontal)
        for c in range(browser.model.columnCount())
    ]


def test_filter_searches_as_you_type_and_says_what_is_not_allowed(qtbot, app, bootstrap, unique):
    topic = f"filter-{unique}"
    orders(bootstrap, topic)
    browser = open_browser(qtbot, app, topic, 30)
    qtbot.keyClicks(browser.filter_edit, "value['n'] >= 25")
    qtbot.waitUntil(lambda: browser.model.rowCount() == 5 and not browser.scanning, timeout=20_000)
    assert sorted(r["value"]["n"] for r in browser.model.records) == [25, 26, 27, 28, 29]
    assert browser.filter_error.isHidden()
    browser.filter_edit.setText("__import__('os').system('true')")
    assert not browser.filter_error.isHidden()
    assert "not allowed" in browser.filter_error.text()
    assert browser.model.rowCount() == 5  # the last good search stays


def test_seek_by_offset_in_one_partition(qtbot, app, bootstrap, unique):
    topic = f"seek-{unique}"
    create_topic(bootstrap, topic, 2)
    produce(bootstrap, topic, [(None, {"n": i}) for i in range(10)], partition=1)
    browser = open_browser(qtbot, app, topic, 10)
    browser.set_position("Offset", "7", partition=1)
    browser.seek()
    qtbot.waitUntil(lambda: not browser.scanning and browser.model.rowCount() == 3, timeout=20_000)
    assert [r["offset"] for r in browser.model.records] == [7, 8, 9]
    browser.set_position("Offset", "seven", partition=1)
    browser.seek()
    assert "not an offset" in browser.status.text()


def test_export_the_matches_as_ndjson_masked(qtbot, app, bootstrap, unique, tmp_path):
    topic = f"export-{unique}"
    orders(bootstrap, topic, n=6)
    app.topology.settings["masking"] = [{"field": "email"}]
    browser = open_browser(qtbot, app, topic, 6)
    assert all(r["value"]["email"] == "***" for r in browser.model.records)
    path = tmp_path / "out.ndjson"
    assert browser.export(str(path), "ndjson") == 6
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert sorted(line["value"]["n"] for line in lines) == list(range(6))
    assert {line["value"]["email"] for line in lines} == {"***"}
    assert lines[0]["topic"] == topic and lines[0]["headers"] == {"source": "test"}
    csv_path = tmp_path / "out.csv"
    assert browser.export(str(csv_path), "csv") == 6
    rows = csv_path.read_text().splitlines()
    assert rows[0].startswith("topic,partition,offset,timestamp,key,value,headers")
    assert len(rows) == 7 and "***" in rows[1] and "example.com" not in csv_path.read_text()
    # A masked value is not found by search.
    browser.filter_edit.setText("'example' in value['email']")
    qtbot.waitUntil(lambda: not browser.scanning and browser.model.rowCount() == 0, timeout=20_000)
    assert browser.export(str(tmp_path / "no" / "x.ndjson")) == -1
    assert "Cannot write" in browser.status.text()


def test_produce_asks_first_then_writes(qtbot, app, bootstrap, unique):
    topic = f"produce-{unique}"
    create_topic(bootstrap, topic, 1)
    dialog = app.produce(topic, [])
    dialog.editor.setPlainText('{"key": "k1", "value": {"a": 1}, "headers": {"h": "v"}}')
    app.answers.yes = False
    dialog.produce()
    assert "Nothing was written" in dialog.message.text()
    assert app.answers.asked and topic in app.answers.asked[-1]
    dialog.editor.setPlainText("not json")
    app.answers.yes = True
    dialog.produce()
    assert "Line 1: not JSON" in dialog.message.text()
    dialog.editor.setPlainText('{"key": "k1", "value": {"a": 1}, "headers": {"h": "v"}}')
    with qtbot.waitSignal(dialog.accepted, timeout=20_000):
        dialog.produce()
    [message] = consume_all(bootstrap, topic, expect=1)
    assert json.loads(message.value()) == {"a": 1} and message.key() == b"k1"
    assert message.headers() == [("h", b"v")]


def test_reproduce_selected_rows_with_edits(qtbot, app, bootstrap, unique):
    topic = f"again-{unique}"
    orders(bootstrap, topic, n=3, partitions=1)
    browser = open_browser(qtbot, app, topic, 3)
    browser.table.selectRow(1)
    opened = []
    browser.produce_requested.connect(lambda t, records: opened.append(app.produce(t, records)))
    browser.reproduce_button.click()
    [dialog] = opened
    line = json.loads(dialog.editor.toPlainText())
    assert line["value"]["n"] == 1 and line["headers"] == {"source": "test"}
    line["value"]["n"] = 100
    dialog.editor.setPlainText(json.dumps(line))
    with qtbot.waitSignal(dialog.accepted, timeout=20_000):
        dialog.produce()
    qtbot.waitUntil(lambda: browser.model.rowCount() == 4 and not browser.scanning, timeout=20_000)
    assert browser.model.records[-1]["value"]["n"] == 100


def test_cluster_dock_lists_replicas_and_creates_configures_deletes(qtbot, app, bootstrap, unique):
    cluster = app.cluster
    topic = f"made-{unique}"
    dialog = app.create()
    dialog.name_edit.setText(topic)
    dialog.partitions_spin.setValue(3)
    dialog.configs_edit.setPlainText("retention.ms=60000")
    with qtbot.waitSignal(dialog.accepted, timeout=20_000):
        dialog.create()
    qtbot.waitUntil(lambda: cluster._find(1, topic) is not None, timeout=20_000)
    item = cluster._find(1, topic)
    assert [item.text(c) for c in (1, 2, 3)] == ["3", "1", "1"]
    # Creating it again: the broker's refusal, as a sentence in the dialog.
    again = app.create()
    again.name_edit.setText(topic)
    again.create()
    qtbot.waitUntil(lambda: "refused" in again.message.text(), timeout=20_000)
    assert "exists" in again.message.text()
    config = app.show_config(topic)
    qtbot.waitUntil(lambda: "retention.ms" in config.configs, timeout=20_000)
    assert config.configs["retention.ms"][0] == "60000"
    # Right-click → Browse opens the browser; Delete asks first.
    cluster.topicAction.emit("browse", topic)
    assert topic in app.browsers
    app.answers.yes = False
    cluster.topicAction.emit("delete", topic)
    assert cluster._find(1, topic) is not None and topic in app.answers.asked[-1]
    app.answers.yes = True
    cluster.topicAction.emit("delete", topic)
    qtbot.waitUntil(lambda: cluster._find(1, topic) is None, timeout=20_000)
    assert "deleted" in cluster.state_label.text()


def commit(bootstrap: str, group: str, topic: str, offsets: dict[int, int]) -> None:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group})
    consumer.commit(
        offsets=[TopicPartition(topic, p, o) for p, o in offsets.items()], asynchronous=False
    )
    consumer.close()


def test_reset_offsets_previews_then_applies(qtbot, app, bootstrap, unique):
    topic, group = f"reset-{unique}", f"group-{unique}"
    create_topic(bootstrap, topic, 1)
    produce(bootstrap, topic, [(None, {"n": i}) for i in range(20)])
    commit(bootstrap, group, topic, {0: 15})
    dialog = app.reset_offsets(group)
    dialog.to_combo.setCurrentText("Offset")
    dialog.value_edit.setText("5")
    dialog.preview()
    qtbot.waitUntil(lambda: dialog.plan is not None, timeout=20_000)
    cells = [dialog.table.item(0, c).text() for c in range(6)]
    assert cells == [topic, "0", "15", "5", "10", "0"]
    assert "10 records would be read again" in dialog.message.text()
    assert dialog.apply_button.isEnabled()
    dialog.apply()
    qtbot.waitUntil(lambda: dialog.applied, timeout=20_000)
    assert app.answers.asked
    assert app.controller.cluster_client().committed(group)[(topic, 0)] == 5


def test_reset_offsets_is_refused_while_the_group_is_active(qtbot, app, bootstrap, unique):
    topic, group = f"busy-{unique}", f"busy-{unique}"
    create_topic(bootstrap, topic, 1)
    produce(bootstrap, topic, [(None, {"n": i}) for i in range(5)])
    consumer = Consumer(
        {"bootstrap.servers": bootstrap, "group.id": group, "auto.offset.reset": "earliest"}
    )
    consumer.subscribe([topic])
    try:
        got = 0
        for _ in range(100):
            got += len(consumer.consume(10, timeout=0.2))
            if got >= 5:
                break
        consumer.commit(offsets=[TopicPartition(topic, 0, 5)], asynchronous=False)
        dialog = app.reset_offsets(group)
        dialog.preview()
        qtbot.waitUntil(lambda: dialog.plan is not None, timeout=20_000)
        assert "stop its consumers" in dialog.message.text()
        assert not dialog.apply_button.isEnabled()
    finally:
        consumer.close()


def test_seek_by_time_and_a_time_after_the_end_is_said(qtbot, app, bootstrap, unique):
    topic = f"time-{unique}"
    create_topic(bootstrap, topic, 1)
    produce(bootstrap, topic, [(None, {"n": i}) for i in range(5)])
    browser = open_browser(qtbot, app, topic, 5)
    third = browser.model.records[2]["timestamp"]
    browser.set_position("Time", str(third))
    browser.seek()
    qtbot.waitUntil(lambda: not browser.scanning, timeout=20_000)
    assert all(r["timestamp"] >= third for r in browser.model.records)
    assert browser.model.records[0]["offset"] <= 2
    browser.set_position("Time", "2099-01-01T00:00:00Z")
    browser.seek()
    qtbot.waitUntil(
        lambda: not browser.scanning and "after its end" in browser.status.text(), timeout=20_000
    )
    assert browser.model.rowCount() == 0


def test_a_topic_that_is_gone_is_a_sentence(qtbot, app, unique):
    browser = app.browse(f"never-{unique}")
    qtbot.waitUntil(lambda: "Cannot read" in browser.status.text(), timeout=20_000)
    assert "there is no topic" in browser.status.text()


def test_the_cluster_dock_opens_the_browser_and_masks_its_sample(qtbot, app, bootstrap, unique):
    topic = f"dock-{unique}"
    orders(bootstrap, topic, n=4, partitions=1)
    app.topology.settings["masking"] = [{"field": "email", "topic": "dock-*"}]
    cluster = app.cluster
    cluster.refresh()
    qtbot.waitUntil(lambda: cluster._find(1, topic) is not None, timeout=20_000)
    item = cluster._find(1, topic)
    cluster.tree.setCurrentItem(item)
    qtbot.waitUntil(lambda: cluster.samples.model.rowCount() == 4, timeout=20_000)
    shown = [cluster.samples.model.index(r, 4).data() for r in range(4)]
    assert all('"email": "***"' in text for text in shown)
    # Right-click: the topic's actions; double-click: Browse.
    rect = cluster.tree.visualItemRect(item)
    cluster._on_context_menu(rect.center())
    texts = [a.text() for a in cluster.context_menu.actions()]
    assert texts[:4] == ["Browse", "Produce…", "Config", "Delete…"]
    cluster.context_menu.close()
    cluster.tree.itemDoubleClicked.emit(item, 0)
    assert topic in app.browsers
    browser = app.browsers[topic]
    qtbot.waitUntil(lambda: browser.model.rowCount() == 4 and not browser.scanning, timeout=20_000)
    assert all(r["value"]["email"] == "***" for r in browser.model.records)


def test_a_group_right_click_offers_reset_and_chart(qtbot, app, bootstrap, unique):
    topic, group = f"grp-{unique}", f"grp-{unique}"
    create_topic(bootstrap, topic, 1)
    produce(bootstrap, topic, [(None, {"n": 1})])
    commit(bootstrap, group, topic, {0: 1})
    cluster = app.cluster
    cluster.refresh()
    qtbot.waitUntil(lambda: cluster._find(2, group) is not None, timeout=20_000)
    item = cluster._find(2, group)
    cluster._on_context_menu(cluster.tree.visualItemRect(item).center())
    actions = {a.text(): a for a in cluster.context_menu.actions()}
    assert {"Reset Offsets…", "Chart lag"} <= set(actions)
    actions["Reset Offsets…"].trigger()
    assert app.dialog is not None and app.dialog.group == group
    actions["Chart lag"].trigger()
    assert cluster.pages.currentWidget() is cluster.lag_widget
    cluster.context_menu.close()


def test_cancel_stops_the_scan_and_says_so(qtbot, app, bootstrap, unique):
    topic = f"cancel-{unique}"
    orders(bootstrap, topic, n=2000, partitions=1)
    browser = open_browser(qtbot, app, topic, 2000)
    browser.filter_edit.setText("value['n'] < 0")
    browser.seek()
    assert browser.cancel_button.isEnabled()
    browser.cancel_button.click()
    qtbot.waitUntil(lambda: not browser.scanning, timeout=20_000)
    assert "cancelled" in browser.status.text()
    assert browser.runner.scan.progress.scanned < 2000
    assert not browser.cancel_button.isEnabled()


def test_closing_the_browser_during_a_scan_ends_it_quietly(qtbot, app, bootstrap, unique):
    topic = f"close-{unique}"
    orders(bootstrap, topic, n=3000, partitions=1)
    browser = open_browser(qtbot, app, topic, 3000)
    runner_thread = browser.runner
    browser.filter_edit.setText("value['n'] < 0")
    browser.seek()
    scan = browser.runner.scan
    thread = runner_thread.thread
    browser.close()  # deleted on close, the scan still running in its thread
    qtbot.waitUntil(lambda: topic not in app.browsers, timeout=5_000)
    thread.join(20)
    assert not thread.is_alive() and scan.cancelled


def test_an_avro_topic_is_browsed_decoded_through_the_registry(qtbot, app, bootstrap, unique):
    from confluent_kafka import Producer
    from confluent_kafka.schema_registry import SchemaRegistryClient
    from confluent_kafka.schema_registry.avro import AvroSerializer
    from confluent_kafka.serialization import MessageField, SerializationContext

    from engine.cluster.registry import SchemaRegistryServer

    topic = f"avro-{unique}"
    create_topic(bootstrap, topic, 1)
    server = SchemaRegistryServer(bootstrap).start()
    try:
        schema = json.dumps(
            {
                "type": "record",
                "name": "Order",
                "fields": [{"name": "n", "type": "int"}, {"name": "item", "type": "string"}],
            }
        )
        serialize = AvroSerializer(SchemaRegistryClient({"url": server.url}), schema)
        producer = Producer({"bootstrap.servers": bootstrap})
        for i in range(4):
            value = serialize(
                {"n": i, "item": f"i{i}"}, SerializationContext(topic, MessageField.VALUE)
            )
            producer.produce(topic, value=value)
        producer.flush(10)
        # No registry named: shown undecoded, and the browser says where to name one.
        browser = open_browser(qtbot, app, topic, 4)
        assert "4 values read are in the schema registry's wire format" in browser.status.text()
        assert "choose the schema registry in Run → Connection" in browser.status.text()
        app.topology.settings["schema_registry"] = {"url": server.url}
        browser.load()
        qtbot.waitUntil(
            lambda: (
                not browser.scanning
                and [r["value_format"] for r in browser.model.records] == ["avro"] * 4
            ),
            timeout=20_000,
        )
        assert "wire format" not in browser.status.text()
        assert sorted(r["value"]["n"] for r in browser.model.records) == [0, 1, 2, 3]
        assert {r["value"]["item"] for r in browser.model.records} == {"i0", "i1", "i2", "i3"}
        # A new record starts from the registered schema, in its format: what is typed
        # into its fields goes out in Avro, and the browser reads it back decoded.
        dialog = app.produce(topic, [])
        qtbot.waitUntil(lambda: "avro" in dialog.editor.toPlainText(), timeout=20_000)
        line = json.loads(dialog.editor.toPlainText())
        assert line == {
            "key": None,
            "value": {"n": 0, "item": ""},
            "headers": {},
            "value_format": "avro",
        }
        assert f"Avro, subject {topic}-value version 1" in dialog.schema_note.text()
        line["value"] = {"n": 9, "item": "typed"}
        dialog.editor.setPlainText(json.dumps(line))
        with qtbot.waitSignal(dialog.accepted, timeout=20_000):
            dialog.produce()
        qtbot.waitUntil(
            lambda: browser.model.rowCount() == 5 and not browser.scanning, timeout=20_000
        )
        typed = [r for r in browser.model.records if r["value"]["n"] == 9]
        assert typed and typed[0]["value"] == {"n": 9, "item": "typed"}
        assert typed[0]["value_format"] == "avro"
    finally:
        server.stop()


def test_a_new_record_on_a_topic_without_a_schema_stays_as_typed(qtbot, app, bootstrap, unique):
    """No subject for the topic: the plain template, no note; the registry not answering:
    the plain template and a note saying so."""
    from engine.cluster.registry import SchemaRegistryServer
    from gui.topics.qt_produce_dialog import NEW_RECORD

    topic = f"plain-{unique}"
    create_topic(bootstrap, topic, 1)
    server = SchemaRegistryServer(bootstrap).start()
    try:
        app.topology.settings["schema_registry"] = {"url": server.url}
        dialog = app.produce(topic, [])
        qtbot.waitUntil(lambda: not dialog._template_call.running(), timeout=20_000)
        qtbot.wait(300)  # its answer handed to the dialog
        assert dialog.editor.toPlainText() == NEW_RECORD and dialog.schema_note.isHidden()
    finally:
        server.stop()
    dialog = app.produce(topic, [])  # the registry has stopped
    qtbot.waitUntil(lambda: not dialog.schema_note.isHidden(), timeout=30_000)
    assert f"The schema registry at {server.url} does not answer" in dialog.schema_note.text()
    assert dialog.editor.toPlainText() == NEW_RECORD
