"""Pictures of a canvas: the whole scene as a PNG (at twice its size, on the canvas
background) or as an SVG drawing that keeps every item as vectors.

Works on any QGraphicsScene: the designer's topology scene and the read-only Kafka
Streams view both come through ``export_scene``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import QFileDialog, QGraphicsItem, QGraphicsScene, QMessageBox, QWidget

from gui.style import theme

MARGIN = 40.0
PNG_SCALE = 2.0
IMAGE_FILTERS = {"png": "PNG image (*.png)", "svg": "SVG drawing (*.svg)"}


class ImageExportError(ValueError):
    """The picture could not be written; the message says why and what to do."""


def content_rect(scene: QGraphicsScene, margin: float = MARGIN) -> QRectF:
    """What to draw: every visible item, with a margin; empty for an empty scene."""
    rect = QRectF()
    for item in scene.items():
        if item.isVisible():
            rect = rect.united(item.sceneBoundingRect())
    if rect.isNull():
        return rect
    return rect.adjusted(-margin, -margin, margin, margin)


@contextmanager
def _for_export(scene: QGraphicsScene) -> Iterator[None]:
    """Draw items themselves (no cached pixmaps, so SVG stays vector) and without the
    selection outline; put both back afterwards."""
    cached = [
        (item, item.cacheMode())
        for item in scene.items()
        if item.cacheMode() != QGraphicsItem.CacheMode.NoCache
    ]
    selected = scene.selectedItems()
    scene.blockSignals(True)
    try:
        for item in selected:
            item.setSelected(False)
        for item, _ in cached:
            item.setCacheMode(QGraphicsItem.CacheMode.NoCache)
        yield
    finally:
        for item, mode in cached:
            item.setCacheMode(mode)
        for item in selected:
            item.setSelected(True)
        scene.blockSignals(False)


def render_png(
    scene: QGraphicsScene,
    path: str | Path,
    scale: float = PNG_SCALE,
    background: QColor | None = None,
) -> QSize:
    """The whole scene at ``scale`` on ``background`` (the canvas's, in the theme shown);
    returns the image's size in pixels."""
    background = background if background is not None else theme.CANVAS_BG
    source = _checked_rect(scene)
    size = QSize(max(1, round(source.width() * scale)), max(1, round(source.height() * scale)))
    image = QImage(size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(background)
    painter = QPainter(image)
    painter.setRenderHints(
        QPainter.RenderHint.Antialiasing
        | QPainter.RenderHint.TextAntialiasing
        | QPainter.RenderHint.SmoothPixmapTransform
    )
    try:
        with _for_export(scene):
            scene.render(
                painter,
                QRectF(0, 0, size.width(), size.height()),
                source,
                Qt.AspectRatioMode.IgnoreAspectRatio,
            )
    finally:
        painter.end()
    if not image.save(str(path), "PNG"):
        raise ImageExportError(
            f"could not write {path}: check that the folder exists and is writable"
        )
    return size


def render_svg(
    scene: QGraphicsScene,
    path: str | Path,
    title: str = "Topology",
    background: QColor | None = None,
) -> QSize:
    """The whole scene as vectors, on ``background`` (the canvas's, in the theme shown);
    returns the drawing's size."""
    background = background if background is not None else theme.CANVAS_BG
    source = _checked_rect(scene)
    size = QSize(max(1, round(source.width())), max(1, round(source.height())))
    generator = QSvgGenerator()
    generator.setFileName(str(path))
    generator.setSize(size)
    generator.setViewBox(QRectF(0, 0, size.width(), size.height()))
    generator.setTitle(title)
    generator.setDescription("Drawn by Topology Studio")
    painter = QPainter()
    if not painter.begin(generator):
        raise ImageExportError(
            f"could not write {path}: check that the folder exists and is writable"
        )
    try:
        painter.setRenderHints(
            QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing
        )
        painter.fillRect(QRectF(0, 0, size.width(), size.height()), background)
        with _for_export(scene):
            scene.render(
                painter,
                QRectF(0, 0, size.width(), size.height()),
                source,
                Qt.AspectRatioMode.IgnoreAspectRatio,
            )
    finally:
        painter.end()
    if not Path(path).exists() or Path(path).stat().st_size == 0:
        raise ImageExportError(
            f"could not write {path}: check that the folder exists and is writable"
        )
    return size


def export_scene(scene: QGraphicsScene, path: str | Path, title: str = "Topology") -> QSize:
    """PNG or SVG, chosen by the file's extension."""
    suffix = Path(path).suffix.lower()
    if suffix == ".png":
        return render_png(scene, path)
    if suffix == ".svg":
        return render_svg(scene, path, title)
    raise ImageExportError(f"{Path(path).name}: choose a name ending in .png or .svg")


def _checked_rect(scene: QGraphicsScene) -> QRectF:
    rect = content_rect(scene)
    if rect.isNull() or rect.isEmpty():
        raise ImageExportError("the canvas is empty: add nodes before exporting a picture")
    return rect


def export_scene_dialog(
    parent: QWidget, scene: QGraphicsScene, suggested: Path, title: str = "Topology"
) -> Path | None:
    """Ask where, write the picture, say what happened; the path written, or None."""
    if content_rect(scene).isNull():
        QMessageBox.information(
            parent, "Export as image", "The canvas is empty: there is nothing to draw yet."
        )
        return None
    filters = ";;".join(IMAGE_FILTERS.values())
    chosen, selected = QFileDialog.getSaveFileName(
        parent, "Export canvas as image", str(suggested), filters, IMAGE_FILTERS["png"]
    )
    if not chosen:
        return None
    path = Path(chosen)
    if path.suffix.lower() not in (".png", ".svg"):
        path = path.with_name(path.name + (".svg" if selected == IMAGE_FILTERS["svg"] else ".png"))
    try:
        size = export_scene(scene, path, title)
    except (ImageExportError, OSError) as exc:
        QMessageBox.warning(parent, "Export as image", f"The image was not saved: {exc}")
        return None
    message = getattr(parent, "statusBar", None)
    if callable(message):
        message().showMessage(f"Exported {path} ({size.width()}×{size.height()})", 6000)
    return path
