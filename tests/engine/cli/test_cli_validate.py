"""``topology-studio validate FILE``: exit 0 when valid, 1 with one line per problem, 2 on
usage errors, and never a traceback."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from engine.cli import main

ROOT = Path(__file__).resolve().parents[3]
DEMO = ROOT / "resources" / "demo" / "ecommerce.topology.json"
BAD = Path(__file__).resolve().parents[1] / "data" / "bad"
LINE = re.compile(r"^(topology|[A-Za-z_][A-Za-z0-9_\-]*|[^:\n]+): \S")


def validate(capsys, path) -> tuple[int, list[str], str]:
    code = main(["validate", str(path)])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out.splitlines(), err


def test_demo_is_valid(capsys):
    code, lines, err = validate(capsys, DEMO)
    assert code == 0
    assert lines == []
    assert re.search(r"valid \(\d+ nodes, \d+ edges\)", err)


@pytest.mark.parametrize("path", sorted(BAD.glob("*.json")), ids=lambda p: p.name)
def test_broken_files_exit_1_with_one_line_per_problem(capsys, path):
    code, lines, err = validate(capsys, path)
    assert code == 1
    assert lines, "no problem printed"
    for line in lines:
        assert LINE.match(line), line
    assert len(lines) == len(set(lines)), "a problem was printed twice"
    assert "valid (" not in err


@pytest.mark.parametrize(
    "fixture,expected",
    [
        ("unknown-type.json", "f: unknown node type 'fliter'; known types are kafka_source, "),
        (
            "unsafe-expression.json",
            "evil: New value (expr): the method '.__subclasses__()' is not allowed in ",
        ),
        ("cycle.json", "is part of a cycle ("),
        ("dangling-edge.json", "src: has an edge to 'ghost', which is not a node"),
        ("bad-ports.json", "j: has no input port 'middle' (ports: left, right)"),
        ("bad-ports.json", "r: has no output port 'main' (ports: out)"),
        ("bad-aggregate.json", "agg: window advance must not be longer than size"),
        ("bad-aggregate.json", "agg: aggregations 'total': sum needs an expr"),
        ("wrong-shapes.json", "topology: node 1 must be an object with 'id' and 'type'"),
        ("wrong-shapes.json", "src: params must be an object"),
        ("wrong-shapes.json", "src: position must be [x, y]"),
        ("wrong-shapes.json", "b: branches must list at least one branch"),
        ("wrong-shapes.json", "out: limit must be a whole number, not 'ten'"),
        ("wrong-shapes.json", "topology: unknown setting 'colour'"),
        (
            "wrong-shapes.json",
            "topology: the name 'wrong shapes' cannot be used as an application id",
        ),
        (
            "not-json.json",
            "not-json.json is not valid JSON: Expecting property name enclosed in "
            "double quotes at line 1, column 51",
        ),
        ("array.json", "array.json is not a topology file: it holds a list, not a JSON object"),
        ("latin1.json", "is not UTF-8 text (byte 0xe9 at offset "),
        ("empty.json", "empty.json is not valid JSON: Expecting value at line 1, column 1"),
    ],
)
def test_problem_lines_name_the_node_first(capsys, fixture, expected):
    code, lines, _ = validate(capsys, BAD / fixture)
    assert code == 1
    assert any(expected in line for line in lines), "\n".join(lines)


def test_problem_lines_start_with_the_node_id(capsys):
    _, lines, _ = validate(capsys, BAD / "wrong-shapes.json")
    ids = {"topology", "src", "b", "out"}
    assert {line.split(":")[0] for line in lines} <= ids


@pytest.mark.parametrize("make", [lambda tmp: tmp / "missing.json", lambda tmp: tmp])
def test_unreadable_path_exits_1(capsys, tmp_path, make):
    code, lines, _ = validate(capsys, make(tmp_path))
    assert code == 1
    assert len(lines) == 1 and lines[0].startswith("Cannot read ")


def test_warnings_alone_exit_0(capsys, tmp_path):
    path = tmp_path / "warn.json"
    path.write_text(
        json.dumps(
            {
                "format": "topology-studio/1",
                "name": "app",
                "nodes": [{"id": "src", "type": "kafka_source", "params": {"topic": "t"}}],
            }
        )
    )
    code, lines, err = validate(capsys, path)
    assert code == 0
    assert lines == ["src: its output is not connected to anything (warning)"]
    assert "valid (1 nodes, 0 edges)" in err


def test_multiline_text_in_a_file_stays_one_line_per_problem(capsys, tmp_path):
    path = tmp_path / "nl.json"
    path.write_text(
        json.dumps(
            {
                "format": "topology-studio/1",
                "name": "app",
                "line\nbreak": 1,
                "settings": {"a\nb": 1},
            }
        )
    )
    code, lines, _ = validate(capsys, path)
    assert code == 1
    assert len(lines) == 2 and all(line.startswith("topology: unknown ") for line in lines)


@pytest.mark.parametrize(
    "argv",
    [
        ["validate"],
        ["validate", "a.json", "b.json"],
        ["validate", "--strict", "a.json"],
        ["valdate", "a.json"],
    ],
)
def test_usage_errors_exit_2(capsys, argv):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    out, err = capsys.readouterr()
    assert "usage: topology-studio" in err and "Traceback" not in err


def test_no_command_prints_help_and_exits_2(capsys):
    assert main([]) == 2
    assert "validate" in capsys.readouterr().out


def test_console_entry_validates_in_a_subprocess(tmp_path):
    ok = subprocess.run(
        [sys.executable, "-m", "gui.launcher", "validate", str(DEMO)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout == "" and re.search(r"valid \(\d+ nodes, \d+ edges\)", ok.stderr)

    bad = subprocess.run(
        [sys.executable, "-m", "gui.launcher", "validate", str(BAD / "cycle.json")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 1
    assert "is part of a cycle" in bad.stdout and "Traceback" not in bad.stderr

    usage = subprocess.run(
        [sys.executable, "-m", "gui.launcher", "validate"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert usage.returncode == 2 and "Traceback" not in usage.stderr


def test_non_ascii_problem_on_an_ascii_console_is_no_traceback(tmp_path):
    path = tmp_path / "u.json"
    path.write_text(
        json.dumps(
            {
                "format": "topology-studio/1",
                "name": "app",
                "nodes": [{"id": "f", "type": "filter", "params": {"expr": "valeur == 'été'"}}],
            }
        ),
        encoding="utf-8",
    )
    env = {**os.environ, "PYTHONIOENCODING": "ascii"}
    result = subprocess.run(
        [sys.executable, "-m", "gui.launcher", "validate", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stdout.startswith("f: Keep when (expr): unknown name 'valeur'")


@pytest.mark.parametrize("command", ["validate", "run"])
def test_json_that_is_not_a_topology_is_one_sentence(capsys, tmp_path, command):
    path = tmp_path / "package.json"
    path.write_text('{"name": "shop", "version": "1.0.0", "dependencies": {}}')
    code = main([command, str(path)])
    out, err = capsys.readouterr()
    assert code == 1
    assert (out + err).strip() == (
        'package.json is not a topology file: it has no "format": "topology-studio/1" and no nodes'
    )
