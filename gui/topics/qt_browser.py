"""The Topic Browser (reference §9.12): any topic's partitions with their low and high offsets,
seek by offset or time (one partition or all), a filter in the engine's safe expression
language that searches as you type over a bounded scan (progress, Cancel), a table with
columns to pick, a record opened whole, export of the matches (NDJSON or CSV), produce a
new record and re-produce selected ones with edits.

Model: a ``reader_factory`` giving a ``TopicReader`` for the current cluster with the open
topology's masking rules (so what is shown, searched and exported is masked), and the
``client_config``/``bootstrap`` for producing. Scans run in ``ScanRunner``'s thread; the
partitions' offsets are read by a BackgroundCall.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableView,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from engine.cluster import rotation
from engine.cluster.topics.output import RecordWriter
from engine.cluster.topics.positions import (
    EARLIEST,
    LATEST,
    PositionError,
    Start,
    StartKind,
    parse_start,
    parse_time,
)
from engine.cluster.topics.reader import (
    ScanError,
    ScanRequest,
    TopicReader,
    compile_filter,
    end_offsets,
)
from gui.monitor.qt_tasks import BackgroundCall
from gui.style import theme
from gui.topics.qt_record_panel import QtRecordPanel
from gui.topics.qt_scan import ScanRunner
from gui.topics.records_model import ALL_COLUMNS, RecordsTableModel

DEBOUNCE_MS = 300  # a pause in typing before the search runs
DEFAULT_LIMIT = 10_000  # matches a scan stops at (the table holds no more)
FROM_CHOICES = ("Earliest", "Latest", "Offset", "Time")
COLUMN_WIDTHS = {
    "partition": 70,
    "offset": 80,
    "timestamp": 190,
    "key": 120,
    "headers": 180,
    "key_format": 90,
    "value_format": 90,
}


def partition_bounds(reader: TopicReader, topic: str) -> dict[int, tuple[int, int]]:
    """(low, high) offsets per partition of ``topic``; ScanError when there is none."""
    rotation.follow([topic])  # not rotated under this consumer (engine.cluster.rotation)
    consumer = reader.consumer()
    try:
        partitions = reader.partitions_of(consumer, topic)
        return end_offsets(consumer, topic, partitions)
    finally:
        consumer.close()
        rotation.unfollow([topic])


class QtTopicBrowser(QWidget):
    """One topic. ``produce_requested(topic, records)`` asks the owner for the produce
    dialog (records: [] for a new one, else the selected rows to re-produce)."""

    produce_requested = Signal(str, list)

    def __init__(self, topic: str, reader_factory: Callable[[], TopicReader | None], parent=None):
        super().__init__(parent)
        self.topic = topic
        self.reader_factory = reader_factory
        self.bounds: dict[int, tuple[int, int]] = {}
        self.scan_serial = 0
        self.scanning = False
        self.notices: list[str] = []
        self.limited = False
        self.setWindowTitle(f"Topic {topic}")

        self.runner = ScanRunner(self)
        self.runner.page.connect(self._on_page)
        self.runner.progress.connect(self._on_progress)
        self.runner.finished.connect(self._on_finished)

        # -- where to read ------------------------------------------------------------
        self.partition_combo = QComboBox()
        self.partition_combo.addItem("All partitions", None)
        self.from_combo = QComboBox()
        self.from_combo.addItems(FROM_CHOICES)
        self.from_combo.currentIndexChanged.connect(self._on_from_changed)
        self.position_edit = QLineEdit()
        self.position_edit.setPlaceholderText("offset")
        self.position_edit.setEnabled(False)
        self.position_edit.returnPressed.connect(self.seek)
        self.limit_spin = QSpinBox()
        self.limit_spin.setRange(1, 1_000_000)
        self.limit_spin.setValue(DEFAULT_LIMIT)
        self.limit_spin.setSuffix(" matches")
        self.limit_spin.setToolTip("The scan stops at this many matches")
        self.seek_button = QPushButton("Seek")
        self.seek_button.setToolTip("Read from this position")
        self.seek_button.clicked.connect(self.seek)

        self.columns_button = QToolButton()
        self.columns_button.setText("Columns")
        self.columns_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.columns_menu = QMenu(self.columns_button)
        self.column_actions: dict[str, QAction] = {}
        for name, title in ALL_COLUMNS:
            action = self.columns_menu.addAction(title)
            action.setCheckable(True)
            action.toggled.connect(self._on_columns_toggled)
            self.column_actions[name] = action
        self.columns_button.setMenu(self.columns_menu)
        self.export_button = QToolButton()
        self.export_button.setText("Export…")
        self.export_button.setToolTip("Write the matches to an NDJSON or CSV file")
        self.export_button.clicked.connect(self.export_dialog)
        self.produce_button = QToolButton()
        self.produce_button.setText("Produce…")
        self.produce_button.setToolTip("Write a new record to this topic")
        self.produce_button.clicked.connect(lambda: self.produce_requested.emit(self.topic, []))
        self.reproduce_button = QToolButton()
        self.reproduce_button.setText("Re-produce…")
        self.reproduce_button.setToolTip("Write the selected records again, with edits")
        self.reproduce_button.clicked.connect(self._reproduce_selected)

        bar = QHBoxLayout()
        bar.addWidget(QLabel("From"))
        bar.addWidget(self.from_combo)
        bar.addWidget(self.position_edit, 1)
        bar.addWidget(self.partition_combo)
        bar.addWidget(self.limit_spin)
        bar.addWidget(self.seek_button)
        bar.addSpacing(12)
        bar.addWidget(self.columns_button)
        bar.addWidget(self.export_button)
        bar.addWidget(self.produce_button)
        bar.addWidget(self.reproduce_button)

        # -- the filter ---------------------------------------------------------------
        self.filter_edit = QLineEdit()
        self.filter_edit.setPlaceholderText(
            "Filter, e.g. value['amount'] > 100 and key == 'c-7' (searches as you type)"
        )
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.textChanged.connect(self._on_filter_text)
        self.filter_error = QLabel()
        self.filter_error.setWordWrap(True)
        theme.style_widget(self.filter_error, "color: @error@;")
        self.filter_error.hide()
        self.debounce = QTimer(self)
        self.debounce.setSingleShot(True)
        self.debounce.setInterval(DEBOUNCE_MS)
        self.debounce.timeout.connect(self.search)

        self.progress_bar = QProgressBar()
        self.progress_bar.setMaximumHeight(14)
        self.progress_bar.setTextVisible(False)
        self.status = QLabel()
        self.status.setWordWrap(True)
        theme.style_widget(self.status, "color: @muted_text@;")
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        self.cancel_button.setEnabled(False)
        status_bar = QHBoxLayout()
        status_bar.addWidget(self.status, 1)
        status_bar.addWidget(self.progress_bar)
        status_bar.addWidget(self.cancel_button)

        # -- partitions, records, the record whole ------------------------------------
        self.partitions = QTreeWidget()
        self.partitions.setHeaderLabels(["Partition", "Low", "High"])
        self.partitions.setRootIsDecorated(False)
        for column, width in enumerate((64, 60, 60)):
            self.partitions.setColumnWidth(column, width)
        self.partitions.itemClicked.connect(self._on_partition_clicked)
        self.model = RecordsTableModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.selectionModel().currentRowChanged.connect(self._on_current_row)
        self.panel = QtRecordPanel()
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.partitions)
        splitter.addWidget(self.table)
        splitter.addWidget(self.panel)
        splitter.setStretchFactor(1, 3)
        splitter.setStretchFactor(2, 2)
        splitter.setSizes([190, 760, 340])

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(bar)
        layout.addWidget(self.filter_edit)
        layout.addWidget(self.filter_error)
        layout.addLayout(status_bar)
        layout.addWidget(splitter, 1)
        self._set_columns(self.model.columns)
        self.resize(1200, 700)

    # -- partitions ----------------------------------------------------------------------

    def load(self) -> None:
        """Read the partitions' offsets, then scan from the position chosen."""
        reader = self.reader_factory()
        if reader is None:
            self.status.setText("Not connected: choose a cluster in Run → Connection.")
            return
        self.status.setText(f"Reading the partitions of {self.topic}…")
        BackgroundCall(
            lambda: partition_bounds(reader, self.topic),
            self._on_bounds,
            lambda exc: self.status.setText(f"Cannot read {self.topic}: {exc}"),
            name="topic-bounds",
        ).start()

    def _on_bounds(self, bounds: dict[int, tuple[int, int]]) -> None:
        self.bounds = dict(bounds)
        self.partitions.clear()
        chosen = self.partition_combo.currentData()
        self.partition_combo.blockSignals(True)
        self.partition_combo.clear()
        self.partition_combo.addItem("All partitions", None)
        for number, (low, high) in sorted(bounds.items()):
            item = QTreeWidgetItem([str(number), f"{low:,}", f"{high:,}"])
            item.setData(0, Qt.ItemDataRole.UserRole, number)
            for column in (1, 2):
                item.setTextAlignment(column, Qt.AlignmentFlag.AlignRight)
            self.partitions.addTopLevelItem(item)
            self.partition_combo.addItem(f"Partition {number}", number)
        at = self.partition_combo.findData(chosen)
        self.partition_combo.setCurrentIndex(max(0, at))
        self.partition_combo.blockSignals(False)
        self.search()

    def _on_partition_clicked(self, item: QTreeWidgetItem, _column: int) -> None:
        at = self.partition_combo.findData(item.data(0, Qt.ItemDataRole.UserRole))
        if at >= 0:
            self.partition_combo.setCurrentIndex(at)

    # -- position and filter -------------------------------------------------------------

    def _on_from_changed(self, index: int) -> None:
        kind = FROM_CHOICES[index]
        self.position_edit.setEnabled(kind in ("Offset", "Time"))
        self.position_edit.setPlaceholderText(
            "offset, e.g. 1200" if kind == "Offset" else "ISO 8601, e.g. 2026-12-06T10:00:00Z"
        )

    def start_position(self) -> Start:
        """The position chosen; PositionError with a sentence when it is not one."""
        kind = FROM_CHOICES[self.from_combo.currentIndex()]
        text = self.position_edit.text().strip()
        if kind == "Earliest":
            return EARLIEST
        if kind == "Latest":
            return LATEST
        if not text:
            raise PositionError(f"type the {kind.lower()} to read from")
        if kind == "Offset":
            if not text.isdigit():
                raise PositionError(f"{text!r} is not an offset: a whole number, 0 or more")
            return Start(StartKind.OFFSET, int(text))
        if text.isdigit() and len(text) == 13:
            return parse_start(text)
        return Start(StartKind.TIME, parse_time(text))

    def set_position(self, kind: str, text: str = "", partition: int | None = None) -> None:
        self.from_combo.setCurrentIndex(FROM_CHOICES.index(kind))
        self.position_edit.setText(text)
        at = self.partition_combo.findData(partition)
        self.partition_combo.setCurrentIndex(max(0, at))

    def seek(self) -> None:
        self.debounce.stop()
        self.search()

    def _on_filter_text(self, text: str) -> None:
        try:
            compile_filter(text)
        except ScanError as exc:
            self.debounce.stop()
            self._show_filter_error(str(exc))
            return
        self._show_filter_error("")
        self.debounce.start()

    def _show_filter_error(self, text: str) -> None:
        self.filter_error.setText(text[:1].upper() + text[1:] + ("." if text else ""))
        self.filter_error.setVisible(bool(text))

    # -- the scan ------------------------------------------------------------------------

    def search(self) -> None:
        """Scan again from the position chosen with the filter typed."""
        reader = self.reader_factory()
        if reader is None:
            self.status.setText("Not connected: choose a cluster in Run → Connection.")
            return
        try:
            start = self.start_position()
        except PositionError as exc:
            self.status.setText(f"Cannot seek: {exc}.")
            return
        partition = self.partition_combo.currentData()
        request = ScanRequest(
            self.topic,
            start,
            partitions=None if partition is None else [partition],
            filter=self.filter_edit.text().strip() or None,
            limit=self.limit_spin.value(),
        )
        try:
            serial = self.runner.start(reader, request)
        except ScanError as exc:
            self._show_filter_error(str(exc))
            return
        self.scan_serial = serial
        self.scanning = True
        self.notices = []
        self.limited = False
        self.model.clear()
        self.panel.show_record(None)
        self.progress_bar.setRange(0, 0)
        self.cancel_button.setEnabled(True)
        self.status.setText(f"Reading from {start.describe()}…")

    def cancel(self) -> None:
        self.runner.cancel()

    def _on_page(self, serial: int, records: list) -> None:
        if serial != self.scan_serial:
            return
        first = not self.model.records
        self.model.append(records)
        if first and records:
            self.table.selectRow(0)

    def _on_progress(self, serial: int, scanned: int, total: int, matched: int) -> None:
        if serial != self.scan_serial:
            return
        if total:
            self.progress_bar.setRange(0, 1000)
            self.progress_bar.setValue(int(1000 * min(scanned, total) / total))
        self.status.setText(f"{matched:,} matches · {scanned:,} of {total:,} records scanned")

    def _on_finished(self, serial: int, notices: list, error: str) -> None:
        if serial != self.scan_serial:
            return
        self.scanning = False
        self.cancel_button.setEnabled(False)
        self.progress_bar.setRange(0, 1)
        self.progress_bar.setValue(1)
        if error:
            self.status.setText(f"Cannot read {self.topic}: {error}.")
            return
        scan = self.runner.scan
        progress = scan.progress if scan is not None else None
        matched = len(self.model.records)
        parts = [f"{matched:,} match{'es' * (matched != 1)}"]
        if progress is not None:
            parts.append(f"{progress.scanned:,} of {progress.total:,} records scanned")
            self.limited = progress.matched >= self.limit_spin.value()
            if self.limited:
                parts.append("stopped at the limit")
            elif scan is not None and scan.cancelled:
                parts.append("cancelled")
        self.notices = list(notices)
        self.status.setText(" · ".join(parts) + "".join(f"\n{n}." for n in notices))

    def wait_for_scan(self, timeout: float | None = None) -> None:
        self.runner.join(timeout)

    # -- columns, records ----------------------------------------------------------------

    def _set_columns(self, columns: list[str]) -> None:
        for name, action in self.column_actions.items():
            action.blockSignals(True)
            action.setChecked(name in columns)
            action.blockSignals(False)
        self.model.set_columns(columns)
        self._size_columns()

    def _size_columns(self) -> None:
        for at, name in enumerate(self.model.columns):
            self.table.setColumnWidth(at, COLUMN_WIDTHS.get(name, 240))

    def _on_columns_toggled(self, _checked: bool) -> None:
        self.model.set_columns([n for n, a in self.column_actions.items() if a.isChecked()])
        self._size_columns()

    def _on_current_row(self, current, _previous) -> None:
        self.panel.show_record(self.model.record(current.row()) if current.isValid() else None)

    def selected_records(self) -> list[dict]:
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        return [self.model.records[r] for r in rows]

    def _reproduce_selected(self) -> None:
        records = self.selected_records()
        if not records:
            self.status.setText("Select the records to re-produce first.")
            return
        self.produce_requested.emit(self.topic, records)

    # -- export --------------------------------------------------------------------------

    def export_dialog(self) -> None:
        if not self.model.records:
            self.status.setText("Nothing to export: no record matches.")
            return
        path, chosen = QFileDialog.getSaveFileName(
            self,
            "Export the matches",
            f"{self.topic}.ndjson",
            "NDJSON (*.ndjson *.jsonl);;CSV (*.csv)",
        )
        if path:
            self.export(
                path, "csv" if chosen.startswith("CSV") or path.endswith(".csv") else "ndjson"
            )

    def export(self, path: str, fmt: str = "ndjson") -> int:
        """Write the matches (masked as shown) to ``path``; the count, or -1 with a sentence
        in the status line when the file cannot be written."""
        try:
            with open(path, "w", encoding="utf-8", newline="") as stream:
                writer = RecordWriter(stream, fmt)
                writer.write(self.model.records)
        except OSError as exc:
            self.status.setText(f"Cannot write {path}: {exc.strerror or exc}.")
            return -1
        note = " (the scan stopped at the limit: raise it to export more)" if self.limited else ""
        self.status.setText(f"Exported {writer.count:,} records to {path}{note}.")
        return writer.count

    # -- closing -------------------------------------------------------------------------

    def closeEvent(self, event) -> None:
        self.runner.cancel()
        super().closeEvent(event)
