"""Icons of node types and of the app, drawn from the SVG files in resources/icons."""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QIcon, QImage, QPainter, QPainterPath, QPixmap
from PySide6.QtSvg import QSvgRenderer

import resources
from engine.model.catalogue import NODE_TYPES
from gui.style import theme


def icon_path(type_name: str) -> str:
    path = resources.path("icons", f"{type_name}.svg")
    if not path.exists():
        path = resources.path("icons", "unknown.svg")
    return str(path)


@cache
def glyph_renderer(type_name: str) -> QSvgRenderer:
    """The white glyph of a node type, for painting onto coloured node headers."""
    return QSvgRenderer(icon_path(type_name))


def paint_glyph(painter: QPainter, type_name: str, rect: QRectF) -> None:
    glyph_renderer(type_name).render(painter, rect)


@cache
def type_pixmap(type_name: str, size: int = 28, ratio: float = 1.0) -> QPixmap:
    """The glyph on a rounded square in the type's category colour (palette, inspector)."""
    spec = NODE_TYPES.get(type_name)
    colour = theme.category_colour(spec.category if spec else None)
    px = int(size * ratio)
    image = QImage(px, px, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    path = QPainterPath()
    path.addRoundedRect(QRectF(0, 0, px, px), px * 0.22, px * 0.22)
    painter.fillPath(path, colour)
    margin = px * 0.2
    paint_glyph(painter, type_name, QRectF(margin, margin, px - 2 * margin, px - 2 * margin))
    painter.end()
    pixmap = QPixmap.fromImage(image)
    pixmap.setDevicePixelRatio(ratio)
    return pixmap


def type_icon(type_name: str) -> QIcon:
    icon = QIcon()
    for size in (16, 24, 32):
        icon.addPixmap(type_pixmap(type_name, size))
    return icon


def app_icon() -> QIcon:
    return QIcon(str(resources.path("icons", "app.svg")))
