"""The File menu's way in and out of other formats: Python scripts, a Java Kafka Streams
application's ``describe()`` text, pictures of the canvas, and deployments (the bundle of
``topology-studio deploy``).

``FileActions`` owns the five actions and the read-only Kafka Streams windows it opens.
Every such window's "Monitor consumer group" button comes out of one signal,
``FileActions.monitorGroupRequested(group_id)``, for the run monitor to connect.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu

from engine.code.describe import StreamsDescription
from gui.formats import code_actions
from gui.formats.deploy_dialog import DeployDialog
from gui.formats.describe.dialog import DescribeDialog
from gui.formats.describe.widget import DescribeWidget
from gui.formats.image_export import export_scene_dialog


class FileActions(QObject):
    monitorGroupRequested = Signal(str)  # an application id (consumer group) to monitor
    describe_opened = Signal(object)  # (DescribeWidget)

    def __init__(self, window, menu: QMenu):
        super().__init__(window)
        self.window = window
        self.describe_widgets: list[DescribeWidget] = []
        self.act_open_streams = self._action(
            "Open &Kafka Streams Topology…",
            self.open_streams_topology,
            "open_streams_topology",
            "Draw a Java Kafka Streams application from the text of Topology#describe() (read-only)",
            "Ctrl+Shift+O",
        )
        self.act_import_python = self._action(
            "&Import Python…",
            lambda: code_actions.import_python(window),
            "import_python",
            "Open the topology a builder-API Python script builds, as a new document",
        )
        self.act_export_python = self._action(
            "&Export as Python…",
            lambda: code_actions.export_python(window),
            "export_python",
            "Write the topology as a runnable Python script",
            "Ctrl+E",
        )
        self.act_export_image = self._action(
            "Export Canvas as &Image…",
            self.export_canvas_image,
            "export_image",
            "Save the whole canvas as a PNG image or an SVG drawing",
            "Ctrl+Shift+E",
        )
        self.act_export_deployment = self._action(
            "Export &Deployment…",
            self.export_deployment,
            "export_deployment",
            "Write what runs the topology as several instances on Kubernetes, compose or systemd",
        )
        # Beside Open in the File menu; the rest after Save As.
        menu.insertAction(window.act_save, self.act_open_streams)
        menu.insertSeparator(window.act_save)
        menu.addSeparator()
        menu.addActions([self.act_import_python, self.act_export_python, self.act_export_image])
        menu.addAction(self.act_export_deployment)

    def _action(self, text: str, slot, name: str, tip: str, shortcut: str | None = None) -> QAction:
        action = QAction(text, self.window)
        action.setObjectName(name)
        action.setStatusTip(tip)
        action.setToolTip(tip)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(lambda *_: slot())
        self.window.addAction(action)
        return action

    # -- Kafka Streams describe() --------------------------------------------------------------

    def open_streams_topology(self) -> DescribeDialog:
        """Open the dialog (not blocking); a successful Open shows the read-only window."""
        dialog = DescribeDialog(self.window)
        dialog.accepted.connect(
            lambda: self.show_description(
                dialog.description, dialog.application_id, dialog.source_name
            )
        )
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()
        return dialog

    def show_description(
        self, description: StreamsDescription, application_id: str = "", source_name: str = ""
    ) -> DescribeWidget:
        widget = DescribeWidget(description, application_id, source_name, self.window)
        widget.monitorGroupRequested.connect(self.monitorGroupRequested)
        widget.destroyed.connect(lambda *_, w=widget: self._forget(w))
        self.describe_widgets.append(widget)
        widget.show()
        self.describe_opened.emit(widget)
        what = (
            f"the Kafka Streams topology of {application_id}"
            if application_id
            else f"{source_name or 'the Kafka Streams topology'}"
        )
        self.window.statusBar().showMessage(f"Opened {what} read-only", 5000)
        return widget

    def _forget(self, widget) -> None:
        if widget in self.describe_widgets:
            self.describe_widgets.remove(widget)

    # -- deployments -----------------------------------------------------------------------------

    def export_deployment(self) -> DeployDialog:
        """Open the dialog (not blocking) on the document's topology."""
        document = self.window.document
        start = Path(document.path).parent if document.path else Path.home()
        dialog = DeployDialog(document.topology, start, self.window)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()
        return dialog

    # -- pictures -------------------------------------------------------------------------------

    def export_canvas_image(self) -> Path | None:
        window = self.window
        document = window.document
        stem = (
            Path(document.path).name.removesuffix(".json").removesuffix(".topology")
            if document.path
            else code_actions.script_name(document.topology.name).removesuffix(".py")
        )
        start = (Path(document.path).parent if document.path else Path.home()) / f"{stem}.png"
        return export_scene_dialog(window, window.scene, start, document.topology.name)
