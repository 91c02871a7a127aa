"""``topology-studio deploy``: what it writes, where, and its one-sentence refusals."""

from __future__ import annotations

import json

import pytest

from engine.cli import main
from engine.code.builder import StreamsBuilder
from engine.model import fileformat


@pytest.fixture
def topology_file(tmp_path):
    builder = StreamsBuilder("Shop.orders")
    builder.stream("orders", name="orders").filter("value['n'] > 1", name="big").to(
        "big", name="out"
    )
    path = tmp_path / "shop.topology.json"
    fileformat.write(builder.build(), path)
    return path


def test_deploy_writes_the_bundle_into_the_default_folder(
    topology_file, tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)
    assert main(["deploy", str(topology_file), "--target", "kubernetes", "--instances", "3"]) == 0
    folder = tmp_path / "shop-orders-kubernetes"
    err = capsys.readouterr().err
    assert f"wrote {folder.name}/" in err and "kubernetes/statefulset.yaml" in err
    assert "replicas: 3" in (folder / "kubernetes/statefulset.yaml").read_text(encoding="utf-8")
    assert fileformat.load(folder / "topology.json").equivalent(fileformat.load(topology_file))


@pytest.mark.parametrize("target", ["compose", "systemd"])
def test_deploy_to_a_named_folder(topology_file, tmp_path, target):
    out = tmp_path / "out" / target
    assert main(["deploy", str(topology_file), "--target", target, "-o", str(out)]) == 0
    assert (out / "README.md").exists() and (out / "requirements.lock").exists()
    written = json.loads((out / ".topology-studio-deploy").read_text())["files"]
    assert all((out / name).exists() for name in written)


def test_a_folder_holding_other_files_is_refused_in_one_sentence(topology_file, tmp_path, capsys):
    out = tmp_path / "busy"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    assert main(["deploy", str(topology_file), "--target", "systemd", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("cannot deploy:") and "notes.txt" in err and "Traceback" not in err
    assert [p.name for p in out.iterdir()] == ["notes.txt"]


def test_bad_arguments_and_files(topology_file, tmp_path, capsys):
    target = ["--target", "systemd", "-o", str(tmp_path / "x")]
    with pytest.raises(SystemExit) as info:
        main(["deploy", str(topology_file), "--target", "nomad"])
    assert info.value.code == 2
    with pytest.raises(SystemExit) as info:
        main(["deploy", str(topology_file), "--instances", "0", *target])
    assert info.value.code == 2
    assert "not a number of instances (1-64)" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:
        main(["deploy", str(topology_file)])  # --target is required
    assert info.value.code == 2
    bad = tmp_path / "bad.topology.json"
    bad.write_text('{"name": "x", "nodes": [{"id": "a", "type": "nope"}], "edges": []}')
    assert main(["deploy", str(bad), *target]) == 1
    assert not (tmp_path / "x").exists()
