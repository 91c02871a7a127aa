"""The palette: node types by category, with icons, one-line descriptions and a search box.
Drag a type onto the canvas, or double-click it to add it in the middle of the view."""

from __future__ import annotations

from PySide6.QtCore import QMimeData, QRect, QSize, Qt, Signal
from PySide6.QtGui import QFont, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLineEdit,
    QStyle,
    QStyledItemDelegate,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from engine.model.catalogue import CATEGORIES, NODE_TYPES, NodeType
from gui.canvas.qt_view import NODE_TYPE_MIME
from gui.style import icons, theme

TYPE_ROLE = Qt.ItemDataRole.UserRole + 1


def matches(spec: NodeType, text: str) -> bool:
    text = text.strip().lower()
    if not text:
        return True
    hay = f"{spec.name} {spec.title} {spec.description} {spec.category}".lower()
    return all(word in hay for word in text.split())


class _TypeDelegate(QStyledItemDelegate):
    """Two lines per type: the title, and the description in a muted colour."""

    def sizeHint(self, option, index) -> QSize:
        if index.data(TYPE_ROLE) is None:
            return QSize(200, 26)
        return QSize(200, 44)

    def paint(self, painter: QPainter, option, index) -> None:
        type_name = index.data(TYPE_ROLE)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = option.rect
        if type_name is None:  # a category
            colour = theme.category_colour(index.data(Qt.ItemDataRole.DisplayRole))
            painter.setBrush(colour)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.drawRoundedRect(QRect(rect.left() + 2, rect.center().y() - 4, 8, 8), 2, 2)
            font = QFont(option.font)
            font.setBold(True)
            font.setPointSizeF(font.pointSizeF() * 0.9)
            font.setCapitalization(QFont.Capitalization.AllUppercase)
            font.setLetterSpacing(QFont.SpacingType.AbsoluteSpacing, 1.0)
            painter.setFont(font)
            painter.setPen(theme.current.colour("muted_text"))
            painter.drawText(
                rect.adjusted(16, 0, 0, 0), Qt.AlignmentFlag.AlignVCenter, index.data()
            )
            painter.restore()
            return
        if option.state & QStyle.StateFlag.State_Selected:
            painter.fillRect(rect, theme.current.colour("selection"))
        elif option.state & QStyle.StateFlag.State_MouseOver:
            painter.fillRect(rect, theme.current.colour("row_hover"))
        spec = NODE_TYPES[type_name]
        painter.drawPixmap(
            rect.left() + 4,
            rect.top() + 8,
            icons.type_pixmap(type_name, 28, painter.device().devicePixelRatioF()),
        )
        title_font = QFont(option.font)
        title_font.setBold(True)
        painter.setFont(title_font)
        painter.setPen(theme.current.colour("item_text"))
        text_rect = rect.adjusted(42, 5, -4, 0)
        painter.drawText(
            text_rect, Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft, spec.title
        )
        small = QFont(option.font)
        small.setPointSizeF(option.font.pointSizeF() * 0.85)
        painter.setFont(small)
        painter.setPen(theme.current.colour("subtitle"))
        desc = painter.fontMetrics().elidedText(
            spec.description, Qt.TextElideMode.ElideRight, text_rect.width()
        )
        painter.drawText(
            text_rect.adjusted(0, 18, 0, 0),
            Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft,
            desc,
        )
        painter.restore()


class _TypeTree(QTreeWidget):
    def mimeData(self, items) -> QMimeData:
        data = QMimeData()
        type_name = items[0].data(0, TYPE_ROLE) if items else None
        if type_name:
            data.setData(NODE_TYPE_MIME, type_name.encode())
            data.setText(type_name)
        return data

    def mimeTypes(self) -> list[str]:
        return [NODE_TYPE_MIME]


