"""A node's input and output records side by side, the fields that changed highlighted
(as StreamSets' preview shows a stage). Virtualised: the model answers for the rows on
screen only, and the delegate works out a row's changed fields when it paints it, so a
node with 10,000 records is as quick to show and scroll as one with ten."""

from __future__ import annotations

import html

from PySide6.QtCore import QModelIndex, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFontMetricsF, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QSplitter,
    QStyle,
    QStyledItemDelegate,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from engine.runtime.testing.lineage import Trace
from gui.monitor.qt_records import FixedColumnsModel, monospace
from gui.style import theme
from gui.testrun.rows import (
    ERROR,
    FILTERED,
    FOLDED,
    LATE,
    PASSED,
    UNWRITTEN,
    WRITTEN,
    Row,
    changed_fields,
    compact,
    flat_fields,
    node_rows,
)


def kind_colours() -> dict[str, QColor]:
    """Each row kind's colour in the palette shown (read when painting)."""
    return {
        ERROR: QColor(theme.ERROR),
        LATE: QColor(theme.WARNING),
        FOLDED: theme.current.colour("folded"),
        FILTERED: QColor(theme.NODE_MUTED_TEXT),
        UNWRITTEN: QColor(theme.NODE_MUTED_TEXT),
        WRITTEN: QColor(theme.OK),
        PASSED: QColor(theme.NODE_BODY_TEXT),
    }


ROW_ROLE = Qt.ItemDataRole.UserRole + 1
IN_KEY, IN_VALUE, ARROW, OUT_KEY, OUT_VALUE = 1, 2, 3, 4, 5


def _tint(colour: QColor, alpha: int) -> QColor:
    c = QColor(colour)
    c.setAlpha(alpha)
    return c


