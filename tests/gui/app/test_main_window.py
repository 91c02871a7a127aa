"""The main window: files, title, recent files, window layout, recovery, the demo."""

import json
import os
import sys

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer
from PySide6.QtWidgets import QApplication, QDockWidget, QFileDialog, QMessageBox

from engine.model import fileformat
from engine.model.validation import errors, validate
from gui.app import recovery
from gui.app.document_files import DocumentFiles
from gui.app.main_window import MainWindow


def test_opens_on_the_demo_laid_out_and_valid(window):
    t = window.document.topology
    assert t.name == "ecommerce-dashboard"
    assert all(n.position is not None for n in t.nodes.values())
    assert not errors(validate(t))
    assert not window.document.modified
    assert "valid" in window.problems_label.text()
    rects = [window.scene.node_item(n).sceneBoundingRect() for n in t.nodes]
    assert not any(a.intersects(b) for i, a in enumerate(rects) for b in rects[i + 1 :])
    window.view.fit()  # Fit to View: the whole topology
    visible = window.view.mapToScene(window.view.viewport().rect()).boundingRect()
    assert visible.contains(window.scene.nodes_rect())


def test_title_shows_unsaved_changes(window):
    assert not window.isWindowModified()
    assert "(not saved)" in window.windowTitle()
    window.document.add_node("filter", (0, 0))
    assert window.isWindowModified()
    window.document.undo_stack.undo()
    assert not window.isWindowModified()


def test_save_then_load_is_equal(window, tmp_path):
    doc = window.document
    doc.add_node("aggregate", (10, 20))
    doc.connect(__import__("engine.model.topology", fromlist=["Edge"]).Edge("by_user", "aggregate"))
    doc.set_param("aggregate", "window", {"type": "tumbling", "size": "1m"})
    path = tmp_path / "shop.topology.json"
    assert window.files.save_to(path)
    assert not doc.modified and not window.isWindowModified()
    assert "shop.topology.json" in window.windowTitle()
    assert not list(tmp_path.glob(".shop.topology.json.*"))  # the atomic write left no temp file
    loaded, problems = fileformat.read(path)
    assert not problems
    assert loaded.equivalent(doc.topology)
    assert {n: loaded.nodes[n].position for n in loaded.nodes} == {
        n: doc.topology.nodes[n].position for n in doc.topology.nodes
    }
    original = doc.topology
    assert window.files.open_file(path)
    assert doc.topology is not original and doc.topology.equivalent(original)
    assert not doc.modified and doc.undo_stack.count() == 0
    assert len(window.scene.node_items()) == len(original.nodes)


def test_recent_files_are_remembered(window, tmp_path, settings):
    for name in ("a", "b"):
        path = tmp_path / f"{name}.topology.json"
        window.files.save_to(path)
    files = settings.value("recent_files")
    assert files[0].endswith("b.topology.json") and files[1].endswith("a.topology.json")
    titles = [a.text() for a in window.files.recent_menu.actions()]
    assert titles[:2] == ["b.topology.json", "a.topology.json"]


def test_open_a_broken_file_keeps_the_document(window, tmp_path, monkeypatch):
    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: shown.append(a[2]))
    bad = tmp_path / "bad.topology.json"
    bad.write_text("{not json")
    before = window.document.topology
    assert not window.files.open_file(bad)
    assert window.document.topology is before
    assert "not valid JSON" in shown[0]


PACKAGE_JSON = '{"name": "shop", "version": "1.0.0", "scripts": {"test": "jest"}}\n'


def test_json_that_is_not_a_topology_is_refused_and_left_untouched(window, tmp_path, monkeypatch):
    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: shown.append(a[2]))
    path = tmp_path / "package.json"
    path.write_text(PACKAGE_JSON)
    before = window.document.topology
    assert not window.files.open_file(path)
    assert window.document.topology is before and window.document.path is None
    assert shown and shown[0].startswith("package.json is not a topology file")
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: ("", ""))
    assert not window.files.save()  # no file: Save As asks where (cancelled here)
    assert path.read_text() == PACKAGE_JSON


