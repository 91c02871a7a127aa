"""File → Export as Python… and File → Import Python…: the document as a builder-API
script and back, with the dialogs and the messages that say what to fix.

The script is read statically (engine.codeimport): nothing in it runs. A script whose
topology has problems still opens, so the problems show in the Problems list; only a
script that cannot be read at all is refused, with the line that stops it.
"""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox

from engine.code.export import ExportError, export_script
from engine.code.importer import ImportScriptError, import_script, read_script
from engine.model.validation import errors, validate

PYTHON_FILTER = "Python scripts (*.py);;All files (*)"
MAX_LISTED = 8


def script_name(topology_name: str) -> str:
    """A file name for the script of a topology: ``orders per minute`` → ``orders_per_minute.py``."""
    stem = re.sub(r"[^\w.-]+", "_", topology_name).strip("._") or "topology"
    return f"{stem}.py"


def _start_dir(window) -> Path:
    path = window.document.path
    return Path(path).parent if path else Path.home()


def _status(window, text: str, ms: int = 6000) -> None:
    window.statusBar().showMessage(text, ms)


def export_python(window) -> Path | None:
    """Ask where and write the document's topology as a script; None when nothing was written."""
    topology = window.document.topology
    bad = errors(validate(topology))
    if bad:
        listed = "\n".join(f"• {p}" for p in bad[:MAX_LISTED])
        more = f"\n• … and {len(bad) - MAX_LISTED} more" if len(bad) > MAX_LISTED else ""
        QMessageBox.warning(
            window,
            "Export as Python",
            f"The topology has {len(bad)} error{'s' if len(bad) != 1 else ''}, so it cannot be written "
            f"as a script yet:\n\n{listed}{more}\n\nFix them (they are listed under Problems; "
            "double-click one to find its node) and export again.",
        )
        return None
    try:
        script = export_script(topology)
    except ExportError as exc:
        QMessageBox.warning(
            window,
            "Export as Python",
            f"The topology cannot be written as a script: {exc}.\n\n"
            "Change that on the canvas and export again.",
        )
        return None
    start = _start_dir(window) / script_name(topology.name)
    chosen, _ = QFileDialog.getSaveFileName(window, "Export as Python", str(start), PYTHON_FILTER)
    if not chosen:
        return None
    path = Path(chosen)
    if path.suffix != ".py":
        path = path.with_name(path.name + ".py")
    try:
        path.write_text(script, encoding="utf-8")
    except OSError as exc:
        QMessageBox.critical(
            window,
            "Export as Python",
            f"Could not write {path}: {exc.strerror or exc}.\n"
            "Choose another folder and export again.",
        )
        return None
    _status(window, f"Exported {path}: run it with “python {path.name} --sandbox”")
    return path


def import_python(window) -> bool:
    """Ask for a script and open its topology as a new, unsaved document."""
    if not window.files.maybe_save():
        return False
    chosen, _ = QFileDialog.getOpenFileName(
        window, "Import Python script", str(_start_dir(window)), PYTHON_FILTER
    )
    if not chosen:
        return False
    return import_python_file(window, chosen)


def import_python_file(window, path: str | Path) -> bool:
    """Open the topology that the script at ``path`` builds; False (and a message) when it
    cannot be read. The document it replaces must already be saved or given up."""
    path = Path(path)
    try:
        source = read_script(path)  # with the encoding it declares; only UTF-8 is read
    except ImportScriptError as exc:
        QMessageBox.warning(
            window,
            "Import Python",
            f"Could not read {path}: {exc.message}.\nCheck that it is a Python script in UTF-8.",
        )
        return False
    try:
        topology = import_script(source, filename=path.name, check=False)
    except ImportScriptError as exc:
        QMessageBox.warning(
            window,
            "Import Python",
            f"{path.name} cannot be imported:\n\n{exc}\n\n"
            "Only builder calls with literal values are read (nothing in the script runs). "
            "Change the script at that line and import it again.",
        )
        _status(window, f"Could not import {path.name}", 8000)
        return False
    # A new document, never saved: Save asks where, and the script itself stays untouched.
    window.document.set_topology(topology, None)
    problems = window.document.problems
    if problems:
        count = len(problems)
        _status(
            window,
            f"Imported {path.name} with {count} problem{'s' if count != 1 else ''}; see Problems",
            8000,
        )
    else:
        _status(window, f"Imported {path.name}", 4000)
    return True
