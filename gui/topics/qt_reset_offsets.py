"""Reset Offsets on any consumer group (reference §9.12): to earliest, latest, a time or an
offset, for one topic or every topic the group has committed to. Preview first: per
partition the committed offset, the new one and the records the group would read again or
skip. Apply is refused, with the sentence, while the group is active; it asks before
committing anything. The engine's ``OffsetResetter`` does the work, off the GUI thread."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from engine.cluster.topics.offsets import OffsetResetter, ResetPlan
from engine.cluster.topics.positions import (
    EARLIEST,
    LATEST,
    PositionError,
    Start,
    StartKind,
    parse_time,
)
from engine.cluster.topics.reader import TopicReader
from gui.monitor.qt_tasks import BackgroundCall
from gui.style import theme
from gui.topics.qt_produce_dialog import ask

TO_CHOICES = ("Earliest", "Latest", "Time", "Offset")
HEADERS = ("Topic", "Partition", "Current", "New", "Replayed", "Skipped")


def reset_position(kind: str, text: str) -> Start:
    """The position typed; PositionError with a sentence when it is not one."""
    text = text.strip()
    if kind == "Earliest":
        return EARLIEST
    if kind == "Latest":
        return LATEST
    if not text:
        raise PositionError(f"type the {kind.lower()} to reset to")
    if kind == "Offset":
        if not text.isdigit():
            raise PositionError(f"{text!r} is not an offset: a whole number, 0 or more")
        return Start(StartKind.OFFSET, int(text))
    if text.isdigit() and len(text) == 13:
        return Start(StartKind.TIME, int(text))
    return Start(StartKind.TIME, parse_time(text))


class QtResetOffsetsDialog(QDialog):
    """``confirm(parent, title, text) -> bool`` asks before the reset is committed."""

    def __init__(
        self,
        group: str,
        reader: TopicReader,
        topics: list[str],
        confirm: Callable[[QWidget, str, str], bool] = ask,
        parent=None,
    ):
        super().__init__(parent)
        self.group = group
        self.reader = reader
        self.confirm = confirm
        self.plan: ResetPlan | None = None
        self.applied = False
        self._resetter: OffsetResetter | None = None
        self.setWindowTitle(f"Reset Offsets of {group}")

        self.to_combo = QComboBox()
        self.to_combo.addItems(TO_CHOICES)
        self.to_combo.currentIndexChanged.connect(self._on_to_changed)
        self.value_edit = QLineEdit()
        self.value_edit.setEnabled(False)
        self.topic_combo = QComboBox()
        self.topic_combo.addItem("Every topic it has committed to", None)
        for name in topics:
            self.topic_combo.addItem(name, name)
        self.preview_button = QPushButton("Preview")
        self.preview_button.clicked.connect(self.preview)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("To"))
        bar.addWidget(self.to_combo)
        bar.addWidget(self.value_edit, 1)
        bar.addWidget(QLabel("Topic"))
        bar.addWidget(self.topic_combo)
        bar.addWidget(self.preview_button)

        self.table = QTableWidget(0, len(HEADERS))
        self.table.setHorizontalHeaderLabels(HEADERS)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.message = QLabel(f"Choose where <b>{group}</b> should start, then Preview.")
        self.message.setWordWrap(True)
        self.apply_button = QPushButton("Apply…")
        self.apply_button.setEnabled(False)
        self.apply_button.clicked.connect(self.apply)
        close = QPushButton("Close")
        close.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.apply_button)
        buttons.addWidget(close)

        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        self.resize(720, 420)

    def _on_to_changed(self, index: int) -> None:
        kind = TO_CHOICES[index]
        self.value_edit.setEnabled(kind in ("Time", "Offset"))
        self.value_edit.setPlaceholderText(
            "offset, e.g. 1200" if kind == "Offset" else "ISO 8601, e.g. 2026-12-06T10:00:00Z"
        )

    def _say(self, text: str, bad: bool = False) -> None:
        theme.style_widget(self.message, "color: @error@;" if bad else "")
        self.message.setText(text)

    def resetter(self) -> OffsetResetter:
        if self._resetter is None:
            self._resetter = OffsetResetter(self.reader)
        return self._resetter

    # -- preview -------------------------------------------------------------------------

    def preview(self) -> None:
        try:
            to = reset_position(TO_CHOICES[self.to_combo.currentIndex()], self.value_edit.text())
        except PositionError as exc:
            self._say(f"Cannot preview: {exc}.", bad=True)
            return
        topic = self.topic_combo.currentData()
        self.plan = None
        self.apply_button.setEnabled(False)
        self.preview_button.setEnabled(False)
        self._say(f"Working out the reset of {self.group} to {to.describe()}…")
        resetter = self.resetter()
        BackgroundCall(
            lambda: resetter.plan(self.group, to, topic),
            self._on_planned,
            self._on_plan_failed,
            name="reset-plan",
        ).start()

    def _on_plan_failed(self, exc: BaseException) -> None:
        self.preview_button.setEnabled(True)
        self._say(f"Cannot preview the reset: {exc}.", bad=True)

    def _on_planned(self, plan: ResetPlan) -> None:
        self.preview_button.setEnabled(True)
        self.plan = plan
        self.table.setRowCount(len(plan.partitions))
        for row, r in enumerate(plan.partitions):
            cells = (
                r.topic,
                r.partition,
                "none" if r.current is None else r.current,
                r.new,
                r.replayed,
                r.skipped,
            )
            for column, value in enumerate(cells):
                item = QTableWidgetItem(f"{value:,}" if isinstance(value, int) else str(value))
                if column:
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                self.table.setItem(row, column, item)
        replayed = sum(r.replayed for r in plan.partitions)
        skipped = sum(r.skipped for r in plan.partitions)
        summary = (
            f"{len(plan.partitions)} partitions: {replayed:,} records would be read again, "
            f"{skipped:,} skipped."
        )
        lines = [
            summary,
            *[note[:1].upper() + note[1:] + "." for note in plan.notes],
        ]
        if plan.active:
            members = f", {plan.members} members" if plan.members else ""
            lines.append(
                f"The group is active (state {plan.state}{members}): stop its consumers, "
                "then reset."
            )
            self._say("<br>".join(lines), bad=True)
            return
        self._say("<br>".join(lines))
        self.apply_button.setEnabled(bool(plan.partitions))

    # -- apply ---------------------------------------------------------------------------

    def apply(self) -> None:
        plan = self.plan
        if plan is None:
            return
        if not self.confirm(
            self,
            "Reset Offsets",
            f"Commit the new offsets of {len(plan.partitions)} partitions for the group "
            f"{plan.group}?",
        ):
            self._say("Nothing was changed.")
            return
        self.apply_button.setEnabled(False)
        resetter = self.resetter()
        BackgroundCall(
            lambda: resetter.apply(plan), self._on_applied, self._on_apply_failed, name="reset"
        ).start()

    def _on_applied(self, _result) -> None:
        self.applied = True
        self._say(f"The offsets of {self.group} are reset.")

    def _on_apply_failed(self, exc: BaseException) -> None:
        text = str(exc)
        self._say(f"Not reset: {text[:1].lower() + text[1:]}.", bad=True)
