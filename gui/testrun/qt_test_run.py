"""Run → Test Run: sample records through the open topology in-process, with no broker and
nothing written to the cluster (the engine's test driver, ``engine.runtime.testing.trace``, the
same one ``topology-studio test`` uses).

Samples come from the generators, the latest records of each source topic (when
connected) or a JSONL file, and can be edited (one JSON record per line, per source) and
run again in place. The canvas shows each node's in/out counts of the test; the selected
node's records in and out side by side; a chosen record followed through the graph; the
run saved as a test case (CASES.json) for ``topology-studio test`` in CI.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from engine.model import fileformat
from engine.model.masking import mask_trace
from engine.runtime.testing.lineage import Trace
from engine.runtime.testing.sample_records import (
    InputError,
    InputRecord,
    from_jsonl,
    generated,
    read_jsonl,
    source_nodes,
    to_jsonl,
)
from engine.runtime.testing.testcases import CasesError, case_from_trace, save_case
from engine.runtime.testing.trace import run_trace
from gui.monitor.qt_records import monospace
from gui.monitor.qt_tasks import BackgroundCall
from gui.style import theme
from gui.testrun.qt_follow import QtFollowedRecord
from gui.testrun.qt_path_marks import mark_path
from gui.testrun.qt_side_by_side import QtSideBySide
from gui.testrun.qt_state_browser import QtStateBrowser
from gui.testrun.rows import Followed, follow

GENERATORS, TOPICS, FILE = "Generators", "Latest records of the source topics", "JSONL file…"


class QtTestRun(QWidget):
    """The Test run panel. ``traced(trace)`` after each run; ``followed(Followed or None)``
    when the followed record changes; ``nodeActivated(node_id)`` to select a node."""

    traced = Signal(object)
    followed = Signal(object)
    nodeActivated = Signal(str)

    def __init__(
        self, topology_provider: Callable, cluster_client: Callable | None = None, parent=None
    ):
        super().__init__(parent)
        self.topology_provider = topology_provider
        self.cluster_client = cluster_client or (lambda: None)
        self.samples: dict[str, list[InputRecord]] = {}
        self.trace: Trace | None = None
        self._expect: dict[str, list[dict]] = {}  # the trace's outputs before masking
        self.node_id: str | None = None
        self.elapsed_s = 0.0
        self._editing: str | None = None  # the source whose samples the editor shows
        self._edited = False
        self._call: BackgroundCall | None = None
        self._build()

    # -- construction -------------------------------------------------------------------

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        bar = QHBoxLayout()
        self.source_kind = QComboBox()
        self.source_kind.setObjectName("testSampleSource")
        self.source_kind.addItems([GENERATORS, TOPICS, FILE])
        self.count = QSpinBox()
        self.count.setObjectName("testSampleCount")
        self.count.setRange(1, 100_000)
        self.count.setValue(500)
        self.count.setSuffix(" per source")
        self.load_button = QPushButton("Load Samples")
        self.load_button.setObjectName("testLoad")
        self.run_button = QPushButton("▶ Run Test")
        self.run_button.setObjectName("testRun")
        self.save_button = QPushButton("Save as Test Case…")
        self.save_button.setObjectName("testSave")
        self.save_button.setEnabled(False)
        self.status = QLabel("No broker needed: nothing is written to the cluster.")
        self.status.setObjectName("testStatus")
        for w in (
            QLabel("Samples"),
            self.source_kind,
            self.count,
            self.load_button,
            self.run_button,
            self.save_button,
        ):
            bar.addWidget(w)
        bar.addWidget(self.status, 1)
        layout.addLayout(bar)

        split = QSplitter(Qt.Orientation.Horizontal)
        editor = QWidget()
        editor_layout = QVBoxLayout(editor)
        editor_layout.setContentsMargins(0, 0, 0, 0)
        editor_layout.setSpacing(2)
        self.editor_source = QComboBox()
        self.editor_source.setObjectName("testEditorSource")
        self.editor = QPlainTextEdit()
        self.editor.setObjectName("testSamplesEditor")
        self.editor.setFont(monospace())
        self.editor.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.editor.setPlaceholderText(
            'One record per line:\n{"key": "k1", "value": {...}, "timestamp": 0}'
        )
        editor_layout.addWidget(self.editor_source)
        editor_layout.addWidget(self.editor)
        self.side_by_side = QtSideBySide()
        self.follow_view = QtFollowedRecord()
        split.addWidget(editor)
        split.addWidget(self.side_by_side)
        split.addWidget(self.follow_view)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 5)
        split.setStretchFactor(2, 3)
        split.setSizes([260, 760, 420])
        self.split = split
        layout.addWidget(split, 1)

        self.load_button.clicked.connect(lambda: self.load_samples(self.source_kind.currentText()))
        self.run_button.clicked.connect(self.run_test)
        self.save_button.clicked.connect(self.ask_save_case)
        self.editor_source.currentTextChanged.connect(self._on_editor_source_changed)
        self.editor.textChanged.connect(self._on_text_changed)
        self.side_by_side.recordChosen.connect(self.follow_record)
        self.follow_view.nodeActivated.connect(self.nodeActivated)

    # -- samples --------------------------------------------------------------------------

    def sources(self) -> list[str]:
        topology = self.topology_provider()
        return source_nodes(topology) if topology is not None else []

    def set_samples(self, samples: dict[str, list[InputRecord]]) -> None:
        self.samples = {node: list(records) for node, records in samples.items()}
        current = self._editing
        self.editor_source.blockSignals(True)
        self.editor_source.clear()
        self.editor_source.addItems(self.sources())
        self.editor_source.blockSignals(False)
        if current and self.editor_source.findText(current) >= 0:
            self.editor_source.setCurrentText(current)
        else:
            with_records = [s for s in self.sources() if self.samples.get(s)]
            if with_records:
                self.editor_source.setCurrentText(with_records[0])
        self._show_editor(self.editor_source.currentText())

    def _show_editor(self, node_id: str) -> None:
        self._editing = node_id or None
        self.editor.blockSignals(True)
        self.editor.setPlainText(to_jsonl(self.samples.get(node_id, [])) if node_id else "")
        self.editor.blockSignals(False)
        self._edited = False

    def _on_editor_source_changed(self, node_id: str) -> None:
        if self._edited and not self._take_editor():
            self.editor_source.blockSignals(True)
            self.editor_source.setCurrentText(self._editing or "")
            self.editor_source.blockSignals(False)
            return
        self._show_editor(node_id)

    def _on_text_changed(self) -> None:
        self._edited = True

    def _take_editor(self) -> bool:
        """The editor's text into the samples; False (and why, in the status) when a line is
        not a record."""
        if not self._edited or not self._editing:
            return True
        try:
            self.samples[self._editing] = from_jsonl(
                self.editor.toPlainText(), f"samples of {self._editing}"
            )
        except InputError as exc:
            self.status.setText(f"<span style='color:{theme.ERROR.name()}'>{exc}</span>")
            return False
        self._edited = False
        return True

    def load_samples(self, kind: str, path: str | None = None) -> None:
        topology = self.topology_provider()
        if topology is None:
            return
        count = self.count.value()
        if kind == GENERATORS:
            start = int(time.time() // 60 * 60_000)
            samples = generated(topology, count, start)
            others = [s for s in source_nodes(topology) if s not in samples]
            self.set_samples({**{s: self.samples.get(s, []) for s in others}, **samples})
            note = (
                f" ({', '.join(others)} keep their samples: generators only feed generator sources)"
                if others
                else ""
            )
            self.status.setText(f"{count:,} generated records per generator{note}. Run the test.")
        elif kind == TOPICS:
            self._load_from_topics(topology, count)
        else:
            if path is None:
                path, _ = QFileDialog.getOpenFileName(
                    self, "Sample records", "", "JSON lines (*.jsonl *.json);;All files (*)"
                )
                if not path:
                    return
            target = self.editor_source.currentText() or (self.sources() or [""])[0]
            try:
                records = read_jsonl(path)
            except InputError as exc:
                self.status.setText(f"<span style='color:{theme.ERROR.name()}'>{exc}</span>")
                return
            self.set_samples({**self.samples, target: records})
            self.status.setText(f"{len(records):,} records from {Path(path).name} for {target}.")

    def _load_from_topics(self, topology, count: int) -> None:
        client = self.cluster_client()
        if client is None:
            self.status.setText(
                "Not connected to a cluster: choose Generators or a JSONL file, "
                "or connect (Run → Connection…)."
            )
            return
        topics = {n: topology.nodes[n].params.get("topic") for n in source_nodes(topology)}

        def work() -> dict[str, list[InputRecord]]:
            out = {}
            for node_id, topic in topics.items():
                sampled = client.sample(topic, count) if topic else []
                out[node_id] = [
                    InputRecord(r["value"], r["key"], max(0, r["timestamp"] or 0)) for r in sampled
                ]
            return out

        def done(samples) -> None:
            self.set_samples(samples)
            total = sum(len(v) for v in samples.values())
            self.status.setText(
                f"{total:,} latest records of the source topics. Run the test."
                if total
                else "The source topics have no records yet."
            )

        self.status.setText("Reading the latest records of the source topics…")
        self._call = BackgroundCall(
            work,
            done,
            lambda exc: self.status.setText(f"Could not read the source topics: {exc}"),
            name="test-samples",
        ).start()

    # -- running --------------------------------------------------------------------------

    def running(self) -> bool:
        return self._call is not None and self._call.running()

    def run_test(self) -> None:
        """Run the samples through a copy of the topology, off the GUI thread."""
        topology = self.topology_provider()
        if topology is None or self.running() or not self._take_editor():
            return
        if not any(self.samples.values()):
            self.load_samples(
                GENERATORS
                if any(topology.nodes[s].type == "generator_source" for s in self.sources())
                else FILE
            )
            if not any(self.samples.values()):
                return
        from engine.model.validation import errors, validate

        bad = errors(validate(topology))
        if bad:
            self.status.setText(
                f"<span style='color:{theme.ERROR.name()}'>Fix the topology first: {bad[0]}</span>"
            )
            return
        copy = fileformat.loads(fileformat.dumps(topology))[0]  # the document may change meanwhile
        samples = {n: r for n, r in self.samples.items() if n in copy.nodes and r}
        count = sum(len(r) for r in samples.values())
        self.status.setText(f"Running {count:,} records…")
        self.run_button.setEnabled(False)

        def work():
            started = time.perf_counter()
            trace = run_trace(copy, samples)
            elapsed = time.perf_counter() - started
            expect = trace.outputs()  # a saved case expects the real values, not the masked
            mask_trace(trace, copy)  # what is shown is masked (reference §9.12)
            return trace, elapsed, expect

        def failed(exc: BaseException) -> None:
            self.run_button.setEnabled(True)
            self.status.setText(
                f"<span style='color:{theme.ERROR.name()}'>The test run failed: {exc}</span>"
            )

        self._call = BackgroundCall(work, self._on_traced, failed, name="test-run").start()

    def _on_traced(self, result) -> None:
        trace, elapsed, self._expect = result
        self.run_button.setEnabled(True)
        self.trace, self.elapsed_s = trace, elapsed
        self.save_button.setEnabled(True)
        inputs = sum(len(r) for r in trace.inputs.values())
        dead = (
            f" · <span style='color:{theme.ERROR.name()}'>{trace.dead_letters:,} dead letters</span>"
            if trace.dead_letters
            else ""
        )
        self.status.setText(
            f"{inputs:,} records in {elapsed:.2f} s · {len(trace.records):,} records traced{dead}"
        )
        self.side_by_side.show_node(trace, self.node_id)
        self.follow_view.show_followed(None)
        self.traced.emit(trace)
        self.followed.emit(None)

    def show_node(self, node_id: str | None) -> None:
        self.node_id = node_id
        self.side_by_side.show_node(self.trace, node_id)

    def follow_record(self, n: int) -> Followed | None:
        if self.trace is None:
            return None
        followed = follow(self.trace, n)
        self.follow_view.show_followed(followed, n)
        self.followed.emit(followed)
        return followed

    # -- saving ---------------------------------------------------------------------------

    def save_case(self, path: str, name: str) -> None:
        """The test run's inputs, with its outputs as the expectations, into CASES.json."""
        if self.trace is None:
            raise CasesError("run a test first")
        save_case(path, replace(case_from_trace(name, self.trace), expect=self._expect))

    def ask_save_case(self) -> None:
        if self.trace is None:
            return
        topology = self.topology_provider()
        name, ok = QInputDialog.getText(
            self,
            "Save as Test Case",
            "Case name:",
            text=f"{topology.name if topology else 'case'} sample",
        )
        if not ok or not name.strip():
            return
        path, _ = QFileDialog.getSaveFileName(
            self,
            "Save as Test Case",
            "cases.json",
            "Test cases (*.json)",
            options=QFileDialog.Option.DontConfirmOverwrite,
        )
        if not path:
            return
        try:
            self.save_case(path, name.strip())
        except (CasesError, OSError) as exc:
            QMessageBox.warning(self, "Save as Test Case", str(exc))
            return
        self.status.setText(
            f"Saved case '{name.strip()}' to {Path(path).name}: "
            f"topology-studio test FILE {Path(path).name}"
        )


