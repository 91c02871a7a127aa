"""Qt fixtures: settings and recovery files in tmp_path, never the user's own; a main
window on the demo topology that never asks questions at teardown."""

from __future__ import annotations

import gc

import pytest
from PySide6.QtCore import QEvent, QPointF, QSettings, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication, QMessageBox


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path, monkeypatch, qapp):
    QSettings.setPath(
        QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "settings")
    )
    monkeypatch.setattr("gui.app.recovery.default_directory", lambda: tmp_path / "recovery")
    yield
    # Delete what the test closed (pytest-qt closes its widgets and asks deleteLater, which
    # only an event loop carries out): a worker keeps no test's windows alive for the next,
    # whose every restyle and allWidgets() would walk them all.
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    # Collect each test's Qt wrappers while the application is alive, not all at once at exit.
    gc.collect()


@pytest.fixture
def settings(tmp_path) -> QSettings:
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def window(qtbot, settings, tmp_path):
    from gui.app.main_window import MainWindow

    win = MainWindow(settings=settings, recovery_dir=tmp_path / "recovery")
    win.files.ask_save_changes = lambda: QMessageBox.StandardButton.Discard
    qtbot.addWidget(win)
    win.resize(1400, 900)
    win.document.new_from_demo()
    win.show()
    qtbot.waitExposed(win)
    QApplication.processEvents()  # the opening view (readable, at the sources), then:
    win.view.fit()
    yield win
    win.document.undo_stack.setClean()


def send_mouse(
    view,
    kind: QEvent.Type,
    scene_pos: QPointF,
    button=Qt.MouseButton.LeftButton,
    buttons=None,
    modifiers=Qt.KeyboardModifier.NoModifier,
) -> None:
    """A mouse event at a scene position, sent to the view's viewport."""
    local = QPointF(view.mapFromScene(scene_pos))
    if buttons is None:
        buttons = Qt.MouseButton.NoButton if kind == QEvent.Type.MouseButtonRelease else button
    event = QMouseEvent(
        kind,
        local,
        QPointF(view.viewport().mapToGlobal(local)),
        button if kind != QEvent.Type.MouseMove else Qt.MouseButton.NoButton,
        buttons,
        modifiers,
    )
    QApplication.sendEvent(view.viewport(), event)


def drag_mouse(view, start: QPointF, end: QPointF, steps: int = 4) -> None:
    send_mouse(view, QEvent.Type.MouseButtonPress, start)
    for i in range(1, steps + 1):
        p = start + (end - start) * (i / steps)
        send_mouse(view, QEvent.Type.MouseMove, p, buttons=Qt.MouseButton.LeftButton)
    send_mouse(view, QEvent.Type.MouseButtonRelease, end)


def contrast(a, b) -> float:
    """WCAG's contrast ratio of two QColors (4.5 for text, 3 for other marks)."""

    def luminance(c) -> float:
        def channel(v: float) -> float:
            return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

        return (
            0.2126 * channel(c.redF()) + 0.7152 * channel(c.greenF()) + 0.0722 * channel(c.blueF())
        )

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)
