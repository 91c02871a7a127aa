"""File → Compare With: the open topology against another version of it, on the canvas.

The other version is the saved file, the file as git's HEAD has it (``git show
HEAD:path``, when the file is in a git repository; nothing goes to the network), any
other topology file, or the topology that the application, running anywhere, published
to the cluster (``engine.cluster.fleet``). While comparing, the canvas shows what changed
(``gui.canvas.diff_overlay``), the inspector lists the selected node's old and new params
(``gui.designer.param_changes``), and the Changes panel lists the state verdicts with the
topics concerned (``engine.model.diff``). Edits go on as usual and the comparison follows
them; Leave Compare View (or opening another document) ends it.
"""

from __future__ import annotations

import subprocess
from html import escape
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QLabel,
    QMenu,
    QMessageBox,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from engine.cluster.fleet_reader import FleetReader, read_topology
from engine.model import fileformat
from engine.model.diff import TopologyDiff, Verdict, diff_topologies
from engine.model.topology import Topology
from gui.app.document_files import FILE_FILTER
from gui.app.settings import APPLICATION
from gui.canvas.diff_overlay import DiffOverlay
from gui.monitor.qt_tasks import BackgroundCall
from gui.style import theme

VERDICT_COLOURS = {Verdict.KEPT: "ok", Verdict.RESET: "warning", Verdict.INCOMPATIBLE: "error"}
GIT_TIMEOUT_S = 10


def published_topology(bootstrap: str, application_id: str, client_config: dict) -> Topology | None:
    """The topology that instances of ``application_id`` published (§12), the live ones'
    first; None when none did. Blocking: call it off the GUI thread."""
    reader = FleetReader(bootstrap, application_id, client_config)
    try:
        reader.catch_up()
    finally:
        reader.close()
    hashes = reader.fleet.topology_hashes()
    if not hashes:
        return None
    return read_topology(bootstrap, application_id, hashes[0], client_config)


