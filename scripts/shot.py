"""What the screenshot scripts share: the main window on the demo, with its settings in a
temporary folder, and waiting on the event loop for a condition."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path


def demo_window(size: str):
    """(app, window): the main window showing the demo topology, ``size`` as ``WIDTHxHEIGHT``."""
    from PySide6.QtCore import QSettings

    from gui.app.application import make_application
    from gui.app.main_window import MainWindow

    tmp = Path(tempfile.mkdtemp(prefix="topology-studio-shot-"))
    app = make_application()
    settings = QSettings(str(tmp / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings=settings, recovery_dir=tmp / "recovery")
    width, height = (int(v) for v in size.split("x"))
    window.resize(width, height)
    window.document.new_from_demo()
    return app, window


def wait(app, condition, seconds: float) -> bool:
    """Serve the event loop until ``condition()`` holds or ``seconds`` pass; its last answer."""
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.02)
    return condition()