class TestRun(QObject):
    """What ``install`` made, for the window and tests."""

    def __init__(
        self,
        widget: QtTestRun,
        dock: QDockWidget,
        state: QtStateBrowser,
        state_dock: QDockWidget,
        action: QAction,
        parent=None,
    ):
        super().__init__(parent)
        self.widget, self.dock, self.state, self.state_dock, self.action = (
            widget,
            dock,
            state,
            state_dock,
            action,
        )


def install(window) -> TestRun:
    """Adds Run → Test Run and Run → Browse State, their docks (beside the data preview),
    the test's counts on the canvas and the followed record's path."""
    controller = window.monitor.controller
    widget = QtTestRun(lambda: window.document.topology, controller.cluster_client, window)
    dock = _dock(window, "Test run", "testRunDock", widget)
    state = QtStateBrowser(
        lambda: window.document.topology,
        lambda request: controller.request_state(request) if window.run_active() else 0,
        lambda: (widget.trace.topology, widget.trace.stores) if widget.trace is not None else None,
    )
    state_dock = _dock(window, "State", "stateDock", state)
    controller.stateReceived.connect(state.on_reply)

    action = QAction("&Test Run", window)
    action.setObjectName("test_run")
    action.setShortcut(QKeySequence("Ctrl+F5"))
    action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
    action.setStatusTip(
        "Run sample records through the topology in-process: no broker, "
        "nothing written to the cluster"
    )
    browse = QAction("Browse &State", window)
    browse.setObjectName("browse_state")
    browse.setStatusTip(
        "Windows, sessions and tables of an aggregate or join node, "
        "of the live run or the last test run"
    )
    window.addAction(action)
    window.run_menu.addSeparator()
    window.run_menu.addActions([action, browse])
    for a in window.menuBar().actions():
        if a.menu() is not None and a.text().replace("&", "") == "View":
            a.menu().addActions([dock.toggleViewAction(), state_dock.toggleViewAction()])
            break

    def selected() -> str | None:
        try:
            ids = window.scene.selected_node_ids()
        except RuntimeError:  # during teardown
            return None
        return ids[0] if len(ids) == 1 else None

    def start() -> None:
        dock.show()
        dock.raise_()
        widget.show_node(selected())
        widget.run_test()

    opening: list[bool] = []  # while Browse State shows the dock: it asks for the page itself

    def open_state() -> None:
        opening.append(True)
        try:
            state_dock.show()
            state_dock.raise_()
        finally:
            opening.clear()
        node_id = selected()
        if not (node_id and state.open_node(node_id)):
            state.fill_nodes()
            state.refresh(first_page=True)

    def on_state_shown(visible: bool) -> None:
        # Shown any way (View → State, a tab): the chosen node's state, not an empty page.
        if visible and not opening:
            state.show_current(selected())

    state_dock.visibilityChanged.connect(on_state_shown)

    def on_selection() -> None:
        node_id = selected()
        if node_id is None:
            return
        widget.show_node(node_id)
        if not state_dock.isHidden() and state.node_box.findText(node_id) >= 0:
            state.open_node(node_id)

    def on_traced(trace: Trace) -> None:
        if not window.run_active():  # a live run's numbers win
            window.scene.run_overlay.clear()
            window.scene.run_overlay.finish(trace.metrics)
        state.fill_nodes()
        if not state_dock.isHidden():
            state.refresh()

    def on_followed(followed: Followed | None) -> None:
        if followed is None:
            mark_path(window.scene, {}, set())
        else:
            mark_path(window.scene, followed.nodes, followed.edges)

    action.triggered.connect(start)
    browse.triggered.connect(open_state)
    window.scene.selectionChanged.connect(on_selection)
    widget.traced.connect(on_traced)
    widget.followed.connect(on_followed)
    widget.nodeActivated.connect(window.select_node)
    window.document.topology_replaced.connect(
        lambda _t: (widget.followed.emit(None), state.fill_nodes())
    )
    return TestRun(widget, dock, state, state_dock, action, window)


def _dock(window, title: str, name: str, widget: QWidget) -> QDockWidget:
    dock = QDockWidget(title, window)
    dock.setObjectName(name)
    dock.setWidget(widget)
    dock.setFeatures(
        QDockWidget.DockWidgetFeature.DockWidgetMovable
        | QDockWidget.DockWidgetFeature.DockWidgetClosable
        | QDockWidget.DockWidgetFeature.DockWidgetFloatable
    )
    window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
    window.tabifyDockWidget(window.preview_dock, dock)
    window.validation_dock.raise_()
    dock.hide()
    return dock
