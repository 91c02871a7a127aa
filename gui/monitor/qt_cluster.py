"""The cluster dock: topics with their partitions, replicas and in-sync replicas (select
one to sample its records, values in a schema format decoded and the header naming their
schema; double-click to browse it) and consumer groups (select one to
chart its lag) — any group on the cluster, not only the app's own. It refreshes itself
every few seconds while shown; every look-up runs off the GUI thread. Right-click actions
(Browse, Produce, Config, Delete on a topic; Reset Offsets, Chart lag on a group; New
Topic) are asked of whoever owns the dock through ``topicAction`` / ``groupAction``
(``gui.topics`` answers them)."""

from __future__ import annotations

import html

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QSplitter,
    QStackedWidget,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from engine.model.masking import mask_records, masker_for_topic
from gui.monitor.qt_charts import QtLagWidget
from gui.monitor.qt_lag_poller import GroupLagPoller
from gui.monitor.qt_records import QtRecordsView
from gui.monitor.qt_tasks import BackgroundCall
from gui.monitor.schema_info import sample_topic
from gui.style import theme

TOPIC, GROUP = 1, 2
_KIND_ROLE = Qt.ItemDataRole.UserRole
_NAME_ROLE = Qt.ItemDataRole.UserRole + 1
REFRESH_MS = 10_000  # how often the dock reads the cluster again while it is shown
TOPIC_ACTIONS = (
    ("browse", "Browse"),
    ("produce", "Produce…"),
    ("config", "Config"),
    ("delete", "Delete…"),
)
GROUP_ACTIONS = (("reset", "Reset Offsets…"), ("chart", "Chart lag"))


class FieldNameCache(QObject):
    """Field names of a topic, for expression completions: its registered schema's (the
    latest under ``<topic>-value`` in the run's registry, when ``registry_provider`` gives
    one), else those seen in its JSON values. ``names(topic)`` answers at once from the
    cache and fetches in the background on a miss; ``ready(topic, names)`` follows."""

    ready = Signal(str, list)

    def __init__(self, client_provider, parent=None, registry_provider=None):
        super().__init__(parent)
        self.client_provider = client_provider
        self.registry_provider = registry_provider
        self._cache: dict[str, list[str]] = {}
        self._pending: set[str] = set()

    def names(self, topic: str) -> list[str]:
        if topic in self._cache:
            return list(self._cache[topic])
        client = self.client_provider()
        if client is not None and topic not in self._pending:
            self._pending.add(topic)
            registry = self.registry_provider

            def work() -> list[str]:
                try:
                    lookup = registry() if registry is not None else None
                    registered = lookup.registered_fields(topic) if lookup is not None else []
                except Exception:  # noqa: BLE001 - no registry to ask: the sampled names
                    registered = []
                return registered or client.field_names(topic)

            BackgroundCall(
                work,
                lambda names: self._on_names(topic, names),
                lambda _exc: self._pending.discard(topic),
                name="field-names",
            ).start()
        return []

    def _on_names(self, topic: str, names: list[str]) -> None:
        self._pending.discard(topic)
        if names:  # a topic without records yet (a run about to write it) is asked again
            self._cache[topic] = list(names)
        self.ready.emit(topic, list(names))

    def invalidate(self) -> None:
        self._cache.clear()


