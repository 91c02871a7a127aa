"""Icons of node types and of the app, drawn from the SVG files in resources/icons, and the
Run and Stop icons, painted in the theme's colours."""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QImage, QPainter, QPainterPath, QPixmap
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


def run_icon(kind: str) -> QIcon:
    """A play triangle or a stop square in the theme's colours, for the Run toolbar."""
    icon = QIcon()
    for size in (16, 24, 32):
        pixmap = QPixmap(size, size)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        m = size * 0.2
        path = QPainterPath()
        if kind == "run":
            path.moveTo(m + size * 0.05, m)
            path.lineTo(size - m, size / 2)
            path.lineTo(m + size * 0.05, size - m)
            path.closeSubpath()
            colour = "#57c28a"
        else:
            path.addRoundedRect(QRectF(m, m, size - 2 * m, size - 2 * m), size * 0.08, size * 0.08)
            colour = "#e05d5d"
        painter.fillPath(path, QColor(colour))
        painter.end()
        icon.addPixmap(pixmap)
    return icon