def test_saving_over_a_file_that_holds_no_topology_asks_first(window, tmp_path, monkeypatch):
    path = tmp_path / "package.json"
    path.write_text(PACKAGE_JSON)
    asked = []
    window.files.ask_replace = lambda text: asked.append(text) or QMessageBox.StandardButton.Cancel
    assert not window.files.save_to(path)
    assert path.read_text() == PACKAGE_JSON
    assert asked and "package.json is not a topology file" in asked[0]
    window.files.ask_replace = lambda text: QMessageBox.StandardButton.Yes
    assert window.files.save_to(path)
    assert fileformat.refusal(fileformat.read(path)[1]) is None


def test_the_status_bar_counts_the_files_own_problems(window, tmp_path):
    path = tmp_path / "odd.topology.json"
    data = fileformat.to_dict(window.document.topology)
    del data["format"]
    data["author"] = "me"
    path.write_text(json.dumps(data))
    assert window.files.open_file(path)
    assert "valid" not in window.problems_label.text()
    assert "2 errors" in window.problems_label.text()
    assert "2 errors" in window.validation.summary.text()


def test_a_file_with_problems_opens_and_lists_them(window, tmp_path):
    path = tmp_path / "odd.topology.json"
    path.write_text(
        json.dumps(
            {
                "format": "topology-studio/1",
                "name": "odd",
                "extra": 1,
                "nodes": [
                    {"id": "a", "type": "filter", "params": {"expr": "True"}},
                    {"id": "b", "type": "nonsense"},
                ],
                "edges": [{"from": "a", "to": "b"}, {"from": "a", "to": "ghost"}],
            }
        )
    )
    assert window.files.open_file(path)
    texts = [window.validation.list.item(i).text() for i in range(window.validation.list.count())]
    assert any("unknown key 'extra'" in t for t in texts)
    assert any("unknown node type 'nonsense'" in t for t in texts)
    assert all(n.position is not None for n in window.document.topology.nodes.values())


def test_window_layout_is_remembered(qtbot, settings, tmp_path):
    first = MainWindow(settings=settings, recovery_dir=tmp_path / "r")
    qtbot.addWidget(first)
    first.resize(701, 503)
    first.show()
    first.validation_dock.hide()
    first.close()
    assert isinstance(settings.value("window/geometry"), QByteArray)
    second = MainWindow(settings=settings, recovery_dir=tmp_path / "r")
    qtbot.addWidget(second)
    second.show()
    assert second.size().width() == 701
    assert not second.validation_dock.isVisible()


def test_close_asks_before_losing_changes(window):
    asked = []
    window.files.ask_save_changes = lambda: asked.append(1) or QMessageBox.StandardButton.Cancel
    window.document.add_node("filter", (0, 0))
    window.close()
    assert asked and window.isVisible()


def test_new_and_new_from_demo(window):
    window.act_new.trigger()
    assert not window.document.topology.nodes
    assert window.scene.node_items() == []
    window.act_new_demo.trigger()
    assert len(window.scene.node_items()) == len(window.document.topology.nodes) > 0


def test_unsaved_work_is_recovered_after_a_crash(window, tmp_path, qtbot):
    doc = window.document
    doc.add_node("console_sink", (0, 0))
    window.recovery.write_now()
    meta = json.loads(window.recovery.meta_file.read_text())
    assert meta["pid"] == os.getpid()
    assert not recovery.orphans(window.recovery.directory)  # this process is alive
    meta["pid"] = 2**22 + 12345  # a process that no longer exists
    window.recovery.meta_file.write_text(json.dumps(meta))
    found = recovery.orphans(window.recovery.directory)
    assert len(found) == 1 and found[0].name == "ecommerce-dashboard"
    from gui.app.application import restore
    from gui.document.document import TopologyDocument

    other = TopologyDocument()
    restore(other, found[0])
    assert "console" in other.topology.nodes and other.modified
    found[0].discard()
    assert not recovery.orphans(window.recovery.directory)


