"""The document's files: New, New from Demo, Open, Open Recent, Save and Save As, and asking
to save the changes before the document is replaced or the window closes. What cannot be
read or written is said in a message box and the status bar; the document is left as it
was."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, QSettings
from PySide6.QtWidgets import QFileDialog, QMenu, QMessageBox, QStatusBar, QWidget

from engine.model import fileformat
from gui.app.settings import APPLICATION, add_recent_file, recent_files, remove_recent_file
from gui.document.document import TopologyDocument

FILE_FILTER = "Topologies (*.topology.json *.json);;All files (*)"


class DocumentFiles(QObject):
    def __init__(
        self,
        window: QWidget,
        document: TopologyDocument,
        settings: QSettings,
        status_bar: QStatusBar,
    ):
        super().__init__(window)
        self.window = window  # the parent of the dialogs
        self.document = document
        self.settings = settings
        self.status_bar = status_bar
        self.recent_menu = QMenu("Open &Recent", window)
        self.recent_menu.setObjectName("recentMenu")
        self.recent_menu.aboutToShow.connect(self.fill_recent_menu)
        self.fill_recent_menu()

    def maybe_save(self) -> bool:
        """True when the current document may be replaced or closed."""
        if not self.document.modified:
            return True
        answer = self.ask_save_changes()
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        return answer == QMessageBox.StandardButton.Discard

    def ask_save_changes(self) -> QMessageBox.StandardButton:
        return QMessageBox.question(
            self.window,
            APPLICATION,
            f"Save the changes to {self.document.display_name()}?\n"
            "Your changes are lost if you don't save them.",
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Save,
        )

    def new_empty(self) -> None:
        if self.maybe_save():
            self.document.new_empty()

    def new_from_demo(self) -> None:
        if self.maybe_save():
            self.document.new_from_demo()

    def open_dialog(self) -> None:
        if not self.maybe_save():
            return
        start = str(self.start_folder())
        path, _ = QFileDialog.getOpenFileName(self.window, "Open topology", start, FILE_FILTER)
        if path:
            self.open_file(path)

    def open_file(self, path: str | Path) -> bool:
        problems = self.document.open(path)
        refusal = fileformat.refusal(problems, path)
        if refusal is not None:
            self.status_bar.showMessage(refusal, 8000)
            QMessageBox.warning(
                self.window,
                APPLICATION,
                f"{refusal}.\n\nNothing was opened; choose a topology file (*.topology.json).",
            )
            remove_recent_file(self.settings, str(Path(path).resolve()))
            return False
        add_recent_file(self.settings, path)
        self.fill_recent_menu()
        if problems:
            self.status_bar.showMessage(
                f"Opened {Path(path).name} with {len(problems)} problem(s) in the file; "
                "see Problems",
                8000,
            )
        else:
            self.status_bar.showMessage(f"Opened {path}", 4000)
        return True

    def start_folder(self) -> Path:
        """Where the file dialogs open: beside the document's file, else the folder of the
        file last opened or saved, else the home folder."""
        if self.document.path is not None:
            return self.document.path.parent
        for f in recent_files(self.settings):
            if Path(f).parent.is_dir():
                return Path(f).parent
        return Path.home()

    def save(self) -> bool:
        if self.document.path is None:
            return self.save_as()
        return self.save_to(self.document.path)

    def save_as(self) -> bool:
        start = str(
            self.document.path
            or self.start_folder() / f"{self.document.topology.name}.topology.json"
        )
        path, _ = QFileDialog.getSaveFileName(self.window, "Save topology", start, FILE_FILTER)
        if not path:
            return False
        if not path.endswith(".json"):
            path += ".topology.json"
        return self.save_to(Path(path))

    def save_to(self, path: Path) -> bool:
        if not self.may_write_over(Path(path)):
            return False
        try:
            self.document.save(path)
        except OSError as exc:
            QMessageBox.critical(
                self.window,
                APPLICATION,
                f"Could not save {path}: {exc.strerror or exc}\n"
                "Choose another folder with Save As.",
            )
            return False
        add_recent_file(self.settings, path)
        self.fill_recent_menu()
        self.status_bar.showMessage(f"Saved {path}", 4000)
        return True

    def may_write_over(self, path: Path) -> bool:
        """A file that exists and holds no topology (a ``package.json`` chosen by mistake)
        is replaced only when the user says so."""
        if not path.is_file():
            return True
        _, problems = fileformat.read(path)
        refusal = fileformat.refusal(problems, path)
        if refusal is None:
            return True
        answer = self.ask_replace(f"{refusal}.\nReplace it with the topology?")
        if answer != QMessageBox.StandardButton.Yes:
            self.status_bar.showMessage(f"Did not save: {path.name} was left as it was", 8000)
            return False
        return True

    def ask_replace(self, text: str) -> QMessageBox.StandardButton:
        return QMessageBox.question(
            self.window,
            APPLICATION,
            text,
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )

    def fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        files = recent_files(self.settings)
        for f in files:
            action = self.recent_menu.addAction(Path(f).name)
            action.setToolTip(f)
            action.setStatusTip(f)
            action.triggered.connect(lambda *_, f=f: self.maybe_save() and self.open_file(f))
        if not files:
            empty = self.recent_menu.addAction("No recent files")
            empty.setEnabled(False)
        self.recent_menu.setEnabled(True)
