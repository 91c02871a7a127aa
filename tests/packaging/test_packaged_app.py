"""The packaged app (reference §17), built here as ``./dev.sh package`` builds it, then used the way
a user without Python uses it: only the folder, an environment that hides this project's
Python (PATH=/usr/bin:/bin, a fresh HOME), the tarball's install.sh and uninstall.sh."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest

import engine
from engine.model import fileformat

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
APP = "topology-studio"


def _build_script():
    spec = importlib.util.spec_from_file_location(
        "packaging_build", ROOT / "packaging" / "build.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    """dist/ of a fresh build: the app folder and the tarball."""
    if shutil.which("objdump") is None:
        pytest.skip(
            "PyInstaller needs objdump and binutils is not installed (./dev.sh test installs it)"
        )
    build = _build_script()
    problem = build.ensure_pyinstaller()
    if problem:
        pytest.skip(f"PyInstaller cannot be installed, so the app cannot be packaged: {problem}")
    out = tmp_path_factory.mktemp("package")
    done = subprocess.run(
        [
            "nice",
            "-n",
            "10",
            sys.executable,
            str(ROOT / "packaging" / "build.py"),
            "--dist",
            str(out / "dist"),
            "--work",
            str(out / "build"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    shutil.rmtree(out / "build", ignore_errors=True)  # PyInstaller's work files: not shipped
    return out / "dist"


@pytest.fixture(scope="module")
def exe(dist) -> Path:
    return dist / APP / APP


@pytest.fixture
def home(tmp_path) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    return path


def bare_env(home: Path, **extra: str) -> dict:
    """What a user's machine without Python would give: no venv on PATH, no PYTHON* variables."""
    return {"PATH": "/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8", **extra}


