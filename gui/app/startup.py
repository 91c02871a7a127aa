"""``--screenshot PNG``: open the window as usual, save it as a PNG once it has painted,
then quit. Shows that an install opens its window (the packaged app's checks) and times
a start to the first painted window (bench/bench_start.py)."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QWidget

OPTION = "--screenshot"


class UsageError(ValueError):
    """A mistake on the command line: its message is one sentence for stderr, and the
    command exits 2 like its other usage errors."""


def split_screenshot_option(args: list[str]) -> tuple[list[str], Path | None]:
    """``args`` without ``--screenshot PNG`` (or ``--screenshot=PNG``), and that PNG.
    Raises UsageError when the file name is missing (nothing, "", or another option)."""
    rest: list[str] = []
    target: Path | None = None
    it = iter(args)
    for arg in it:
        if arg == OPTION or arg.startswith(OPTION + "="):
            value = next(it, None) if arg == OPTION else arg.split("=", 1)[1]
            if not value or value.startswith("-"):
                raise UsageError(
                    f"topology-studio: {OPTION} needs the name of the PNG file to "
                    f"save the window in, e.g. {OPTION} window.png"
                )
            target = Path(value)
        else:
            rest.append(arg)
    return rest, target


class FirstPaintScreenshot(QObject):
    """Waits for the first paint of ``window``, then saves it to ``path`` and quits."""

    def __init__(self, window: QWidget, path: Path):
        super().__init__(window)
        self.window = window
        self.path = Path(path)
        self._done = False
        QApplication.instance().installEventFilter(self)

    def eventFilter(self, obj, event) -> bool:
        if (
            not self._done
            and event.type() == QEvent.Type.Paint
            and isinstance(obj, QWidget)
            and obj.window() is self.window
        ):
            self._done = True
            # One repaint paints every dirty widget of the window, then shows it: save
            # after it, once control is back in the event loop.
            QTimer.singleShot(0, self._save_and_quit)
        return False

    def _save_and_quit(self) -> None:
        QApplication.instance().removeEventFilter(self)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_name(self.path.name + ".part")
        # Written aside then renamed: whoever waits for the file never reads half of it.
        self.window.grab().save(str(partial), "PNG")
        os.replace(partial, self.path)
        self.window.close()
        QApplication.instance().quit()
