"""A record opened whole beside the Topic Browser's table: its place, key, headers and
value pretty-printed; a value over 900 KB shown truncated with "Show all"; bytes as hex."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from PySide6.QtWidgets import QLabel, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

from engine.cluster.topics.positions import format_time
from gui.monitor.qt_records import monospace, pretty
from gui.style import theme

TRUNCATE_AT = 900 * 1024  # characters of a value shown before "Show all"


def hex_dump(data: bytes, width: int = 16) -> str:
    lines = []
    for at in range(0, len(data), width):
        chunk = data[at : at + width]
        text = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
        lines.append(f"{at:08x}  {chunk.hex(' '):<{width * 3}} {text}")
    return "\n".join(lines)


def shown(value: Any, fmt: str | None) -> str:
    """A key or value as the panel shows it: bytes as hex, the rest pretty-printed."""
    if value is None:
        return "null"
    if fmt == "bytes" and isinstance(value, str):
        try:
            return hex_dump(base64.b64decode(value, validate=True))
        except (binascii.Error, ValueError):
            return value
    return pretty(value)


class QtRecordPanel(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.title = QLabel("Select a record to see it whole.")
        self.title.setWordWrap(True)
        theme.style_widget(self.title, "padding: 4px 6px; color: @bar_text@;")
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setFont(monospace())
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.show_all = QPushButton("Show all")
        self.show_all.setToolTip("Show the whole value, however long")
        self.show_all.clicked.connect(self._show_all)
        self.show_all.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.show_all)
        self._full = ""

    def show_record(self, record: dict | None) -> None:
        if record is None:
            self.title.setText("Select a record to see it whole.")
            self.text.clear()
            self.show_all.hide()
            return
        stamp = record.get("timestamp")
        when = format_time(stamp) if isinstance(stamp, int) else ""
        self.title.setText(
            f"<b>{record.get('topic', '')}</b> partition {record.get('partition')} "
            f"offset {record.get('offset')} · {when}"
        )
        head = [
            f"key ({record.get('key_format') or '?'}):",
            shown(record.get("key"), record.get("key_format")),
        ]
        headers = record.get("headers") or {}
        if headers:
            head += ["", "headers:", pretty(headers)]
        head += ["", f"value ({record.get('value_format') or '?'}):"]
        value = shown(record.get("value"), record.get("value_format"))
        self._full = "\n".join([*head, value])
        if len(value) > TRUNCATE_AT:
            cut = len(value) - TRUNCATE_AT
            self.text.setPlainText(
                "\n".join([*head, value[:TRUNCATE_AT], f"… ({cut:,} more characters)"])
            )
            self.show_all.setText(f"Show all ({len(value) / 1024:,.0f} KB)")
            self.show_all.show()
        else:
            self.text.setPlainText(self._full)
            self.show_all.hide()

    def _show_all(self) -> None:
        self.text.setPlainText(self._full)
        self.show_all.hide()

    def truncated(self) -> bool:
        return not self.show_all.isHidden()
