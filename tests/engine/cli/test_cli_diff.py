"""``topology-studio diff OLD NEW [--json]``: exit 0 no change, 1 changes that keep every
state, 3 changes that reset or break one, 2 a file it cannot read; never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from engine.cli import main
from engine.model import fileformat

ROOT = Path(__file__).resolve().parents[3]
DEMO = ROOT / "resources" / "demo" / "ecommerce.topology.json"


def _versions(tmp_path, change):
    old, _ = fileformat.read(DEMO)
    new = old.copy()
    change(new)
    old_path, new_path = tmp_path / "old.topology.json", tmp_path / "new.topology.json"
    fileformat.write(old, old_path)
    fileformat.write(new, new_path)
    return str(old_path), str(new_path)


def diff(capsys, *args) -> tuple[int, str, str]:
    code = main(["diff", *map(str, args)])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def test_no_change_exits_0(capsys, tmp_path):
    old, new = _versions(tmp_path, lambda t: t.move_node("paid", (5, 5)))
    code, out, _ = diff(capsys, old, new)
    assert code == 0
    assert out.strip() == "no changes"


def test_changes_that_keep_state_exit_1(capsys, tmp_path):
    old, new = _versions(tmp_path, lambda t: t.set_param("paid", "expr", "True"))
    code, out, _ = diff(capsys, old, new)
    assert code == 1
    assert "~ node paid: expr: value['status'] == 'paid' → True" in out
    assert "revenue" in out and "kept: unchanged" in out


def _window_and_rename(t):
    t.set_param("revenue", "window", {**t.nodes["revenue"].params["window"], "size": "5m"})
    t.rename_node("sessions", "click_sessions")


def test_changes_that_reset_state_exit_3_and_name_the_topics(capsys, tmp_path):
    old, new = _versions(tmp_path, _window_and_rename)
    code, out, _ = diff(capsys, old, new)
    assert code == 3
    assert "~ node sessions renamed to click_sessions" in out
    line = next(x for x in out.splitlines() if x.strip().startswith("revenue "))
    assert "reset: the window size changes from 1m to 5m" in line
    assert "ecommerce-dashboard-revenue-changelog" in line


def test_json(capsys, tmp_path):
    old, new = _versions(tmp_path, _window_and_rename)
    code, out, _ = diff(capsys, old, new, "--json")
    assert code == 3
    data = json.loads(out)
    assert data["nodes"]["renamed"] == {"sessions": "click_sessions"}
    assert data["nodes"]["changed"]["revenue"]["window"][1]["size"] == "5m"
    assert data["edges"] == {"added": [], "removed": []}
    assert data["settings"] == {}
    assert data["state"]["click_sessions"]["verdict"] == "reset"
    assert data["state"]["click_sessions"]["topics"] == [
        "ecommerce-dashboard-sessions-changelog",
        "ecommerce-dashboard-click_sessions-changelog",
    ]
    assert data["state"]["product_sales"] == {
        "verdict": "kept",
        "reason": "unchanged",
        "topics": [
            "ecommerce-dashboard-product_sales-repartition",
            "ecommerce-dashboard-product_sales-changelog",
        ],
    }


def test_a_file_that_cannot_be_read_exits_2(capsys, tmp_path):
    (tmp_path / "notes.json").write_text("[1, 2]", encoding="utf-8")
    code, out, err = diff(capsys, tmp_path / "missing.json", DEMO)
    assert code == 2
    assert out == ""
    assert err.startswith(f"Cannot read {tmp_path / 'missing.json'}")
    code, _, err = diff(capsys, DEMO, tmp_path / "notes.json")
    assert code == 2
    assert err.startswith("notes.json is not a topology file") and "holds a list" in err
    assert len(err.strip().splitlines()) == 1


def test_the_command_line_exit_status(tmp_path):
    old, new = _versions(tmp_path, _window_and_rename)
    command = [sys.executable, "-m", "gui.launcher", "diff", old, new]
    done = subprocess.run(
        command, check=False, capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert done.returncode == 3, done.stderr
    lonely = subprocess.run(
        command[:-1], check=False, capture_output=True, text=True, cwd=ROOT, timeout=60
    )
    assert lonely.returncode == 2
    assert "Traceback" not in lonely.stderr
