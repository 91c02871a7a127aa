"""``topology-studio WORD``: subcommands run headless, an existing file opens the app, any
other word is a mistyped command that exits 2 without opening a window (issue 15)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import gui.app.application
from engine.cli.commands import command_names
from gui.launcher import main

ROOT = Path(__file__).resolve().parents[2]


def test_a_mistyped_command_exits_2_with_the_commands_and_a_suggestion(capsys, monkeypatch):
    opened = []
    monkeypatch.setattr(gui.app.application, "main", lambda args: opened.append(args) or 0)
    assert main(["valdiate", "x.topology.json"]) == 2
    err = capsys.readouterr().err
    assert "unknown command 'valdiate'" in err
    assert "Did you mean 'validate'?" in err
    for name in command_names():
        assert name in err
    assert not opened, "a mistyped command must not open the app"


def test_the_commands_listed_are_the_parsers():
    from engine.cli import SUBCOMMANDS

    names = command_names()
    assert {"run", "validate", "export", "import", "broker"} <= set(names)
    assert set(SUBCOMMANDS) <= set(names)


def test_an_existing_file_still_opens_the_app(tmp_path, monkeypatch):
    path = tmp_path / "t.topology.json"
    path.write_text("{}", encoding="utf-8")
    opened = []
    monkeypatch.setattr(gui.app.application, "main", lambda args: opened.append(args) or 0)
    assert main([str(path)]) == 0
    assert opened == [[str(path)]]


def test_an_unknown_word_from_the_shell_exits_2_at_once():
    done = subprocess.run(
        [sys.executable, "-m", "gui.launcher", "frobnicate"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "unknown command 'frobnicate'" in done.stderr
    assert "Commands: run, validate" in done.stderr