class PaletteWidget(QWidget):
    type_activated = Signal(str)  # double-click or Enter: add this type

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("palette")
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Search nodes…")
        self.search.setClearButtonEnabled(True)
        self.tree = _TypeTree(self)
        self.tree.setHeaderHidden(True)
        self.tree.setRootIsDecorated(False)
        self.tree.setIndentation(0)
        self.tree.setMouseTracking(True)
        self.tree.setItemDelegate(_TypeDelegate(self.tree))
        self.tree.setDragEnabled(True)
        self.tree.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(6)
        layout.addWidget(self.search)
        layout.addWidget(self.tree)
        self._items: dict[str, QTreeWidgetItem] = {}
        self._categories: dict[str, QTreeWidgetItem] = {}
        for category in CATEGORIES:
            cat_item = QTreeWidgetItem(self.tree, [category])
            cat_item.setFlags(Qt.ItemFlag.ItemIsEnabled)
            self._categories[category] = cat_item
            for spec in NODE_TYPES.values():
                if spec.category != category:
                    continue
                item = QTreeWidgetItem(cat_item, [spec.title])
                item.setData(0, TYPE_ROLE, spec.name)
                item.setToolTip(
                    0, f"<b>{spec.title}</b><br>{spec.description}<br><i>Drag onto the canvas</i>"
                )
                item.setFlags(
                    Qt.ItemFlag.ItemIsEnabled
                    | Qt.ItemFlag.ItemIsSelectable
                    | Qt.ItemFlag.ItemIsDragEnabled
                )
                self._items[spec.name] = item
        self.tree.expandAll()
        self.search.textChanged.connect(self._on_search_changed)
        self.search.returnPressed.connect(self._on_search_return)
        self.tree.itemActivated.connect(self._on_item_activated)

    def type_item(self, type_name: str) -> QTreeWidgetItem:
        return self._items[type_name]

    def visible_types(self) -> list[str]:
        return [name for name, item in self._items.items() if not item.isHidden()]

    def _on_search_changed(self, text: str) -> None:
        for name, item in self._items.items():
            item.setHidden(not matches(NODE_TYPES[name], text))
        for cat_item in self._categories.values():
            cat_item.setHidden(
                all(cat_item.child(i).isHidden() for i in range(cat_item.childCount()))
            )

    def _on_search_return(self) -> None:
        visible = self.visible_types()
        if len(visible) >= 1 and self.search.text().strip():
            self.type_activated.emit(visible[0])

    def _on_item_activated(self, item: QTreeWidgetItem, column: int) -> None:
        type_name = item.data(0, TYPE_ROLE)
        if type_name:
            self.type_activated.emit(type_name)


class QuickAddPopup(QWidget):
    """Tab on the canvas: type to filter node types, Enter to add the first one at the cursor."""

    chosen = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent, Qt.WindowType.Popup)
        self.setObjectName("quickAdd")
        self.setMinimumWidth(300)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Add node…")
        self.tree = QTreeWidget(self)
        self.tree.setHeaderHidden(True)
        self.tree.setRootIsDecorated(False)
        self.tree.setIndentation(0)
        self.tree.setItemDelegate(_TypeDelegate(self.tree))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.search)
        layout.addWidget(self.tree)
        self.resize(320, 380)
        self.search.textChanged.connect(self._refill)
        self.search.returnPressed.connect(self.accept_current)
        self.tree.itemActivated.connect(lambda *_: self.accept_current())
        self.search.installEventFilter(self)
        self._refill("")

    def _refill(self, text: str) -> None:
        self.tree.clear()
        for spec in NODE_TYPES.values():
            if matches(spec, text):
                item = QTreeWidgetItem(self.tree, [spec.title])
                item.setData(0, TYPE_ROLE, spec.name)
        if self.tree.topLevelItemCount():
            self.tree.setCurrentItem(self.tree.topLevelItem(0))

    def current_type(self) -> str | None:
        item = self.tree.currentItem()
        return item.data(0, TYPE_ROLE) if item is not None else None

    def accept_current(self) -> None:
        type_name = self.current_type()
        self.close()
        if type_name:
            self.chosen.emit(type_name)

    def eventFilter(self, obj, event) -> bool:
        if event.type() == event.Type.KeyPress and event.key() in (Qt.Key.Key_Down, Qt.Key.Key_Up):
            row = (
                self.tree.indexOfTopLevelItem(self.tree.currentItem())
                if self.tree.currentItem()
                else -1
            )
            row += 1 if event.key() == Qt.Key.Key_Down else -1
            row = max(0, min(self.tree.topLevelItemCount() - 1, row))
            if self.tree.topLevelItemCount():
                self.tree.setCurrentItem(self.tree.topLevelItem(row))
            return True
        return super().eventFilter(obj, event)

    def popup_at(self, global_pos) -> None:
        self.search.clear()
        self.move(global_pos)
        self.show()
        self.search.setFocus()