class SideBySideModel(FixedColumnsModel):
    """The rows of one node of a trace (``gui.testrun.rows.node_rows``)."""

    columns = ("#", "Input key", "Input value", "", "Output key", "Output value")

    def __init__(self, parent=None):
        super().__init__(parent)
        self.rows: list[Row] = []
        self.node_id = ""

    def set_rows(self, node_id: str, rows: list[Row]) -> None:
        self.beginResetModel()
        self.node_id, self.rows = node_id, rows
        self.endResetModel()

    def row_count(self) -> int:
        return len(self.rows)

    def row(self, index: int) -> Row | None:
        return self.rows[index] if 0 <= index < len(self.rows) else None

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        column = index.column()
        if role == ROW_ROLE:
            return row
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return str(row.number) if row.first else ""
            if column == IN_KEY:
                return compact(row.input.key) if row.input is not None and row.first else ""
            if column == IN_VALUE:
                return compact(row.input.value) if row.input is not None and row.first else ""
            if column == ARROW:
                if row.output is None:
                    return {
                        FILTERED: "✕",
                        ERROR: "⚠",
                        LATE: "⌛",
                        FOLDED: "Σ",
                        WRITTEN: "✔",
                        UNWRITTEN: "–",
                    }.get(row.kind, "")
                return f"→ {row.port}" if row.port and row.port != "out" else "→"
            if column == OUT_KEY:
                return compact(row.output.key) if row.output is not None else ""
            if column == OUT_VALUE:
                return compact(row.output.value) if row.output is not None else row.outcome
        if role == Qt.ItemDataRole.ForegroundRole:
            if column in (ARROW, OUT_VALUE) and row.output is None:
                return kind_colours().get(row.kind)
            if column in (0, IN_KEY, IN_VALUE) and not row.first:
                return QColor(theme.NODE_MUTED_TEXT)
        if (
            role == Qt.ItemDataRole.BackgroundRole
            and column == OUT_KEY
            and row.output is not None
            and row.input is not None
            and row.output.key != row.input.key
        ):
            return _tint(theme.WARNING, 60)
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (0, ARROW):
            return int(
                Qt.AlignmentFlag.AlignRight if column == 0 else Qt.AlignmentFlag.AlignCenter
            ) | int(Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole and column in (IN_VALUE, OUT_VALUE):
            rec = row.input if column == IN_VALUE else row.output
            if rec is None:
                return row.outcome
            return compact(rec.value, 2000)
        return None


class ChangedFieldsDelegate(QStyledItemDelegate):
    """Draws a JSON object value field by field: in the output, added fields on green and
    changed ones on amber; in the input, fields the node removed struck through in red."""

    def paint(self, painter, option, index) -> None:
        row: Row | None = index.data(ROW_ROLE)
        column = index.column()
        if (
            column not in (IN_VALUE, OUT_VALUE)
            or row is None
            or row.input is None
            or row.output is None
            or (not row.first and column == IN_VALUE)
        ):
            super().paint(painter, option, index)
            return
        before, after = row.input.value, row.output.value
        changes = changed_fields(before, after)
        if not changes:
            super().paint(painter, option, index)
            return
        self.initStyleOption(option, index)
        style = option.widget.style() if option.widget else None
        option_text, option.text = option.text, ""
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, option, painter, option.widget)
        value = after if column == OUT_VALUE else before
        segments = self._segments(value, changes, column == OUT_VALUE, option_text)
        painter.save()
        painter.setFont(option.font)
        metrics = QFontMetricsF(option.font)
        rect = QRectF(option.rect).adjusted(4, 0, -4, 0)
        x, right = rect.left(), rect.right()
        normal = option.palette.text().color()
        if option.state & QStyle.StateFlag.State_Selected:
            normal = option.palette.highlightedText().color()
        for text, mark in segments:
            width = metrics.horizontalAdvance(text)
            elided = x + width > right
            if elided:
                text = metrics.elidedText(text, Qt.TextElideMode.ElideRight, right - x)
                width = metrics.horizontalAdvance(text)
            box = QRectF(x, rect.top() + 2, width, rect.height() - 4)
            if mark == "added" or mark == "changed" and column == OUT_VALUE:
                painter.fillRect(box, _tint(theme.OK if mark == "added" else theme.WARNING, 90))
                painter.setPen(QPen(normal))
            elif mark == "removed":
                painter.setPen(QPen(theme.ERROR))
                f = painter.font()
                f.setStrikeOut(True)
                painter.setFont(f)
            elif mark == "changed":
                painter.setPen(QPen(theme.WARNING))
            else:
                painter.setPen(QPen(normal))
            painter.drawText(
                box, int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft), text
            )
            painter.setFont(option.font)
            x += width
            if elided or x >= right:
                break
        painter.restore()

    @staticmethod
    def _segments(
        value, changes: dict[str, str], is_output: bool, whole: str
    ) -> list[tuple[str, str]]:
        if not isinstance(value, dict):
            return [(whole, "changed")]
        parts: list[tuple[str, str]] = [("{", "")]
        for i, (name, field_value) in enumerate(value.items()):
            mark = changes.get(str(name), "")
            if is_output and mark == "removed":
                mark = ""
            shown = field_value if not isinstance(field_value, str) else f'"{field_value}"'
            if i:
                parts.append((", ", ""))
            parts.append((f'"{name}": {compact(shown, 80)}', mark))
        parts.append(("}", ""))
        return parts


def field_table_html(row: Row | None) -> str:
    """The selected row, field by field: input, output, and what changed."""
    if row is None or row.input is None:
        return ""
    before = flat_fields(row.input.value)
    after = flat_fields(row.output.value) if row.output is not None else {}
    names = list(before) + [n for n in after if n not in before]
    colours = {
        "added": theme.OK.name(),
        "removed": theme.ERROR.name(),
        "changed": theme.WARNING.name(),
    }
    lines = [
        "<table cellspacing='0' cellpadding='3' width='100%'>",
        (
            "<tr><th align='left'>field</th><th align='left'>input</th>"
            "<th align='left'>output</th></tr>"
        ),
    ]
    key_changed = row.output is not None and row.output.key != row.input.key
    lines.append(
        _field_line(
            "key",
            row.input.key,
            row.output.key if row.output else None,
            colours["changed"] if key_changed else "",
            row.output is not None,
        )
    )
    for name in names:
        if row.output is None:
            state = ""
        elif name not in before:
            state = "added"
        elif name not in after:
            state = "removed"
        else:
            state = "changed" if before[name] != after[name] else ""
        lines.append(
            _field_line(
                name,
                before.get(name, ""),
                after.get(name, ""),
                colours.get(state, ""),
                row.output is not None,
            )
        )
    lines.append("</table>")
    if row.output is None:
        colour = kind_colours().get(row.kind, QColor(theme.NODE_BODY_TEXT)).name()
        lines.append(f"<p style='color:{colour}'>{html.escape(row.outcome)}</p>")
    return "".join(lines)


