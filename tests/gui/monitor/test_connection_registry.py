"""Run → Connection's schema registry (reference §7.6): URL, user info and CA file beside the
brokers, its Test button against the real sandbox registry, what is remembered, and what
a run is given."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QLineEdit

from engine.cluster.broker import free_port
from engine.model.topology import Node, Topology
from gui.monitor.connection import CLUSTER, ConnectionProfile
from gui.monitor.qt_connection_dialog import QtConnectionDialog, load_profile, save_profile
from gui.monitor.qt_run_controller import RunController


def dialog_for(qtbot, profile: ConnectionProfile, **kwargs) -> QtConnectionDialog:
    dialog = QtConnectionDialog(profile, **kwargs)
    qtbot.addWidget(dialog)
    return dialog


def result_of(qtbot, dialog: QtConnectionDialog) -> str:
    dialog.test_registry()
    qtbot.waitUntil(lambda: dialog.registry_test_button.isEnabled(), timeout=20_000)
    return dialog.registry_result_text()


def test_registry_fields_beside_the_brokers(qtbot):
    dialog = dialog_for(qtbot, ConnectionProfile(kind=CLUSTER, bootstrap="k:9092"))
    assert dialog.registry_box.title() == "Schema registry"
    assert not dialog.registry_user_edit.isEnabled()  # nothing to authenticate to yet
    dialog.registry_url_edit.setText("https://sr.example:8081")
    dialog.registry_user_edit.setText("${SR_KEY}:${SR_SECRET}")
    dialog.registry_ca_edit.setText("/etc/ssl/sr-ca.pem")
    assert dialog.registry_user_edit.isEnabled() and dialog.ok_button.isEnabled()
    assert dialog.registry_user_edit.echoMode() == QLineEdit.EchoMode.Normal  # names only
    profile = dialog.profile()
    assert profile.registry_setting() == {
        "url": "https://sr.example:8081",
        "basic_auth_user_info": "${SR_KEY}:${SR_SECRET}",
        "ca_location": "/etc/ssl/sr-ca.pem",
    }
    dialog.registry_user_edit.setText("key:s3cret")
    assert dialog.registry_user_edit.echoMode() == QLineEdit.EchoMode.PasswordEchoOnEdit
    dialog.registry_url_edit.setText("sr.example:8081")
    assert not dialog.ok_button.isEnabled()
    assert "must start with http:// or https://" in dialog.ok_button.toolTip()


def test_registry_settings_are_remembered_but_not_a_password(tmp_path):
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    named = ConnectionProfile(
        registry_url="https://sr:8081",
        registry_user_info="${SR_KEY}:${SR_SECRET}",
        registry_ca_file="/ca.pem",
    )
    save_profile(settings, named)
    assert load_profile(settings) == named
    secret = ConnectionProfile(registry_url="https://sr:8081", registry_user_info="key:s3cret")
    save_profile(settings, secret)
    back = load_profile(settings)
    assert back.registry_url == "https://sr:8081" and back.registry_user_info == ""
    assert "s3cret" not in (tmp_path / "s.ini").read_text()


def test_a_run_is_given_the_connections_registry():
    topology = Topology(
        "shop", {"schema_registry": {"url": "http://file:8081", "auto_register": False}}
    )
    topology.add_node(Node("in", "kafka_source", {"topic": "t", "value_format": "avro"}))
    topology.folder = "/data/shop"
    c = RunController(ConnectionProfile(kind=CLUSTER, bootstrap="k:9092"))
    try:
        assert c.registry_url() is None  # the topology's own setting applies
        assert c.run_topology(topology) is topology
        c.profile = ConnectionProfile(
            kind=CLUSTER,
            bootstrap="k:9092",
            registry_url="https://sr:8081",
            registry_user_info="${K}:${S}",
            registry_ca_file="/ca.pem",
        )
        assert c.registry_url() == "https://sr:8081"
        run = c.run_topology(topology)
        assert run.settings["schema_registry"] == {
            "url": "https://sr:8081",
            "basic_auth_user_info": "${K}:${S}",
            "ca_location": "/ca.pem",
            "auto_register": False,
        }
        assert run.folder == "/data/shop"
        assert topology.settings["schema_registry"]["url"] == "http://file:8081"  # untouched
    finally:
        c.shutdown()


@pytest.mark.kafka
def test_registry_test_against_the_sandbox_registry(qtbot, broker):
    dialog = dialog_for(
        qtbot,
        ConnectionProfile(
            kind=CLUSTER, bootstrap=broker.bootstrap, registry_url=broker.registry_url
        ),
    )
    text = result_of(qtbot, dialog)
    assert text.startswith(f"✔ The schema registry at {broker.registry_url} answers: ")
    assert "subject" in text
    # Empty, on the sandbox: the sandbox's own registry is the one tested.
    sandbox = dialog_for(qtbot, ConnectionProfile(), sandbox_registry=lambda: broker.registry_url)
    assert result_of(qtbot, sandbox).startswith(f"✔ The schema registry at {broker.registry_url}")


def test_registry_test_says_what_failed(qtbot, monkeypatch):
    port = free_port()
    dialog = dialog_for(qtbot, ConnectionProfile(registry_url=f"http://127.0.0.1:{port}"))
    assert (
        result_of(qtbot, dialog)
        == f"✘ The schema registry at http://127.0.0.1:{port} does not answer"
    )
    monkeypatch.delenv("NO_SUCH_SECRET", raising=False)
    dialog.registry_user_edit.setText("key:${NO_SUCH_SECRET}")
    assert result_of(qtbot, dialog) == "✘ The environment variable NO_SUCH_SECRET is not set"
    cluster = dialog_for(qtbot, ConnectionProfile(kind=CLUSTER, bootstrap="k:9092"))
    assert result_of(qtbot, cluster).startswith("✔ No schema registry named")


def test_the_status_bar_names_the_registry_beside_the_broker(window):
    window.monitor.apply_profile(
        ConnectionProfile(kind=CLUSTER, bootstrap="k:9092", registry_url="https://sr:8081")
    )
    assert "Kafka k:9092 · schema registry https://sr:8081" in window.broker_label.text()
    window.monitor.apply_profile(ConnectionProfile(kind=CLUSTER, bootstrap="k:9092"))
    assert "schema registry" not in window.broker_label.text()
