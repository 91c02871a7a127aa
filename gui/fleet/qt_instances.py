"""The Instances panel: every process running the watched application, where it runs,
which partitions it holds, its rates, and when it was last heard from.

Rows keep their places (an instance is added below those already shown, never re-sorted),
so the row a user selects stays the instance they meant; Stop acts on the selected row's
instance id. A new run of the app's own starts the list over: instances that ended before
it are not shown."""

from __future__ import annotations

import time

from PySide6.QtCore import Qt, Signal
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
from gui.style import theme

INSTANCE_ROLE = Qt.ItemDataRole.UserRole  # on the first column: the row's instance id
PID_ROLE = Qt.ItemDataRole.UserRole + 1
COLUMNS = ("Instance", "Host", "PID", "Status", "Partitions", "In/s", "Out/s", "Last seen")
STATUS_COLOURS = {  # the palette's names (gui/style/theme.py)
    RunStatus.RUNNING: "ok",
    RunStatus.STARTING: "muted_text",
    RunStatus.DISCONNECTED: "warning",
    RunStatus.STOPPING: "muted_text",
    RunStatus.STOPPED: "muted_text",
    RunStatus.FAILED: "error",
    "lost": "error",
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
        self.order: list[str] = []  # instance ids, in the order their rows were added
        self.since_ms = 0.0  # instances that ended before this are not shown
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

    def clear(self, text: str = "", since_ms: float = 0.0) -> None:
        """Empty the list; with ``since_ms`` (a new run's start), instances that ended
        before then stay out of it."""
        self.summary = {}
        self.order = []
        self.since_ms = since_ms
        self.table.clearSelection()
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
        selected = self.selected_instance()
        shown = {
            i["instance"]: i for i in instances if i["alive"] or i["last_seen_ms"] >= self.since_ms
        }
        self.order = [i for i in self.order if i in shown]
        self.order += [
            i["instance"]
            for i in instances
            if i["instance"] in shown and i["instance"] not in self.order
        ]
        self.table.setRowCount(len(self.order))
        for row, instance_id in enumerate(self.order):
            inst = shown[instance_id]
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
                    item.setData(INSTANCE_ROLE, inst["instance"])
                    item.setData(PID_ROLE, inst["pid"])
                    item.setToolTip("started by this app" if inst["pid"] in self.own_pids else "")
            self.table.item(row, 3).setForeground(
                theme.current.colour(STATUS_COLOURS.get(status, "muted_text"))
            )
        if selected is not None and selected not in self.order:
            self.table.clearSelection()
        self._update_button()

    @staticmethod
    def _rate(rates: dict, nodes: list[str], key: str) -> float:
        """The instance's rate at ``nodes`` (its sources, or sinks); when it reports none
        of them (it runs another topology than the roles came from), its busiest node's."""
        present = [n for n in nodes if n in rates]
        if present:
            return sum(rates[n].get(key, 0.0) for n in present)
        return max((r.get(key, 0.0) for r in rates.values()), default=0.0)

    def rows(self) -> list[list[str]]:
        """The table's text, row by row (for tests and screenshots)."""
        return [
            [self.table.item(r, c).text() for c in range(len(COLUMNS))]
            for r in range(self.table.rowCount())
        ]

    def _selected_row(self) -> int | None:
        rows = self.table.selectionModel().selectedRows()
        return rows[0].row() if rows else None

    def selected_instance(self) -> str | None:
        """The instance id of the selected row."""
        row = self._selected_row()
        item = self.table.item(row, 0) if row is not None else None
        return item.data(INSTANCE_ROLE) if item is not None else None

    def selected_pid(self) -> int | None:
        """The process id of the selected row's instance, as its latest record said."""
        instance_id = self.selected_instance()
        for inst in self.summary.get("instances", []):
            if inst["instance"] == instance_id:
                return inst["pid"]
        return None

    def _update_button(self) -> None:
        pid = self.selected_pid()
        row = self._selected_row()
        alive = (
            row is not None
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
