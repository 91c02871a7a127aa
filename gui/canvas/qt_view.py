"""TopologyView: the canvas widget. Zoom to the cursor, pan, fit, rubber-band selection,
drops from the palette and Tab for quick-add at the cursor."""

from __future__ import annotations

import math

from PySide6.QtCore import QLineF, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QPainter, QPen
from PySide6.QtWidgets import QGraphicsView

from gui.canvas.geometry import GRID
from gui.canvas.qt_scene import TopologyScene
from gui.style import theme

NODE_TYPE_MIME = "application/x-topology-studio-node-type"
MIN_ZOOM, MAX_ZOOM = 0.1, 3.0
READABLE_ZOOM = 0.7  # below this a node's name is too small to read


class TopologyView(QGraphicsView):
    add_node_requested = Signal(str, QPointF)  # (type name, scene position of the node's top-left)
    quick_add_requested = Signal(QPointF)  # scene position
    zoom_changed = Signal(float)

    def __init__(self, scene: TopologyScene, parent=None):
        super().__init__(scene, parent)
        self.setRenderHints(
            QPainter.RenderHint.Antialiasing
            | QPainter.RenderHint.TextAntialiasing
            | QPainter.RenderHint.SmoothPixmapTransform
        )
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.MinimalViewportUpdate)
        self.setOptimizationFlags(QGraphicsView.OptimizationFlag.DontAdjustForAntialiasing)
        self.setCacheMode(QGraphicsView.CacheModeFlag.CacheBackground)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
        self.setRubberBandSelectionMode(Qt.ItemSelectionMode.IntersectsItemShape)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setAcceptDrops(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setObjectName("canvas")
        self._pan_from: QPointF | None = None
        self._space = False
        self.setSceneRect(QRectF(-50_000, -50_000, 100_000, 100_000))

    def canvas_scene(self) -> TopologyScene:
        return self.scene()

    # -- zoom and pan -----------------------------------------------------------------

    def zoom(self) -> float:
        return self.transform().m11()

    def set_zoom(self, factor: float, anchor: QPointF | None = None) -> None:
        factor = max(MIN_ZOOM, min(MAX_ZOOM, factor))
        scale = factor / self.zoom()
        if anchor is not None:
            # Keep the scene point under ``anchor`` where it is (zoom to the cursor).
            before = self.mapToScene(anchor.toPoint())
            self.scale(scale, scale)
            after = self.mapToScene(anchor.toPoint())
            delta = (before - after) * self.zoom()
            self.horizontalScrollBar().setValue(
                round(self.horizontalScrollBar().value() + delta.x())
            )
            self.verticalScrollBar().setValue(round(self.verticalScrollBar().value() + delta.y()))
        else:
            self.scale(scale, scale)
        self.zoom_changed.emit(self.zoom())

    def zoom_by(self, steps: float, anchor: QPointF | None = None) -> None:
        self.set_zoom(self.zoom() * math.pow(1.15, steps), anchor)

    def wheelEvent(self, event) -> None:
        delta = event.angleDelta()
        if event.modifiers() & Qt.KeyboardModifier.ShiftModifier or (
            delta.y() == 0 and delta.x() != 0
        ):  # horizontal scroll / trackpad sideways
            self.pan_by(delta.x() or delta.y(), 0)
            return
        self.zoom_by(delta.y() / 120.0, event.position())

    def pan_by(self, dx: float, dy: float) -> None:
        self.horizontalScrollBar().setValue(int(self.horizontalScrollBar().value() - dx))
        self.verticalScrollBar().setValue(int(self.verticalScrollBar().value() - dy))

    def fit(self, rect: QRectF | None = None) -> None:
        rect = rect if rect is not None else self.canvas_scene().nodes_rect()
        if rect.isNull() or rect.isEmpty():
            self.resetTransform()
            self.centerOn(0, 0)
            self.zoom_changed.emit(self.zoom())
            return
        rect = rect.adjusted(-60, -60, 60, 60)
        self.fitInView(rect, Qt.AspectRatioMode.KeepAspectRatio)
        if self.zoom() > 1.25:
            self.set_zoom(1.25)
            self.centerOn(rect.center())
        elif self.zoom() < MIN_ZOOM:
            self.set_zoom(MIN_ZOOM)
            self.centerOn(rect.center())
        self.zoom_changed.emit(self.zoom())

    def show_readable(self, start: QRectF | None = None) -> None:
        """The whole topology when its names are readable so; otherwise READABLE_ZOOM,
        with the topology's left edge at the view's and ``start`` (its sources) in the
        middle of the view's height, or at its top when they are taller than the view."""
        self.fit()
        if self.zoom() >= READABLE_ZOOM:
            return
        nodes = self.canvas_scene().nodes_rect()
        start = start if start is not None and not start.isEmpty() else nodes
        self.set_zoom(READABLE_ZOOM)
        visible = self.mapToScene(self.viewport().rect()).boundingRect()
        margin = 40
        y = (
            start.center().y()
            if start.height() + 2 * margin <= visible.height()
            else start.top() - margin + visible.height() / 2
        )
        self.centerOn(QPointF(nodes.left() - margin + visible.width() / 2, y))
        self.zoom_changed.emit(self.zoom())

    def focus_on(self, node_ids) -> None:
        scene = self.canvas_scene()
        rect = QRectF()
        for nid in node_ids:
            item = scene.node_item(nid)
            if item is not None:
                rect = rect.united(item.sceneBoundingRect())
        if not rect.isNull():
            visible = self.mapToScene(self.viewport().rect()).boundingRect()
            if not visible.contains(rect):
                self.centerOn(rect.center())

    def cursor_scene_pos(self) -> QPointF:
        local = self.viewport().mapFromGlobal(self.cursor().pos())
        if self.viewport().rect().contains(local):
            return self.mapToScene(local)
        return self.mapToScene(self.viewport().rect().center())

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.MiddleButton or (
            self._space and event.button() == Qt.MouseButton.LeftButton
        ):
            self._pan_from = event.position()
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:
        if self._pan_from is not None:
            delta = event.position() - self._pan_from
            self._pan_from = event.position()
            self.pan_by(delta.x(), delta.y())
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        if self._pan_from is not None and event.button() in (
            Qt.MouseButton.MiddleButton,
            Qt.MouseButton.LeftButton,
        ):
            self._pan_from = None
            self.viewport().setCursor(
                Qt.CursorShape.OpenHandCursor if self._space else Qt.CursorShape.ArrowCursor
            )
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = True
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space = False
            self.viewport().setCursor(Qt.CursorShape.ArrowCursor)
            return
        super().keyReleaseEvent(event)

    def event(self, event) -> bool:
        # Tab opens quick-add instead of moving the focus away from the canvas.
        if event.type() == event.Type.KeyPress and event.key() == Qt.Key.Key_Tab:
            self.quick_add_requested.emit(self.cursor_scene_pos())
            return True
        return super().event(event)

    # -- drops from the palette ---------------------------------------------------------

    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasFormat(NODE_TYPE_MIME):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:
        if event.mimeData().hasFormat(NODE_TYPE_MIME):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event) -> None:
        if event.mimeData().hasFormat(NODE_TYPE_MIME):
            type_name = bytes(event.mimeData().data(NODE_TYPE_MIME)).decode()
            pos = self.mapToScene(event.position().toPoint())
            # The cursor lands in the node's header, where it was grabbed in the palette.
            self.add_node_requested.emit(type_name, QPointF(pos.x() - 40, pos.y() - 14))
            event.acceptProposedAction()
            self.setFocus()
        else:
            super().dropEvent(event)

    # -- background ----------------------------------------------------------------------

    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:
        painter.fillRect(rect, theme.CANVAS_BG)
        zoom = self.zoom()
        step = GRID if zoom >= 0.6 else GRID * 5
        major = GRID * 5
        if step * zoom < 6:
            return
        left = math.floor(rect.left() / step) * step
        top = math.floor(rect.top() / step) * step
        minor_pen = QPen(theme.GRID_MINOR, 0)
        major_pen = QPen(theme.GRID_MAJOR, 0)
        lines_minor, lines_major = [], []
        x = left
        while x < rect.right():
            (lines_major if abs(x % major) < 1e-6 else lines_minor).append(
                QLineF(x, rect.top(), x, rect.bottom())
            )
            x += step
        y = top
        while y < rect.bottom():
            (lines_major if abs(y % major) < 1e-6 else lines_minor).append(
                QLineF(rect.left(), y, rect.right(), y)
            )
            y += step
        painter.setPen(minor_pen)
        painter.drawLines(lines_minor)
        painter.setPen(major_pen)
        painter.drawLines(lines_major)
