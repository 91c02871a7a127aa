"""Choosing where runs go: the connection dialog, and the profile kept in QSettings.

The brokers, and beside them the schema registry (reference §7.6: empty is the sandbox's), each
with a Test button. The password is never written to disk: it is kept for the session
only, and so is a registry's user info that holds a password rather than ``${NAME}``s.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from engine.cluster.admin import ClusterClient, ConnectionProblem
from engine.runtime.schemas import RegistryConfigError, SchemaFormats, resolve_registry
from gui.monitor.connection import CLUSTER, SANDBOX, SASL_MECHANISMS, ConnectionProfile
from gui.monitor.qt_tasks import BackgroundCall
from gui.style import theme

SETTINGS_GROUP = "connection"


def load_profile(settings: QSettings) -> ConnectionProfile:
    settings.beginGroup(SETTINGS_GROUP)
    try:
        data = {key: settings.value(key) for key in settings.childKeys()}
    finally:
        settings.endGroup()
    data.pop("password", None)
    return ConnectionProfile.from_dict(data)


def _saved_keys(profile: ConnectionProfile) -> dict:
    data = profile.to_dict()
    data.pop("password")
    if profile.user_info_is_secret():
        data.pop("registry_user_info")
    return data


def save_profile(settings: QSettings, profile: ConnectionProfile) -> None:
    settings.beginGroup(SETTINGS_GROUP)
    try:
        settings.remove("")
        for key, value in _saved_keys(profile).items():
            settings.setValue(key, value)
    finally:
        settings.endGroup()
    settings.sync()


def test_profile(
    profile: ConnectionProfile, sandbox_bootstrap: Callable[[], str] | None = None
) -> str:
    """Blocking: a one-line summary, or ConnectionProblem with the reason in plain words."""
    problems = profile.problems()
    if problems:
        raise ConnectionProblem(" ".join(problems))
    if profile.uses_sandbox:
        if sandbox_bootstrap is None:
            return "the local sandbox broker starts with the first run"
        bootstrap = sandbox_bootstrap()
    else:
        bootstrap = profile.bootstrap.strip()
    client = ClusterClient(bootstrap, profile.client_config())
    try:
        return client.test_connection()
    finally:
        client.close()


def test_registry(
    profile: ConnectionProfile, sandbox_registry: Callable[[], str | None] | None = None
) -> str:
    """Blocking: a one-line summary of the schema registry the profile names (or the
    sandbox's), or ConnectionProblem with the reason in plain words."""
    problems = profile.registry_problems()
    if problems:
        raise ConnectionProblem(" ".join(problems))
    setting = profile.registry_setting()
    if not setting:
        if not profile.uses_sandbox:
            return (
                "no schema registry named: runs use the topology's settings.schema_registry "
                "or $SCHEMA_REGISTRY_URL"
            )
        url = sandbox_registry() if sandbox_registry is not None else None
        if not url:
            return "the sandbox's schema registry starts with the sandbox broker"
        setting = {"url": url}
    try:
        config = resolve_registry({"schema_registry": setting})
    except RegistryConfigError as exc:
        raise ConnectionProblem(str(exc).replace("settings.schema_registry: ", "")) from None
    assert config is not None  # a URL was given
    try:
        formats = SchemaFormats.for_registry(config)
    except Exception as exc:  # noqa: BLE001 - the client refuses its settings (a CA file missing)
        raise ConnectionProblem(f"the schema registry at {config.shown_url}: {exc}") from None
    reason = formats.unreachable()
    if reason is not None:
        raise ConnectionProblem(reason)
    count = len(formats.client.get_subjects())
    return (
        f"the schema registry at {config.shown_url} answers: "
        f"{count} subject{'s' if count != 1 else ''}"
    )


class QtConnectionDialog(QDialog):
    """Edits a copy of ``profile``; ``profile()`` is the result after accept()."""

    def __init__(
        self,
        profile: ConnectionProfile,
        parent: QWidget | None = None,
        sandbox_bootstrap: Callable[[], str] | None = None,
        sandbox_registry: Callable[[], str | None] | None = None,
    ):
        super().__init__(parent)
        self.setWindowTitle("Kafka connection")
        self.setMinimumWidth(460)
        self.sandbox_bootstrap = sandbox_bootstrap
        self.sandbox_registry = sandbox_registry
        self._test: BackgroundCall | None = None
        self._test_serial = 0
        self.sandbox_radio = QRadioButton("Local sandbox broker")
        self.sandbox_radio.setToolTip(
            "The app starts an in-memory broker and stops it when it closes."
        )
        self.cluster_radio = QRadioButton("My cluster")
        self.bootstrap_edit = QLineEdit()
        self.bootstrap_edit.setPlaceholderText("host1:9092,host2:9092")
        self.sasl_box = QComboBox()
        self.sasl_box.addItem("None", "")
        for mechanism in SASL_MECHANISMS:
            self.sasl_box.addItem(mechanism, mechanism)
        self.user_edit = QLineEdit()
        self.password_edit = QLineEdit()
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.password_edit.setToolTip("Kept for this session only; never saved to disk.")
        self.ssl_check = QCheckBox("Use TLS (SSL)")
        self.ca_edit = QLineEdit()
        self.ca_edit.setPlaceholderText("CA certificate (PEM); empty: the system's")
        browse = QToolButton()
        browse.setText("…")
        browse.clicked.connect(self._browse_ca)
        ca_row = QHBoxLayout()
        ca_row.addWidget(self.ca_edit, 1)
        ca_row.addWidget(browse)

        self.cluster_box = QGroupBox()
        form = QFormLayout(self.cluster_box)
        form.addRow("Bootstrap servers", self.bootstrap_edit)
        form.addRow("SASL mechanism", self.sasl_box)
        form.addRow("User", self.user_edit)
        form.addRow("Password", self.password_edit)
        form.addRow("", self.ssl_check)
        form.addRow("CA file", ca_row)

        self.test_button = QPushButton("Test connection")
        self.test_button.clicked.connect(self.test_connection)
        self.result_label = QLabel()
        self.result_label.setWordWrap(True)
        test_row = QHBoxLayout()
        test_row.addWidget(self.test_button)
        test_row.addWidget(self.result_label, 1)

        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)

        self._make_registry_box()

        layout = QVBoxLayout(self)
        layout.addWidget(self.sandbox_radio)
        layout.addWidget(self.cluster_radio)
        layout.addWidget(self.cluster_box)
        layout.addLayout(test_row)
        layout.addWidget(self.registry_box)
        layout.addWidget(buttons)

        self._name = profile.name
        (self.sandbox_radio if profile.uses_sandbox else self.cluster_radio).setChecked(True)
        self.bootstrap_edit.setText(profile.bootstrap)
        self.sasl_box.setCurrentIndex(max(0, self.sasl_box.findData(profile.sasl_mechanism)))
        self.user_edit.setText(profile.username)
        self.password_edit.setText(profile.password)
        self.ssl_check.setChecked(profile.ssl)
        self.ca_edit.setText(profile.ca_file)
        self.registry_url_edit.setText(profile.registry_url)
        self.registry_user_edit.setText(profile.registry_user_info)
        self.registry_ca_edit.setText(profile.registry_ca_file)
        for signal in (
            self.sandbox_radio.toggled,
            self.sasl_box.currentIndexChanged,
            self.ssl_check.toggled,
            self.bootstrap_edit.textChanged,
            self.user_edit.textChanged,
        ):
            signal.connect(self._on_changed)
        for edit in (self.registry_url_edit, self.registry_user_edit, self.registry_ca_edit):
            edit.textChanged.connect(self._on_registry_changed)
        self._on_registry_changed()

    def _make_registry_box(self) -> None:
        self.registry_box = QGroupBox("Schema registry")
        self.registry_url_edit = QLineEdit()
        self.registry_url_edit.setPlaceholderText("empty: the sandbox's (or the topology's own)")
        self.registry_url_edit.setToolTip(
            "The schema registry of the avro, protobuf and json_schema formats, as "
            "https://registry.example.com:8081"
        )
        self.registry_user_edit = QLineEdit()
        self.registry_user_edit.setPlaceholderText("user:password, or ${KEY}:${SECRET}")
        self.registry_user_edit.setToolTip(
            "Basic auth. ${NAME} is the environment variable NAME, read when the run starts; "
            "a password written here is kept for this session only."
        )
        self.registry_ca_edit = QLineEdit()
        self.registry_ca_edit.setPlaceholderText("CA certificate (PEM); empty: the system's")
        browse = QToolButton()
        browse.setText("…")
        browse.clicked.connect(self._browse_registry_ca)
        ca_row = QHBoxLayout()
        ca_row.addWidget(self.registry_ca_edit, 1)
        ca_row.addWidget(browse)
        self.registry_test_button = QPushButton("Test registry")
        self.registry_test_button.clicked.connect(self.test_registry)
        self.registry_result_label = QLabel()
        self.registry_result_label.setWordWrap(True)
        test_row = QHBoxLayout()
        test_row.addWidget(self.registry_test_button)
        test_row.addWidget(self.registry_result_label, 1)
        form = QFormLayout(self.registry_box)
        form.addRow("URL", self.registry_url_edit)
        form.addRow("User info", self.registry_user_edit)
        form.addRow("CA file", ca_row)
        form.addRow(test_row)
        self._registry_test: BackgroundCall | None = None
        self._registry_serial = 0

    def profile(self) -> ConnectionProfile:
        sandbox = self.sandbox_radio.isChecked()
        return ConnectionProfile(
            name="Local sandbox broker"
            if sandbox
            else (self.bootstrap_edit.text().strip() or "My cluster"),
            kind=SANDBOX if sandbox else CLUSTER,
            bootstrap=self.bootstrap_edit.text().strip(),
            sasl_mechanism=self.sasl_box.currentData() or "",
            username=self.user_edit.text().strip(),
            password=self.password_edit.text(),
            ssl=self.ssl_check.isChecked(),
            ca_file=self.ca_edit.text().strip(),
            registry_url=self.registry_url_edit.text().strip(),
            registry_user_info=self.registry_user_edit.text().strip(),
            registry_ca_file=self.registry_ca_edit.text().strip(),
        )

    def _on_changed(self, *_args) -> None:
        cluster = self.cluster_radio.isChecked()
        self.cluster_box.setEnabled(cluster)
        sasl = bool(self.sasl_box.currentData())
        self.user_edit.setEnabled(sasl)
        self.password_edit.setEnabled(sasl)
        self.ca_edit.setEnabled(self.ssl_check.isChecked())
        problems = self.profile().problems()
        self.ok_button.setEnabled(not problems)
        self.ok_button.setToolTip(" ".join(problems))
        self._test_serial += 1  # a result for other settings is no longer news
        self.result_label.setText("")
        self.test_button.setEnabled(True)

    def _on_registry_changed(self, *_args) -> None:
        self._on_changed()
        registry = bool(self.registry_url_edit.text().strip())
        # A password written out is masked (but for its editing); ${NAME}s are shown.
        self.registry_user_edit.setEchoMode(
            QLineEdit.EchoMode.PasswordEchoOnEdit
            if self.profile().user_info_is_secret()
            else QLineEdit.EchoMode.Normal
        )
        self.registry_user_edit.setEnabled(registry)
        self.registry_ca_edit.setEnabled(registry)
        self._registry_serial += 1
        self.registry_result_label.setText("")
        self.registry_test_button.setEnabled(True)

    def _browse_registry_ca(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self,
            "Schema registry CA certificate",
            self.registry_ca_edit.text(),
            "Certificates (*.pem *.crt *.cer);;All files (*)",
        )
        if path:
            self.registry_ca_edit.setText(path)

    def test_registry(self) -> None:
        """Ask the registry off the GUI thread; the label beside the button says what happened."""
        profile = self.profile()
        self._registry_serial += 1
        serial = self._registry_serial
        self.registry_test_button.setEnabled(False)
        _show(self.registry_result_label, "Testing…", None)
        self._registry_test = BackgroundCall(
            lambda: test_registry(profile, self.sandbox_registry),
            lambda text: self._on_registry_tested(serial, text, True),
            lambda exc: self._on_registry_tested(serial, _plain(exc), False),
            name="registry-test",
        ).start()

    def _on_registry_tested(self, serial: int, text: str, ok: bool) -> None:
        if serial != self._registry_serial:
            return
        self.registry_test_button.setEnabled(True)
        _show(self.registry_result_label, ("✔ " if ok else "✘ ") + text[:1].upper() + text[1:], ok)

    def registry_result_text(self) -> str:
        return self.registry_result_label.text()

    def _browse_ca(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self,
            "CA certificate",
            self.ca_edit.text(),
            "Certificates (*.pem *.crt *.cer);;All files (*)",
        )
        if path:
            self.ca_edit.setText(path)

    def test_connection(self) -> None:
        """Try the settings off the GUI thread; the label says what happened."""
        profile = self.profile()
        self._test_serial += 1
        serial = self._test_serial
        self.test_button.setEnabled(False)
        self._show_result("Testing…", None)
        self._test = BackgroundCall(
            lambda: test_profile(profile, self.sandbox_bootstrap),
            lambda text: self._on_tested(serial, text, True),
            lambda exc: self._on_tested(serial, _plain(exc), False),
            name="connection-test",
        ).start()

    def _on_tested(self, serial: int, text: str, ok: bool) -> None:
        if serial != self._test_serial:
            return
        self.test_button.setEnabled(True)
        self._show_result(("✔ " if ok else "✘ ") + text[:1].upper() + text[1:], ok)

    def _show_result(self, text: str, ok: bool | None) -> None:
        _show(self.result_label, text, ok)

    def result_text(self) -> str:
        return self.result_label.text()


def _show(label: QLabel, text: str, ok: bool | None) -> None:
    colour = {True: "ok", False: "error", None: "muted_text"}[ok]
    theme.style_widget(label, f"color: @{colour}@;")
    label.setText(text)


def _plain(exc: BaseException) -> str:
    if isinstance(exc, ConnectionProblem):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"
