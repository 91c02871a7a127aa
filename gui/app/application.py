"""The app's entry point: ``main(argv)`` opens the main window on FILE, on work recovered
after a crash, or on the demo topology, and starts the local sandbox broker beside it —
the one broker runs use too (unless the saved connection is the user's own cluster)."""

from __future__ import annotations

import gc
import sys
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEvent, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from gui.app.settings import APPLICATION, ORGANIZATION
from gui.style import icons


def apply_theme(app: QApplication, choice: str | None = None) -> None:
    """Fusion in the chosen palette (the settings' View → Theme when not given), refined by
    resources/style.qss (gui/app/appearance.py)."""
    from gui.app import appearance
    from gui.app.settings import app_settings, theme_choice

    if choice is None:
        choice = theme_choice(app_settings())
    appearance.apply(app, appearance.resolve(choice, app))


def make_application(argv: list[str] | None = None) -> QApplication:
    app = QApplication.instance() or QApplication(
        [sys.argv[0] if sys.argv else "topology-studio", *(argv or [])]
    )
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName(APPLICATION)
    # The menu entry's id (packaging/topology-studio.desktop): Wayland matches the window to
    # it, for the icon and the name in the task switcher.
    app.setDesktopFileName("topology-studio")
    app.setWindowIcon(icons.app_icon())
    apply_theme(app)
    return app


def _offer_recovery(window) -> bool:
    """Offer work lost in a crash; True when a recovered topology was opened."""
    from gui.app.recovery import default_directory, orphans

    found = orphans(window.recovery.directory if window.recovery else default_directory())
    if not found:
        return False
    latest = found[0]
    when = datetime.fromtimestamp(latest.saved_at).strftime("%Y-%m-%d %H:%M")
    where = latest.original_path or "a topology never saved"
    answer = QMessageBox.question(
        window,
        "Recover unsaved work",
        f"Topology Studio closed without saving '{latest.name}' ({where}), last changed {when}.\n\n"
        "Restore it? Choose No to discard it.",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.Yes,
    )
    restored = False
    if answer == QMessageBox.StandardButton.Yes:
        restore(window.document, latest)
        restored = True
    for r in found:
        r.discard()
    return restored


def restore(document, recovered) -> None:
    """Open recovered work as unsaved changes to its original file (if it had one)."""
    path = Path(recovered.original_path) if recovered.original_path else None
    document.set_topology(recovered.load(), path)
    document.undo_stack.resetClean()


def settle_memory() -> None:
    """Move everything built at start-up (Qt wrappers, modules, the scene) out of the
    garbage collector's reach. Full collections otherwise walk that whole heap, and with
    a busy pipeline's metrics arriving they ran every few seconds for ~60 ms each, in
    the interface thread (measured: the slowest chart updates and event-loop stalls)."""
    gc.collect()
    gc.freeze()


def main(argv: list[str] | None = None) -> int:
    from gui.app.startup import FirstPaintScreenshot, UsageError, split_screenshot_option

    try:
        args, screenshot = split_screenshot_option(list(sys.argv[1:] if argv is None else argv))
    except UsageError as exc:
        print(exc, file=sys.stderr)
        return 2
    files = [a for a in args if not a.startswith("-")]
    app = make_application([a for a in args if a.startswith("-")])

    from gui.app.main_window import MainWindow

    window = MainWindow()
    from gui.app.error_log import ErrorLog

    errors = ErrorLog(parent=window).install()
    errors.said.connect(lambda text: window.statusBar().showMessage(text, 20000))
    if files:
        if not window.files.open_file(files[0]):
            window.document.new_from_demo()
    elif not _offer_recovery(window):
        window.document.new_from_demo()
    window.show()
    QTimer.singleShot(0, window.show_topology)  # once the docks have their sizes
    if screenshot is not None:
        FirstPaintScreenshot(window, screenshot)

    window.start_sandbox_broker()
    settle_memory()
    # The window stops the run and the broker when it closes; this covers a quit without
    # a close (a signal, the session ending).
    app.aboutToQuit.connect(window.shutdown_monitor)
    try:
        return app.exec()
    finally:
        errors.uninstall()
        window.shutdown_monitor()
        # Closing the last window and quitting both queue a Quit; the one left over would
        # end every event loop started after main() returns (a caller's, a test's).
        QCoreApplication.removePostedEvents(app, QEvent.Type.Quit)


if __name__ == "__main__":
    sys.exit(main())
