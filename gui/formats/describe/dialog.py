"""The dialog that takes ``describe()`` text, pasted or loaded from a file, and the application
id; a line it cannot read is selected and said in one sentence."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFontDatabase,
    QTextCursor,
)
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from engine.code.describe import (
    DescribeError,
    StreamsDescription,
    parse_description,
)

# -- the dialog ----------------------------------------------------------------------------------

_PLACEHOLDER = """Topologies:
   Sub-topology: 0
    Source: KSTREAM-SOURCE-0000000000 (topics: [orders])
      --> KSTREAM-FILTER-0000000001
    …"""


class DescribeDialog(QDialog):
    """Takes the text of ``Topology#describe()`` and the application id; on Open, parses it and
    either accepts (``description`` is set) or shows the line it could not read."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Open Kafka Streams Topology")
        self.setObjectName("describeDialog")
        self.description: StreamsDescription | None = None
        self.source_name = ""
        self.error: DescribeError | None = None

        intro = QLabel(
            "Paste what a Kafka Streams application prints with "
            "<code>System.out.println(topology.describe())</code>, or load it from a file. "
            "It opens as a read-only picture: nothing runs.",
            self,
        )
        intro.setWordWrap(True)
        self.text = QPlainTextEdit(self)
        self.text.setObjectName("describeText")
        self.text.setPlaceholderText(_PLACEHOLDER)
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.text.setFont(mono)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.text.textChanged.connect(self._on_text_changed)
        self.load_button = QPushButton("Load from File…", self)
        self.load_button.clicked.connect(self.load_dialog)
        self.app_id = QLineEdit(self)
        self.app_id.setObjectName("applicationId")
        self.app_id.setPlaceholderText("application.id, e.g. wordcount-app (optional)")
        app_help = QLabel(
            "The application id is the app's consumer group and the prefix of its internal "
            "topics. describe() does not print it; give it to monitor the group's lag.",
            self,
        )
        app_help.setObjectName("help")
        app_help.setWordWrap(True)
        self.error_label = QLabel(self)
        self.error_label.setObjectName("problemsBox")
        self.error_label.setWordWrap(True)
        self.error_label.setTextFormat(Qt.TextFormat.PlainText)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error_label.hide()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Open | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.accepted.connect(self.try_accept)
        self.buttons.rejected.connect(self.reject)

        row = QHBoxLayout()
        row.addWidget(self.load_button)
        row.addStretch(1)
        app_row = QHBoxLayout()
        app_label = QLabel("Application id", self)
        app_label.setObjectName("fieldLabel")
        app_row.addWidget(app_label)
        app_row.addWidget(self.app_id, 1)
        box = QVBoxLayout(self)
        box.addWidget(intro)
        box.addWidget(self.text, 1)
        box.addLayout(row)
        box.addLayout(app_row)
        box.addWidget(app_help)
        box.addWidget(self.error_label)
        box.addWidget(self.buttons)
        self.resize(760, 620)

    @property
    def application_id(self) -> str:
        return self.app_id.text().strip()

    def load_dialog(self) -> None:
        chosen, _ = QFileDialog.getOpenFileName(
            self, "Load describe() output", str(Path.home()), "Text (*.txt *.log);;All files (*)"
        )
        if chosen:
            self.load_file(chosen)

    def load_file(self, path: str | Path) -> bool:
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            self._show_error(f"Could not read {path}: {exc.strerror or exc}.")
            return False
        self.text.setPlainText(text)
        self.source_name = path.name
        return True

    def try_accept(self) -> bool:
        text = self.text.toPlainText()
        try:
            self.description = parse_description(text)
        except DescribeError as exc:
            self.error = exc
            lines = text.splitlines()
            offending = lines[exc.line - 1].strip() if 0 < exc.line <= len(lines) else ""
            message = f"Line {exc.line}: {exc.message}"
            if offending:
                message += f"\n\n  {exc.line} │ {offending}"
            self._show_error(message)
            self._select_line(exc.line)
            return False
        self.error = None
        self.accept()
        return True

    def _show_error(self, message: str) -> None:
        self.error_label.setText(message)
        self.error_label.show()

    def _select_line(self, number: int) -> None:
        block = self.text.document().findBlockByNumber(max(0, number - 1))
        if not block.isValid():
            return
        cursor = QTextCursor(block)
        cursor.movePosition(QTextCursor.MoveOperation.EndOfBlock, QTextCursor.MoveMode.KeepAnchor)
        self.text.setTextCursor(cursor)
        mark = QTextEdit.ExtraSelection()
        mark.cursor = QTextCursor(block)
        mark.format.setBackground(QBrush(QColor(224, 93, 93, 60)))
        mark.format.setProperty(mark.format.Property.FullWidthSelection, True)
        self.text.setExtraSelections([mark])
        self.text.centerCursor()

    def _on_text_changed(self) -> None:
        if self.error is not None:
            self.error = None
            self.error_label.hide()
            self.text.setExtraSelections([])
