"""Help ▸ About: the app's version and the versions of what it runs on — Python, Qt and
PySide6, confluent-kafka and its librdkafka, the sandbox broker — with a button that
copies them for a bug report."""

from __future__ import annotations

import platform
import sys
from functools import cache
from html import escape

import confluent_kafka
import PySide6
from PySide6.QtCore import Qt, qVersion
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLayout,
    QPushButton,
    QVBoxLayout,
)

from engine import __version__
from engine.cluster.broker import tansu_version
from gui.style import icons, theme

APP_NAME = "Topology Studio"
DESCRIPTION = "Design, run and monitor Kafka stream-processing topologies on a live canvas."
LICENCE = "Free software under the MIT licence."


def installation() -> str:
    """How this copy is installed: the packaged folder, or a Python environment."""
    if getattr(sys, "frozen", False):
        return f"packaged app, {sys.executable}"
    return f"Python package, {sys.prefix}"


@cache
def _broker_version() -> str:
    # Runs the binary once (a few ms); cached for the life of the app.
    return tansu_version()


def component_versions() -> list[tuple[str, str]]:
    """(component, version) rows, the app first."""
    return [
        (APP_NAME, __version__),
        ("Python", f"{platform.python_version()} ({platform.python_implementation()})"),
        ("Qt", qVersion()),
        ("PySide6", PySide6.__version__),
        ("confluent-kafka", confluent_kafka.__version__),
        ("librdkafka", confluent_kafka.libversion()[0]),
        ("Sandbox broker (Tansu)", _broker_version()),
        ("Platform", platform.platform(terse=True)),
        ("Installed as", installation()),
    ]


def versions_text(rows: list[tuple[str, str]]) -> str:
    """The rows as plain text, one per line, for a bug report."""
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name:<{width}}  {version}" for name, version in rows) + "\n"


class AboutDialog(QDialog):
    """The About box. ``versions`` are the rows shown (component_versions() by default)."""

    def __init__(self, parent=None, versions: list[tuple[str, str]] | None = None):
        super().__init__(parent)
        self.setObjectName("aboutDialog")
        self.setWindowTitle(f"About {APP_NAME}")
        self.versions = versions if versions is not None else component_versions()

        icon = QLabel()
        icon.setPixmap(icons.app_icon().pixmap(64, 64))
        icon.setAlignment(Qt.AlignmentFlag.AlignTop)
        title = QLabel(
            f"<h2 style='margin:0'>{APP_NAME}</h2>"
            f"<p style='margin:2px 0 0 0'>Version {escape(__version__)}</p>"
        )
        title.setObjectName("aboutTitle")
        blurb = QLabel(f"{escape(DESCRIPTION)}<br>{escape(LICENCE)}")
        blurb.setWordWrap(True)
        blurb.setMinimumWidth(360)
        heading = QVBoxLayout()
        heading.addWidget(title)
        heading.addWidget(blurb)
        heading.addStretch(1)
        top = QHBoxLayout()
        top.addWidget(icon)
        top.addLayout(heading, 1)

        grid = QGridLayout()
        grid.setHorizontalSpacing(16)
        grid.setVerticalSpacing(3)
        self.value_labels: dict[str, QLabel] = {}
        for row, (name, version) in enumerate(self.versions):
            key = QLabel(name)
            key.setStyleSheet(f"color: {theme.NODE_MUTED_TEXT.name()}")
            value = QLabel(version)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            grid.addWidget(key, row, 0, Qt.AlignmentFlag.AlignTop)
            grid.addWidget(value, row, 1)
            self.value_labels[name] = value
        grid.setColumnStretch(1, 1)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.copy_button = QPushButton("Copy Versions")
        self.copy_button.setToolTip("Copy these versions to the clipboard, e.g. for a bug report")
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.clicked.connect(self._on_copy)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 20, 20, 14)
        layout.setSpacing(14)
        layout.addLayout(top)
        layout.addLayout(grid)
        layout.addWidget(buttons)
        layout.setSizeConstraint(QLayout.SizeConstraint.SetFixedSize)

    def text(self) -> str:
        return versions_text(self.versions)

    def _on_copy(self) -> None:
        QApplication.clipboard().setText(self.text())
        self.copy_button.setText("Copied")