def run(args, home: Path, cwd: Path, timeout: float = 120, **env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env=bare_env(home, **env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _processes_under(folder: Path) -> list[str]:
    """Command lines of running processes whose executable lives in ``folder``."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            exe_path = os.readlink(proc / "exe")
        except OSError:
            continue
        if exe_path.startswith(str(folder)):
            found.append(
                (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            )
    return found


def _children(pid: int) -> list[str]:
    """Command lines of the processes whose parent is ``pid``."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            stat = (proc / "stat").read_text()
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(
                    (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                )
        except (OSError, ValueError, IndexError):
            continue
    return found


SMALL = {
    "format": "topology-studio/1",
    "name": "packaged-check",
    "settings": {"processing_guarantee": "at_least_once"},
    "nodes": [
        {
            "id": "gen",
            "type": "generator_source",
            "params": {
                "topic": "orders",
                "profile": "orders",
                "rate": 1000,
                "seed": 7,
                "limit": 200,
            },
        },
        {"id": "paid", "type": "filter", "params": {"expr": "value['status'] == 'paid'"}},
        {
            "id": "big",
            "type": "map",
            "params": {"expr": "{'id': value['order_id'], 'amount': value['amount']}"},
        },
        {"id": "out", "type": "file_sink", "params": {"path": "paid.jsonl"}},
    ],
    "edges": [
        {"from": "gen", "to": "paid"},
        {"from": "paid", "to": "big"},
        {"from": "big", "to": "out"},
    ],
}


def test_folder_holds_the_app_the_broker_and_the_resources_but_no_unused_qt(dist):
    folder = dist / APP
    inside = folder / "_internal"
    assert os.access(folder / APP, os.X_OK)
    assert os.access(inside / "bin" / "tansu", os.X_OK)
    for resource in (
        "resources/style.qss",
        "resources/demo/ecommerce.topology.json",
        "resources/icons/app.svg",
        "share/topology-studio.desktop",
        "share/topology-studio.xml",
        "share/topology-studio.svg",
    ):
        assert (inside / resource).is_file(), resource
    qt = inside / "PySide6" / "Qt"
    assert (qt / "plugins" / "platforms" / "libqxcb.so").exists()
    assert (qt / "plugins" / "iconengines" / "libqsvgicon.so").exists()
    assert not (qt / "translations").exists()
    assert not (qt / "plugins" / "platformthemes" / "libqgtk3.so").exists()
    assert not list(inside.rglob("libQt6Network*")) and not list(inside.rglob("libQt6Qml*"))
    assert not list(inside.rglob("PySide6/QtNetwork*"))
    assert not [p for p in folder.rglob("*") if p.is_symlink() and not p.exists()], "dangling links"
    size = sum(p.lstat().st_size for p in folder.rglob("*"))
    assert size < 330e6, f"the folder grew to {size / 1e6:.0f} MB"


def test_version(exe, home, tmp_path):
    done = run([exe, "--version"], home, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"topology-studio {engine.__version__}"


def test_validate(exe, home, tmp_path):
    demo = ROOT / "resources" / "demo" / "ecommerce.topology.json"
    done = run([exe, "validate", demo], home, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    bad = tmp_path / "bad.topology.json"
    bad.write_text(json.dumps({**SMALL, "edges": [{"from": "gen", "to": "nowhere"}]}))
    done = run([exe, "validate", bad], home, tmp_path)
    assert done.returncode == 1
    assert "nowhere" in done.stdout


def test_export_then_import_gives_the_same_topology(exe, home, tmp_path):
    source = tmp_path / "small.topology.json"
    source.write_text(json.dumps(SMALL))
    script, back = tmp_path / "small.py", tmp_path / "back.topology.json"
    done = run([exe, "export", source, "-o", script], home, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "StreamsBuilder" in script.read_text()
    done = run([exe, "import", script, "-o", back], home, tmp_path)
    assert done.returncode == 0, done.stderr
    original, _ = fileformat.read(source)
    imported, problems = fileformat.read(back)
    assert not problems
    assert fileformat.dumps(imported) == fileformat.dumps(original)


def test_deploy_pins_the_lock_from_the_packaged_apps_own_distributions(exe, home, tmp_path):
    import importlib.metadata

    source = tmp_path / "small.topology.json"
    source.write_text(json.dumps(SMALL))
    out = tmp_path / "bundle"
    done = run([exe, "deploy", source, "--target", "systemd", "-o", out], home, tmp_path)
    assert done.returncode == 0, done.stderr
    lock = (out / "requirements.lock").read_text().splitlines()
    assert f"confluent-kafka=={importlib.metadata.version('confluent-kafka')}" in lock
    assert lock[-1] == f"topology-studio=={engine.__version__}"  # no source to build a wheel
    assert not [line for line in lock if line.startswith("# not installed")]


def test_run_on_the_bundled_sandbox_broker(exe, dist, home, tmp_path):
    source = tmp_path / "small.topology.json"
    source.write_text(json.dumps(SMALL))
    metrics = tmp_path / "metrics.json"
    done = run(
        [
            exe,
            "run",
            source,
            "--sandbox",
            "--until-idle",
            "2",
            "--max-seconds",
            "90",
            "--metrics-out",
            metrics,
        ],
        home,
        tmp_path,
        timeout=150,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    nodes = json.loads(metrics.read_text())["nodes"]
    assert nodes["gen"]["out"] == 200
    paid = [json.loads(line) for line in (tmp_path / "paid.jsonl").read_text().splitlines()]
    assert 0 < len(paid) == nodes["paid"]["out"] < 200
    assert all(set(record["value"]) == {"id", "amount"} for record in paid)
    time.sleep(0.5)
    assert not _processes_under(dist), "the sandbox broker outlived the run"


def test_window_opens_and_paints(exe, home, tmp_path):
    shot = tmp_path / "window.png"
    done = run([exe, "--screenshot", shot], home, tmp_path, QT_QPA_PLATFORM="offscreen")
    assert done.returncode == 0, done.stderr[-3000:]
    assert shot.stat().st_size > 20_000  # a painted window, not an empty image
    from PySide6.QtGui import QImage

    image = QImage(str(shot))
    assert image.width() > 600 and image.height() > 400


@pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="xvfb-run is not installed")
def test_window_opens_on_an_x_screen(exe, home, tmp_path):
    """The X11 (xcb) platform plugin and its libraries, as a desktop session uses them."""
    shot = tmp_path / "window.png"
    done = subprocess.run(
        ["xvfb-run", "-a", str(exe), "--screenshot", str(shot)],
        cwd=tmp_path,
        env=bare_env(home),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert shot.stat().st_size > 20_000


@pytest.fixture
def x_display():
    """A virtual X screen of our own (Xvfb picks a free display number)."""
    if shutil.which("Xvfb") is None or shutil.which("xdotool") is None:
        pytest.skip("Xvfb and xdotool are needed to press Run in the packaged app's window")
    read, write = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", "1600x1000x24", "-nolisten", "tcp"],
        pass_fds=(write,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    with os.fdopen(read) as fh:
        number = fh.readline().strip()
    if not number.isdigit():
        server.kill()
        pytest.fail(f"Xvfb did not start (exit code {server.wait(10)})")
    try:
        yield f":{number}"
    finally:
        server.terminate()
        server.wait(10)


def test_run_from_the_window_in_a_worker_process(exe, dist, home, tmp_path, x_display):
    """Run (F5) starts the run's worker: in the packaged app, the executable spawned again
    with --multiprocessing-fork. It runs the topology on the bundled broker until Stop."""
    out = tmp_path / "paid.jsonl"
    nodes = [dict(n) for n in SMALL["nodes"]]
    nodes[0]["params"] = {**nodes[0]["params"], "limit": None, "rate": 50}
    nodes[-1]["params"] = {"path": str(out)}
    source = tmp_path / "gui.topology.json"
    source.write_text(json.dumps({**SMALL, "name": "packaged-gui-check", "nodes": nodes}))
    env = bare_env(home, DISPLAY=x_display)
    app = subprocess.Popen(
        [str(exe), str(source)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )

    def xdotool(*args: str) -> str:
        return subprocess.run(
            ["xdotool", *args], env=env, capture_output=True, text=True, timeout=60, check=True
        ).stdout

    def children() -> list[str]:
        return _children(app.pid)

    try:
        window = xdotool("search", "--sync", "--onlyvisible", "--name", "Topology Studio").split()[
            -1
        ]
        xdotool("windowfocus", "--sync", window)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (
            out.exists() and out.read_text().count("\n") >= 3
        ):
            if not any("--multiprocessing-fork" in c for c in children()):
                xdotool(
                    "key", "--window", window, "F5"
                )  # again, should the broker still be starting
            time.sleep(1)
        assert out.exists() and out.read_text().count("\n") >= 3, children()
        assert any(c.startswith(str(exe)) and "--multiprocessing-fork" in c for c in children())
        xdotool("key", "--window", window, "shift+F5")
        deadline = time.monotonic() + 30
        while (
            any("--multiprocessing-fork" in c for c in children()) and time.monotonic() < deadline
        ):
            time.sleep(0.2)
        assert not any("--multiprocessing-fork" in c for c in children()), (
            "Stop left the worker running"
        )
        assert app.poll() is None, (
            f"the app exited ({app.returncode}) at Stop: {app.stderr.read()[-3000:]}"
        )
        # Looked up again: the window found at start-up may have been a transient one since gone.
        window = xdotool("search", "--sync", "--onlyvisible", "--name", "Topology Studio").split()[
            -1
        ]
        xdotool("key", "--window", window, "ctrl+q")
        assert app.wait(30) == 0, app.stderr.read()[-3000:]
    finally:
        if app.poll() is None:
            app.kill()
            app.wait(10)
    time.sleep(0.5)
    assert not _processes_under(dist), "the app left processes behind"


def test_tarball_installs_for_the_user_and_uninstalls(dist, home, tmp_path):
    (tarball,) = dist.glob(f"{APP}-{engine.__version__}-linux-x86_64.tar.gz")
    with tarfile.open(tarball) as tar:
        # Keeps modes, refuses paths outside the target (Python 3.11.4+ has the filter).
        safe = {"filter": "tar"} if hasattr(tarfile, "tar_filter") else {}
        tar.extractall(tmp_path / "unpacked", **safe)
    (top,) = (tmp_path / "unpacked").iterdir()
    assert top.name == tarball.name.removesuffix(".tar.gz")
    done = run(["sh", top / "install.sh"], home, tmp_path, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr

    local = home / ".local"
    command = local / "bin" / APP
    assert (local / "opt" / APP / APP).is_file()
    assert os.path.realpath(command) == str(local / "opt" / APP / APP)
    done = run([command, "--version"], home, tmp_path)
    assert done.stdout.strip() == f"topology-studio {engine.__version__}", done.stderr
    entry = (local / "share" / "applications" / f"{APP}.desktop").read_text()
    assert f"Exec={command} %f" in entry.splitlines()
    assert (local / "share" / "mime" / "packages" / f"{APP}.xml").is_file()
    assert (local / "share" / "icons" / "hicolor" / "scalable" / "apps" / f"{APP}.svg").is_file()
    if shutil.which("update-mime-database"):
        assert "*.topology.json" in (local / "share" / "mime" / "globs2").read_text()
    if shutil.which("desktop-file-validate"):
        check = subprocess.run(
            ["desktop-file-validate", str(local / "share" / "applications" / f"{APP}.desktop")],
            capture_output=True,
            text=True,
            check=False,
        )
        assert check.returncode == 0, check.stdout + check.stderr

    done = run([local / "opt" / APP / "uninstall.sh"], home, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert not (local / "opt" / APP).exists() and not command.exists()
    assert not (local / "share" / "applications" / f"{APP}.desktop").exists()
    assert not (local / "share" / "mime" / "packages" / f"{APP}.xml").exists()
