"""Wires the Topic Browser, produce, topic administration and Reset Offsets to the main
window's Cluster dock (its ``topicAction`` and ``groupAction``). The readers it makes use
the Run → Connection cluster and the open topology's masking rules."""

from __future__ import annotations

from collections.abc import Callable

import shiboken6
from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QWidget

from engine.cluster.topics.formats import Registry, registry_for
from engine.cluster.topics.reader import TopicReader
from engine.model.masking import topology_rules
from gui.monitor.qt_tasks import BackgroundCall
from gui.topics.qt_browser import QtTopicBrowser
from gui.topics.qt_produce_dialog import QtProduceDialog, ask
from gui.topics.qt_reset_offsets import QtResetOffsetsDialog
from gui.topics.qt_topic_admin import QtCreateTopicDialog, QtTopicConfigDialog


class Topics(QObject):
    """Model: the RunController (connection, cluster client, topology) and the cluster
    dock whose actions it answers. ``confirm`` asks before anything is written or deleted."""

    def __init__(
        self,
        controller,
        cluster,
        parent_widget: QWidget | None = None,
        confirm: Callable[[QWidget, str, str], bool] = ask,
    ):
        super().__init__(parent_widget)
        self.controller = controller
        self.cluster = cluster
        self.parent_widget = parent_widget
        self.confirm = confirm
        self.browsers: dict[str, QtTopicBrowser] = {}
        self.dialog: QWidget | None = None  # the last dialog opened
        self._dialogs: list[QWidget] = []
        cluster.topicAction.connect(self.on_topic_action)
        cluster.groupAction.connect(self.on_group_action)

    def reader(self) -> TopicReader | None:
        bootstrap = self.controller.bootstrap()
        if not bootstrap:
            return None
        return TopicReader(
            bootstrap,
            self.controller.client_config(),
            masking=topology_rules(self.controller.topology_provider()),
            registry=self.registry(),
            registry_hint="choose the schema registry in Run → Connection",
        )

    def registry(self) -> Registry | None:
        """The schema registry the app's runs use (the connection's, else the sandbox's
        while it runs, else the open topology's or $SCHEMA_REGISTRY_URL), to decode and
        encode records in the wire format; None when there is none."""
        topology = self.controller.topology_provider()
        settings = self.controller.run_topology(topology).settings if topology is not None else {}
        try:
            return registry_for(self.controller.registry_url(), settings.get("schema_registry"))
        except ValueError:  # an address the client refuses: records stay undecoded
            return None

    def _say(self, text: str) -> None:
        self.cluster.say(text)

    # -- actions -------------------------------------------------------------------------

    def on_topic_action(self, action: str, topic: str) -> None:
        if action == "browse":
            self.browse(topic)
        elif action == "produce":
            self.produce(topic, [])
        elif action == "config":
            self.show_config(topic)
        elif action == "delete":
            self.delete(topic)
        elif action == "create":
            self.create()

    def on_group_action(self, action: str, group: str) -> None:
        if action == "reset":
            self.reset_offsets(group)

    def browse(self, topic: str) -> QtTopicBrowser:
        browser = self.browsers.get(topic)
        if browser is None:
            browser = QtTopicBrowser(topic, self.reader, self.parent_widget)
            browser.setWindowFlag(Qt.WindowType.Window, True)
            browser.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
            browser.produce_requested.connect(self.produce)
            browser.destroyed.connect(lambda _o=None, t=topic: self.browsers.pop(t, None))
            self.browsers[topic] = browser
            browser.load()
        browser.show()
        browser.raise_()
        browser.activateWindow()
        return browser

    def produce(self, topic: str, records: list) -> QtProduceDialog | None:
        bootstrap = self.controller.bootstrap()
        if not bootstrap:
            self._say("Not connected: choose a cluster in Run → Connection.")
            return None
        dialog = QtProduceDialog(
            topic,
            bootstrap,
            self.controller.client_config(),
            records,
            self.confirm,
            self.parent_widget,
            registry=self.registry(),
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        dialog.accepted.connect(lambda: self._on_produced(topic, dialog))
        self._opened(dialog)
        return dialog

    def _on_produced(self, topic: str, dialog: QtProduceDialog) -> None:
        sent = dialog.result_.sent if dialog.result_ is not None else 0
        self._say(f"{sent} record{'s' * (sent != 1)} written to {topic}.")
        browser = self.browsers.get(topic)
        if browser is not None:
            browser.load()

    def create(self) -> QtCreateTopicDialog | None:
        client = self.controller.cluster_client()
        if client is None:
            self._say("Not connected: choose a cluster in Run → Connection.")
            return None
        dialog = QtCreateTopicDialog(client, self.parent_widget)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        dialog.accepted.connect(lambda: self._done(f"Topic {dialog.created} created."))
        self._opened(dialog)
        return dialog

    def show_config(self, topic: str) -> QtTopicConfigDialog | None:
        client = self.controller.cluster_client()
        if client is None:
            return None
        dialog = QtTopicConfigDialog(client, topic, self.parent_widget)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        self._opened(dialog)
        return dialog

    def delete(self, topic: str) -> None:
        client = self.controller.cluster_client()
        if client is None:
            return
        if not self.confirm(
            self.parent_widget,
            "Delete Topic",
            f"Delete the topic {topic} and every record in it from {client.bootstrap}? "
            "This cannot be undone.",
        ):
            return
        browser = self.browsers.get(topic)
        if browser is not None:  # a consumer fetching a topic being deleted may not survive it
            browser.runner.cancel()
            browser.wait_for_scan(5)
        self._say(f"Deleting {topic}…")
        BackgroundCall(
            lambda: client.delete_topic(topic),
            lambda _r: self._done(f"Topic {topic} deleted."),
            lambda exc: self._say(f"{str(exc)[:1].upper()}{str(exc)[1:]}."),
            name="delete-topic",
        ).start()

    def _done(self, text: str) -> None:
        self.cluster.refresh()
        self._say(text)

    def reset_offsets(self, group: str) -> QtResetOffsetsDialog | None:
        reader = self.reader()
        if reader is None:
            self._say("Not connected: choose a cluster in Run → Connection.")
            return None
        topics = [t.name for t in self.cluster.topics if not t.internal]
        dialog = QtResetOffsetsDialog(group, reader, topics, self.confirm, self.parent_widget)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, True)
        self._opened(dialog)
        return dialog

    def _opened(self, dialog: QWidget) -> None:
        self.dialog = dialog
        self._dialogs = [*self.open_dialogs(), dialog]
        dialog.open()

    def open_dialogs(self) -> list[QWidget]:
        return [d for d in self._dialogs if shiboken6.isValid(d) and d.isVisible()]

    def shutdown(self) -> None:
        for browser in list(self.browsers.values()):
            browser.runner.cancel()


def install(window) -> Topics:
    """The Cluster dock's actions in the main window."""
    topics = Topics(window.monitor.controller, window.monitor.cluster, window)
    return topics
