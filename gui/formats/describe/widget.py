"""The window that shows a described application: its scene, a legend, the facts (topics,
stores, the consumer group) and the buttons to watch the group or export an image."""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import (
    QColor,
    QKeySequence,
    QShortcut,
)
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from engine.code.describe import (
    PROCESSOR,
    SINK,
    SOURCE,
    StreamsDescription,
    application_topics,
    consumer_group_hint,
)
from gui.formats.describe.items import KIND_COLOURS, colour, plural
from gui.formats.describe.scene import DescribeScene, DescribeView
from gui.formats.image_export import export_scene_dialog
from gui.style import icons, theme

# -- the window ---------------------------------------------------------------------------------

_STYLE = """
QWidget#describeHeader { background: @bar@; border-bottom: 1px solid @border_dark@; }
QLabel#describeTitle { font-size: 13pt; font-weight: bold; color: @title_text@; }
QLabel#readOnlyBadge { color: @warning@; border: 1px solid @badge_border@; border-radius: 4px; padding: 1px 8px;
                       font-size: 7.5pt; font-weight: bold; letter-spacing: 1px; }
QLabel#describeFacts { color: @summary@; }
QLabel#describeLegend { color: @subtitle@; font-size: 8pt; }
QPushButton { background: @button@; color: @text@; border: 1px solid @menu_border@; border-radius: 4px; padding: 5px 12px; }
QPushButton:hover { background: @button_hover@; }
QPushButton:disabled { color: @disabled@; }
QPushButton#monitorButton { background: @accent_button@; border: 1px solid @accent@; color: @accent_text@; }
QPushButton#monitorButton:hover { background: @accent@; }
QPushButton#monitorButton:disabled { background: @button@; border: 1px solid @menu_border@; color: @disabled@; }
"""


def _legend() -> str:
    def chip(colour: QColor | str, text: str, shape: str = "■") -> str:
        name = colour.name() if isinstance(colour, QColor) else colour
        return f"<span style='color:{name}'>{shape}</span>&nbsp;{text}"

    return "&nbsp;&nbsp;&nbsp;".join(
        [
            chip(KIND_COLOURS[SOURCE], "source"),
            chip(KIND_COLOURS[PROCESSOR], "processor"),
            chip(KIND_COLOURS[SINK], "sink"),
            chip(colour("topic_border"), "topic", "●"),
            chip(colour("repartition"), "repartition topic", "●"),
            chip(colour("store"), "state store", "●"),
        ]
    )


