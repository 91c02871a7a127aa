"""The canvas's wiring gestures, one class per gesture, as orange-canvas-core's
``document/interactions.py``: while one is in progress the scene hands it the mouse
(``move``, ``release``) until it ends, or Escape cancels it.

``NewLinkInteraction`` draws a wire from a port: dropped on a port it asks for the edge
(``connection_requested``), on empty canvas for a node to add at the end
(``wire_dropped``). ``RerouteInteraction`` carries the end of an edge picked up at its
input: dropped on another input it moves the edge, on empty canvas it deletes it
(``reroute_requested``). A wire the connection rules refuse (engine.model.ports) turns
red, and a hint beside the cursor says why."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QPointF, QRectF, QTimer
from PySide6.QtGui import QColor, QPen
from PySide6.QtWidgets import QGraphicsRectItem, QGraphicsSimpleTextItem

from engine.model.ports import connection_problem, direction_problem
from engine.model.topology import Edge, Topology
from gui.canvas.edge_item import WirePreviewItem
from gui.canvas.node_item import NodeItem
from gui.canvas.port_item import PortItem
from gui.style import theme

if TYPE_CHECKING:
    from gui.canvas.qt_scene import TopologyScene

HINT_MS = 2500  # how long a refusal stays said after the wire is dropped


def candidate(topology: Topology, start: PortItem, end: PortItem) -> tuple[Edge | None, str | None]:
    """The edge that wiring ``start`` to ``end`` would add, or the reason it is refused."""
    problem = direction_problem(start.is_output, end.is_output)
    if problem:
        return None, problem
    out, inp = (start, end) if start.is_output else (end, start)
    edge = Edge(out.node_id, inp.node_id, out.name, inp.name)
    return edge, connection_problem(topology, edge)


class RefusalHint(QGraphicsRectItem):
    """Why a wire is refused, beside the cursor; after a drop it stays for HINT_MS."""

    def __init__(self, owner: QObject):
        super().__init__()
        self.setBrush(QColor(20, 22, 27, 235))
        self.setPen(QPen(theme.PREVIEW_REFUSED, 1))
        self.setZValue(20)
        self.text = QGraphicsSimpleTextItem(self)
        self.text.setBrush(QColor("#f1f3f6"))
        self.setVisible(False)
        self.timer = QTimer(owner)  # owned by the scene: never fires after it is gone
        self.timer.setSingleShot(True)
        self.timer.setInterval(HINT_MS)

    def say(self, text: str | None, pos: QPointF) -> None:
        if not text:
            self.setVisible(False)
            return
        self.text.setText(text)
        r = self.text.boundingRect()
        self.setRect(QRectF(0, 0, r.width() + 14, r.height() + 8))
        self.text.setPos(7, 4)
        self.setPos(pos + QPointF(16, 14))
        self.setVisible(True)

    def flash(self, text: str, pos: QPointF) -> None:
        self.say(text, pos)
        self.timer.start()


class UserInteraction:
    """One gesture in progress on ``scene``."""

    def __init__(self, scene: TopologyScene):
        self.scene = scene

    def move(self, pos: QPointF) -> None:
        pass

    def release(self, pos: QPointF) -> None:
        """The gesture ends where the button was let go."""

    def cancel(self) -> None:
        """The gesture ends with nothing asked of the document."""


class _WireInteraction(UserInteraction):
    """A wire dragged from ``port``: the preview follows the cursor and snaps to the port
    under it, green or red by the connection rules."""

    edge: Edge | None = None  # the edge whose end was picked up (a re-route)

    def __init__(self, scene: TopologyScene, port: PortItem, pos: QPointF):
        super().__init__(scene)
        self.port = port
        self.preview = WirePreviewItem()
        scene.addItem(self.preview)
        self.target: PortItem | None = None
        self.problem: str | None = None
        self.move(pos)

    def _problem_with(self, target: PortItem) -> str | None:
        return candidate(self.scene.topology, self.port, target)[1]

    def move(self, pos: QPointF) -> None:
        target = self.scene.port_at(pos)
        if target is self.port:
            target = None
        if self.target is not None and self.target is not target:
            self.target.set_highlight(None)
        self.target = target
        end = pos
        if target is not None:
            self.problem = self._problem_with(target)
            end = target.scenePos()
            target.set_highlight(theme.PREVIEW_REFUSED if self.problem else theme.PREVIEW_OK)
            self.preview.set_state(self.problem is None)
            self.scene.hint.say(f"✕ {self.problem}" if self.problem else None, pos)
        else:
            self.problem = None
            self.preview.set_state(None)
            self.scene.hint.say(None, pos)
        self.preview.set_ends(self.port.scenePos(), end, self.port.is_output)

    def release(self, pos: QPointF) -> None:
        self.move(pos)
        self.cancel()
        self._dropped(self.target, pos)

    def cancel(self) -> None:
        if self.target is not None:
            self.target.set_highlight(None)
        if self.preview.scene() is not None:
            self.scene.removeItem(self.preview)
        self.scene.hint.setVisible(False)

    def _dropped(self, target: PortItem | None, pos: QPointF) -> None:
        raise NotImplementedError

    def _on_empty_canvas(self, pos: QPointF) -> bool:
        return not any(isinstance(item, NodeItem) for item in self.scene.items(pos))

    def _refuse(self, problem: str, pos: QPointF) -> None:
        self.scene.message.emit(f"Cannot connect: {problem}")
        self.scene.hint.flash(f"✕ {problem}", pos)


class NewLinkInteraction(_WireInteraction):
    """A new wire from an output, or from an input that has no edge yet."""

    def _dropped(self, target: PortItem | None, pos: QPointF) -> None:
        start = self.port
        if target is None:
            if self._on_empty_canvas(pos):
                half = (
                    Edge(start.node_id, "", start.name, "")
                    if start.is_output
                    else Edge("", start.node_id, "", start.name)
                )
                self.scene.wire_dropped.emit(half, pos)
            return
        edge, problem = candidate(self.scene.topology, start, target)
        if problem:
            self._refuse(problem, pos)
            return
        self.scene.connection_requested.emit(edge)


class RerouteInteraction(_WireInteraction):
    """The end of ``edge``, picked up at its input and carried from its source's port; the
    edge is drawn as the live wire meanwhile, and shown again if the gesture is cancelled."""

    def __init__(self, scene: TopologyScene, edge: Edge, pos: QPointF):
        self.edge = edge
        self.edge_item = scene.edge_item(edge)
        self.edge_item.setVisible(False)
        super().__init__(scene, scene.node_item(edge.source).port(edge.source_port, True), pos)

    def _home(self, target: PortItem) -> bool:
        return not target.is_output and (target.node_id, target.name) == (
            self.edge.target,
            self.edge.target_port,
        )

    def _problem_with(self, target: PortItem) -> str | None:
        return None if self._home(target) else super()._problem_with(target)

    def cancel(self) -> None:
        super().cancel()
        if self.edge_item.scene() is not None:
            self.edge_item.setVisible(True)

    def _dropped(self, target: PortItem | None, pos: QPointF) -> None:
        if target is None:
            if self._on_empty_canvas(pos):
                self.scene.reroute_requested.emit(self.edge, None)
            return
        if self._home(target):
            return  # put back where it was
        new, problem = candidate(self.scene.topology, self.port, target)
        if problem:
            self._refuse(problem, pos)
            return
        self.scene.reroute_requested.emit(self.edge, new)
