"""The question before a Run that would throw state away (reference §7.5).

Run compares the topology with the one last run from this window (or, before any run,
with the saved file). When the difference resets or breaks the state of a node
(``engine.model.diff``), and the application's consumer group has committed offsets on the
cluster (so there is state to lose; looked up off the GUI thread), it asks first, naming
the nodes, why, and the topics concerned: Reset State and Run (the run monitor's Reset
Application State, then the run), Run Anyway, or Cancel. Without a cluster address yet
(the sandbox broker not started) nothing can have been committed, and it runs at once.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QMessageBox, QWidget

from engine.model import fileformat
from engine.model.diff import StateVerdict, diff_topologies
from engine.model.topology import Topology
from gui.monitor.qt_run_monitor import RunMonitor
from gui.monitor.qt_tasks import BackgroundCall

RESET, RUN, CANCEL = "reset", "run", "cancel"
OFFSETS_TIMEOUT_S = 5.0


class RedeployCheck(QObject):
    def __init__(self, monitor: RunMonitor, document, parent_widget: QWidget):
        super().__init__(parent_widget)
        self.monitor, self.controller = monitor, monitor.controller
        self.document = document
        self.parent_widget = parent_widget
        self.last_run: dict[str, Topology] = {}  # application id -> what was last run
        self.asked: list[str] = []  # the questions asked (the last one last)
        monitor.before_run = self.before_run

    def baseline(self, topology: Topology) -> tuple[Topology | None, str]:
        """The version to compare with: the last run of this application from here, else
        the saved file."""
        last = self.last_run.get(topology.name)
        if last is not None:
            return last, "the last run"
        path = self.document.path
        if path is not None:
            saved, problems = fileformat.read(path)
            if not problems:
                return saved, "the saved file"
        return None, ""

    def before_run(self, start: Callable[[], object]) -> None:
        topology = self.document.topology.copy()
        if self.controller.is_active():
            start()  # the controller says why it does not run
            return
        base, label = self.baseline(topology)
        lost = diff_topologies(base, topology).endangered if base is not None else []
        client = self.controller.cluster_client() if lost else None
        if client is None:
            self._start(start, topology)
            return
        BackgroundCall(
            lambda: client.committed(topology.name, timeout=OFFSETS_TIMEOUT_S),
            lambda offsets: self._decide(start, topology, label, lost, offsets),
            lambda _exc: self._start(start, topology),  # unreachable: the run says so
            name="redeploy-check",
        ).start()

    def _decide(self, start, topology: Topology, label: str, lost, offsets: dict) -> None:
        if not offsets:
            self._start(start, topology)
            return
        answer = self.ask(self.question(topology.name, label, lost))
        if answer == RUN:
            self._start(start, topology)
        elif answer == RESET:
            self._reset_then_run(start, topology)

    def question(self, app_id: str, label: str, lost: list[StateVerdict]) -> str:
        rows = "\n".join(
            f"• {v.node_id}: {v.verdict}: {v.reason}"
            + (f"\n   topics: {', '.join(v.topics)}" if v.topics else "")
            for v in lost
        )
        return (
            f"Since {label}, this topology's changes reset or break state that the "
            f"application '{app_id}' keeps (its consumer group has committed offsets):\n\n"
            f"{rows}\n\nReset State and Run deletes the application's committed offsets and "
            "internal topics (Reset Application State), so the run reads its sources again "
            "and builds its state afresh. Run Anyway keeps them as they are."
        )

    def ask(self, text: str) -> str:
        self.asked.append(text)
        box = QMessageBox(self.parent_widget)
        box.setObjectName("redeployQuestion")
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle("Run would reset state")
        box.setText(text)
        reset = box.addButton("Reset State and Run", QMessageBox.ButtonRole.DestructiveRole)
        run = box.addButton("Run Anyway", QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        clicked = box.clickedButton()
        return RESET if clicked is reset else RUN if clicked is run else CANCEL

    def _reset_then_run(self, start, topology: Topology) -> None:
        def finished(problems: list) -> None:
            self.controller.resetFinished.disconnect(finished)
            if not problems:
                self._start(start, topology)

        self.controller.resetFinished.connect(finished)
        self.controller.message.emit("status", f"resetting the state of '{topology.name}'…")
        if not self.controller.reset_application_state():
            self.controller.resetFinished.disconnect(finished)

    def _start(self, start, topology: Topology) -> None:
        if start():
            self.last_run[topology.name] = topology