def test_recovery_file_goes_away_on_save(window, tmp_path):
    window.document.add_node("console_sink", (0, 0))
    window.recovery.write_now()
    assert window.recovery.topology_file.exists()
    window.files.save_to(tmp_path / "saved.topology.json")
    assert not window.recovery.topology_file.exists()


def test_a_recovery_file_that_cannot_be_written_is_said_once_in_the_status_bar(
    window, tmp_path, capfd
):
    writer = window.recovery
    writer.directory = tmp_path / "blocked"
    writer.directory.write_text("a file where the recovery folder should be")
    writer.topology_file = writer.directory / "x.topology.json"
    writer.meta_file = writer.directory / "x.meta.json"
    said = []
    writer.failed.connect(said.append)
    window.document.add_node("console_sink", (0, 0))
    writer.write_now()
    writer.write_now()
    assert len(said) == 1 and said[0].startswith(
        f"Unsaved changes cannot be kept for recovery in {writer.directory}: "
    )
    assert said[0].endswith("Save the topology to keep them.")
    assert window.statusBar().currentMessage() == said[0]
    assert "Traceback" not in "".join(capfd.readouterr())
    writer.directory.unlink()  # room again: the next write keeps the work, and a later failure is said again
    writer.write_now()
    assert writer.topology_file.exists() and writer.problem is None


def test_autosave_is_scheduled_by_edits(window, qtbot, monkeypatch):
    window.recovery.timer.setInterval(10)
    window.document.add_node("console_sink", (0, 0))
    qtbot.waitUntil(window.recovery.topology_file.exists, timeout=2000)


def test_app_main_opens_a_file_and_starts_the_broker_in_the_background(tmp_path, monkeypatch, qapp):
    import gui.app.application
    import gui.app.broker_service
    import gui.app.error_log

    started = []
    monkeypatch.setattr(
        gui.app.broker_service.SandboxBrokerService,
        "start",
        lambda self: (started.append(1), self.started.emit("127.0.0.1:9")),
    )
    monkeypatch.setattr(
        DocumentFiles, "ask_save_changes", lambda self: QMessageBox.StandardButton.Discard
    )
    path = tmp_path / "x.topology.json"
    fileformat.write(fileformat.read(__import__("resources").DEMO_TOPOLOGY)[0], path)
    seen = {}

    def inspect_and_quit():
        win = next(
            w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()
        )
        seen["title"] = win.windowTitle()
        seen["broker"] = win.broker_label.text()
        seen["status"] = win.statusBar().currentMessage()
        win.close()
        QApplication.quit()

    # An unexpected error in a slot is said in the status bar and logged; the app goes on.
    monkeypatch.setattr(gui.app.error_log, "default_path", lambda: tmp_path / "errors.log")
    hooks = sys.excepthook
    QTimer.singleShot(150, lambda: 1 / 0)
    QTimer.singleShot(200, inspect_and_quit)
    assert gui.app.application.main([str(path)]) == 0
    assert sys.excepthook is hooks  # given back when main() returns
    assert seen["status"].startswith(
        "Unexpected error: ZeroDivisionError: division by zero (details in "
    )
    assert "ZeroDivisionError" in (tmp_path / "errors.log").read_text()
    assert "x.topology.json" in seen["title"]
    assert "Sandbox broker 127.0.0.1:9" in seen["broker"]
    assert started
    assert QSettings().fileName() != ""  # settings went to the test's folder


