"""``--screenshot PNG``: the window opens, paints, is saved, and the app quits."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtGui import QImage

from gui.app.startup import UsageError, split_screenshot_option

ROOT = Path(__file__).resolve().parents[3]


def test_the_option_and_its_file_are_taken_out_of_the_arguments():
    assert split_screenshot_option(["a.json", "--screenshot", "s.png", "-x"]) == (
        ["a.json", "-x"],
        Path("s.png"),
    )
    assert split_screenshot_option(["--screenshot=s.png"]) == ([], Path("s.png"))
    assert split_screenshot_option(["a.json"]) == (["a.json"], None)
    for args in (["--screenshot"], ["--screenshot="], ["--screenshot", "--style", "fusion"]):
        with pytest.raises(UsageError, match="needs the name of the PNG file"):
            split_screenshot_option(args)


def test_the_option_without_a_file_name_is_a_usage_error_exit_2_in_one_sentence(tmp_path):
    env = {
        **os.environ,
        "HOME": str(tmp_path),
        "QT_QPA_PLATFORM": "offscreen",
        "PYTHONPATH": str(ROOT),
    }
    done = subprocess.run(
        [sys.executable, "-m", "gui.launcher", "--screenshot"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        (
            "topology-studio: --screenshot needs the name of the PNG file to save the window in, "
            "e.g. --screenshot window.png"
        )
    ]
    assert "Traceback" not in done.stderr and not done.stdout


def test_the_app_saves_its_first_painted_window_and_quits(tmp_path):
    shot = tmp_path / "window.png"
    env = {
        **os.environ,
        "HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "QT_QPA_PLATFORM": "offscreen",
        "PYTHONPATH": str(ROOT),
    }
    done = subprocess.run(
        [sys.executable, "-m", "gui.launcher", "--screenshot", str(shot)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    image = QImage(str(shot))
    assert not image.isNull() and image.width() > 600 and image.height() > 400
    # Painted, not blank: the dark theme's background and lighter text and nodes.
    colours = {
        image.pixel(x, y) for x in range(0, image.width(), 7) for y in range(0, image.height(), 7)
    }
    assert len(colours) > 20
    assert not list(tmp_path.glob("*.part"))
