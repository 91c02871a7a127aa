"""The editors of the schema formats (reference §7.6): a sink's (or demo generator's)
``value_schema`` / ``key_schema``, and ``settings.schema_registry``.

A schema param is compact in the inspector: one line with the subject or the file it names,
or a summary of the schema text, and a menu to pick a subject from the registry's list (with
its versions), a file beside the topology (stored relative to the topology's folder), or to
edit the text in a dialog with a monospace editor that says as you type whether it parses.
The registry is asked off the GUI thread (``SchemaSource.registry``).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QMenu,
    QPlainTextEdit,
    QToolButton,
    QVBoxLayout,
)

from engine.model.catalogue import ParamSpec
from engine.model.schemas import (
    FORMAT_TITLES,
    SCHEMA_SUFFIXES,
    SchemaRef,
    SchemaTextError,
    check_schema,
    is_schema_format,
    parse_ref,
    registry_setting_message,
)
from gui.designer.editors.base import ParamEditor
from gui.designer.editors.widgets import hbox, mono_font, set_invalid
from gui.monitor.qt_tasks import BackgroundCall
from gui.style import theme

CHECK_DELAY_MS = 250


@dataclass
class SchemaSource:
    """What a schema editor needs around it: the topology's folder (None: not saved yet),
    the format of the part it edits, and a blocking provider of the registry's look-ups
    (``gui.monitor.schema_info.RegistryLookup``, or None when there is no registry)."""

    folder: Callable[[], str | None] = lambda: None
    fmt: Callable[[], str] = lambda: "avro"
    registry: Callable[[], object | None] = field(default=lambda: None)


def summary(value: str) -> str:
    """How a schema param reads in one line."""
    try:
        ref = parse_ref(value)
    except SchemaTextError:
        return value
    if ref.kind != "text":
        return value.strip()
    lines = value.strip().count("\n") + 1
    return f"schema text · {lines} line{'s' if lines != 1 else ''} (Edit text… to change it)"


class SchemaParamEditor(ParamEditor):
    def __init__(self, spec: ParamSpec, parent=None):
        super().__init__(spec, parent)
        self.source = SchemaSource()
        self._value: str | None = None
        self.edit = QLineEdit(self)
        self.edit.setPlaceholderText("subject:<name>, a file, or schema text")
        self.edit.textEdited.connect(self._on_typed)
        self.edit.editingFinished.connect(self.end_gesture)
        self.menu_button = QToolButton(self)
        self.menu_button.setText("…")
        self.menu_button.setToolTip("Pick a subject, a file, or edit the schema text")
        self.menu_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.menu_button)
        menu.addAction("Subject from the registry…", self.pick_subject)
        menu.addAction("File beside the topology…", self.pick_file)
        menu.addAction("Edit schema text…", self.edit_text)
        self.menu_button.setMenu(menu)
        hbox(self, self.edit, self.menu_button)

    def bind(self, source: SchemaSource) -> None:
        self.source = source

    def value(self):
        return self._value

    def _show(self, value) -> None:
        self._value = value if isinstance(value, str) and value.strip() else None
        text = self._value or ""
        is_text = bool(text) and parse_ref_kind(text) == "text"
        self.edit.setReadOnly(is_text)
        self.edit.setText(summary(text) if is_text else text)
        self.edit.setToolTip(text[:2000] if is_text else "")
        set_invalid(self.edit, False)

    def _on_typed(self, text: str) -> None:
        self._value = text if text.strip() else None
        try:
            if self._value:
                parse_ref(self._value)
            set_invalid(self.edit, False)
        except SchemaTextError as exc:
            set_invalid(self.edit, True)
            self.edit.setToolTip(str(exc))
        self._emit()

    def set_schema(self, value: str | None) -> None:
        """A value chosen in one of the dialogs: one undo step."""
        self.set_value(value)
        self.end_gesture()
        self.edited.emit(self._value)
        self.end_gesture()

    # -- the three ways to name a schema ---------------------------------------------------

    def pick_subject(self) -> None:
        dialog = SubjectDialog(self.source.registry, self._value, self)
        if dialog.exec() == QDialog.DialogCode.Accepted and dialog.choice():
            self.set_schema(dialog.choice())

    def pick_file(self) -> None:
        folder = self.source.folder()
        fmt = self.source.fmt()
        suffixes = " ".join(f"*{s}" for s in SCHEMA_SUFFIXES.get(fmt, (".avsc",)))
        title = FORMAT_TITLES.get(fmt, "Schema")
        path, _ = QFileDialog.getOpenFileName(
            self,
            f"{title} schema file",
            folder or os.path.expanduser("~"),
            f"{title} schemas ({suffixes});;All files (*)",
        )
        if path:
            self.set_schema(relative_to(path, folder))

    def edit_text(self) -> None:
        current = self._value if self._value and parse_ref_kind(self._value) == "text" else ""
        dialog = SchemaTextDialog(self.source.fmt(), current, self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.set_schema(dialog.text() or None)


def parse_ref_kind(value: str) -> str:
    try:
        return parse_ref(value).kind
    except SchemaTextError:
        return "subject"


def relative_to(path: str, folder: str | None) -> str:
    """``path`` as a schema param stores it: relative to the topology's folder (with
    forward slashes), or absolute when the topology is not saved yet or on another drive."""
    if not folder:
        return path
    try:
        return os.path.relpath(path, folder).replace(os.sep, "/")
    except ValueError:  # another drive (Windows)
        return path


class SubjectDialog(QDialog):
    """The registry's subjects, and the versions of the one selected. ``registry`` is the
    blocking provider of look-ups; the lists are fetched off the GUI thread."""

    def __init__(self, registry: Callable[[], object | None], current: str | None, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Schema from the registry")
        self.setMinimumWidth(380)
        self.registry = registry
        self.status = QLabel("Asking the schema registry…")
        self.status.setWordWrap(True)
        self.subjects = QListWidget()
        self.subjects.setObjectName("subjects")
        self.version = QComboBox()
        self.version.addItem("latest", None)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setEnabled(False)
        form = QFormLayout()
        form.addRow("Version", self.version)
        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        layout.addWidget(self.subjects, 1)
        layout.addLayout(form)
        layout.addWidget(buttons)
        self._current = None
        try:
            ref = parse_ref(current) if current else None
        except SchemaTextError:
            ref = None
        if ref is not None and ref.kind == "subject":
            self._current = ref
        self._calls: list[BackgroundCall] = []
        self._serial = 0
        self.subjects.currentTextChanged.connect(self._on_subject)
        self.version.currentIndexChanged.connect(lambda _i: None)
        self._ask(lambda lookup: sorted(lookup.client.get_subjects()), self._on_subjects)

    def _ask(self, question: Callable, answer: Callable) -> None:
        registry = self.registry

        def work():
            lookup = registry()
            if lookup is None:
                raise LookupError(
                    "there is no schema registry: name one in Run → Connection, or use the "
                    "sandbox broker"
                )
            return question(lookup)

        self._calls.append(
            BackgroundCall(work, answer, self._on_failed, name="registry-subjects").start()
        )

    def _on_failed(self, exc: BaseException) -> None:
        text = str(exc) or type(exc).__name__
        self.status.setText(f"The schema registry cannot be asked: {text}")

    def _on_subjects(self, subjects: list) -> None:
        self.subjects.clear()
        self.subjects.addItems([str(s) for s in subjects])
        self.status.setText(
            f"{len(subjects)} subject{'s' if len(subjects) != 1 else ''} in the registry"
            if subjects
            else "The registry has no subjects yet: a sink registers its schema on first use."
        )
        if self._current is not None:
            found = self.subjects.findItems(self._current.subject, Qt.MatchFlag.MatchExactly)
            if found:
                self.subjects.setCurrentItem(found[0])

    def _on_subject(self, subject: str) -> None:
        self.ok_button.setEnabled(bool(subject))
        self.version.clear()
        self.version.addItem("latest", None)
        if not subject:
            return
        self._serial += 1
        serial = self._serial
        self._ask(
            lambda lookup: list(lookup.client.get_versions(subject)),
            lambda versions: self._on_versions(serial, versions),
        )

    def _on_versions(self, serial: int, versions: list) -> None:
        if serial != self._serial:
            return
        for v in sorted(versions, reverse=True):
            self.version.addItem(f"version {v}", int(v))
        if self._current is not None and self._current.version is not None:
            index = self.version.findData(self._current.version)
            if index >= 0:
                self.version.setCurrentIndex(index)

    def choice(self) -> str | None:
        item = self.subjects.currentItem()
        if item is None:
            return None
        version = self.version.currentData()
        return f"subject:{item.text()}" + (f":{version}" if version is not None else "")


class SchemaTextDialog(QDialog):
    """The schema text in a monospace editor; a line under it says whether it parses as a
    schema of the format, checked a moment after each change."""

    def __init__(self, fmt: str, text: str, parent=None):
        super().__init__(parent)
        self.fmt = fmt if is_schema_format(fmt) else "avro"
        self.setWindowTitle(f"{FORMAT_TITLES[self.fmt]} schema")
        self.resize(620, 520)
        self.editor = QPlainTextEdit()
        self.editor.setObjectName("schemaText")
        self.editor.setFont(mono_font())
        self.editor.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.editor.setPlainText(text)
        self.status = QLabel()
        self.status.setObjectName("schemaStatus")
        self.status.setWordWrap(True)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.editor, 1)
        layout.addWidget(self.status)
        layout.addWidget(buttons)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(CHECK_DELAY_MS)
        self._timer.timeout.connect(self.check)
        self.editor.textChanged.connect(self._timer.start)
        self.check()

    def text(self) -> str:
        return self.editor.toPlainText().strip()

    def problem(self) -> str | None:
        text = self.text()
        if not text:
            return "empty: write the schema, or Cancel"
        try:
            check_schema(self.fmt, SchemaRef("text", text=text))
        except SchemaTextError as exc:
            return str(exc)
        except RecursionError:
            return "nested too deeply"
        return None

    def check(self) -> None:
        self._timer.stop()
        problem = self.problem()
        if problem is None:
            self.status.setText(f"✔ a valid {FORMAT_TITLES[self.fmt]} schema")
            theme.style_widget(self.status, "color: @ok@;")
        else:
            self.status.setText(f"✘ {problem}")
            theme.style_widget(self.status, "color: @error@;")
        set_invalid(self.editor, problem is not None)


class SchemaRegistryParamEditor(ParamEditor):
    """``settings.schema_registry``: URL and basic auth user info as fields (auto_register
    and ca_location, when the file has them, are kept as they are)."""

    def __init__(self, spec: ParamSpec, parent=None):
        super().__init__(spec, parent)
        self._rest: dict = {}
        self.url_edit = QLineEdit(self)
        self.url_edit.setObjectName("registryUrl")
        self.url_edit.setPlaceholderText("https://registry:8081 — empty: none in the file")
        self.user_edit = QLineEdit(self)
        self.user_edit.setObjectName("registryUserInfo")
        self.user_edit.setPlaceholderText("user info: ${KEY}:${SECRET} (optional)")
        self.problem = QLabel(self)
        self.problem.setObjectName("problem")
        self.problem.setWordWrap(True)
        self.problem.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        for widget in (self.url_edit, self.user_edit, self.problem):
            layout.addWidget(widget)
        for edit in (self.url_edit, self.user_edit):
            edit.textEdited.connect(self._on_edit)
            edit.editingFinished.connect(self.end_gesture)

    def value(self):
        url, user = self.url_edit.text().strip(), self.user_edit.text().strip()
        if not url and not user:
            return dict(self._rest) or None
        out = {"url": url} if url else {}
        if user:
            out["basic_auth_user_info"] = user
        return {**out, **self._rest}

    def _show(self, value) -> None:
        value = value if isinstance(value, dict) else {}
        self._rest = {k: v for k, v in value.items() if k not in ("url", "basic_auth_user_info")}
        self.url_edit.setText(str(value.get("url") or ""))
        self.user_edit.setText(str(value.get("basic_auth_user_info") or ""))
        self._check()

    def _on_edit(self, _text: str) -> None:
        self._check()
        self._emit()

    def _check(self) -> None:
        value = self.value()
        message = registry_setting_message(value) if value is not None else None
        self.problem.setText(f"schema_registry {message}" if message else "")
        self.problem.setVisible(bool(message))
        set_invalid(self.url_edit, bool(message))
