"""Produce to a topic from the app (reference §9.12): a new record, or the selected records of the
Topic Browser again with edits. The records are NDJSON lines, the lines a scan exports and
``topology-studio topic produce`` reads; every line is checked before anything is sent, the
user confirms, and the sending runs off the GUI thread. A re-produced record keeps its key,
value, headers and formats; the broker gives it a new offset and time. A new record on a topic
whose values have a registered schema starts from that schema (``engine.runtime.schemas.
examples``): its fields, and the format that writes what the topic's consumers read."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from engine.cluster.admin import ConnectionProblem
from engine.cluster.topics.formats import FormatError, Registry, registry_unreachable
from engine.cluster.topics.output import ndjson_line
from engine.cluster.topics.producer import (
    Outgoing,
    ProduceError,
    ProduceResult,
    RecordEncoder,
    TopicProducer,
    read_lines,
)
from engine.model.masking import MASK
from engine.runtime.schemas.examples import example_line
from gui.monitor.qt_records import monospace
from gui.monitor.qt_tasks import BackgroundCall
from gui.style import theme

NEW_RECORD = '{"key": null, "value": {}, "headers": {}}'
KEPT = ("key", "value", "headers", "key_format", "value_format")


def reproduce_lines(records: list[dict]) -> str:
    """The NDJSON lines that write ``records`` again (no place: the broker gives a new one)."""
    return "\n".join(ndjson_line({k: r[k] for k in KEPT if k in r}) for r in records)


def ask(parent: QWidget, title: str, text: str) -> bool:
    answer = QMessageBox.question(
        parent,
        title,
        text,
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
        QMessageBox.StandardButton.Cancel,
    )
    return answer == QMessageBox.StandardButton.Yes


class QtProduceDialog(QDialog):
    """``confirm(parent, title, text) -> bool`` asks before anything is written."""

    def __init__(
        self,
        topic: str,
        bootstrap: str,
        client_config: dict | None = None,
        records: list[dict] | None = None,
        confirm: Callable[[QWidget, str, str], bool] = ask,
        parent=None,
        registry: Registry | None = None,
    ):
        super().__init__(parent)
        self.topic = topic
        self.registry = registry  # to encode avro/protobuf/json_schema lines
        self.bootstrap = bootstrap
        self.client_config = dict(client_config or {})
        self.confirm = confirm
        self.result_: ProduceResult | None = None
        self._call: BackgroundCall | None = None
        records = list(records or [])
        what = f"Re-produce {len(records)} records to" if records else "Produce a record to"
        self.setWindowTitle(f"{what} {topic}")
        intro = QLabel(
            f"{what} <b>{topic}</b> on {bootstrap}. One JSON object per line: "
            '<code>{"key", "value", "headers"}</code> (value null: a tombstone); '
            "key and value are written as text when they are text, else as JSON, unless the "
            "line names a format."
        )
        intro.setWordWrap(True)
        self.editor = QPlainTextEdit(reproduce_lines(records) if records else NEW_RECORD)
        self.editor.setFont(monospace())
        self.masked_note = QLabel(
            f"Some values are masked: {MASK} is written as it stands unless you edit it."
        )
        theme.style_widget(self.masked_note, "color: @warning@;")
        self.masked_note.setVisible(MASK in self.editor.toPlainText())
        self.schema_note = QLabel()  # where the new record's template came from
        self.schema_note.setWordWrap(True)
        theme.style_widget(self.schema_note, "color: @muted_text@;")
        self.schema_note.hide()
        self.message = QLabel()
        self.message.setWordWrap(True)
        theme.style_widget(self.message, "color: @error@;")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Produce…")
        self.buttons.accepted.connect(self.produce)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.editor, 1)
        layout.addWidget(self.schema_note)
        layout.addWidget(self.masked_note)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.resize(640, 360)
        self._template_call: BackgroundCall | None = None
        if not records and registry is not None:
            self._template_call = BackgroundCall(
                lambda: example_line(registry, topic),
                self._on_template,
                self._on_template_failed,
                name="produce-template",
            ).start()

    def _on_template(self, made) -> None:
        if made is None:  # no schema registered for the topic: JSON or text, as typed
            return
        line, examples = made
        if self.editor.toPlainText().strip() == NEW_RECORD:  # not typed over meanwhile
            self.editor.setPlainText(ndjson_line(line))
        self.schema_note.setText(
            "A record of the topic's registered schema ("
            + "; ".join(e.describe() for e in examples)
            + "): fill in its fields. A line without a format is written as JSON or text."
        )
        self.schema_note.show()

    def _on_template_failed(self, exc: BaseException) -> None:
        url = self.registry.url if self.registry is not None else ""
        if registry_unreachable(exc):
            why = f"The schema registry at {url} does not answer"
        else:  # e.g. refused: a 401, a schema it cannot read
            reason = str(exc).strip().splitlines()[0][:160] if str(exc).strip() else ""
            why = (
                f"The schema registry at {url} gave no schema of {self.topic} "
                f"({reason or type(exc).__name__})"
            )
        self.schema_note.setText(f"{why}: a line without a format is written as JSON or text.")
        self.schema_note.show()

    def outgoing(self) -> list[Outgoing] | None:
        """The records typed, or None with the problems shown (nothing is sent)."""
        try:
            encoder = RecordEncoder(self.topic, registry=self.registry)
            records = read_lines(self.editor.toPlainText().splitlines(), encoder, "line")
        except ProduceError as exc:
            self.message.setText(str(exc).replace("line:", "Line "))
            return None
        except FormatError as exc:
            self.message.setText(str(exc))
            return None
        if not records:
            self.message.setText("There is no record to produce: type one JSON object a line.")
            return None
        return records

    def produce(self) -> None:
        records = self.outgoing()
        if records is None:
            return
        n = len(records)
        if not self.confirm(
            self,
            "Produce",
            f"Write {n} record{'s' * (n != 1)} to {self.topic} on {self.bootstrap}?",
        ):
            self.message.setText("Nothing was written.")
            return
        theme.style_widget(self.message, "color: @muted_text@;")
        self.message.setText("Writing…")
        self.buttons.setEnabled(False)
        producer = TopicProducer(self.bootstrap, self.topic, self.client_config)

        def send() -> ProduceResult:
            producer.check_reachable()
            return producer.send(records)

        self._call = BackgroundCall(send, self._on_sent, self._on_failed, name="produce").start()

    def _on_sent(self, result: ProduceResult) -> None:
        self.result_ = result
        self.buttons.setEnabled(True)
        if result.failed:
            theme.style_widget(self.message, "color: @error@;")
            self.message.setText(
                f"{result.sent} written; not written: " + "; ".join(result.failed[:5])
            )
            return
        self.accept()

    def _on_failed(self, exc: BaseException) -> None:
        self.buttons.setEnabled(True)
        theme.style_widget(self.message, "color: @error@;")
        text = str(exc) if isinstance(exc, ConnectionProblem) else f"{exc}"
        self.message.setText(f"Nothing was written: {text}.")
