"""File → Export Deployment…: the dialog writes the engine's bundle, says where and lists the
files, and never writes into a folder of other files without asking, nor replaces them."""

from __future__ import annotations

import pytest
import yaml

from engine.model import fileformat
from engine.model.topology import Node, Topology
from gui.formats.deploy_dialog import DeployDialog


@pytest.fixture
def asked():
    return []


def make_dialog(qtbot, topology, start, asked, answer=True):
    def ask(parent, title, text):
        asked.append(text)
        return answer

    dialog = DeployDialog(topology, start, ask=ask)
    qtbot.addWidget(dialog)
    return dialog


def test_the_file_menu_opens_the_dialog_on_the_document(window, qtbot):
    actions = [a.objectName() for a in window.menuBar().actions()[0].menu().actions()]
    assert "export_deployment" in actions
    dialog = window.file_actions.export_deployment()
    qtbot.addWidget(dialog)
    assert dialog.isVisible() and dialog.topology is window.document.topology
    assert dialog.folder.text().endswith("ecommerce-dashboard-kubernetes")
    dialog.target.setCurrentIndex(dialog.target.findData("systemd"))
    assert dialog.folder.text().endswith("ecommerce-dashboard-systemd")
    dialog.reject()


def test_export_writes_the_bundle_and_lists_it(window, qtbot, tmp_path, asked):
    dialog = make_dialog(qtbot, window.document.topology, tmp_path, asked)
    dialog.instances.setValue(3)
    dialog.export_button.click()
    bundle = dialog.bundle
    assert bundle is not None and not asked
    folder = tmp_path / "ecommerce-dashboard-kubernetes"
    assert bundle.folder == folder
    listed = [dialog.files.item(i).text() for i in range(dialog.files.count())]
    assert listed == bundle.files and "kubernetes/statefulset.yaml" in listed
    assert str(folder) in dialog.message.text() and "3 instances" in dialog.message.text()
    (sts,) = yaml.safe_load_all((folder / "kubernetes/statefulset.yaml").read_text())
    assert sts["spec"]["replicas"] == 3
    assert fileformat.load(folder / "topology.json").equivalent(window.document.topology)


def test_a_folder_of_other_files_is_asked_about_and_its_files_kept(qtbot, window, tmp_path, asked):
    folder = tmp_path / "busy"
    folder.mkdir()
    (folder / "README.md").write_text("mine", encoding="utf-8")
    dialog = make_dialog(qtbot, window.document.topology, tmp_path, asked, answer=False)
    dialog.target.setCurrentIndex(dialog.target.findData("compose"))
    dialog.folder.setText(str(folder))
    dialog.export_button.click()
    assert len(asked) == 1 and "busy" in asked[0]
    assert dialog.bundle is None and "Nothing written" in dialog.message.text()
    assert [p.name for p in folder.iterdir()] == ["README.md"]
    # agreed: still nothing replaced, so a README of the user's stops it
    dialog.ask = lambda *args: True
    dialog.export_button.click()
    assert dialog.bundle is None and "README.md" in dialog.message.text()
    assert (folder / "README.md").read_text(encoding="utf-8") == "mine"
    (folder / "README.md").rename(folder / "notes.md")
    dialog.export_button.click()
    assert dialog.bundle is not None and (folder / "compose.yaml").exists()
    assert (folder / "notes.md").read_text(encoding="utf-8") == "mine"


def test_an_invalid_topology_is_said_and_nothing_written(qtbot, tmp_path, asked):
    topology = Topology("lonely")
    topology.add_node(Node("alone", "filter", {}))
    dialog = make_dialog(qtbot, topology, tmp_path / "out", asked)
    dialog.export_button.click()
    assert dialog.bundle is None and "cannot be deployed yet" in dialog.message.text()
    assert not (tmp_path / "out").exists()
