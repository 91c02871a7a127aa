"""Recovery of unsaved work: while a document has unsaved changes it is written, a few
seconds after each edit, to a recovery file; a clean save or a deliberate discard deletes
it. At start, recovery files left by a process that is no longer running are offered back.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, QStandardPaths, QTimer, Signal

from engine.model import fileformat
from engine.model.topology import Topology
from gui.document.document import TopologyDocument

AUTOSAVE_DELAY_MS = 3000


def default_directory() -> Path:
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    return Path(base or Path.home() / ".topology-studio") / "recovery"


@dataclass
class Recovered:
    topology_file: Path
    meta_file: Path
    original_path: str | None
    saved_at: float
    name: str

    def load(self) -> Topology:
        topology, _ = fileformat.read(self.topology_file)
        return topology

    def discard(self) -> None:
        for f in (self.topology_file, self.meta_file):
            try:
                f.unlink()
            except OSError:
                pass


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def orphans(directory: Path) -> list[Recovered]:
    """Recovery files whose process has ended: work lost in a crash."""
    found = []
    if not directory.is_dir():
        return found
    for meta_file in sorted(directory.glob("*.meta.json")):
        try:
            meta = json.loads(meta_file.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue
        topology_file = meta_file.with_name(meta_file.name.replace(".meta.json", ".topology.json"))
        if not topology_file.exists() or _alive(int(meta.get("pid", 0))):
            continue
        found.append(
            Recovered(
                topology_file,
                meta_file,
                meta.get("path"),
                float(meta.get("saved_at", 0)),
                str(meta.get("name", "untitled")),
            )
        )
    return sorted(found, key=lambda r: -r.saved_at)


class RecoveryWriter(QObject):
    """Keeps the document's recovery file up to date while it has unsaved changes.

    A recovery file that cannot be written (a full disk, a folder without write access) is
    said once through ``failed``, and tried again after the next edit.
    """

    failed = Signal(str)

    def __init__(self, document: TopologyDocument, directory: Path | None = None, parent=None):
        super().__init__(parent)
        self.problem: str | None = None
        self.document = document
        self.directory = Path(directory) if directory else default_directory()
        self.session = uuid.uuid4().hex[:12]
        self.topology_file = self.directory / f"{self.session}.topology.json"
        self.meta_file = self.directory / f"{self.session}.meta.json"
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(AUTOSAVE_DELAY_MS)
        self.timer.timeout.connect(self.write_now)
        document.edited.connect(self._on_edited)
        document.modified_changed.connect(self._on_modified_changed)

    def _on_edited(self) -> None:
        if self.document.modified:
            self.timer.start()

    def _on_modified_changed(self, modified: bool) -> None:
        if not modified:
            self.timer.stop()
            self.clear()
        else:
            self.timer.start()

    def write_now(self) -> None:
        if not self.document.modified:
            self.clear()
            return
        meta = {
            "pid": os.getpid(),
            "path": str(self.document.path) if self.document.path else None,
            "saved_at": time.time(),
            "name": self.document.topology.name,
        }
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            fileformat.write(self.document.topology, self.topology_file)
            self.meta_file.write_text(json.dumps(meta), encoding="utf-8")
        except OSError as exc:
            problem = (
                f"Unsaved changes cannot be kept for recovery in {self.directory}: "
                f"{exc.strerror or exc}. Save the topology to keep them."
            )
            if problem != self.problem:
                self.problem = problem
                self.failed.emit(problem)
            return
        self.problem = None

    def clear(self) -> None:
        for f in (self.topology_file, self.meta_file):
            try:
                f.unlink()
            except OSError:
                pass