def git_head_text(path: Path) -> str | None:
    """The text of ``path`` as committed at HEAD of its git repository; None when it is in
    no repository, not committed, or git is missing."""
    try:
        done = subprocess.run(
            ["git", "-C", str(path.parent), "show", f"HEAD:./{path.name}"],
            capture_output=True,
            timeout=GIT_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    try:
        return done.stdout.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


class ChangesPanel(QWidget):
    """What the comparison found: a line of counts, then one paragraph per stateful node
    (and source, when the application id changes) with its verdict, reason and topics,
    those that lose state first; a node's name is a link that selects it."""

    nodeClicked = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        self.summary = QLabel("Not comparing.")
        self.summary.setObjectName("compareSummary")
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        self.verdicts = QTextBrowser()
        self.verdicts.setObjectName("stateVerdicts")
        self.verdicts.setOpenLinks(False)
        self.verdicts.anchorClicked.connect(self._on_anchor)
        layout.addWidget(self.verdicts, 1)
        self.leave_button = QPushButton("Leave Compare View")
        self.leave_button.setObjectName("leaveCompare")
        layout.addWidget(self.leave_button, 0, Qt.AlignmentFlag.AlignRight)
        self._rows: list[tuple[str, str, str, str]] = []

    def show_diff(self, diff: TopologyDiff, label: str) -> None:
        parts = [
            f"{len(diff.added)} added",
            f"{len(diff.removed)} removed",
            f"{len(diff.changed) + len(diff.renamed)} changed",
            f"{len(diff.edges_added)} edges added",
            f"{len(diff.edges_removed)} edges removed",
        ]
        if diff.settings:
            parts.append(f"settings: {', '.join(diff.settings)}")
        if diff.name:
            parts.append(f"name {diff.name[0]} → {diff.name[1]}")
        lost = diff.endangered
        if lost:
            verdict = f"{len(lost)} lose or break state"
        else:
            verdict = "every state is kept" if diff.has_changes else "no changes"
        self.summary.setText(f"Compared with {label}: {', '.join(parts)}. {verdict}.")
        order = {Verdict.INCOMPATIBLE: 0, Verdict.RESET: 1, Verdict.KEPT: 2}
        ordered = sorted(diff.state.values(), key=lambda v: (order[v.verdict], v.node_id))
        self._rows = [(v.node_id, str(v.verdict), v.reason, ", ".join(v.topics)) for v in ordered]
        paragraphs = []
        for v in ordered:
            colour = theme.current.hex(VERDICT_COLOURS[v.verdict])
            topics = (
                f"<br><span style='color:{theme.MUTED_TEXT.name()}'>topics: {escape(', '.join(v.topics))}</span>"
                if v.topics
                else ""
            )
            paragraphs.append(
                f"<p><a href='node:{escape(v.node_id)}'><b>{escape(v.node_id)}</b></a> "
                f"<span style='color:{colour}'><b>{v.verdict}</b></span>: "
                f"{escape(v.reason)}{topics}</p>"
            )
        self.verdicts.setHtml("".join(paragraphs))

    def clear(self) -> None:
        self.summary.setText("Not comparing.")
        self.verdicts.clear()
        self._rows = []

    def rows(self) -> list[tuple[str, str, str, str]]:
        """(node, verdict, reason, topics) of each paragraph, in the order shown."""
        return list(self._rows)

    def _on_anchor(self, url: QUrl) -> None:
        text = url.toString()
        if text.startswith("node:"):
            self.nodeClicked.emit(text[len("node:") :])


class CompareController(QObject):
    """Owns the Compare With menu, the overlay, the Changes dock and the comparison."""

    def __init__(self, window, menu: QMenu):
        super().__init__(window)
        self.window = window
        self.document = window.document
        self.overlay = DiffOverlay(window.scene)
        self.other: Topology | None = None
        self.label = ""
        self.diff: TopologyDiff | None = None
        self._topology: Topology | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(150)
        self._timer.timeout.connect(self.refresh)

        self.menu = QMenu("Compare &With", window)
        self.menu.setObjectName("compareMenu")
        self.act_saved = self._action("&Saved File", self.compare_with_saved, "compare_saved")
        self.act_head = self._action("&Git HEAD", self.compare_with_head, "compare_head")
        self.act_file = self._action(
            "&Another File…", self.compare_with_file_dialog, "compare_file"
        )
        self.act_published = self._action(
            "The &Running Application's Topology",
            self.compare_with_published,
            "compare_published",
        )
        self.menu.addSeparator()
        self.act_leave = self._action("&Leave Compare View", self.leave, "compare_leave")
        self.menu.aboutToShow.connect(self._update_actions)
        menu.insertMenu(window.act_save, self.menu)
        self._update_actions()

        self.panel = ChangesPanel()
        self.panel.leave_button.clicked.connect(self.leave)
        self.panel.nodeClicked.connect(self._on_node_clicked)
        self.dock = QDockWidget("Changes", window)
        self.dock.setObjectName("compareDock")
        self.dock.setWidget(self.panel)
        window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.dock)
        window.tabifyDockWidget(window.validation_dock, self.dock)
        self.dock.hide()
        window.validation_dock.raise_()
        self.document.topology_replaced.connect(self._on_topology_replaced)
        self._watch(self.document.topology)

    def _action(self, text: str, slot, name: str) -> QAction:
        action = self.menu.addAction(text)
        action.setObjectName(name)
        action.triggered.connect(lambda *_: slot())
        return action

    def _update_actions(self) -> None:
        path = self.document.path
        self.act_saved.setEnabled(path is not None and Path(path).exists())
        self.act_head.setEnabled(path is not None and git_head_text(Path(path)) is not None)
        self.act_leave.setEnabled(self.other is not None)
        self.act_published.setEnabled(self.window.monitor.controller.bootstrap() is not None)

    # -- choosing the other version ----------------------------------------------------------

    def compare_with_saved(self) -> bool:
        if self.document.path is None:
            return self._cannot("the topology has not been saved yet")
        return self._compare_with_file(Path(self.document.path), "the saved file")

    def compare_with_head(self) -> bool:
        path = self.document.path
        text = git_head_text(Path(path)) if path is not None else None
        if text is None:
            return self._cannot("the file is not committed in a git repository")
        topology, problems = fileformat.loads(text)
        if problems:
            return self._cannot(f"git's HEAD holds no readable topology there: {problems[0]}")
        return self.compare_with(topology, "git HEAD")

    def compare_with_file_dialog(self) -> bool:
        start = str(Path(self.document.path).parent) if self.document.path else str(Path.home())
        path, _ = QFileDialog.getOpenFileName(self.window, "Compare with", start, FILE_FILTER)
        return self._compare_with_file(Path(path), Path(path).name) if path else False

    def compare_with_published(self) -> bool:
        """Look up (off the GUI thread) what the application of the open topology, running
        anywhere, published (§12), and compare with it; False when there is no address."""
        controller = self.window.monitor.controller
        bootstrap = controller.bootstrap()
        if bootstrap is None:
            return self._cannot(
                "there is no cluster to ask yet (the sandbox broker is not running)"
            )
        app_id, config = self.document.topology.name, controller.client_config()
        self.window.statusBar().showMessage(f"Reading the topology {app_id} published…", 8000)

        def done(topology: Topology | None) -> None:
            if topology is None:
                self._cannot(f"no running application '{app_id}' published its topology")
            else:
                self.compare_with(topology, f"the topology {app_id} published")

        BackgroundCall(
            lambda: published_topology(bootstrap, app_id, config),
            done,
            lambda exc: self._cannot(f"cannot read what {app_id} published: {exc}"),
            name="compare-published",
        ).start()
        return True

    def _compare_with_file(self, path: Path, label: str) -> bool:
        topology, problems = fileformat.read(path)
        if problems:
            return self._cannot(f"{problems[0]}")
        return self.compare_with(topology, label)

    def _cannot(self, why: str) -> bool:
        self.window.statusBar().showMessage(f"Cannot compare: {why}", 8000)
        QMessageBox.information(self.window, APPLICATION, f"Cannot compare: {why}.")
        return False

    def compare_with(self, other: Topology, label: str) -> bool:
        self.other, self.label = other, label
        self.refresh()
        self.dock.show()
        self.dock.raise_()
        return True

    # -- following the document ------------------------------------------------------------

    def refresh(self) -> None:
        if self.other is None:
            return
        self.diff = diff_topologies(self.other, self.document.topology)
        self.overlay.show(self.diff)
        self.window.inspector.set_comparison(self.diff)
        self.panel.show_diff(self.diff, self.label)

    def leave(self) -> None:
        self._timer.stop()
        self.other, self.diff = None, None
        self.overlay.clear()
        self.window.inspector.set_comparison(None)
        self.panel.clear()
        self.dock.hide()

    def _events(self, topology: Topology):
        return (
            topology.node_added,
            topology.node_removed,
            topology.node_renamed,
            topology.node_moved,
            topology.params_changed,
            topology.edge_added,
            topology.edge_removed,
            topology.settings_changed,
            topology.name_changed,
        )

    def _watch(self, topology: Topology) -> None:
        if self._topology is not None:
            for event in self._events(self._topology):
                event.disconnect(self._schedule)
        self._topology = topology
        for event in self._events(topology):
            event.connect(self._schedule)

    def _schedule(self, *_args) -> None:
        if self.other is not None:
            self._timer.start()

    def _on_topology_replaced(self, topology: Topology) -> None:
        self._watch(topology)
        self.leave()

    def _on_node_clicked(self, node_id: str) -> None:
        if node_id in self.document.topology.nodes:
            self.window.select_node(node_id)


def install(window) -> CompareController:
    """File → Compare With, the Changes dock, and the overlay, on ``window``."""
    file_menu = window.menuBar().actions()[0].menu()
    return CompareController(window, file_menu)
