"""The Topic Browser's table: records of a scan as rows, the columns a user picked.

Rows arrive page by page while a scan runs; the view asks only for the rows it paints, so
a table of a million matches costs what is on screen."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt

from engine.cluster.topics.positions import format_time
from gui.monitor.qt_records import compact

_ROOT = QModelIndex()
ALL_COLUMNS = (
    ("partition", "Partition"),
    ("offset", "Offset"),
    ("timestamp", "Timestamp"),
    ("key", "Key"),
    ("value", "Value"),
    ("headers", "Headers"),
    ("key_format", "Key format"),
    ("value_format", "Value format"),
)
DEFAULT_COLUMNS = ("partition", "offset", "timestamp", "key", "value")
_TITLES = dict(ALL_COLUMNS)
_NUMERIC = {"partition", "offset"}


def cell_text(name: str, value: Any) -> str:
    if value is None:
        return ""
    if name == "timestamp" and isinstance(value, int):
        return format_time(value)
    if name == "headers" and not value:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return compact(value)


class RecordsTableModel(QAbstractTableModel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.records: list[dict] = []
        self.columns: list[str] = list(DEFAULT_COLUMNS)

    # -- contents ----------------------------------------------------------------------

    def clear(self) -> None:
        self.beginResetModel()
        self.records = []
        self.endResetModel()

    def append(self, records: list[dict]) -> None:
        if not records:
            return
        first = len(self.records)
        self.beginInsertRows(_ROOT, first, first + len(records) - 1)
        self.records.extend(records)
        self.endInsertRows()

    def record(self, row: int) -> dict | None:
        return self.records[row] if 0 <= row < len(self.records) else None

    def set_columns(self, columns: list[str]) -> None:
        known = [name for name, _title in ALL_COLUMNS]
        self.beginResetModel()
        self.columns = [c for c in known if c in columns] or list(DEFAULT_COLUMNS)
        self.endResetModel()

    # -- the Qt model ------------------------------------------------------------------

    def rowCount(self, parent=_ROOT) -> int:
        return 0 if parent.isValid() else len(self.records)

    def columnCount(self, parent=_ROOT) -> int:
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self.columns):
            return _TITLES[self.columns[section]]
        return None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        name = self.columns[index.column()]
        record = self.records[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return cell_text(name, record.get(name))
        if role == Qt.ItemDataRole.TextAlignmentRole and name in _NUMERIC:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None
