"""A followed record as a tree: the input record, each node it entered and what it became
there (records, filtered out, dead-lettered with the error, dropped as late, folded into
an aggregate's window), down to the sinks that wrote it."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import QLabel, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from gui.monitor.qt_records import monospace
from gui.style import theme
from gui.testrun.qt_path_marks import outcome_colour
from gui.testrun.rows import PASSED, Followed, FollowNode

NODE_ROLE = Qt.ItemDataRole.UserRole + 1
RECORD_ROLE = Qt.ItemDataRole.UserRole + 2


class QtFollowedRecord(QWidget):
    """``nodeActivated(node_id)`` when an entry is double-clicked."""

    nodeActivated = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        self.title = QLabel("Select a record to follow it through the graph.")
        self.title.setWordWrap(True)
        layout.addWidget(self.title)
        self.tree = QTreeWidget()
        self.tree.setObjectName("followTree")
        self.tree.setHeaderHidden(True)
        self.tree.setFont(monospace())
        self.tree.setUniformRowHeights(True)
        self.tree.itemDoubleClicked.connect(self._on_double_clicked)
        layout.addWidget(self.tree)
        self.followed: Followed | None = None

    def show_followed(self, followed: Followed | None, chosen: int | None = None) -> None:
        self.tree.clear()
        self.followed = followed
        if followed is None:
            self.title.setText("Select a record to follow it through the graph.")
            return
        root = followed.root
        nodes = len(followed.nodes)
        self.title.setText(
            f"Input record {root.record.id} at <b>{root.record.node}</b>, "
            f"followed through {nodes} node{'s' if nodes != 1 else ''}"
        )
        item = self._item(root, chosen)
        self.tree.addTopLevelItem(item)
        self.tree.expandAll()
        current = self._find(item, chosen)
        if current is not None:
            self.tree.setCurrentItem(current)
            self.tree.scrollToItem(current)

    def _item(self, node: FollowNode, chosen: int | None) -> QTreeWidgetItem:
        item = QTreeWidgetItem([node.text])
        colour = (
            outcome_colour(node.kind) if node.kind != PASSED or node.visit is not None else None
        )
        if node.record is None and node.visit is None:
            colour = QColor(theme.NODE_MUTED_TEXT)
        if colour is not None:
            item.setForeground(0, QBrush(colour))
        if node.record is not None:
            item.setData(0, RECORD_ROLE, node.record.n)
            if node.record.n == chosen:
                font = QFont(self.tree.font())
                font.setBold(True)
                item.setFont(0, font)
        if node.visit is not None:
            item.setData(0, NODE_ROLE, node.visit.node)
        elif node.record is not None:
            item.setData(0, NODE_ROLE, node.record.node)
        item.setToolTip(0, node.text)
        for child in node.children:
            item.addChild(self._item(child, chosen))
        return item

    def _find(self, item: QTreeWidgetItem, n: int | None) -> QTreeWidgetItem | None:
        if n is None:
            return None
        if item.data(0, RECORD_ROLE) == n:
            return item
        for i in range(item.childCount()):
            found = self._find(item.child(i), n)
            if found is not None:
                return found
        return None

    def texts(self) -> list[str]:
        """Every entry, depth first (for tests)."""
        out: list[str] = []

        def walk(item: QTreeWidgetItem, depth: int) -> None:
            out.append("  " * depth + item.text(0))
            for i in range(item.childCount()):
                walk(item.child(i), depth + 1)

        for i in range(self.tree.topLevelItemCount()):
            walk(self.tree.topLevelItem(i), 0)
        return out

    def _on_double_clicked(self, item: QTreeWidgetItem, _column: int) -> None:
        node_id = item.data(0, NODE_ROLE)
        if node_id:
            self.nodeActivated.emit(node_id)