def _blend(colour: str, amount: float = 0.32) -> str:
    """``colour`` laid over the panel's dark background at ``amount`` (rich text has no alpha)."""
    top, bottom = QColor(colour), QColor(theme.NODE_BODY)
    mix = [
        round(a * amount + b * (1 - amount))
        for a, b in zip(
            (top.red(), top.green(), top.blue()), (bottom.red(), bottom.green(), bottom.blue())
        )
    ]
    return QColor(*mix).name()


def _field_line(name, before, after, colour: str, has_output: bool) -> str:
    style = f" style='background-color:{_blend(colour)}'" if colour else ""
    out = html.escape(compact(after, 400)) if has_output else ""
    return (
        f"<tr{style}><td><b>{html.escape(str(name))}</b></td>"
        f"<td>{html.escape(compact(before, 400))}</td><td>{out}</td></tr>"
    )


class QtSideBySide(QSplitter):
    """A node's records in and out (table), the selected row field by field (below).
    ``recordChosen(n)`` names the record to follow when a row becomes current."""

    recordChosen = Signal(int)

    def __init__(self, parent=None):
        super().__init__(Qt.Orientation.Vertical, parent)
        top = QWidget()
        layout = QVBoxLayout(top)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        self.title = QLabel("Select a node to see its records in and out.")
        self.title.setObjectName("sideBySideTitle")
        layout.addWidget(self.title)
        self.model = SideBySideModel(self)
        self.table = QTableView()
        self.table.setObjectName("sideBySideTable")
        self.table.setModel(self.model)
        self.table.setItemDelegate(ChangedFieldsDelegate(self.table))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setWordWrap(False)
        self.table.setFont(monospace())
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(21)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for column, width in enumerate((40, 80, 300, 56, 80)):
            header.resizeSection(column, width)
        layout.addWidget(self.table)
        self.detail = QTextBrowser()
        self.detail.setObjectName("sideBySideDetail")
        self.detail.setFont(monospace())
        self.detail.setPlaceholderText("Select a row to compare its fields.")
        self.addWidget(top)
        self.addWidget(self.detail)
        self.setStretchFactor(0, 3)
        self.setStretchFactor(1, 1)
        self.table.selectionModel().currentRowChanged.connect(self._on_current_row_changed)

    def show_node(self, trace: Trace | None, node_id: str | None) -> None:
        if trace is None or not node_id or node_id not in trace.topology.nodes:
            self.model.set_rows("", [])
            self.title.setText("Select a node to see its records in and out.")
            self.detail.clear()
            return
        rows = node_rows(trace, node_id)
        self.model.set_rows(node_id, rows)
        m = trace.metrics.get(node_id, {})
        parts = [
            f"{m.get('in', 0):,} in",
            f"{m.get('out', 0):,} out",
            f"{m.get('errors', 0):,} errors",
        ]
        if m.get("late"):
            parts.append(f"{m['late']:,} late")
        self.title.setText(
            f"<b>{html.escape(node_id)}</b> — "
            + " · ".join(parts)
            + f" · <span style='color:{theme.OK.name()}'>added</span>"
            f" <span style='color:{theme.WARNING.name()}'>changed</span>"
            f" <span style='color:{theme.ERROR.name()}'>removed</span>"
        )
        self.detail.clear()

    def select_record(self, n: int) -> bool:
        """Make the row of record ``n`` (input or output) current; False when not here."""
        for i, row in enumerate(self.model.rows):
            if (row.output is not None and row.output.n == n) or (
                row.input is not None and row.input.n == n
            ):
                self.table.selectRow(i)
                self.table.scrollTo(self.model.index(i, 0))
                return True
        return False

    def _on_current_row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        row = self.model.row(current.row())
        self.detail.setHtml(field_table_html(row))
        if row is None:
            return
        chosen = row.output if row.output is not None else row.input
        if chosen is not None:
            self.recordChosen.emit(chosen.n)
