"""packaging/: the freedesktop menu entry, the MIME type and the icon fit together."""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess
import sys
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"
MIME_NS = "{http://www.freedesktop.org/standards/shared-mime-info}"


def _entry() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None)  # Exec holds %f
    parser.optionxform = str  # keys are case-sensitive
    parser.read_string((PACKAGING / "topology-studio.desktop").read_text(encoding="utf-8"))
    assert parser.sections() == ["Desktop Entry"]
    return parser["Desktop Entry"]


def _mime_type() -> ET.Element:
    root = ET.parse(PACKAGING / "topology-studio.xml").getroot()
    assert root.tag == f"{MIME_NS}mime-info"
    (mime_type,) = root.findall(f"{MIME_NS}mime-type")
    return mime_type


def test_desktop_entry_parses_and_runs_the_console_script():
    entry = _entry()
    assert entry["Type"] == "Application" and entry["Name"] == "Topology Studio"
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    program, *args = entry["Exec"].split()
    assert program in scripts and entry["TryExec"] == program
    assert args == ["%f"]
    assert entry["Terminal"] == "false"
    assert "Development" in entry["Categories"].split(";") and entry["Categories"].endswith(";")


def test_desktop_entry_names_an_existing_icon_that_is_the_app_icon():
    icon = _entry()["Icon"]
    assert "/" not in icon and not icon.endswith(".svg")  # a theme name, installed by the README
    path = PACKAGING / f"{icon}.svg"
    assert path.exists()
    assert ET.parse(path).getroot().tag == "{http://www.w3.org/2000/svg}svg"
    assert path.read_bytes() == (ROOT / "resources" / "icons" / "app.svg").read_bytes()


def test_mime_type_is_the_one_the_entry_opens():
    mime_type = _mime_type()
    assert _entry()["MimeType"] == f"{mime_type.get('type')};"
    globs = [g.get("pattern") for g in mime_type.findall(f"{MIME_NS}glob")]
    assert globs == ["*.topology.json"]
    assert mime_type.find(f"{MIME_NS}sub-class-of").get("type") == "application/json"
    assert mime_type.find(f"{MIME_NS}icon").get("name") == _entry()["Icon"]


@pytest.mark.skipif(
    shutil.which("update-mime-database") is None, reason="shared-mime-info not installed"
)
def test_mime_database_registers_the_glob(tmp_path):
    packages = tmp_path / "mime" / "packages"
    packages.mkdir(parents=True)
    shutil.copy(PACKAGING / "topology-studio.xml", packages)
    result = subprocess.run(
        ["update-mime-database", str(tmp_path / "mime")],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert (
        "60:application/x-topology-studio+json:*.topology.json"
        in (tmp_path / "mime" / "globs2").read_text()
    )


@pytest.mark.skipif(
    shutil.which("desktop-file-validate") is None, reason="desktop-file-utils not installed"
)
def test_desktop_file_validate_accepts_the_entry():
    result = subprocess.run(
        ["desktop-file-validate", str(PACKAGING / "topology-studio.desktop")],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_app_names_this_entry_as_its_desktop_file():
    # In a process of its own: the app's theme must not leak into other tests' application.
    code = "from gui.app.application import make_application; print(make_application([]).desktopFileName())"
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == (PACKAGING / "topology-studio.desktop").stem
