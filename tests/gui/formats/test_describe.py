"""File → Open Kafka Streams Topology…: the dialog, and the read-only view it opens, on
every real describe() output in tests/engine/data."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QDialog, QFileDialog, QGraphicsItem

from engine.code.describe import (
    PROCESSOR,
    SINK,
    SOURCE,
    application_topics,
    parse_description,
    to_view_graph,
)
from gui.formats.describe.dialog import DescribeDialog
from gui.formats.describe.items import LinkItem, StreamsNodeItem
from gui.formats.describe.widget import DescribeWidget
from gui.style import theme
from tests.gui.conftest import drag_mouse

DATA = Path(__file__).resolve().parents[2] / "engine" / "data"
FIXTURES = sorted(DATA.glob("describe_*.txt"))
WINDOWED = DATA / "describe_suppress_repartitions.txt"


def test_there_are_fixtures():
    assert len(FIXTURES) >= 6


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_every_fixture_is_drawn_whole(window, path):
    desc = parse_description(path.read_text())
    widget = window.file_actions.show_description(desc, "shop-app", path.name)
    scene = widget.scene
    nodes = desc.nodes()
    for kind in (SOURCE, PROCESSOR, SINK):
        assert sorted(i.name for i in scene.node_items(kind)) == sorted(
            n.name for n in nodes if n.kind == kind
        )
    topics = {t for n in nodes for t in n.topics}
    assert {
        i.name for i in scene.topic_items() if i.kind in ("topic", "repartition_topic")
    } == topics
    assert {i.name for i in scene.topic_items() if i.kind == "repartition_topic"} == {
        t for t in topics if t.endswith("-repartition")
    }
    stores = {s for n in nodes for s in n.stores}
    assert sorted(i.name for i in scene.store_items()) == sorted(stores)
    assert len(scene.links) == to_view_graph(desc).number_of_edges()
    assert set(scene.frames) == {s.id for s in desc.subtopologies} | {
        g.id for g in desc.global_stores
    }
    # Sub-topologies are stacked, never overlapping; every node sits inside its own frame.
    frames = sorted((f.frame for f in scene.frames.values()), key=lambda r: r.top())
    assert all(a.bottom() < b.top() for a, b in pairwise(frames))
    for item in scene.node_items() + scene.store_items():
        assert scene.frames[item.band].frame.contains(item.scene_rect())
    boxes = [i.scene_rect() for i in scene.boxes.values()]
    assert not any(a.intersects(b) for k, a in enumerate(boxes) for b in boxes[k + 1 :])
    assert widget.input_topics == application_topics(desc).inputs
    widget.close()


def test_the_view_is_read_only(window, qtbot):
    stack = window.document.undo_stack
    before = stack.count()
    widget = window.file_actions.show_description(parse_description(WINDOWED.read_text()), "chunks")
    qtbot.waitExposed(widget)
    scene, view = widget.scene, widget.view
    flags = (
        QGraphicsItem.GraphicsItemFlag.ItemIsMovable
        | QGraphicsItem.GraphicsItemFlag.ItemIsSelectable
        | QGraphicsItem.GraphicsItemFlag.ItemIsFocusable
    )
    assert scene.items() and not any(item.flags() & flags for item in scene.items())
    view.set_zoom(1.0)
    node = scene.node_items(PROCESSOR)[0]
    view.centerOn(node)
    QApplication.processEvents()
    start = node.pos()
    count = len(scene.items())
    drag_mouse(
        view,
        node.sceneBoundingRect().center(),
        node.sceneBoundingRect().center() + QPointF(120, 80),
    )
    view.setFocus()
    for key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
        QApplication.sendEvent(
            view, QKeyEvent(QEvent.Type.KeyPress, key, Qt.KeyboardModifier.NoModifier)
        )
    QApplication.processEvents()
    assert node.pos() == start
    assert len(scene.items()) == count and not scene.selectedItems()
    assert stack.count() == before and not window.document.modified
    assert "read-only" in widget.windowTitle()


def test_header_shows_the_application_id_and_the_button_emits_it(window, qtbot):
    desc = parse_description(WINDOWED.read_text())
    widget = window.file_actions.show_description(desc, "chunk-aggregator")
    assert widget.application_id == "chunk-aggregator"
    assert widget.input_topics == ["my-event"]
    assert "chunk-aggregator" in widget.facts.text() and "my-event" in widget.facts.text()
    assert widget.group_hint.group_id == "chunk-aggregator"
    assert "chunk-aggregator-chunk-num-aggregation-repartition" in widget.group_hint.topics
    with qtbot.waitSignal(window.file_actions.monitorGroupRequested) as blocker:
        qtbot.mouseClick(widget.monitor_button, Qt.MouseButton.LeftButton)
    assert blocker.args == ["chunk-aggregator"]


def test_without_an_application_id_there_is_no_group_to_monitor(window, qtbot):
    widget = window.file_actions.show_description(parse_description(WINDOWED.read_text()), "")
    assert widget.application_id == "" and not widget.monitor_button.isEnabled()
    assert "not given" in widget.facts.text()
    with qtbot.assertNotEmitted(widget.monitorGroupRequested):
        widget._on_monitor_clicked()


def test_pan_zoom_and_fit(window, qtbot):
    widget = window.file_actions.show_description(parse_description(WINDOWED.read_text()), "chunks")
    qtbot.waitExposed(widget)
    view = widget.view
    view.fit()
    visible = view.mapToScene(view.viewport().rect()).boundingRect()
    assert visible.contains(widget.scene.content_rect())
    zoom = view.zoom()
    view.zoom_by(2)
    assert view.zoom() > zoom
    view.fit()
    assert view.zoom() == pytest.approx(zoom)


def _dialog(window) -> DescribeDialog:
    dialog = window.file_actions.open_streams_topology()
    assert isinstance(dialog, DescribeDialog) and dialog.isVisible()
    return dialog


def test_dialog_opens_the_pasted_text_as_a_view(window, qtbot):
    dialog = _dialog(window)
    dialog.text.setPlainText(WINDOWED.read_text())
    dialog.app_id.setText("  chunk-aggregator ")
    with qtbot.waitSignal(window.file_actions.describe_opened) as blocker:
        qtbot.mouseClick(
            dialog.buttons.button(dialog.buttons.StandardButton.Open), Qt.MouseButton.LeftButton
        )
    widget = blocker.args[0]
    assert isinstance(widget, DescribeWidget) and widget.isVisible()
    assert widget in window.file_actions.describe_widgets
    assert widget.application_id == "chunk-aggregator"
    assert dialog.result() == QDialog.DialogCode.Accepted
    widget.close()
    qtbot.waitUntil(lambda: widget not in window.file_actions.describe_widgets)


def test_dialog_loads_a_file(window, monkeypatch):
    dialog = _dialog(window)
    path = DATA / "describe_wordcount_1_0.txt"
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path), ""))
    dialog.load_button.click()
    assert "KSTREAM-FLATMAPVALUES-0000000001" in dialog.text.toPlainText()
    assert dialog.try_accept()
    assert dialog.source_name == path.name
    widget = window.file_actions.describe_widgets[-1]
    assert path.name in widget.windowTitle()


def test_a_parse_error_shows_the_line_and_its_text(window, qtbot):
    dialog = _dialog(window)
    text = WINDOWED.read_text().splitlines()
    text[5] = "    Procesor: KSTREAM-KEY-SELECT-0000000001 (stores: [])"  # line 6
    dialog.text.setPlainText("\n".join(text))
    assert not dialog.try_accept()
    assert dialog.isVisible() and not window.file_actions.describe_widgets
    message = dialog.error_label.text()
    assert not dialog.error_label.isHidden()
    assert "Line 6" in message and "Procesor: KSTREAM-KEY-SELECT-0000000001" in message
    assert dialog.text.textCursor().blockNumber() == 5
    assert dialog.text.textCursor().selectedText().strip().startswith("Procesor:")
    dialog.text.insertPlainText("x")  # editing clears the error
    assert dialog.error_label.isHidden()
    dialog.text.setPlainText("hello")
    assert not dialog.try_accept()
    assert "Line 1" in dialog.error_label.text() and "no sub-topology" in dialog.error_label.text()
    dialog.reject()


def test_generated_names_get_short_titles_and_glyphs(window):
    widget = window.file_actions.show_description(parse_description(WINDOWED.read_text()))
    item = widget.scene.boxes["KSTREAM-AGGREGATE-0000000002"]
    assert isinstance(item, StreamsNodeItem)
    assert item.label == "aggregate 2" and item.glyph == "aggregate"
    assert widget.scene.boxes["my-event"].glyph == "kafka_source"
    store_links = [
        lk for lk in widget.scene.links if isinstance(lk, LinkItem) and lk.kind == "store"
    ]
    assert {lk.target.name for lk in store_links} == {
        "chunk-num-aggregation",
        "KTABLE-SUPPRESS-STATE-STORE-0000000007",
        "user-id-aggregation",
    }


@pytest.mark.parametrize("palette", ["light", "dark"])
def test_the_diagram_is_painted_in_the_palette_in_use(window, palette):
    """Frames, topics and stores take the palette's colours (the diagram was drawn in the
    dark palette's on a light canvas)."""
    chosen, before = theme.THEMES[palette], theme.current
    theme.use(chosen)
    try:
        desc = parse_description(WINDOWED.read_text())
        widget = window.file_actions.show_description(desc, "shop-app", WINDOWED.name)
        widget.resize(1400, 800)
        widget.show()
        QApplication.processEvents()
        view, scene = widget.view, widget.scene
        frame = next(iter(scene.frames.values())).frame
        view.centerOn(frame.center())
        QApplication.processEvents()
        image = view.viewport().grab().toImage()
        ratio = image.devicePixelRatio()

        def pixel(scene_point: QPointF) -> str:
            point = view.mapFromScene(scene_point)
            return image.pixelColor(int(point.x() * ratio), int(point.y() * ratio)).name()

        # just inside the frame's top left corner, clear of its title and nodes
        inside = QPointF(frame.left() + 6, frame.top() + frame.height() / 2)
        assert pixel(inside) == chosen.hex("describe_frame")
        topic = next(i for i in scene.topic_items() if i.kind == "topic")
        at = topic.mapToScene(QPointF(topic.width - 8, topic.height / 2))
        assert pixel(at) == chosen.hex("describe_topic")
        widget.close()
    finally:
        theme.use(before)
