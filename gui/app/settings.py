"""What the app remembers between runs (QSettings): window geometry and layout, recent files,
the theme chosen in View → Theme."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings

ORGANIZATION = "TopologyStudio"
APPLICATION = "Topology Studio"
MAX_RECENT = 10
THEME_KEY = "view/theme"
THEME_CHOICES = ("system", "light", "dark")


def app_settings() -> QSettings:
    return QSettings(
        QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORGANIZATION, APPLICATION
    )


def recent_files(settings: QSettings) -> list[str]:
    value = settings.value("recent_files", [])
    if isinstance(value, str):
        value = [value]
    return [v for v in (value or []) if isinstance(v, str)]


def add_recent_file(settings: QSettings, path: str | Path) -> list[str]:
    path = str(Path(path).resolve())
    files = [path] + [f for f in recent_files(settings) if f != path]
    files = files[:MAX_RECENT]
    settings.setValue("recent_files", files)
    settings.sync()
    return files


def remove_recent_file(settings: QSettings, path: str) -> list[str]:
    files = [f for f in recent_files(settings) if f != path]
    settings.setValue("recent_files", files)
    return files


def theme_choice(settings: QSettings) -> str:
    """View → Theme: "system" (the default), "light" or "dark"."""
    value = settings.value(THEME_KEY, "system")
    return value if value in THEME_CHOICES else "system"


def set_theme_choice(settings: QSettings, choice: str) -> None:
    settings.setValue(THEME_KEY, choice)
    settings.sync()
