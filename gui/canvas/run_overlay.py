"""A run's numbers on the canvas, apart from the scene that mirrors the topology: a badge
per node (rates, counts, errors, the consumer group's status on sources) and edges as
thick as their rate. Updates are coalesced to at most two a second and touch only the
items whose numbers read differently; when the run ends the badges keep its last counts,
dimmed, and the edges rest."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer

from engine.model.topology import Edge
from gui.canvas.node_item import NodeItem
from gui.canvas.run_badge import BadgeState

if TYPE_CHECKING:
    from gui.canvas.qt_scene import TopologyScene

METRICS_INTERVAL_MS = 500
SOURCE_TYPES = ("kafka_source", "generator_source")


class RunOverlay(QObject):
    def __init__(self, scene: TopologyScene):
        super().__init__(scene)
        self.scene = scene
        self._metrics: dict[str, dict] = {}  # node id -> the last numbers shown
        self._final = False
        self._pending: dict | None = None
        self._group_status: tuple[str, str, str] = ("", "", "")  # group, status, reason
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(METRICS_INTERVAL_MS)
        self._timer.timeout.connect(self._on_timer)
        self.applied = 0  # how many times numbers reached the items (for tests)

    def show_metrics(self, metrics: dict) -> None:
        """{node_id: {in_rate, out_rate, in, out, errors, late}} of a running topology.
        The first numbers show at once, later ones at most every METRICS_INTERVAL_MS."""
        self._pending = metrics
        if not self._timer.isActive():
            self._on_timer()

    def _on_timer(self) -> None:
        metrics, self._pending = self._pending, None
        if metrics is None:
            return
        self._metrics = dict(metrics)
        self._final = False
        self._apply()
        self._timer.start()

    def show_group_status(self, group: str, status: str, reason: str) -> None:
        """The run's consumer group is OK, WARN or STALL: shown on the source nodes."""
        if (group, status, reason) == self._group_status:
            return
        self._group_status = (group, status, reason)
        if self._metrics and not self._final:
            self._apply()

    def finish(self, final: dict | None = None) -> None:
        """The run is over: the badges keep the last (or ``final``) counts, dimmed, with
        no rates; edges go back to their resting width."""
        self._timer.stop()
        self._pending = None
        if final:
            merged = {node_id: dict(self._metrics.get(node_id, {})) for node_id in final}
            for node_id, counts in final.items():
                if isinstance(counts, dict):
                    merged[node_id].update(
                        {k: counts[k] for k in ("in", "out", "errors", "late") if k in counts}
                    )
            self._metrics.update(merged)
        self._final = True
        self._group_status = ("", "", "")
        self._apply()

    def clear(self) -> None:
        """No run to show: no badges, resting edges."""
        self._timer.stop()
        self._pending = None
        self._metrics = {}
        self._final = False
        self._group_status = ("", "", "")
        for item in self.scene.node_items():
            item.set_run_state(None)
        for edge_item in self.scene.edge_items():
            edge_item.set_rate(None)

    def shown(self) -> bool:
        return bool(self._metrics)

    def _badge_state(self, item: NodeItem, m: dict) -> BadgeState:
        _group, status, reason = self._group_status
        is_source = item.type_name in SOURCE_TYPES
        return BadgeState(
            in_rate=float(m.get("in_rate", 0.0)),
            out_rate=float(m.get("out_rate", 0.0)),
            in_count=int(m.get("in", 0)),
            out_count=int(m.get("out", 0)),
            errors=int(m.get("errors", 0)),
            late=int(m.get("late", 0)),
            final=self._final,
            show_in=bool(item.inputs) and not is_source,
            show_out=bool(item.outputs),
            show_late=item.type_name == "aggregate",
            status=status if is_source and not self._final else "",
            status_reason=reason if is_source else "",
        )

    def _apply(self) -> None:
        self.applied += 1
        group = self._group_status[0]
        for item in self.scene.node_items():
            m = self._metrics.get(item.node_id)
            item.set_run_state(None if m is None else self._badge_state(item, m), group)
        edge_items = self.scene.edge_items()
        incoming: dict[str, int] = {}
        for edge_item in edge_items:
            incoming[edge_item.key.target] = incoming.get(edge_item.key.target, 0) + 1
        rates = {
            edge_item.key: None if self._final else self._edge_rate(edge_item.key, incoming)
            for edge_item in edge_items
        }
        top = max((r for r in rates.values() if r), default=None)
        for edge_item in edge_items:
            edge_item.set_rate(rates[edge_item.key], top)

    def _edge_rate(self, edge: Edge, incoming: dict[str, int]) -> float | None:
        """The rate out of the edge's source node; for a node with several output ports
        (a branch), the rate into the target when this edge is all that feeds it, which is
        that port's rate."""
        source = self._metrics.get(edge.source)
        if source is None:
            return None
        source_item = self.scene.node_item(edge.source)
        if (
            source_item is not None
            and len(source_item.outputs) > 1
            and incoming.get(edge.target) == 1
        ):
            target = self._metrics.get(edge.target)
            if target is not None:
                return float(target.get("in_rate", 0.0))
        return float(source.get("out_rate", 0.0))
