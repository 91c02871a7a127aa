"""Start-up and size: the packaged app (dist/topology-studio/) against the venv install.

    flock /tmp/bench.lock python bench/bench_start.py [--repeats 3] [--xvfb]

Each start opens the demo with ``--screenshot PNG`` (gui/app/startup.py) in a fresh HOME;
the clock runs from launching the command to the PNG of the first painted window being
on disk (it includes grabbing and saving that PNG, the same work for both). Quitting is
not timed. Cold starts first drop the page cache of every file the start reads (the
folder; or the venv, the project's sources and the Python the venv runs on) with
posix_fadvise(DONTNEED), so the files are read from disk again; libraries other running
processes have mapped stay cached (see bench/README.md). Warm starts follow a start of
the same kind. Runs are interleaved (venv, packaged, venv, ...) and the median reported.

Target: packaged start within 1.5x of the venv's, cold and warm. Prints PASS/FAIL; exits 1
on a FAIL. Build the folder first: ./dev.sh package.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = 1.5


def files_under(*roots: Path) -> list[Path]:
    out = []
    for root in roots:
        if root.is_file():
            out.append(root)
        elif root.is_dir():
            out += [p for p in root.rglob("*") if p.is_file() and not p.is_symlink()]
    return out


def drop_page_cache(files: list[Path]) -> None:
    for path in files:
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            continue
        try:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def size_of(files: list[Path]) -> int:
    return sum(p.stat().st_size for p in files)


def python_files() -> list[Path]:
    """The Python this script (and the venv) runs on: its standard library and libpython."""
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    libdir = Path(sysconfig.get_config_var("LIBDIR") or "")
    libpython = libdir / (sysconfig.get_config_var("LDLIBRARY") or "")
    own = [p for p in files_under(stdlib) if "site-packages" not in p.parts]  # not its packages
    return own + files_under(libpython, Path(os.path.realpath(sys.executable)))


def venv_files(venv: Path) -> list[Path]:
    """What a start from the venv can read: the venv, the project, the base Python."""
    return files_under(venv, ROOT / "engine", ROOT / "gui", ROOT / "resources") + python_files()


def dependency_bytes() -> tuple[int, list[str]]:
    """Installed size of topology-studio's runtime requirements as pip installs them."""
    from importlib import metadata

    from packaging.requirements import Requirement

    seen: dict[str, metadata.Distribution] = {}
    todo = ["topology-studio"]
    while todo:
        name = todo.pop().lower().replace("_", "-")
        if name in seen:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        seen[name] = dist
        for spec in dist.requires or []:
            req = Requirement(spec)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(req.name)
    total = 0
    for name, dist in seen.items():
        if name == "topology-studio":
            continue  # installed in editable mode here: counted as the project's sources
        for f in dist.files or []:
            path = Path(dist.locate_file(f))
            if path.is_file():
                total += path.stat().st_size
    total += size_of(files_under(ROOT / "engine", ROOT / "gui", ROOT / "resources"))
    return total, sorted(seen)


def start_once(cmd: list[str], env: dict, timeout: float = 120) -> float:
    """Seconds from launch to the screenshot of the first painted window."""
    with tempfile.TemporaryDirectory(prefix="bench-start-") as tmp:
        home = Path(tmp) / "home"
        home.mkdir()
        shot = Path(tmp) / "window.png"
        run_env = {
            **env,
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "XDG_DATA_HOME": str(home / ".local" / "share"),
            "XDG_CACHE_HOME": str(home / ".cache"),
        }
        started = time.perf_counter()
        proc = subprocess.Popen(
            [*cmd, "--screenshot", str(shot)],
            cwd=tmp,
            env=run_env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            while not shot.exists():
                if proc.poll() is not None:
                    raise RuntimeError(
                        f"{cmd[0]} ended before painting: {proc.stderr.read()[-2000:]}"
                    )
                if time.perf_counter() - started > timeout:
                    raise RuntimeError(f"{cmd[0]} painted nothing within {timeout:.0f} s")
                time.sleep(0.002)
            painted = time.perf_counter() - started
            proc.wait(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        return painted


def start_xvfb() -> tuple[subprocess.Popen, str]:
    read, write = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", "1600x1000x24", "-nolisten", "tcp"],
        pass_fds=(write,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    with os.fdopen(read) as fh:
        return server, ":" + fh.readline().strip()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--packaged", type=Path, default=ROOT / "dist" / "topology-studio")
    parser.add_argument("--venv", type=Path, default=ROOT / ".venv")
    parser.add_argument(
        "--xvfb",
        action="store_true",
        help="start on a virtual X screen (the xcb plugin) instead of offscreen",
    )
    args = parser.parse_args()

    packaged_exe = args.packaged / "topology-studio"
    venv_exe = args.venv / "bin" / "topology-studio"
    for exe in (packaged_exe, venv_exe):
        if not exe.exists():
            sys.exit(f"{exe} is missing (./dev.sh package builds the folder)")

    server = None
    base = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
    if args.xvfb:
        server, display = start_xvfb()
        base["DISPLAY"] = display
    else:
        base["QT_QPA_PLATFORM"] = "offscreen"
    kinds = {
        "venv": ([str(venv_exe)], base, venv_files(args.venv)),
        "packaged": ([str(packaged_exe)], base, files_under(args.packaged)),
    }

    folder = size_of(kinds["packaged"][2])
    tarballs = sorted(args.packaged.parent.glob("topology-studio-*.tar.gz"))
    deps, names = dependency_bytes()
    python = size_of(python_files())
    print(
        f"size: packaged folder {folder / 1e6:.0f} MB"
        + (f", tarball {tarballs[-1].stat().st_size / 1e6:.0f} MB" if tarballs else "")
        + f"; venv install {deps / 1e6:.0f} MB of packages ({len(names) - 1} distributions and "
        f"the project) plus the Python it runs on ({python / 1e6:.0f} MB: stdlib, libpython)"
    )

    times: dict[tuple[str, str], list[float]] = {
        (k, m): [] for k in kinds for m in ("cold", "warm")
    }
    try:
        for kind, (cmd, env, _files) in kinds.items():
            start_once(cmd, env)  # settles what a first start ever does (caches, fonts)
        for i in range(args.repeats):
            for kind, (cmd, env, files) in kinds.items():
                drop_page_cache(files)
                times[kind, "cold"].append(start_once(cmd, env))
                times[kind, "warm"].append(start_once(cmd, env))
            print(
                f"  round {i + 1}: "
                + ", ".join(f"{k} {m} {v[-1] * 1000:.0f} ms" for (k, m), v in times.items()),
                flush=True,
            )
    finally:
        if server is not None:
            server.terminate()
            server.wait(10)

    failed = False
    platform = "Xvfb (xcb)" if args.xvfb else "offscreen"
    print(f"\nstart to first painted window ({platform}), median of {args.repeats}:")
    for mode in ("cold", "warm"):
        venv = statistics.median(times["venv", mode])
        packaged = statistics.median(times["packaged", mode])
        ratio = packaged / venv
        ok = ratio <= TARGET
        failed |= not ok
        print(
            f"  {mode}: venv {venv * 1000:.0f} ms, packaged {packaged * 1000:.0f} ms, "
            f"packaged/venv {ratio:.2f}x (target <= {TARGET}x) {'PASS' if ok else 'FAIL'}"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
