"""Topic administration from the Cluster dock: create a topic (name, partitions,
replication, configs), its configuration as the broker has it, delete (after asking). The
broker's refusal is shown as a sentence; the calls run off the GUI thread."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from engine.cluster.admin import ClusterClient
from gui.monitor.qt_tasks import BackgroundCall
from gui.style import theme


def parse_configs(text: str) -> dict[str, str]:
    """``name=value`` lines; ValueError with a sentence for a line that is not one."""
    out: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, value = line.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"config line {number} is not name=value, e.g. retention.ms=60000")
        out[name.strip()] = value.strip()
    return out


class QtCreateTopicDialog(QDialog):
    def __init__(self, client: ClusterClient, parent=None):
        super().__init__(parent)
        self.client = client
        self.created = ""
        self.setWindowTitle("New Topic")
        self.name_edit = QLineEdit()
        self.partitions_spin = QSpinBox()
        self.partitions_spin.setRange(1, 10_000)
        self.replication_spin = QSpinBox()
        self.replication_spin.setRange(1, 32)
        self.configs_edit = QPlainTextEdit()
        self.configs_edit.setPlaceholderText("name=value a line, e.g.\nretention.ms=604800000")
        self.message = QLabel()
        self.message.setWordWrap(True)
        theme.style_widget(self.message, "color: @error@;")
        form = QFormLayout()
        form.addRow("Name", self.name_edit)
        form.addRow("Partitions", self.partitions_spin)
        form.addRow("Replication", self.replication_spin)
        form.addRow("Configs", self.configs_edit)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Create")
        self.buttons.accepted.connect(self.create)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)

    def create(self) -> None:
        name = self.name_edit.text().strip()
        if not name:
            self.message.setText("Type the topic's name.")
            return
        try:
            configs = parse_configs(self.configs_edit.toPlainText())
        except ValueError as exc:
            self.message.setText(f"{str(exc)[:1].upper()}{str(exc)[1:]}.")
            return
        partitions, replication = self.partitions_spin.value(), self.replication_spin.value()
        self.buttons.setEnabled(False)
        self.message.setText("")
        client = self.client
        BackgroundCall(
            lambda: client.create_topic(name, partitions, replication, configs),
            lambda _r: self._on_created(name),
            self._on_failed,
            name="create-topic",
        ).start()

    def _on_created(self, name: str) -> None:
        self.created = name
        self.accept()

    def _on_failed(self, exc: BaseException) -> None:
        self.buttons.setEnabled(True)
        text = str(exc)
        self.message.setText(f"{text[:1].upper()}{text[1:]}.")


class QtTopicConfigDialog(QDialog):
    """The configuration of one topic, read when the dialog opens."""

    def __init__(self, client: ClusterClient, topic: str, parent=None):
        super().__init__(parent)
        self.setWindowTitle(f"Config of {topic}")
        self.topic = topic
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels(["Name", "Value"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.message = QLabel(f"Reading the configuration of {topic}…")
        self.message.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self.resize(520, 480)
        self.configs: dict[str, tuple[str, bool]] = {}
        BackgroundCall(
            lambda: client.topic_config(topic), self._on_read, self._on_failed, name="config"
        ).start()

    def _on_read(self, configs: dict[str, tuple[str, bool]]) -> None:
        self.configs = configs
        self.table.setRowCount(len(configs))
        for row, (name, (value, default)) in enumerate(configs.items()):
            self.table.setItem(row, 0, QTableWidgetItem(name))
            item = QTableWidgetItem(value)
            if not default:
                font = item.font()
                font.setBold(True)
                item.setFont(font)
            self.table.setItem(row, 1, item)
        if configs:
            self.message.setText(f"{len(configs)} settings (set on the topic: bold).")
        else:  # some brokers list only what was set on the topic
            self.message.setText(
                f"The broker lists no settings of {self.topic}: it uses the broker's defaults."
            )

    def _on_failed(self, exc: BaseException) -> None:
        text = str(exc)
        self.message.setText(f"{text[:1].upper()}{text[1:]}.")
