"""``topology-studio deploy``: what runs a topology as N instances elsewhere, as its users'
platforms expect (reference §9.11).

``write_bundle`` writes into one folder the topology file, the requirements lock (``lock``),
what the target platform needs (``platforms``: Containerfile, Kubernetes manifests, compose
file or systemd unit, with the environment they read), and a README of its own (``readme``).
Names come from the topology's name (``names``). It never replaces a file it did not write: a
folder that holds anything else is refused unless the caller was told and agreed
(``into_nonempty``), and even then files of the same names are refused; what it wrote is listed
in the folder's ``.topology-studio-deploy`` so that writing the bundle again may replace it."""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from engine.code.deploy import platforms
from engine.code.deploy.names import DeployNames, dns_label
from engine.code.deploy.readme import readme
from engine.code.deploy.yaml_text import dump
from engine.model import fileformat
from engine.model.topology import Topology

__all__ = [
    "MANIFEST",
    "MAX_INSTANCES",
    "TARGETS",
    "Bundle",
    "DeployError",
    "FolderNotEmptyError",
    "default_folder",
    "dns_label",
    "write_bundle",
]

TARGETS = ("kubernetes", "compose", "systemd")
MAX_INSTANCES = 64  # the instance slots one application has (engine.runtime.kafka.slots)
MANIFEST = ".topology-studio-deploy"


class DeployError(ValueError):
    """A bundle that cannot be written; str() is one sentence for the user."""


class FolderNotEmptyError(DeployError):
    """The folder holds files this command did not write."""


@dataclass
class Bundle:
    folder: Path
    target: str
    instances: int
    files: list[str]  # relative to folder, in the order written
    names: DeployNames
    wheel: bool  # the project went in as a wheel (else as a requirement on its version)
    warnings: list[str]


def default_folder(topology: Topology, target: str) -> str:
    return f"{dns_label(topology.name)}-{target}"


def _ours(folder: Path) -> set[str]:
    """What an earlier bundle wrote into ``folder`` (its manifest), empty when none."""
    try:
        listed = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return set()
    return {name for name in listed if isinstance(name, str)}


def _present(folder: Path) -> set[str]:
    return {
        path.relative_to(folder).as_posix()
        for path in folder.rglob("*")
        if path.is_file() or path.is_symlink()
    } - {MANIFEST}


def _check_folder(folder: Path, files: list[str], into_nonempty: bool) -> set[str]:
    """Refuses what would replace files not written here; returns the earlier bundle's files."""
    if folder.exists() and not folder.is_dir():
        raise DeployError(f"{folder} is a file, not a folder")
    if not folder.exists():
        return set()
    ours = _ours(folder)
    foreign = _present(folder) - ours
    if not foreign:
        return ours
    if not into_nonempty:
        raise FolderNotEmptyError(
            f"{folder} already holds files deploy did not write ({', '.join(sorted(foreign)[:3])}"
            f"{', …' if len(foreign) > 3 else ''}); choose a new or empty folder"
        )
    clash = sorted(set(files) & foreign)
    if clash:
        raise DeployError(
            f"{folder} already holds {', '.join(clash)}, which deploy did not write and will not "
            "replace; choose another folder"
        )
    return ours


def _platform_files(
    topology: Topology, target: str, instances: int, names: DeployNames, wheel: str | None
) -> dict[str, str]:
    files = {"topology.json": fileformat.dumps(topology)}
    if target in ("kubernetes", "compose"):
        files["Containerfile"] = platforms.containerfile(wheel)
    if target == "kubernetes":
        files.update(platforms.kubernetes_files(names, instances))
    elif target == "compose":
        files["compose.yaml"] = dump(platforms.compose(names, instances))
        files["kafka.env"] = platforms.env_file(names)
    else:
        files[names.unit] = platforms.systemd_unit(names)
        files["kafka.env"] = platforms.env_file(names)
    return files


def write_bundle(
    topology: Topology,
    target: str,
    instances: int,
    folder: str | Path,
    *,
    wheel: bool = True,
    into_nonempty: bool = False,
) -> Bundle:
    """Writes the bundle (see the module docstring) and says what it wrote. Raises
    DeployError (FolderNotEmptyError for a folder with files of others) with one sentence."""
    if target not in TARGETS:
        raise DeployError(f"unknown target {target!r}: choose one of {', '.join(TARGETS)}")
    if not 1 <= instances <= MAX_INSTANCES:
        raise DeployError(
            f"the number of instances must be between 1 and {MAX_INSTANCES}, not {instances}"
        )
    folder = Path(folder)
    try:  # said before the wheel is built; the names are checked again below
        _check_folder(folder, [], into_nonempty)
    except OSError as exc:
        raise DeployError(f"cannot read {folder}: {exc.strerror or exc}") from None
    names = DeployNames.of(topology.name)
    rocksdb = topology.settings.get("state_store") == "rocksdb"
    with tempfile.TemporaryDirectory(prefix="topology-studio-deploy-") as work:
        from engine.code.deploy.lock import make_lock  # (packaging and pip: when writing)

        lock = make_lock(Path(work), rocksdb=rocksdb, wheel=wheel)
        wheel_name = f"wheels/{lock.wheel.name}" if lock.wheel is not None else None
        texts = _platform_files(topology, target, instances, names, wheel_name)
        texts["requirements.lock"] = lock.text()
        listed = [*texts, *([wheel_name] if wheel_name else []), "README.md"]
        texts["README.md"] = readme(names, target, instances, listed)
        try:
            ours = _check_folder(folder, listed, into_nonempty)
            folder.mkdir(parents=True, exist_ok=True)
            for stale in sorted(ours - set(listed)):  # an earlier bundle's, no longer written
                (folder / stale).unlink(missing_ok=True)
                for parent in (folder / stale).parents:
                    if parent == folder or any(parent.iterdir()):
                        break
                    parent.rmdir()
            for name, text in texts.items():
                path = folder / name
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")
                if name.endswith((".env", "secret.yaml")):
                    path.chmod(0o600)  # it will hold the cluster's password
            if lock.wheel is not None and wheel_name:
                (folder / "wheels").mkdir(exist_ok=True)
                shutil.copy2(lock.wheel, folder / wheel_name)
            (folder / MANIFEST).write_text(
                json.dumps({"files": sorted(set(listed) | (ours & _present(folder)))}, indent=1)
                + "\n",
                encoding="utf-8",
            )
        except OSError as exc:
            raise DeployError(f"cannot write into {folder}: {exc.strerror or exc}") from None
    warnings = []
    partitions = topology.settings.get("topic_partitions") or 3
    if instances > partitions:
        warnings.append(
            f"{instances} instances and topics of {partitions} partitions (topic_partitions): "
            f"{instances - partitions} will wait idle unless the input topics have more"
        )
    if lock.missing:
        warnings.append(f"not installed here, so not in the lock: {', '.join(lock.missing)}")
    return Bundle(folder, target, instances, listed, names, lock.wheel is not None, warnings)
