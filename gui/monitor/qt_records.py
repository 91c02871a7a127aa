"""A table of Kafka records (key, value, time, partition/offset) with a detail pane:
the data preview of a node, and sampled records of a topic in the cluster view."""

from __future__ import annotations

import json
from datetime import datetime

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QPlainTextEdit, QSplitter, QTableView

from gui.style.display import tidy

_ROOT = QModelIndex()
COLUMNS = ("Time", "Partition", "Offset", "Key", "Value")
_CELL_LIMIT = 300


def local_time(timestamp_ms) -> str:
    if not isinstance(timestamp_ms, (int, float)) or timestamp_ms <= 0:
        return ""
    try:
        return datetime.fromtimestamp(timestamp_ms / 1000).strftime("%H:%M:%S.%f")[:-3]
    except (OverflowError, OSError, ValueError):
        return str(timestamp_ms)


def compact(value) -> str:
    if isinstance(value, str):
        text = value
    else:
        try:
            text = json.dumps(tidy(value), ensure_ascii=False, separators=(", ", ": "))
        except (TypeError, ValueError):
            text = repr(value)
    return text if len(text) <= _CELL_LIMIT else text[:_CELL_LIMIT] + "…"


def pretty(value) -> str:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return value
    try:
        return json.dumps(tidy(value), ensure_ascii=False, indent=2)
    except (TypeError, ValueError):
        return repr(value)


def describe(record: dict) -> str:
    """The detail pane's text for one record."""
    when = record.get("timestamp")
    full_time = ""
    if isinstance(when, (int, float)) and when > 0:
        try:
            full_time = (
                datetime.fromtimestamp(when / 1000).astimezone().isoformat(timespec="milliseconds")
            )
        except (OverflowError, OSError, ValueError):
            full_time = str(when)
    lines = [
        f"topic      {record.get('topic', '')}",
        f"partition  {record.get('partition', '')}    offset {record.get('offset', '')}",
        f"timestamp  {full_time}  ({when} ms)",
        f"key        {compact(record.get('key'))}",
        "",
        "value:",
        pretty(record.get("value")),
    ]
    return "\n".join(lines)


class FixedColumnsModel(QAbstractTableModel):
    """A flat table with a fixed header: subclasses give ``columns``, ``row_count()``
    and ``data()``."""

    columns: tuple[str, ...] = ()

    def row_count(self) -> int:
        raise NotImplementedError

    def rowCount(self, parent=_ROOT) -> int:
        return 0 if parent.isValid() else self.row_count()

    def columnCount(self, parent=_ROOT) -> int:
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.columns[section]
        return None


class RecordTableModel(FixedColumnsModel):
    """Records, newest first."""

    columns = COLUMNS

    def __init__(self, parent=None):
        super().__init__(parent)
        self.records: list[dict] = []

    def set_records(self, records: list[dict]) -> None:
        self.beginResetModel()
        self.records = sorted(
            records, key=lambda r: (r.get("timestamp") or 0, r.get("offset") or 0), reverse=True
        )
        self.endResetModel()

    def row_count(self) -> int:
        return len(self.records)

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        record = self.records[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return local_time(record.get("timestamp"))
            if column == 1:
                return str(record.get("partition", ""))
            if column == 2:
                return str(record.get("offset", ""))
            if column == 3:
                return compact(record.get("key"))
            return compact(record.get("value"))
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (1, 2):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole and column == 4:
            return pretty(record.get("value"))[:2000]
        return None

    def record(self, row: int) -> dict | None:
        return self.records[row] if 0 <= row < len(self.records) else None

    def row_of(self, partition, offset) -> int:
        for row, record in enumerate(self.records):
            if record.get("partition") == partition and record.get("offset") == offset:
                return row
        return -1


def monospace() -> QFont:
    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    font.setPointSizeF(max(8.0, font.pointSizeF() - 0.5))
    return font


class QtRecordsView(QSplitter):
    """The table above, the selected record's detail below. Keeps the selected record
    selected when the records are replaced."""

    def __init__(self, parent=None):
        super().__init__(Qt.Orientation.Vertical, parent)
        self.model = RecordTableModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(22)
        header = self.table.horizontalHeader()
        header.setStretchLastSection(True)
        for column, width in enumerate((96, 64, 76, 140)):
            header.resizeSection(column, width)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.detail = QPlainTextEdit()
        self.detail.setReadOnly(True)
        self.detail.setFont(monospace())
        self.detail.setPlaceholderText("Select a record to see it in full.")
        self.addWidget(self.table)
        self.addWidget(self.detail)
        self.setStretchFactor(0, 3)
        self.setStretchFactor(1, 2)
        self._selected: tuple | None = None
        self.table.selectionModel().currentRowChanged.connect(self._on_current_row_changed)

    def set_records(self, records: list[dict]) -> None:
        keep = self._selected
        self.model.set_records(records)
        if keep is not None:
            row = self.model.row_of(*keep)
            if row >= 0:
                self.table.selectRow(row)
                return
            self._selected = keep  # it scrolled out; keep showing its detail

    def _on_current_row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        record = self.model.record(current.row())
        if record is None:
            return
        self._selected = (record.get("partition"), record.get("offset"))
        self.detail.setPlainText(describe(record))

    def clear(self) -> None:
        self._selected = None
        self.model.set_records([])
        self.detail.clear()
