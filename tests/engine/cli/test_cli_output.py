"""Files the command line writes (export -o, import -o, trace -o, run --metrics-out): a path
that cannot be written gets one sentence and an exit code, never a traceback, and a run is
refused before it starts when its metrics file could not be written at its end."""

from __future__ import annotations

import json

import pytest

from engine.cli import main
from engine.code import runner
from engine.code.builder import StreamsBuilder
from engine.model import fileformat


@pytest.fixture
def topology_file(tmp_path):
    b = StreamsBuilder("out-paths")
    b.generator("orders", name="gen", rate=50, seed=1).to_console(name="log", limit=1)
    path = tmp_path / "t.topology.json"
    fileformat.write(b.build(), path)
    return path


def _said(capsys) -> str:
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return err


def _unwritable_paths(tmp_path):
    return {
        "a folder": (tmp_path, "Is a directory"),
        "a missing folder": (tmp_path / "nope" / "x.out", "No such file or directory"),
    }


@pytest.mark.parametrize("where", ["a folder", "a missing folder"])
def test_export_and_import_to_a_path_that_cannot_be_written(where, topology_file, tmp_path, capsys):
    target, reason = _unwritable_paths(tmp_path)[where]
    assert main(["export", str(topology_file), "-o", str(target)]) == 2
    assert _said(capsys) == f"cannot write {target}: {reason}\n"

    script = tmp_path / "t.py"
    assert main(["export", str(topology_file), "-o", str(script)]) == 0
    _said(capsys)
    before = sorted(p.name for p in tmp_path.iterdir())
    assert main(["import", str(script), "-o", str(target)]) == 2
    assert _said(capsys) == f"cannot write {target}: {reason}\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no temporary file left


@pytest.mark.parametrize(
    "where, says", [("a folder", "it is a folder"), ("a missing folder", "there is no folder")]
)
def test_a_run_whose_metrics_file_cannot_be_written_is_refused_before_it_starts(
    where, says, topology_file, tmp_path, capsys
):
    target, _ = _unwritable_paths(tmp_path)[where]
    # An unreachable broker would exit 3: exiting 2 shows nothing was tried.
    assert (
        main(
            ["run", str(topology_file), "--bootstrap", "127.0.0.1:1", "--metrics-out", str(target)]
        )
        == 2
    )
    err = _said(capsys)
    assert err.startswith(f"--metrics-out: cannot write {target}: {says}") and err.count("\n") == 1


def test_trace_to_a_path_that_cannot_be_written(topology_file, tmp_path, capsys):
    records = tmp_path / "in.jsonl"
    records.write_text(json.dumps({"key": "k", "value": {"n": 1}}) + "\n")
    assert (
        main(["trace", str(topology_file), "--input", f"gen={records}", "-o", str(tmp_path)]) == 2
    )
    assert _said(capsys) == f"cannot write {tmp_path}: Is a directory\n"


@pytest.mark.kafka
def test_metrics_that_cannot_be_written_after_a_run_fail_it_with_a_sentence(
    bootstrap, topology_file, tmp_path, capsys, monkeypatch
):
    monkeypatch.setattr(runner, "unwritable", lambda path: None)  # the folder goes away mid-run
    assert (
        main(
            [
                "run",
                str(topology_file),
                "--bootstrap",
                bootstrap,
                "--max-seconds",
                "2",
                "--metrics-out",
                str(tmp_path),
            ]
        )
        == 4
    )
    err = _said(capsys)
    assert err.splitlines()[-1] == f"cannot write {tmp_path}: Is a directory"


def test_a_test_case_that_cannot_be_saved_says_so_in_a_sentence(tmp_path):
    from engine.runtime.testing.testcases import Case, CasesError, save_case

    folder = tmp_path / "cases"
    folder.mkdir()
    target = folder / "cases.json"
    case = Case("c", {}, {"out": []})
    with pytest.raises(
        CasesError,
        match=f"cannot write {tmp_path / 'nope' / 'cases.json'}: "
        "No such file or directory; choose another folder",
    ):
        save_case(str(tmp_path / "nope" / "cases.json"), case)
    save_case(str(target), case)
    assert json.loads(target.read_text())["cases"][0]["name"] == "c"
    assert sorted(p.name for p in folder.iterdir()) == ["cases.json"]


@pytest.mark.kafka
def test_a_file_sink_that_cannot_write_fails_the_run_with_its_node_and_reason(
    bootstrap, tmp_path, capsys, monkeypatch, unique
):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "blocked").write_text("a file where the sink's folder should be")
    b = StreamsBuilder(f"file-sink-{unique}")
    b.generator("orders", name="gen", rate=50, seed=1).to_file("blocked/out.jsonl", name="keep")
    path = tmp_path / "t.topology.json"
    fileformat.write(b.build(), path)
    assert main(["run", str(path), "--bootstrap", bootstrap, "--max-seconds", "5"]) == 4
    assert _said(capsys).splitlines()[-1] == (
        f"failed: keep: cannot write blocked/out.jsonl: a file is in the way of the folder "
        f"{tmp_path / 'blocked'}"
    )
