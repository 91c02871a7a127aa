"""The log dock: console_sink output, status changes, errors and dead letters,
filterable by kind and text, bounded (``logbook.MAX_ENTRIES``)."""

from __future__ import annotations

import time
from datetime import datetime

from PySide6.QtCore import QModelIndex, QSortFilterProxyModel, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLineEdit,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from engine.model.masking import mask_record, masker_for_node
from gui.monitor.logbook import (
    CONSOLE,
    DEAD_LETTER,
    ERROR,
    KINDS,
    STATUS,
    LogBook,
    LogEntry,
    console_entries,
    dead_letter_entries,
    status_entry,
)
from gui.monitor.qt_records import FixedColumnsModel, monospace
from gui.style import theme

_ROOT = QModelIndex()
COLUMNS = ("Time", "Kind", "Node", "Message")
# The palette's names (gui/style/theme.py): readable on the light and the dark one.
KIND_COLOURS = {CONSOLE: "text", STATUS: "link", ERROR: "problem", DEAD_LETTER: "warning"}


class LogTableModel(FixedColumnsModel):
    columns = COLUMNS

    def __init__(self, book: LogBook | None = None, parent=None):
        super().__init__(parent)
        self.book = book or LogBook()

    def append(self, entries: list[LogEntry]) -> None:
        if not entries:
            return
        entries = entries[-self.book.limit :]
        overflow = len(self.book) + len(entries) - self.book.limit
        if overflow > 0:
            self.beginRemoveRows(QModelIndex(), 0, overflow - 1)
            for _ in range(overflow):
                self.book.entries.popleft()
            self.endRemoveRows()
        first = len(self.book)
        self.beginInsertRows(QModelIndex(), first, first + len(entries) - 1)
        self.book.add(entries)
        self.endInsertRows()

    def clear(self) -> None:
        self.beginResetModel()
        self.book.clear()
        self.endResetModel()

    def row_count(self) -> int:
        return len(self.book)

    def entry(self, row: int) -> LogEntry:
        return self.book.entries[row]

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        entry = self.book.entries[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return datetime.fromtimestamp(entry.time).strftime("%H:%M:%S")
            if column == 1:
                return entry.kind
            if column == 2:
                return entry.source
            return entry.text
        if role == Qt.ItemDataRole.ForegroundRole and column in (1, 3):
            return theme.current.colour(KIND_COLOURS.get(entry.kind, "text"))
        if role == Qt.ItemDataRole.ToolTipRole:
            return entry.text + ("\n\n" + entry.detail if entry.detail else "")
        if role == Qt.ItemDataRole.UserRole:
            return entry.kind
        return None


class LogFilterProxy(QSortFilterProxyModel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.kinds = set(KINDS)
        self.text = ""

    def set_kinds(self, kinds: set[str]) -> None:
        self._change(lambda: setattr(self, "kinds", set(kinds)))

    def set_text(self, text: str) -> None:
        self._change(lambda: setattr(self, "text", text.strip().lower()))

    def _change(self, apply) -> None:
        if hasattr(self, "beginFilterChange"):  # Qt 6.10+
            self.beginFilterChange()
            apply()
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            apply()
            self.invalidateRowsFilter()

    def filterAcceptsRow(self, row: int, parent: QModelIndex) -> bool:
        entry = self.sourceModel().entry(row)
        if entry.kind not in self.kinds:
            return False
        return not self.text or self.text in entry.text.lower() or self.text in entry.source.lower()


class QtLogWidget(QWidget):
    """Model: the RunController (console, dead letters, status changes, messages)."""

    def __init__(self, controller, parent=None):
        super().__init__(parent)
        self.controller = controller
        self.model = LogTableModel(parent=self)
        self.proxy = LogFilterProxy(self)
        self.proxy.setSourceModel(self.model)
        self.kind_buttons: dict[str, QToolButton] = {}
        bar = QHBoxLayout()
        bar.setContentsMargins(6, 4, 6, 2)
        bar.setSpacing(4)
        for kind in KINDS:
            button = QToolButton()
            button.setText(kind.capitalize())
            button.setCheckable(True)
            button.setChecked(True)
            button.setToolTip(f"Show {kind} lines")
            button.toggled.connect(self._on_kind_toggled)
            self.kind_buttons[kind] = button
            bar.addWidget(button)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Filter…")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.proxy.set_text)
        clear = QToolButton()
        clear.setText("Clear")
        clear.clicked.connect(self.model.clear)
        bar.addStretch(1)
        bar.addWidget(self.search, 2)
        bar.addWidget(clear)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setFont(monospace())
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setWordWrap(False)
        self.table.setShowGrid(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(20)
        header = self.table.horizontalHeader()
        header.setStretchLastSection(True)
        for column, width in enumerate((70, 84, 110)):
            header.resizeSection(column, width)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)
        controller.consoleReceived.connect(self._on_console)
        controller.deadLettersReceived.connect(self._on_dead_letters)
        controller.statusChanged.connect(self._on_status_changed)
        controller.message.connect(self._on_message)

    def _append(self, entries: list[LogEntry]) -> None:
        bar = self.table.verticalScrollBar()
        at_bottom = bar.value() >= bar.maximum() - 2
        self.model.append(entries)
        if at_bottom:
            self.table.scrollToBottom()

    def _on_console(self, lines: list) -> None:
        self._append(console_entries(lines))

    def _on_dead_letters(self, items: list) -> None:
        topology = self.controller.topology_provider()  # masked as shown (reference §9.12)
        masked = [
            mask_record(masker_for_node(topology, str(item.get("node") or "")), item)
            for item in items
        ]
        self._append(dead_letter_entries(masked))

    def _on_status_changed(self, status: str, reason: str) -> None:
        self._append([status_entry(status, reason)])

    def _on_message(self, kind: str, text: str) -> None:
        self._append([LogEntry(time.time(), ERROR if kind == "error" else STATUS, "", text)])

    def _on_kind_toggled(self, _checked: bool) -> None:
        self.proxy.set_kinds({k for k, b in self.kind_buttons.items() if b.isChecked()})

    def visible_texts(self) -> list[str]:
        return [self.proxy.index(r, 3).data() for r in range(self.proxy.rowCount())]
