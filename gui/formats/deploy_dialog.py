"""File → Export Deployment…: the document's topology as a bundle that runs N instances of it
on Kubernetes, compose or systemd, written by the engine (``engine.code.deploy``, the same as
``topology-studio deploy``).

``DeployDialog`` asks for the target, the number of instances and the folder, writes, and then
says where it wrote and lists the files. A folder that holds files the export did not write is
only written into when the user agrees (``ask``), and even then none of those files is
replaced."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from engine.code.deploy import (
    MAX_INSTANCES,
    Bundle,
    DeployError,
    FolderNotEmptyError,
    default_folder,
    write_bundle,
)
from engine.model.topology import Topology
from engine.model.validation import errors, validate
from gui.style import theme

TARGETS = {
    "kubernetes": "Kubernetes (StatefulSet, container image)",
    "compose": "Compose (Docker or Podman)",
    "systemd": "systemd units (plain machines)",
}
Ask = Callable[[QWidget, str, str], bool]


def ask_yes_no(parent: QWidget, title: str, text: str) -> bool:
    answer = QMessageBox.question(
        parent,
        title,
        text,
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
        QMessageBox.StandardButton.Cancel,
    )
    return answer == QMessageBox.StandardButton.Yes


class DeployDialog(QDialog):
    TITLE = "Export Deployment"

    def __init__(
        self,
        topology: Topology,
        start_dir: Path,
        parent: QWidget | None = None,
        ask: Ask = ask_yes_no,
    ):
        super().__init__(parent)
        self.setWindowTitle(self.TITLE)
        self.topology = topology
        self.start_dir = Path(start_dir)
        self.ask = ask
        self.bundle: Bundle | None = None
        self._folder_edited = False

        self.target = QComboBox()
        for key, text in TARGETS.items():
            self.target.addItem(text, key)
        self.instances = QSpinBox()
        self.instances.setRange(1, MAX_INSTANCES)
        self.instances.setValue(2)
        self.instances.setToolTip(
            "How many instances share the work (one consumer group); the input topics' "
            "partitions bound how many are busy"
        )
        self.folder = QLineEdit()
        self.folder.textEdited.connect(self._on_folder_edited)
        choose = QPushButton("Choose…")
        choose.clicked.connect(self._on_choose)
        row = QHBoxLayout()
        row.addWidget(self.folder, 1)
        row.addWidget(choose)
        form = QFormLayout()
        form.addRow("Target:", self.target)
        form.addRow("Instances:", self.instances)
        form.addRow("Folder:", row)

        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.files = QListWidget()
        self.files.setMinimumHeight(160)
        self.files.setVisible(False)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Close
        )
        self.export_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.export_button.setText("Export")
        self.buttons.accepted.connect(self.export)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        intro = QLabel(
            f"Write what runs <b>{_escape(topology.name)}</b> as several instances of one "
            "application on another platform, with a README that says how to start, scale, "
            "watch and stop them."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.files, 1)
        layout.addStretch()  # the inputs stay at the top while the file list is hidden
        layout.addWidget(self.buttons)
        self.target.currentIndexChanged.connect(self._on_target_changed)
        self._on_target_changed()
        self.resize(560, 260)

    # -- inputs -----------------------------------------------------------------------------

    def _on_folder_edited(self, _text: str) -> None:
        self._folder_edited = True

    def _on_target_changed(self, *_args) -> None:
        if not self._folder_edited:
            self.folder.setText(
                str(self.start_dir / default_folder(self.topology, self.target.currentData()))
            )

    def _on_choose(self) -> None:
        chosen = QFileDialog.getExistingDirectory(self, self.TITLE, str(self.start_dir))
        if chosen:
            # a new folder for the bundle inside the one chosen, unless it is empty
            path = Path(chosen)
            if any(path.iterdir()):
                path = path / default_folder(self.topology, self.target.currentData())
            self.folder.setText(str(path))
            self._folder_edited = True

    # -- export -----------------------------------------------------------------------------

    def export(self) -> Bundle | None:
        """Writes the bundle; says where and what, or one sentence on why not."""
        bad = errors(validate(self.topology))
        if bad:
            return self._fail(
                f"The topology has {len(bad)} error{'s' * (len(bad) != 1)} (see Problems), "
                f"so it cannot be deployed yet: {bad[0]}"
            )
        text = self.folder.text().strip()
        if not text:
            return self._fail("Choose a folder to write into.")
        folder = Path(text).expanduser()
        target, instances = self.target.currentData(), self.instances.value()
        try:
            bundle = self._write(folder, target, instances, into_nonempty=False)
        except FolderNotEmptyError:
            agreed = self.ask(
                self,
                self.TITLE,
                f"{folder} already holds files that Export Deployment did not write.\n\n"
                "Write the deployment into it anyway? None of those files is replaced: "
                "if one has the name of a file of the deployment, nothing is written.",
            )
            if not agreed:
                return self._fail(f"Nothing written: {folder} holds other files.")
            try:
                bundle = self._write(folder, target, instances, into_nonempty=True)
            except DeployError as exc:
                return self._fail(f"Nothing written: {exc}.")
        except DeployError as exc:
            return self._fail(f"Nothing written: {exc}.")
        self.bundle = bundle
        self.files.clear()
        self.files.addItems(bundle.files)
        self.files.setVisible(True)
        self.resize(self.width(), max(self.height(), 440))
        notes = "".join(f"<br>Note: {_escape(w)}." for w in bundle.warnings)
        self.message.setStyleSheet("")
        self.message.setText(
            f"Wrote {len(bundle.files)} files for {instances} instance"
            f"{'s' * (instances != 1)} on {target} to <b>{_escape(str(bundle.folder))}</b>; "
            f"its README.md says how to start, scale, watch and stop them.{notes}"
        )
        return bundle

    def _write(self, folder: Path, target: str, instances: int, *, into_nonempty: bool) -> Bundle:
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)  # the wheel takes a second
        try:
            return write_bundle(
                self.topology, target, instances, folder, into_nonempty=into_nonempty
            )
        finally:
            QApplication.restoreOverrideCursor()

    def _fail(self, sentence: str) -> None:
        theme.style_widget(self.message, "color: @error@;")
        self.message.setText(_escape(sentence))


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
