"""The scripts' public name: new exports import only ``topology_studio``; scripts exported
before it (``engine.builder`` / ``engine.runner`` / ``engine.model``) still import and run."""

from __future__ import annotations

import ast
import importlib.util
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import topology_studio
from engine import __version__
from engine.code.builder import StreamsBuilder
from engine.code.export import export_script
from engine.code.importer import import_script
from engine.code.runner import run_main
from engine.model import fileformat
from tests.engine.kafka_util import consume_all, create_topic, produce

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "resources" / "demo" / "ecommerce.topology.json"

OLD_STYLE = textwrap.dedent('''
    """An old export."""

    import sys

    from engine.builder import StreamsBuilder
    from engine.model import Topology
    from engine.runner import run_main


    def build() -> Topology:
        builder = StreamsBuilder("{app}")
        src = builder.stream("{src}", name="src")
        big = src.filter("value['n'] > 1", name="big")
        big.to("{dst}", name="out")
        return builder.build()


    def main(argv=None) -> int:
        return run_main(build(), argv)


    if __name__ == "__main__":
        sys.exit(main())
''')


def _load(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _env() -> dict:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def test_the_facade_names_the_builder_the_runner_and_the_version():
    assert topology_studio.StreamsBuilder is StreamsBuilder
    assert topology_studio.run_main is run_main
    assert topology_studio.__version__ == __version__
    assert set(topology_studio.__all__) <= set(dir(topology_studio))


def test_a_new_export_imports_only_the_facade(tmp_path):
    topology = fileformat.load(DEMO)
    script = export_script(topology)
    modules = set()
    for node in ast.walk(ast.parse(script)):
        if isinstance(node, ast.ImportFrom):
            modules.add(node.module)
        elif isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
    assert modules == {"sys", "topology_studio"}
    path = tmp_path / "demo_script.py"
    path.write_text(script, encoding="utf-8")
    assert _load(path).build().equivalent(topology)
    assert import_script(script, "demo_script.py").equivalent(topology)
    # run on its own, as a user would: the options of `run`
    done = subprocess.run(
        [sys.executable, str(path), "--help"],
        capture_output=True,
        text=True,
        env=_env(),
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "--bootstrap" in done.stdout


def test_an_old_style_script_still_imports(tmp_path):
    source = OLD_STYLE.format(app="old", src="in", dst="out")
    path = tmp_path / "old_script.py"
    path.write_text(source, encoding="utf-8")
    built = _load(path).build()
    assert import_script(source, "old_script.py").equivalent(built)
    assert list(built.nodes) == ["src", "big", "out"]


def test_import_accepts_the_facade_with_aliases_and_refuses_other_engine_modules():
    source = textwrap.dedent("""
        from topology_studio import StreamsBuilder as SB, TumblingWindow as TW, Aggregation
        b = SB("app")
        s = b.stream("in", name="src")
        s.group_by_key(name="agg").window(TW("1m")).aggregate([Aggregation("n", "count")])
    """)
    assert list(import_script(source, "aliases.py", check=False).nodes) == ["src", "agg"]
    with pytest.raises(ValueError, match="imports only from topology_studio"):
        import_script("from engine.code.builder import StreamsBuilder\n", "inner.py")


@pytest.mark.kafka
def test_an_old_style_script_still_runs(tmp_path, bootstrap, unique):
    src, dst = f"old-in-{unique}", f"old-out-{unique}"
    create_topic(bootstrap, src, 1)
    produce(bootstrap, src, [(str(n), {"n": n}) for n in range(4)])
    path = tmp_path / "old_script.py"
    path.write_text(OLD_STYLE.format(app=f"old-{unique}", src=src, dst=dst), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(path), "--bootstrap", bootstrap, "--until-idle", "2"],
        capture_output=True,
        check=False,
        text=True,
        env=_env(),
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    values = sorted((json.loads(m.value()) for m in consume_all(bootstrap, dst, expect=2)), key=str)
    assert values == [{"n": 2}, {"n": 3}]
