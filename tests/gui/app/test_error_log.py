"""Unexpected errors: logged with their traceback, said in one line, and the app goes on."""

from __future__ import annotations

import sys
import threading

import pytest
from PySide6.QtCore import QTimer

from gui.app import error_log
from gui.app.error_log import ErrorLog

pytestmark = pytest.mark.qt_no_exception_capture


@pytest.fixture
def log(qapp, tmp_path):
    errors = ErrorLog(tmp_path / "logs" / "errors.log").install()
    yield errors
    errors.uninstall()


def test_an_error_in_a_slot_is_logged_and_said_and_the_event_loop_goes_on(qtbot, log):
    ran_after = []
    with qtbot.waitSignal(log.said, timeout=3000) as said:
        QTimer.singleShot(0, lambda: {}["missing"])
        QTimer.singleShot(5, lambda: ran_after.append(True))
    qtbot.waitUntil(lambda: bool(ran_after), timeout=3000)
    assert said.args[0] == (
        f"Unexpected error: KeyError: 'missing' (details in {log.path}). "
        "The app goes on; save your work if something looks wrong."
    )
    text = log.path.read_text()
    assert (
        "unexpected error\nTraceback (most recent call last):" in text
        and "KeyError: 'missing'" in text
    )


def test_an_error_in_a_thread_is_said_on_the_gui_thread(qtbot, log):
    gui_thread = threading.current_thread()
    heard = []
    log.said.connect(lambda text: heard.append((text, threading.current_thread())))

    def fail():
        raise ValueError("a background failure")

    worker = threading.Thread(target=fail, name="looker-up")
    worker.start()
    worker.join()
    qtbot.waitUntil(lambda: bool(heard), timeout=3000)
    assert heard[0][0].startswith("Unexpected error: ValueError: a background failure")
    assert heard[0][1] is gui_thread
    assert "unexpected error in thread looker-up" in log.path.read_text()


def test_the_log_is_kept_small_and_a_log_that_cannot_be_written_still_says_the_error(
    qtbot, log, monkeypatch, tmp_path
):
    monkeypatch.setattr(error_log, "MAX_BYTES", 200)
    for i in range(3):
        log.record(RuntimeError, RuntimeError(f"number {i} " + "x" * 150), None)
    assert "number 2" in log.path.read_text() and "number 0" not in log.path.read_text()
    assert log.path.with_name("errors.log.1").exists()

    blocked = ErrorLog(tmp_path / "file" / "errors.log")
    (tmp_path / "file").write_text("in the way")
    with qtbot.waitSignal(blocked.said) as said:
        blocked.record(OSError, OSError("disk full"), None)
    assert said.args[0].startswith("Unexpected error: OSError: disk full. The app goes on")


def test_an_interrupt_goes_to_the_previous_hook(log, monkeypatch):
    seen = []
    log._previous = (lambda *a: seen.append(a[0]), log._previous[1])
    sys.excepthook(KeyboardInterrupt, KeyboardInterrupt(), None)
    assert seen == [KeyboardInterrupt] and log.count == 0


def test_uninstall_gives_back_the_hooks(qapp, tmp_path):
    before = sys.excepthook, threading.excepthook
    errors = ErrorLog(tmp_path / "e.log").install()
    assert sys.excepthook != before[0]
    errors.uninstall()
    assert (sys.excepthook, threading.excepthook) == before
