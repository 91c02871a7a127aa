"""Help ▸ About shows the one version number and what the app runs on."""

from __future__ import annotations

import subprocess

import confluent_kafka
from PySide6.QtCore import qVersion
from PySide6.QtWidgets import QApplication

import engine
from engine.cluster.broker import tansu_path
from gui.app.about import AboutDialog, component_versions


def test_versions_name_the_app_qt_kafka_client_and_sandbox_broker():
    rows = dict(component_versions())
    assert rows["Topology Studio"] == engine.__version__
    assert rows["Qt"] == qVersion()
    assert rows["confluent-kafka"] == confluent_kafka.__version__
    assert rows["librdkafka"] == confluent_kafka.libversion()[0]
    tansu = subprocess.run(
        [str(tansu_path()), "--version"], capture_output=True, text=True, check=True, timeout=10
    ).stdout.split()[-1]
    assert rows["Sandbox broker (Tansu)"] == tansu
    assert rows["Installed as"].startswith("Python package")


def test_help_about_opens_the_dialog_and_copies_the_versions(window, qtbot):
    window.act_about.trigger()
    dialog = window.findChild(AboutDialog)
    assert dialog is not None and dialog.isVisible()
    assert dialog.value_labels["Topology Studio"].text() == engine.__version__
    assert dialog.value_labels["Qt"].text() == qVersion()
    dialog.copy_button.click()
    copied = QApplication.clipboard().text()
    assert copied.splitlines()[0].split() == ["Topology", "Studio", engine.__version__]
    assert "librdkafka" in copied and "Sandbox broker (Tansu)" in copied
    dialog.reject()
    qtbot.waitUntil(lambda: window.findChild(AboutDialog) is None)


def test_cli_version_is_the_same_number(capsys):
    from gui.launcher import main

    try:
        main(["--version"])
    except SystemExit as exc:
        assert exc.code == 0
    assert capsys.readouterr().out.strip() == f"topology-studio {engine.__version__}"
