"""Build the packaged app (reference §17), as ``./dev.sh package`` does:

    dist/topology-studio/                                the app folder (PyInstaller, one folder)
    dist/topology-studio-<version>-linux-x86_64.tar.gz   that folder with install.sh and uninstall.sh

Run with the project's Python (PyInstaller installed in it):
``python packaging/build.py [--dist DIR] [--work DIR]``.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SPEC = HERE / "topology-studio.spec"
APP = "topology-studio"
PYINSTALLER = "pyinstaller>=6.10,<7"


def ensure_pyinstaller() -> str | None:
    """Install PyInstaller into this Python when it is missing; None when it is there,
    else why it could not be installed."""
    if importlib.util.find_spec("PyInstaller") is not None:
        return None
    print(f"Installing {PYINSTALLER} …", flush=True)
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", PYINSTALLER],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    importlib.invalidate_caches()
    if done.returncode != 0 or importlib.util.find_spec("PyInstaller") is None:
        lines = (done.stderr or done.stdout).strip().splitlines()
        return f"pip could not install {PYINSTALLER}: {lines[-1] if lines else done.returncode}"
    return None


def version() -> str:
    sys.path.insert(0, str(ROOT))
    from engine import __version__

    return __version__


def platform_tag() -> str:
    machine = {"amd64": "x86_64", "arm64": "aarch64"}.get(
        platform.machine().lower(), platform.machine().lower()
    )
    return f"{sys.platform.rstrip('0123456789')}-{machine}"


def folder_size(path: Path) -> int:
    return sum(p.lstat().st_size for p in path.rglob("*") if p.is_file() or p.is_symlink())


def build_folder(dist: Path, work: Path) -> Path:
    """Run PyInstaller on packaging/topology-studio.spec; the app folder it made."""
    cmd = [
        sys.executable,
        "-m",
        "PyInstaller",
        "--noconfirm",
        "--log-level",
        "WARN",
        "--distpath",
        str(dist),
        "--workpath",
        str(work),
        str(SPEC),
    ]
    subprocess.run(cmd, cwd=ROOT, check=True)
    folder = dist / APP
    if not (folder / APP).is_file():
        raise SystemExit(f"PyInstaller made no {folder / APP}")
    return folder


def build_tarball(folder: Path, dist: Path, ver: str) -> Path:
    """The folder and the two scripts under one top directory named like the tarball."""
    name = f"{APP}-{ver}-{platform_tag()}"
    out = dist / f"{name}.tar.gz"
    partial = out.with_name(out.name + ".part")

    def owned_by_nobody(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        return info

    with tarfile.open(partial, "w:gz", compresslevel=6) as tar:
        tar.add(folder, arcname=f"{name}/{APP}", filter=owned_by_nobody)
        for script in ("install.sh", "uninstall.sh"):
            info = owned_by_nobody(tar.gettarinfo(HERE / script, arcname=f"{name}/{script}"))
            info.mode = 0o755
            with open(HERE / script, "rb") as fh:
                tar.addfile(info, fh)
    os.replace(partial, out)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dist", type=Path, default=ROOT / "dist", help="where the results go")
    parser.add_argument(
        "--work", type=Path, default=ROOT / "build", help="PyInstaller's work files"
    )
    parser.add_argument("--no-tarball", action="store_true", help="only the app folder")
    args = parser.parse_args(argv)
    if shutil.which("objdump") is None:
        raise SystemExit("PyInstaller needs objdump: install binutils (./dev.sh package does)")
    problem = ensure_pyinstaller()
    if problem:
        raise SystemExit(problem)
    ver = version()
    started = time.monotonic()
    print(f"Building {APP} {ver} with PyInstaller into {args.dist / APP} …", flush=True)
    folder = build_folder(args.dist.resolve(), args.work.resolve())
    print(f"  {folder}  {folder_size(folder) / 1e6:.0f} MB", flush=True)
    if not args.no_tarball:
        tarball = build_tarball(folder, args.dist.resolve(), ver)
        print(f"  {tarball}  {tarball.stat().st_size / 1e6:.0f} MB", flush=True)
    print(f"Done in {time.monotonic() - started:.0f} s. Try: {folder / APP} --version", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
