"""File → Export Canvas as Image…: the whole scene as PNG (2x, canvas background) or SVG
(vectors), for the designer canvas and for the Kafka Streams view."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QFileDialog, QGraphicsScene, QMessageBox

from engine.code.describe import parse_description
from gui.formats.image_export import IMAGE_FILTERS, ImageExportError, content_rect, export_scene
from gui.style import theme

WINDOWED = (
    Path(__file__).resolve().parents[2] / "engine" / "data" / "describe_suppress_repartitions.txt"
)


@pytest.fixture
def boxes(monkeypatch):
    shown = []
    for kind in ("warning", "information", "critical"):
        monkeypatch.setattr(
            QMessageBox,
            kind,
            lambda parent, title, text, *a, kind=kind, **k: (
                shown.append((kind, text)) or QMessageBox.StandardButton.Ok
            ),
        )
    return shown


def _save_to(monkeypatch, path: Path, selected: str = IMAGE_FILTERS["png"]):
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(path), selected))


def test_png_of_the_designer_canvas(window, tmp_path, monkeypatch, boxes):
    target = tmp_path / "canvas.png"
    _save_to(monkeypatch, target)
    window.scene.select_nodes(list(window.document.topology.nodes)[:2])
    window.file_actions.act_export_image.trigger()
    assert not boxes and target.stat().st_size > 0
    image = QImage(str(target))
    rect = content_rect(window.scene)
    assert (image.width(), image.height()) == (round(rect.width() * 2), round(rect.height() * 2))
    assert image.width() / image.height() == pytest.approx(rect.width() / rect.height(), rel=0.01)
    assert image.pixelColor(2, 2).name() == theme.CANVAS_BG.name()
    # Something was drawn: more than the background.
    colours = {
        image.pixel(x, y) for x in range(0, image.width(), 17) for y in range(0, image.height(), 17)
    }
    assert len(colours) > 20
    assert len(window.scene.selectedItems()) == 2  # the selection is back after the export
    assert rect.contains(window.scene.nodes_rect())


def test_svg_of_the_designer_canvas_keeps_vectors(window, tmp_path, monkeypatch, boxes):
    target = tmp_path / "canvas"  # the filter chosen gives the extension
    _save_to(monkeypatch, target, IMAGE_FILTERS["svg"])
    window.file_actions.act_export_image.trigger()
    svg = (tmp_path / "canvas.svg").read_text()
    assert "<svg" in svg and "<path" in svg and "<text" in svg
    assert "<image" not in svg  # items drew themselves, not cached pixmaps
    first_node = next(iter(window.document.topology.nodes))
    assert first_node in svg


def test_png_and_svg_of_the_kafka_streams_view(window, tmp_path, monkeypatch, boxes):
    widget = window.file_actions.show_description(parse_description(WINDOWED.read_text()), "chunks")
    _save_to(monkeypatch, tmp_path / "streams.png")
    assert widget.export_image() == tmp_path / "streams.png"
    image = QImage(str(tmp_path / "streams.png"))
    rect = content_rect(widget.scene)
    assert image.width() == round(rect.width() * 2) and image.height() == round(rect.height() * 2)
    export_scene(widget.scene, tmp_path / "streams.svg")
    svg = (tmp_path / "streams.svg").read_text()
    assert "<svg" in svg and "REPARTITION" in svg and "<image" not in svg


def test_an_empty_canvas_or_a_wrong_name_is_refused(window, tmp_path, monkeypatch, boxes):
    with pytest.raises(ImageExportError, match="empty"):
        export_scene(QGraphicsScene(), tmp_path / "empty.png")
    with pytest.raises(ImageExportError, match=r"\.png or \.svg"):
        export_scene(window.scene, tmp_path / "canvas.bmp")
    window.document.new_empty()
    _save_to(monkeypatch, tmp_path / "empty.png")
    window.file_actions.act_export_image.trigger()
    assert boxes and "empty" in boxes[0][1]
    assert not (tmp_path / "empty.png").exists()


def test_an_unwritable_place_says_so(window, tmp_path, monkeypatch, boxes):
    _save_to(monkeypatch, tmp_path / "missing" / "folder" / "canvas.png")
    window.file_actions.act_export_image.trigger()
    assert boxes and "not saved" in boxes[0][1]
