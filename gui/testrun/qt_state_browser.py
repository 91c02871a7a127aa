"""Browsing an aggregate's or a join's state (reference §13): windows per key with bounds and
values, open sessions, a stream-table join's table. Pages of at most 1,000 rows, searched
by key, refreshed on request, from the live run's workers (asked over the supervisor's
pipe, the run going on) or, with no live run, from the last test run's stores."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from engine.runtime.testing.state_view import MAX_PAGE_SIZE, is_browsable, state_reply
from gui.monitor.qt_records import FixedColumnsModel, local_time, monospace
from gui.testrun.rows import compact

_ids = itertools.count(1)
MAX_PAGES_PER_S = 4
LIVE_TIMEOUT_S = 5.0  # a worker that has not answered by then is asked again
TIME_COLUMNS = {
    "window_start",
    "window_end",
    "session_start",
    "session_end",
    "last timestamp",
    "timestamp",
}


class StatePageModel(FixedColumnsModel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.columns: tuple[str, ...] = ()
        self.rows: list[list] = []

    def set_page(self, columns: list[str], rows: list[list]) -> None:
        self.beginResetModel()
        self.columns, self.rows = tuple(columns), rows
        self.endResetModel()

    def row_count(self) -> int:
        return len(self.rows)

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        value = self.rows[index.row()][index.column()]
        name = self.columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            if name in TIME_COLUMNS and isinstance(value, int) and value > 86_400_000:
                return f"{local_time(value)}"
            return compact(value)
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{value} ms" if name in TIME_COLUMNS else compact(value, 2000)
        if (
            role == Qt.ItemDataRole.TextAlignmentRole
            and isinstance(value, (int, float))
            and not isinstance(value, bool)
        ):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


class QtStateBrowser(QWidget):
    """``live_request(request) -> workers asked`` asks the live run (0: no live run);
    ``local_stores()`` gives the last test run's ``(topology, stores)`` or None."""

    def __init__(
        self,
        topology_provider: Callable,
        live_request: Callable[[dict], int],
        local_stores: Callable[[], tuple | None],
        parent=None,
    ):
        super().__init__(parent)
        self.topology_provider = topology_provider
        self.live_request = live_request
        self.local_stores = local_stores
        self.page = 0
        self._pending: dict | None = None  # {"id", "expected", "replies", "source", "at"}
        self._queued = False  # a refresh asked while a live page was on its way
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        bar = QHBoxLayout()
        self.node_box = QComboBox()
        self.node_box.setObjectName("stateNode")
        self.node_box.setMinimumWidth(150)
        self.search = QLineEdit()
        self.search.setObjectName("stateSearch")
        self.search.setPlaceholderText("Search by key")
        self.search.setClearButtonEnabled(True)
        self.prev_button = QPushButton("◀")
        self.next_button = QPushButton("▶")
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.setObjectName("stateRefresh")
        for w in (
            QLabel("Node"),
            self.node_box,
            self.search,
            self.prev_button,
            self.next_button,
            self.refresh_button,
        ):
            bar.addWidget(w)
        layout.addLayout(bar)
        self.status = QLabel("Open a node's state: choose an aggregate or join node.")
        self.status.setObjectName("stateStatus")
        layout.addWidget(self.status)
        self.model = StatePageModel(self)
        self.table = QTableView()
        self.table.setObjectName("stateTable")
        self.table.setModel(self.model)
        self.table.setFont(monospace())
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(21)
        self.table.horizontalHeader().setStretchLastSection(True)
        layout.addWidget(self.table)
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(250)
        self._search_timer.timeout.connect(lambda: self.refresh(first_page=True))
        self.search.textChanged.connect(lambda _t: self._search_timer.start())
        self.node_box.currentIndexChanged.connect(lambda _i: self.refresh(first_page=True))
        self.prev_button.clicked.connect(lambda: self.go(-1))
        self.next_button.clicked.connect(lambda: self.go(1))
        self.refresh_button.clicked.connect(lambda: self.refresh())
        self.fill_nodes()

    def fill_nodes(self, select: str | None = None) -> None:
        topology = self.topology_provider()
        ids = [n.id for n in topology.nodes.values() if is_browsable(n)] if topology else []
        current = select if select in ids else self.node_box.currentText()
        self.node_box.blockSignals(True)
        self.node_box.clear()
        self.node_box.addItems(ids)
        if current in ids:
            self.node_box.setCurrentText(current)
        self.node_box.blockSignals(False)

    def open_node(self, node_id: str) -> bool:
        """Show ``node_id``'s state when it has any (an aggregate or join)."""
        if self.node_box.findText(node_id) < 0:
            self.fill_nodes()
        if self.node_box.findText(node_id) < 0:
            return False
        if self.node_box.currentText() == node_id:
            self.refresh(first_page=True)
        else:
            self.node_box.setCurrentText(node_id)
        return True

    def show_current(self, select: str | None = None) -> None:
        """Shown again: ``select``'s state when it has any, else the chosen node's; asked
        for unless that page is already shown or on its way."""
        before = self.node_box.currentText()
        self.fill_nodes(select)
        if self.node_box.currentText() != before or (
            self.model.rowCount() == 0 and self._pending is None
        ):
            self.refresh(first_page=True)

    def go(self, step: int) -> None:
        self.page = max(0, self.page + step)
        self.refresh()

    def request(self) -> dict:
        return {
            "id": next(_ids),
            "node": self.node_box.currentText(),
            "search": self.search.text(),
            "page": self.page,
            "page_size": MAX_PAGE_SIZE,
        }

    def refresh(self, first_page: bool = False) -> None:
        """Ask for the current page again (of the live run when there is one)."""
        if first_page:
            self.page = 0
        node_id = self.node_box.currentText()
        if not node_id:
            self.model.set_page([], [])
            self.status.setText("This topology has no aggregate or join node.")
            return
        pending = self._pending
        if (
            pending is not None
            and pending["source"] == "live run"
            and time.monotonic() - pending["at"] < LIVE_TIMEOUT_S
        ):
            # One page on its way at a time, at most MAX_PAGES_PER_S a second: browsing never
            # costs the run more than that (bench/bench_state.py).
            self._queued = True
            return
        request = self.request()
        asked = self.live_request(request)
        if asked:
            self._pending = {
                "id": request["id"],
                "expected": asked,
                "replies": [],
                "source": "live run",
                "at": time.monotonic(),
            }
            self.status.setText(f"Asking the run for the state of {node_id}…")
            return
        local = self.local_stores()
        if local is None:
            self._pending = None
            self.model.set_page([], [])
            self.status.setText(
                "No run and no test run: start one (Run, or Run → Test Run) to browse its state."
            )
            return
        topology, stores = local
        self._pending = {
            "id": request["id"],
            "expected": 1,
            "replies": [],
            "source": "test run",
            "at": time.monotonic(),
        }
        self.on_reply(state_reply(topology, stores, request))

    def on_reply(self, reply: dict) -> None:
        """A page from a worker (or the test run); several workers: merged when all answered."""
        pending = self._pending
        if pending is None or reply.get("id") != pending["id"]:
            return
        pending["replies"].append(reply)
        if len(pending["replies"]) < pending["expected"]:
            return
        replies, self._pending = pending["replies"], None
        if self._queued:
            self._queued = False
            wait = 1.0 / MAX_PAGES_PER_S - (time.monotonic() - pending["at"])
            QTimer.singleShot(max(0, int(wait * 1000)), self.refresh)
        errors = [r["error"] for r in replies if "error" in r]
        if errors:
            self.model.set_page([], [])
            self.status.setText(errors[0])
            return
        rows = [row for r in replies for row in r["rows"]]
        total = sum(r["total"] for r in replies)
        pages = max(r["pages"] for r in replies)
        self.page = max(r["page"] for r in replies)
        self.model.set_page(replies[0]["columns"], rows)
        first = self.page * replies[0]["page_size"]
        kind = {
            "windows": "windows",
            "sessions": "sessions",
            "keys": "keys",
            "table": "table rows",
            "buffers": "buffered records",
        }.get(replies[0]["kind"], "rows")
        shown = f"{first + 1:,}–{first + len(rows):,}" if rows else "none"
        times = {p: t for r in replies for p, t in r.get("stream_time", {}).items()}
        stream = (
            " · stream time "
            + ", ".join(f"p{p} {local_time(t) or t}" for p, t in sorted(times.items()))
            if times
            else ""
        )
        self.status.setText(
            f"{replies[0]['node']} ({pending['source']}): {kind} {shown} of {total:,}"
            f" · page {self.page + 1} of {pages}{stream}"
        )
        self.prev_button.setEnabled(self.page > 0)
        self.next_button.setEnabled(self.page + 1 < pages)