def test_the_demo_opens_readable_at_its_sources(qtbot, settings, tmp_path):
    from gui.canvas.qt_view import READABLE_ZOOM

    win = MainWindow(settings=settings, recovery_dir=tmp_path / "r")
    qtbot.addWidget(win)
    win.resize(1400, 860)
    win.show()
    qtbot.waitExposed(win)
    win.view.set_zoom(0.2)
    win.document.new_from_demo()
    qtbot.waitUntil(lambda: win.view.zoom() >= READABLE_ZOOM, timeout=3000)
    visible = win.view.mapToScene(win.view.viewport().rect()).boundingRect()
    # The demo's first source, at the top left; the other is further down the canvas.
    assert visible.contains(win.scene.node_item("orders").sceneBoundingRect())
    assert visible.left() <= win.scene.nodes_rect().left()
    assert win.zoom_label.text() == f"{win.view.zoom() * 100:.0f}%"
    win.document.undo_stack.setClean()


def test_reset_layout_puts_the_docks_back(window, qtbot):
    QApplication.processEvents()
    bottom = [window.validation_dock, window.throughput_dock, window.lag_dock]

    def shares():
        total = sum(d.width() for d in bottom)
        return [d.width() / total for d in bottom]

    default_shares, height = shares(), window.validation_dock.height()
    sides = [(d.width(), d.height()) for d in (window.palette_dock, window.inspector_dock)]
    shown = {d.objectName(): d.isVisible() for d in window.findChildren(QDockWidget)}
    window.resizeDocks(bottom, [60, 60, 1200], Qt.Orientation.Horizontal)
    window.resizeDocks([window.validation_dock], [80], Qt.Orientation.Vertical)
    window.test_run.dock.show()
    window.inspector_dock.setFloating(True)
    window.palette_dock.hide()
    QApplication.processEvents()
    assert max(abs(a - b) for a, b in zip(shares(), default_shares)) > 0.1
    window.act_reset_layout.trigger()
    QApplication.processEvents()
    assert {d.objectName(): d.isVisible() for d in window.findChildren(QDockWidget)} == shown
    assert not window.inspector_dock.isFloating()
    assert all(abs(a - b) < 0.03 for a, b in zip(shares(), default_shares))
    assert abs(window.validation_dock.height() - height) <= 12
    assert [(d.width(), d.height()) for d in (window.palette_dock, window.inspector_dock)] == sides
    view_menu = window.menuBar().actions()[2].menu()
    assert window.act_reset_layout in view_menu.actions()


def test_a_new_document_starts_with_an_empty_run_log_and_alerts(window):
    from engine.runtime.watch.alerts import Transition

    window.monitor.controller.message.emit("status", "a message of the last document")
    window.alerts.widget.model.add(Transition("lag", "firing", 1_000, 5, None, "lag over 5"))
    assert window.monitor.log.model.row_count() and window.alerts.widget.model.row_count()
    window.files.new_empty()
    assert window.monitor.log.model.row_count() == 0
    assert window.alerts.widget.model.row_count() == 0


def test_the_inspector_hears_when_a_run_is_on(window):
    window.inspector.show_nodes([])
    window.monitor.statusChanged.emit("running", "")
    assert window.inspector.fields["alerts"].editor.next_run.isVisibleTo(window.inspector)
    window.monitor.statusChanged.emit("stopped", "")
    assert not window.inspector.fields["alerts"].editor.next_run.isVisibleTo(window.inspector)


def test_save_as_starts_beside_the_last_file_used(window, tmp_path, monkeypatch):
    asked = []
    monkeypatch.setattr(
        QFileDialog, "getSaveFileName", lambda _w, _t, start, _f: asked.append(start) or ("", "")
    )
    folder = tmp_path / "projects"
    folder.mkdir()
    assert window.files.save_to(folder / "shop.topology.json")
    window.files.save_as()
    assert asked[-1] == str(folder / "shop.topology.json")  # beside the current file
    window.files.new_empty()
    window.files.save_as()
    assert asked[-1] == str(folder / "untitled.topology.json")  # the folder last used