class QtClusterWidget(QWidget):
    """Model: the RunController (its cluster client and connection). ``topicAction(action,
    topic)`` (browse, produce, config, delete, create with topic ""), ``groupAction(action,
    group)`` (reset)."""

    topicAction = Signal(str, str)
    groupAction = Signal(str, str)

    def __init__(self, controller, parent=None):
        super().__init__(parent)
        self.controller = controller
        self.topics: list = []
        self.groups: list[str] = []
        self._refresh_call: BackgroundCall | None = None
        self.notice = ""  # what an action said, shown with the next listing
        self._refresh_again = False
        self._sample_serial = 0
        self._bootstrap = ""
        self.poller = GroupLagPoller(controller.cluster_client, parent=self)

        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Name", "Partitions", "Replicas", "In sync"])
        self.tree.setRootIsDecorated(True)
        # The name takes the width the counts leave; a long one keeps its end: an
        # application's internal topics share its id as a long prefix and differ after it
        # (<application>-<node>-repartition, -changelog), and so do versioned names.
        self.tree.setTextElideMode(Qt.TextElideMode.ElideLeft)
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in (1, 2, 3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Fixed)
            self.tree.setColumnWidth(column, 66)
        self.topics_root = QTreeWidgetItem(["Topics", ""])
        self.groups_root = QTreeWidgetItem(["Consumer groups", ""])
        for root in (self.topics_root, self.groups_root):
            root.setFlags(Qt.ItemFlag.ItemIsEnabled)
            font = root.font(0)
            font.setBold(True)
            root.setFont(0, font)
            self.tree.addTopLevelItem(root)
            root.setExpanded(True)
        self.tree.currentItemChanged.connect(self._on_current_item_changed)
        self.tree.itemDoubleClicked.connect(self._on_double_clicked)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.customContextMenuRequested.connect(self._on_context_menu)
        self.timer = QTimer(self)
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self._on_timer)
        self.timer.start()

        self.refresh_button = QToolButton()
        self.refresh_button.setText("Refresh")
        self.refresh_button.clicked.connect(self.refresh)
        self.state_label = QLabel()
        self.state_label.setWordWrap(True)
        theme.style_widget(self.state_label, "color: @muted_text@;")
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        bar = QHBoxLayout()
        bar.setContentsMargins(6, 4, 6, 2)
        self.new_topic_button = QToolButton()
        self.new_topic_button.setText("New Topic…")
        self.new_topic_button.clicked.connect(lambda: self.topicAction.emit("create", ""))
        bar.addWidget(self.state_label, 1)
        bar.addWidget(self.new_topic_button)
        bar.addWidget(self.refresh_button)
        left_layout.addLayout(bar)
        left_layout.addWidget(self.tree, 1)

        self.hint = QLabel(
            "Select a topic to sample its latest records (double-click to browse it), or a "
            "consumer group to chart its lag. Right-click for more."
        )
        self.hint.setWordWrap(True)
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        theme.style_widget(self.hint, "color: @muted_text@; padding: 20px;")
        self.sample_title = QLabel()
        theme.style_widget(self.sample_title, "padding: 4px 8px; color: @bar_text@;")
        self.samples = QtRecordsView()
        sample_page = QWidget()
        sample_layout = QVBoxLayout(sample_page)
        sample_layout.setContentsMargins(0, 0, 0, 0)
        sample_layout.setSpacing(0)
        sample_layout.addWidget(self.sample_title)
        sample_layout.addWidget(self.samples, 1)
        self.lag_widget = QtLagWidget(self.poller)
        self.pages = QStackedWidget()
        for page in (self.hint, sample_page, self.lag_widget):
            self.pages.addWidget(page)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(self.pages)
        splitter.setStretchFactor(0, 1)  # a wider panel gives the names room too
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([390, 610])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)
        controller.bootstrapChanged.connect(self._on_bootstrap_changed)
        self._on_bootstrap_changed(controller.bootstrap() or "")

    # -- topics and groups -----------------------------------------------------------

    def _on_bootstrap_changed(self, bootstrap: str) -> None:
        previous, self._bootstrap = self._bootstrap, bootstrap
        if previous and bootstrap != previous:  # another cluster: its groups are not these
            self.poller.watch("")
        if bootstrap:
            self.refresh()
        else:
            self.state_label.setText(f"Not connected ({self.controller.profile.describe()}).")

    def say(self, text: str) -> None:
        """A sentence in the state line, kept there through the next listing."""
        self.notice = text
        self.state_label.setText(text)

    def _on_timer(self) -> None:
        if self.isVisible() and self.controller.bootstrap():
            self.refresh(quiet=True)

    def refresh(self, quiet: bool = False) -> None:
        client = self.controller.cluster_client()
        if client is None:
            self.state_label.setText("Not connected: the sandbox broker starts with the first run.")
            return
        if self._refresh_call is not None and self._refresh_call.running():
            self._refresh_again = self._refresh_again or not quiet  # after a change: read anew
            return
        if not quiet:
            self.state_label.setText(f"Reading {client.bootstrap}…")
        self._refresh_call = BackgroundCall(
            lambda: (client.topics(), client.groups()),
            self._on_listed,
            self._on_list_failed,
            name="cluster-list",
        ).start()

    def _on_listed(self, result) -> None:
        if self._refresh_again:
            self._refresh_again = False
            self._refresh_call = None
            self.refresh()
            return
        topics, groups = result
        self.topics, self.groups = topics, groups
        current = self.tree.currentItem()
        keep = (current.data(0, _KIND_ROLE), current.data(0, _NAME_ROLE)) if current else None
        self.tree.blockSignals(True)
        # The rows are updated in place: a topic or group still there keeps its item (and
        # with it a selection, a hover or a menu opened on it); only the gone are dropped.
        topic_items = self._reused(self.topics_root)
        group_items = self._reused(self.groups_root)
        for topic in topics:
            item = topic_items.pop(topic.name, None) or self._new_item(TOPIC, topic.name)
            for column, count in enumerate((topic.partitions, topic.replicas, topic.in_sync), 1):
                item.setText(column, str(count))
                item.setTextAlignment(
                    column, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                )
            lagging = topic.in_sync < topic.replicas
            item.setData(3, Qt.ItemDataRole.ForegroundRole, theme.WARNING if lagging else None)
            item.setToolTip(
                3, "Some replicas are not in sync with their leaders" if lagging else ""
            )
            item.setData(
                0, Qt.ItemDataRole.ForegroundRole, theme.MUTED_TEXT if topic.internal else None
            )
            self.topics_root.addChild(item)
        for group in groups:
            self.groups_root.addChild(group_items.pop(group, None) or self._new_item(GROUP, group))
        # The counts go beside the names: the second column is each topic's partitions.
        self.topics_root.setText(0, f"Topics ({len(topics)})")
        self.groups_root.setText(0, f"Consumer groups ({len(groups)})")
        self.tree.blockSignals(False)
        if keep is not None:
            item = self._find(*keep)
            if item is not None:
                self.tree.blockSignals(True)
                self.tree.setCurrentItem(item)
                self.tree.blockSignals(False)
        client = self.controller.cluster_client()
        notice, self.notice = self.notice, ""
        self.state_label.setText(
            f"{client.bootstrap if client else ''}: {len(topics)} topics, "
            f"{len(groups)} consumer groups" + (f" · {notice}" if notice else "")
        )

    def _on_list_failed(self, exc: BaseException) -> None:
        self._refresh_again = False
        self.state_label.setText(f"Cannot read the cluster: {exc}")

    @staticmethod
    def _reused(root: QTreeWidgetItem) -> dict[str, QTreeWidgetItem]:
        """The root's rows by name, taken off it to be put back in the listing's order."""
        return {item.data(0, _NAME_ROLE): item for item in root.takeChildren()}

    @staticmethod
    def _new_item(kind: int, name: str) -> QTreeWidgetItem:
        item = QTreeWidgetItem([name, ""])
        item.setData(0, _KIND_ROLE, kind)
        item.setData(0, _NAME_ROLE, name)
        item.setToolTip(0, name)
        return item

    def _find(self, kind: int, name: str) -> QTreeWidgetItem | None:
        root = self.topics_root if kind == TOPIC else self.groups_root
        for i in range(root.childCount()):
            if root.child(i).data(0, _NAME_ROLE) == name:
                return root.child(i)
        return None

    def _on_current_item_changed(self, item: QTreeWidgetItem | None, _previous) -> None:
        kind = item.data(0, _KIND_ROLE) if item is not None else None
        if kind == TOPIC:
            self.show_topic(item.data(0, _NAME_ROLE))
        elif kind == GROUP:
            self.show_group(item.data(0, _NAME_ROLE))
        else:
            self.poller.watch("")
            self.pages.setCurrentWidget(self.hint)

    def _on_double_clicked(self, item: QTreeWidgetItem, _column: int) -> None:
        if item.data(0, _KIND_ROLE) == TOPIC:
            self.topicAction.emit("browse", item.data(0, _NAME_ROLE))

    def _on_context_menu(self, pos) -> None:
        item = self.tree.itemAt(pos)
        kind = item.data(0, _KIND_ROLE) if item is not None else None
        menu = QMenu(self)
        if kind == TOPIC:
            name = item.data(0, _NAME_ROLE)
            for action, text in TOPIC_ACTIONS:
                menu.addAction(text, lambda a=action: self.topicAction.emit(a, name))
        elif kind == GROUP:
            name = item.data(0, _NAME_ROLE)
            menu.addAction("Reset Offsets…", lambda: self.groupAction.emit("reset", name))
            menu.addAction("Chart lag", lambda: self._chart(name))
        menu.addAction("New Topic…", lambda: self.topicAction.emit("create", ""))
        menu.addAction("Refresh", self.refresh)
        self.context_menu = menu  # kept for tests; shown at the cursor
        menu.popup(self.tree.viewport().mapToGlobal(pos))

    def _chart(self, group: str) -> None:
        item = self._find(GROUP, group)
        if item is not None:
            self.tree.setCurrentItem(item)
        self.show_group(group)

    # -- a topic's records -------------------------------------------------------------

    def show_topic(self, topic: str) -> None:
        self.poller.watch("")
        self.pages.setCurrentIndex(1)
        self.samples.clear()
        self.sample_title.setText(f"<b>{topic}</b> — sampling…")
        client = self.controller.cluster_client()
        if client is None:
            return
        self._sample_serial += 1
        serial = self._sample_serial
        controller = self.controller

        def work():
            try:  # values in a schema format are decoded with the run's registry
                lookup = controller.registry_lookup()
            except Exception:  # noqa: BLE001 - no registry to ask: values shown as they are
                lookup = None
            return sample_topic(client, lookup, topic, 50)

        BackgroundCall(
            work,
            lambda result: self._on_sampled(serial, topic, *result),
            lambda exc: self._on_sampled(serial, topic, None, "", str(exc)),
            name="sample",
        ).start()

    def _on_sampled(
        self, serial: int, topic: str, records, schema: str = "", error: str = ""
    ) -> None:
        if serial != self._sample_serial:
            return
        if records is None:
            self.sample_title.setText(f"<b>{topic}</b> — cannot sample: {error}")
            return
        for record in records:
            record.setdefault("topic", topic)
        masker = masker_for_topic(self.controller.topology_provider(), topic)  # reference §9.12
        self.samples.set_records(mask_records(masker, records))
        self.sample_title.setText(
            f"<b>{topic}</b> — latest {len(records)} records, newest first"
            + (
                f"<br><span style='color:{theme.current.hex('link')}'>{html.escape(schema)}</span>"
                if schema
                else ""
            )
            if records
            else f"<b>{topic}</b> — no records"
        )

    # -- a group's lag -----------------------------------------------------------------

    def show_group(self, group: str) -> None:
        self.pages.setCurrentWidget(self.lag_widget)
        if group != self.poller.group:
            self.poller.watch(group)

    def shutdown(self) -> None:
        self.timer.stop()
        self.poller.stop()
        self.poller.join()