class DescribeWidget(QWidget):
    """A read-only window on a Kafka Streams application's topology.

    ``application_id`` is the application's consumer group ('' when not given);
    ``input_topics`` what it reads from outside; the "Monitor consumer group" button emits
    ``monitorGroupRequested(application_id)``.
    """

    monitorGroupRequested = Signal(str)

    def __init__(
        self,
        description: StreamsDescription,
        application_id: str = "",
        source_name: str = "",
        parent: QWidget | None = None,
    ):
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("describeWindow")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowIcon(icons.app_icon())
        theme.style_widget(self, _STYLE)
        self.description = description
        self.application_id = application_id.strip()
        self.source_name = source_name
        self.topics = application_topics(description)
        self.input_topics: list[str] = list(self.topics.inputs)
        self.group_hint = consumer_group_hint(description, self.application_id or None)

        self.scene = DescribeScene(description, self)
        self.view = DescribeView(self.scene, self)
        name = self.application_id or source_name or "pasted text"
        self.setWindowTitle(f"{name} — Kafka Streams topology (read-only) — Topology Studio")

        header = QWidget(self)
        header.setObjectName("describeHeader")
        title = QLabel("Kafka Streams topology", header)
        title.setObjectName("describeTitle")
        badge = QLabel("READ-ONLY", header)
        badge.setObjectName("readOnlyBadge")
        badge.setToolTip(
            "Drawn from the text of Topology#describe(): it cannot be edited or run here."
        )
        self.fit_button = QPushButton("Fit", header)
        self.fit_button.setToolTip("Show the whole topology (F)")
        self.fit_button.clicked.connect(self.view.fit)
        self.export_button = QPushButton("Export Image…", header)
        self.export_button.clicked.connect(self.export_image)
        self.monitor_button = QPushButton("Monitor consumer group", header)
        self.monitor_button.setObjectName("monitorButton")
        self.monitor_button.clicked.connect(self._on_monitor_clicked)
        self.monitor_button.setEnabled(bool(self.application_id))
        self.monitor_button.setToolTip(
            f"Chart the lag of consumer group '{self.application_id}'"
            if self.application_id
            else "describe() does not print the application id: open the topology again and give its "
            "application.id to monitor its consumer group"
        )
        self.facts = QLabel(self._facts_html(), header)
        self.facts.setObjectName("describeFacts")
        self.facts.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.facts.setWordWrap(True)
        legend = QLabel(_legend(), header)
        legend.setObjectName("describeLegend")

        top = QHBoxLayout()
        top.setSpacing(10)
        top.addWidget(title)
        top.addWidget(badge, 0, Qt.AlignmentFlag.AlignVCenter)
        top.addStretch(1)
        top.addWidget(self.fit_button)
        top.addWidget(self.export_button)
        top.addWidget(self.monitor_button)
        box = QVBoxLayout(header)
        box.setContentsMargins(16, 12, 16, 10)
        box.setSpacing(6)
        box.addLayout(top)
        box.addWidget(self.facts)
        box.addWidget(legend)

        layout_ = QVBoxLayout(self)
        layout_.setContentsMargins(0, 0, 0, 0)
        layout_.setSpacing(0)
        layout_.addWidget(header)
        layout_.addWidget(self.view, 1)
        self.resize(1280, 820)
        QShortcut(QKeySequence("F"), self, self.view.fit)
        QShortcut(QKeySequence.StandardKey.Close, self, self.close)

    def _facts_html(self) -> str:
        d, t = self.description, self.topics
        nodes = d.nodes()
        counts = " · ".join(
            [
                plural(len(d.subtopologies), "sub-topology").replace("topologys", "topologies"),
                plural(sum(n.kind == PROCESSOR for n in nodes), "processor"),
                plural(len(self.scene.topic_items()), "topic"),
                plural(len(self.scene.store_items()), "store"),
            ]
        )
        if d.global_stores:
            counts += f" · {plural(len(d.global_stores), 'global store')}"
        if self.application_id:
            strong = theme.current.hex("title_text")
            app = (
                f"Application id <b style='color:{strong}'>{_html(self.application_id)}</b> "
                f"<span style='color:{theme.MUTED_TEXT.name()}'>(consumer group)</span>"
            )
        else:
            app = (
                f"Application id <span style='color:{theme.WARNING.name()}'>not given</span> "
                f"<span style='color:{theme.MUTED_TEXT.name()}'>— describe() does not print it</span>"
            )
        reads = (
            ", ".join(_html(x) for x in self.input_topics + [f"/{p}/" for p in t.patterns]) or "—"
        )
        writes = ", ".join(_html(x) for x in t.outputs) or "—"
        return (
            f"{app}&nbsp;&nbsp;·&nbsp;&nbsp;Reads <b>{reads}</b>&nbsp;&nbsp;·&nbsp;&nbsp;"
            f"Writes <b>{writes}</b><br><span style='color:{theme.MUTED_TEXT.name()}'>{counts}</span>"
        )

    def _on_monitor_clicked(self) -> None:
        if self.application_id:
            self.monitorGroupRequested.emit(self.application_id)

    def export_image(self) -> Path | None:
        stem = re.sub(
            r"[^\w.-]+", "_", self.application_id or Path(self.source_name or "topology").stem
        )
        return export_scene_dialog(
            self,
            self.scene,
            Path.home() / f"{stem}-streams.png",
            f"{self.application_id or 'Kafka Streams'} topology",
        )

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.view.fit()


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
