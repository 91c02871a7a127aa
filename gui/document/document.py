"""The open document: one topology, its file, its undo stack and its problems.

Every user gesture arrives here as a verb (``add_node``, ``connect``, ``move_nodes``...)
and becomes one undo command. Views observe the topology itself; the document only
says when the whole topology is replaced (new, open) and when problems change.
"""

from __future__ import annotations

import copy
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QUndoStack

import resources
from engine.model import fileformat
from engine.model.alerts import default_rules
from engine.model.catalogue import NODE_TYPES
from engine.model.ports import connection_problem
from engine.model.problems import Problem
from engine.model.topology import Edge, ModelError, Node, Topology
from engine.model.validation import validate
from gui.canvas.layout import auto_layout
from gui.document import clipboard, commands

VALIDATION_DELAY_MS = 120
DEFAULT_IDS = {
    "kafka_source": "source",
    "generator_source": "generator",
    "kafka_sink": "sink",
    "console_sink": "console",
    "file_sink": "file_out",
    "dashboard_sink": "dashboard",
}


class TopologyDocument(QObject):
    topology_replaced = Signal(object)  # (Topology)
    problems_changed = Signal(list)  # (list[Problem])
    path_changed = Signal(object)  # (Path | None)
    modified_changed = Signal(bool)
    edited = Signal()  # any change of the model (autosave listens)

    def __init__(self, topology: Topology | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.undo_stack = QUndoStack(self)
        self.undo_stack.cleanChanged.connect(self._on_clean_changed)
        self.path: Path | None = None
        self.load_problems: list[Problem] = []
        self.problems: list[Problem] = []
        self._validate_timer = QTimer(self)
        self._validate_timer.setSingleShot(True)
        self._validate_timer.setInterval(VALIDATION_DELAY_MS)
        self._validate_timer.timeout.connect(self.revalidate)
        self.topology: Topology = Topology()
        self._connect(self.topology)
        if topology is not None:
            self.set_topology(topology)
        else:
            self.revalidate()

    # -- the whole topology ---------------------------------------------------------

    def _events(self, topology: Topology):
        return (
            topology.node_added,
            topology.node_removed,
            topology.node_renamed,
            topology.params_changed,
            topology.edge_added,
            topology.edge_removed,
            topology.settings_changed,
            topology.name_changed,
        )

    def _connect(self, topology: Topology) -> None:
        for event in self._events(topology):
            event.connect(self._on_structure_changed)
        topology.node_moved.connect(self._on_node_moved)

    def _disconnect(self, topology: Topology) -> None:
        for event in self._events(topology):
            event.disconnect(self._on_structure_changed)
        topology.node_moved.disconnect(self._on_node_moved)

    def set_topology(
        self,
        topology: Topology,
        path: Path | None = None,
        load_problems: list[Problem] | None = None,
    ) -> None:
        """Replace the document's topology (new, open, restore): the undo history starts over."""
        self._disconnect(self.topology)
        self.undo_stack.clear()
        missing = [n for n in topology.nodes.values() if n.position is None]
        if missing:
            laid_out = auto_layout(topology)
            for node in missing:
                node.position = laid_out[node.id]
        self.topology = topology
        self._connect(topology)
        self.load_problems = list(load_problems or [])
        self.path = Path(path) if path else None
        self.undo_stack.setClean()
        self.topology_replaced.emit(topology)
        self.path_changed.emit(self.path)
        self.modified_changed.emit(False)
        self.revalidate()

    def new_empty(self) -> None:
        self.set_topology(Topology("untitled", {"alerts": default_rules()}))

    def new_from_demo(self) -> None:
        topology, problems = fileformat.read(resources.DEMO_TOPOLOGY)
        self.set_topology(topology, None, problems)

    def open(self, path: str | Path) -> list[Problem]:
        """Load ``path``; returns the file's structural problems (the topology loads anyway).
        A file that holds no topology (``fileformat.refusal``) is not opened: the document
        stays as it was."""
        topology, problems = fileformat.read(path)
        if fileformat.refusal(problems) is not None:
            return problems
        self.set_topology(topology, Path(path), problems)
        return problems

    def save(self, path: str | Path | None = None) -> Path:
        target = Path(path) if path is not None else self.path
        if target is None:
            raise ValueError("the document has no file yet: choose one with save as")
        fileformat.write(self.topology, target)
        self.undo_stack.setClean()
        if target != self.path:
            self.path = target
            self.path_changed.emit(target)
        folder = str(target.resolve().parent)
        if folder != self.topology.folder:  # sinks' schema files are relative to it
            self.topology.folder = folder
            self.revalidate()
        return target

    def _on_clean_changed(self, clean: bool) -> None:
        self.modified_changed.emit(not clean)

    @property
    def modified(self) -> bool:
        return not self.undo_stack.isClean()

    def display_name(self) -> str:
        return self.path.name if self.path else f"{self.topology.name} (not saved)"

    # -- validation ------------------------------------------------------------------

    def _on_structure_changed(self, *args) -> None:
        self._validate_timer.start()
        self.edited.emit()

    def _on_node_moved(self, *args) -> None:
        self.edited.emit()

    def all_problems(self) -> list[Problem]:
        """What the file said when read, then what validation finds that it did not."""
        return list(self.load_problems) + [p for p in self.problems if p not in self.load_problems]

    def revalidate(self) -> None:
        self._validate_timer.stop()
        self.problems = validate(self.topology)
        self.problems_changed.emit(self.problems)

    # -- gestures, one undo command each -----------------------------------------------

    def push(self, command) -> None:
        self.undo_stack.push(command)

    def add_node(
        self, type_name: str, position: tuple[float, float], node_id: str | None = None
    ) -> str:
        spec = NODE_TYPES.get(type_name)
        base = node_id or DEFAULT_IDS.get(type_name, type_name if spec else "node")
        new_id = self.topology.unique_id(base)
        params = spec.defaults() if spec else {}
        if type_name == "generator_source":
            # Its own topic, named as the node: a second generator would otherwise write to
            # the first one's (and both read each other's records back).
            params["topic"] = self._unused_topic(new_id)
        node = Node(new_id, type_name, params, (float(position[0]), float(position[1])))
        self.push(commands.AddNodeCommand(self.topology, node))
        return new_id

    def _unused_topic(self, base: str) -> str:
        used = {n.params.get("topic") for n in self.topology.nodes.values() if "topic" in n.params}
        topic, i = base, 2
        while topic in used:
            topic, i = f"{base}-{i}", i + 1
        return topic

    def remove(self, node_ids: list[str], edges: list[Edge] = ()) -> None:
        node_ids = [n for n in node_ids if n in self.topology.nodes]
        edges = [e for e in edges if e in self.topology.edges]
        if node_ids or edges:
            self.push(commands.RemoveCommand(self.topology, node_ids, edges))

    def connect(self, edge: Edge) -> str | None:
        """Add ``edge``; returns the reason when the connection is refused."""
        problem = connection_problem(self.topology, edge)
        if problem is None:
            self.push(commands.AddEdgeCommand(self.topology, edge))
        return problem

    def reroute(self, old: Edge, new: Edge | None) -> str | None:
        """Move ``old``'s end so it becomes ``new`` (None deletes it), as one undo step;
        returns the reason when the new connection is refused."""
        if old not in self.topology.edges:
            return f"'{old.source}' is no longer connected to '{old.target}'"
        if new is None:
            self.push(commands.RemoveEdgeCommand(self.topology, old))
            return None
        # Judged without the edge being moved, on a copy, so the canvas sees no churn.
        without = self.topology.copy()
        without.edges.remove(old)
        problem = connection_problem(without, new)
        if problem is None:
            self.push(commands.RerouteEdgeCommand(self.topology, old, new))
        return problem

    def move_nodes(self, moves: dict[str, tuple]) -> None:
        moves = {k: v for k, v in moves.items() if v[0] != v[1] and k in self.topology.nodes}
        if moves:
            self.push(commands.MoveNodesCommand(self.topology, moves))

    def set_params(self, node_id: str, params: dict, merge_key=None) -> None:
        if self.topology.node(node_id).params != params:
            self.push(commands.SetParamsCommand(self.topology, node_id, params, merge_key))

    def set_param(self, node_id: str, name: str, value, merge_key=None) -> None:
        params = copy.deepcopy(self.topology.node(node_id).params)
        if value is None:
            params.pop(name, None)
        else:
            params[name] = value
        self.set_params(node_id, params, merge_key)

    def rename_node(self, old: str, new: str) -> None:
        """Raises ModelError with a sentence when ``new`` cannot be used."""
        if old == new:
            return
        probe = Topology()
        probe.add_node(Node(new, "probe"))  # checks the id pattern
        if new in self.topology.nodes:
            raise ModelError(f"a node named '{new}' already exists")
        self.push(commands.RenameNodeCommand(self.topology, old, new))

    def set_setting(self, name: str, value, merge_key=None) -> None:
        settings = copy.deepcopy(self.topology.settings)
        if value is None or value == "":
            settings.pop(name, None)
        else:
            settings[name] = value
        if settings != self.topology.settings:
            self.push(commands.SetSettingsCommand(self.topology, settings, merge_key))

    def rename_topology(self, name: str) -> None:
        if name and name != self.topology.name:
            self.push(commands.RenameTopologyCommand(self.topology, name))

    def paste(
        self,
        frag: dict,
        at: tuple[float, float] | None = None,
        offset: tuple[float, float] = (30.0, 30.0),
        text: str = "Paste",
    ) -> list[str]:
        nodes, edges = clipboard.instantiate(self.topology, frag, offset=offset, at=at)
        if not nodes:
            return []
        command = commands.PasteCommand(self.topology, nodes, edges, text)
        self.push(command)
        return command.node_ids

    def duplicate(self, node_ids: list[str]) -> list[str]:
        return self.paste(
            clipboard.fragment(self.topology, node_ids), offset=(40.0, 40.0), text="Duplicate"
        )

    def auto_layout(self) -> None:
        new = auto_layout(self.topology)
        moves = {
            nid: (self.topology.nodes[nid].position, pos)
            for nid, pos in new.items()
            if self.topology.nodes[nid].position != pos
        }
        if moves:
            self.push(commands.MoveNodesCommand(self.topology, moves, "Auto-layout"))
