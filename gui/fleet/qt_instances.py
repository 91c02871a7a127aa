"""The Instances panel: every process running the watched application, where it runs,
which partitions it holds, its rates, and when it was last heard from."""

from __future__ import annotations

import time

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from engine.model.status import ENDED, RunStatus

COLUMNS = ("Instance", "Host", "PID", "Status", "Partitions", "In/s", "Out/s", "Last seen")
STATUS_COLOURS = {
    RunStatus.RUNNING: "#4caf50",
    RunStatus.STARTING: "#9aa3b2",
    RunStatus.DISCONNECTED: "#e0a030",
    RunStatus.STOPPING: "#9aa3b2",
    RunStatus.STOPPED: "#7a8290",
    RunStatus.FAILED: "#e05252",
    "lost": "#e05252",
}


def partitions_text(partitions: dict[str, list[int]], application_id: str = "") -> str:
    """Topics grouped by the partitions held: "[0, 1] orders, clicks +5 internal". The
    application's internal topics (its repartition topics) are counted, not named."""
    prefix = f"{application_id}-" if application_id else "\0"
    groups: dict[tuple[int, ...], list[str]] = {}
    for topic, parts in sorted(partitions.items()):
        if parts:
            groups.setdefault(tuple(parts), []).append(topic)
    out = []
    for parts, topics in sorted(groups.items()):
        named = [t for t in topics if not t.startswith(prefix)]
        internal = len(topics) - len(named)
        text = f"[{', '.join(map(str, parts))}] {', '.join(named)}"
        if internal:
            text += f"{' +' if named else ''}{internal} internal"
        out.append(text.strip())
    return "  ·  ".join(out)


def partitions_tooltip(partitions: dict[str, list[int]]) -> str:
    return "\n".join(
        f"{topic}: {', '.join(map(str, parts))}"
        for topic, parts in sorted(partitions.items())
        if parts
    )


class QtInstancesWidget(QWidget):
    """Shows ``Fleet.summary()`` dicts (as ``QtFleetWatcher.updated`` sends them)."""

    stopRequested = Signal(int)  # pid of one of our own instances

    def __init__(self, parent=None):
        super().__init__(parent)
        self.own_pids: set[int] = set()
        self.sources: list[str] = []  # node ids whose input rate is an instance's "In/s"
        self.sinks: list[str] = []
        self.summary: dict = {}
        self.title = QLabel(
            "Not watching an application: Run, or Run → Attach to Running Application…"
        )
        self.title.setObjectName("help")
        self.title.setWordWrap(True)
        self.stop_button = QPushButton("Stop instance")
        self.stop_button.setToolTip(
            "Stop the selected instance (started by this app): the others take over its partitions"
        )
        self.stop_button.setEnabled(False)
        self.stop_button.clicked.connect(self._on_stop_clicked)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("instancesTable")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._update_button)
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.stop_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.table)

    def set_roles(self, sources: list[str], sinks: list[str]) -> None:
        self.sources, self.sinks = list(sources), list(sinks)

    def clear(self, text: str = "") -> None:
        self.summary = {}
        self.table.setRowCount(0)
        if text:
            self.title.setText(text)
        self._update_button()

    def show_summary(self, summary: dict) -> None:
        self.summary = summary
        now = summary.get("now_ms") or time.time() * 1000
        instances = summary.get("instances", [])
        live = sum(1 for i in instances if i["alive"])
        skipped = summary.get("skipped", 0)
        self.title.setText(
            f"<b>{summary.get('application_id', '')}</b>: {live} live of "
            f"{len(instances)} instance{'s' * (len(instances) != 1)}"
            + (f" · {skipped} foreign records skipped" if skipped else "")
        )
        rates = summary.get("instance_rates", {})
        selected = self.selected_pid()
        self.table.setRowCount(len(instances))
        for row, inst in enumerate(instances):
            status = inst["status"] if inst["alive"] or inst["status"] in ENDED else "lost"
            mine = rates.get(inst["instance"], {})
            rate_in = self._rate(mine, self.sources, "in")
            rate_out = self._rate(mine, self.sinks, "in")
            ago = max(0.0, (now - inst["last_seen_ms"]) / 1000)
            cells = (
                inst["instance"],
                inst["host"],
                str(inst["pid"] or ""),
                status,
                partitions_text(inst["partitions"], summary.get("application_id", "")),
                f"{rate_in:,.1f}" if inst["alive"] else "",
                f"{rate_out:,.1f}" if inst["alive"] else "",
                f"{ago:.0f} s ago" if ago < 120 else f"{ago / 60:.0f} min ago",
            )
            for col, text in enumerate(cells):
                item = self.table.item(row, col)
                if item is None:
                    item = QTableWidgetItem()
                    self.table.setItem(row, col, item)
                item.setText(text)
                if col in (2, 5, 6):
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                if col == 4:
                    item.setToolTip(partitions_tooltip(inst["partitions"]))
                if col == 0:
                    item.setData(Qt.ItemDataRole.UserRole, inst["pid"])
                    if inst["pid"] in self.own_pids:
                        item.setToolTip("started by this app")
            self.table.item(row, 3).setForeground(QColor(STATUS_COLOURS.get(status, "#9aa3b2")))
            if selected is not None and inst["pid"] == selected:
                self.table.selectRow(row)
        self._update_button()

    @staticmethod
    def _rate(rates: dict, nodes: list[str], key: str) -> float:
        if nodes:
            return sum(rates.get(n, {}).get(key, 0.0) for n in nodes)
        return max((r.get(key, 0.0) for r in rates.values()), default=0.0)

    def rows(self) -> list[list[str]]:
        """The table's text, row by row (for tests and screenshots)."""
        return [
            [self.table.item(r, c).text() for c in range(len(COLUMNS))]
            for r in range(self.table.rowCount())
        ]

    def selected_pid(self) -> int | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        item = self.table.item(rows[0].row(), 0)
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    def _update_button(self) -> None:
        pid = self.selected_pid()
        row = self.table.currentRow()
        alive = (
            row >= 0
            and self.table.item(row, 3) is not None
            and self.table.item(row, 3).text()
            in (RunStatus.RUNNING, RunStatus.STARTING, RunStatus.DISCONNECTED)
        )
        self.stop_button.setVisible(bool(self.own_pids))
        self.stop_button.setEnabled(pid is not None and pid in self.own_pids and alive)

    def _on_stop_clicked(self) -> None:
        pid = self.selected_pid()
        if pid is not None and pid in self.own_pids:
            self.stop_button.setEnabled(False)
            self.stopRequested.emit(pid)
