"""The inspector: the selected node's id and params, each with a typed editor, and its
problems; with nothing selected, the topology's name and settings.

Edits go to the document as undo commands; the inspector follows the model's events,
so undo, redo and edits elsewhere show here at once. Expression editors complete the
field names that ``value`` holds at the node (``value_fields``), as far as the source
topics upstream and the nodes between tell. While a comparison is shown
(``set_comparison``), a node's page starts with what changed in it (``param_changes``).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from engine.model.catalogue import NODE_TYPES, SETTINGS, ParamSpec
from engine.model.diff import TopologyDiff
from engine.model.problems import Problem
from engine.model.topology import ModelError, Topology
from engine.model.validation import TOPIC_PATTERN
from gui.designer.editors.alerts import AlertsParamEditor
from gui.designer.editors.base import ParamEditor
from gui.designer.editors.registry import editor_for
from gui.designer.editors.schema import SchemaParamEditor, SchemaSource
from gui.designer.editors.widgets import WheelGuard, set_invalid, set_style_flag
from gui.designer.param_changes import ParamChangesBox, node_changes
from gui.document.document import TopologyDocument
from gui.style import icons, theme

SOURCE_TYPES = ("kafka_source", "generator_source")
PASS_THROUGH = ("filter", "rekey", "branch", "merge")  # the value leaves as it came in


@cache
def generator_fields(profile: str) -> tuple[str, ...]:
    """The fields of a demo generator's events, known without a broker."""
    from engine.runtime.generator import EventFactory

    _key, value = EventFactory(
        profile if profile in ("orders", "clicks") else "orders", seed=0
    ).next(0)
    return tuple(value)


def value_fields(
    topology: Topology, node_id: str, topic_fields: Callable[[str], list[str]]
) -> tuple[list[str], set[str]]:
    """The field names ``value`` holds in ``node_id``'s expressions, and the source topics
    asked for them. Sources answer from their topic (``topic_fields``; a demo generator
    also from its profile); filters, branches and the like pass their input on; set_fields
    adds its fields; an aggregate's output is its key, window and aggregations; after a map,
    flat_map or join only the expression knows, so nothing is offered."""
    topics: set[str] = set()
    visiting: set[str] = set()

    def fields_in(nid: str) -> set[str]:
        names: set[str] = set()
        for edge in topology.edges:
            if edge.target == nid:
                names |= fields_out(edge.source)
        return names

    def fields_out(nid: str) -> set[str]:
        node = topology.nodes.get(nid)
        if node is None or nid in visiting:
            return set()
        visiting.add(nid)
        try:
            params = node.params if isinstance(node.params, dict) else {}
            if node.type in SOURCE_TYPES:
                topic = params.get("topic")
                if not isinstance(topic, str) or not topic:
                    return set()
                topics.add(topic)
                names = set(topic_fields(topic))
                if node.type == "generator_source":
                    names |= set(generator_fields(str(params.get("profile", "orders"))))
                return names
            if node.type in PASS_THROUGH:
                return fields_in(nid)
            if node.type == "set_fields":
                added = params.get("fields")
                return fields_in(nid) | (set(map(str, added)) if isinstance(added, dict) else set())
            if node.type == "aggregate":
                names = {"key"}
                window = params.get("window")
                if isinstance(window, dict) and window.get("type", "none") != "none":
                    names |= {"window_start", "window_end"}
                for agg in params.get("aggregations") or ():
                    if isinstance(agg, dict) and agg.get("name"):
                        names.add(str(agg["name"]))
                return names
            return set()
        finally:
            visiting.discard(nid)

    node = topology.nodes.get(node_id)
    if node is None:
        return [], topics
    names = fields_out(node_id) if node.type in SOURCE_TYPES else fields_in(node_id)
    return sorted(names), topics


class _Field(QWidget):
    """A label, an editor, a help line and the param's problem."""

    def __init__(self, spec: ParamSpec, editor: ParamEditor, parent=None):
        super().__init__(parent)
        self.setObjectName("field")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(3)
        self.label = QLabel(spec.title, self)
        self.label.setObjectName("fieldLabel")
        if spec.required:
            self.label.setText(f"{spec.title} <span style='color:{theme.ERROR.name()}'>*</span>")
        layout.addWidget(self.label)
        layout.addWidget(editor)
        self.problem = QLabel(self)
        self.problem.setObjectName("problem")
        self.problem.setWordWrap(True)
        self.problem.setVisible(False)
        layout.addWidget(self.problem)
        if spec.help and spec.kind != "window":
            help_label = QLabel(spec.help, self)
            help_label.setObjectName("help")
            help_label.setWordWrap(True)
            layout.addWidget(help_label)
        self.editor = editor
        self.spec = spec

    def set_problem(self, message: str | None, warning: bool = False) -> None:
        """Show the param's problem under it: red for an error, amber for a warning."""
        self.problem.setText(message or "")
        self.problem.setVisible(bool(message))
        set_style_flag(self.problem, "warning", warning)


class InspectorWidget(QScrollArea):
    def __init__(self, document: TopologyDocument, parent=None):
        super().__init__(parent)
        self.setObjectName("inspector")
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.document = document
        self.topology: Topology | None = None
        self.node_id: str | None = None
        self.node_ids: list[str] = []
        self.fields: dict[str, _Field] = {}
        self.id_edit: QLineEdit | None = None
        self.id_error: QLabel | None = None
        self._page: QWidget | None = None
        self.topic_fields: Callable[[str], list[str]] = lambda _topic: []
        self.field_topics: set[str] = set()  # source topics behind the shown node's fields
        self.field_names: list[str] = []
        self.comparison: TopologyDiff | None = None  # shown as each node's Changes box
        self.run_active = False
        self._wheel_guard = WheelGuard(self)  # the wheel scrolls past unfocused choices
        self.registry_lookup: Callable[[], object | None] = lambda: None
        document.topology_replaced.connect(self._on_topology_replaced)
        document.problems_changed.connect(self._on_problems_changed)
        self._on_topology_replaced(document.topology)

    # -- binding -----------------------------------------------------------------------

    def _handlers(self, t: Topology):
        return (
            (t.params_changed, self._on_params_changed),
            (t.node_renamed, self._on_node_renamed),
            (t.node_removed, self._on_node_removed),
            (t.settings_changed, self._on_settings_changed),
            (t.name_changed, self._on_name_changed),
            (t.node_added, self._on_count_changed),
            (t.edge_added, self._on_count_changed),
            (t.edge_removed, self._on_count_changed),
        )

    def _on_topology_replaced(self, topology: Topology) -> None:
        if self.topology is not None:
            for event, handler in self._handlers(self.topology):
                event.disconnect(handler)
        self.topology = topology
        for event, handler in self._handlers(topology):
            event.connect(handler)
        self.show_nodes([])

    def show_nodes(self, node_ids: list[str]) -> None:
        node_ids = [n for n in node_ids if n in self.topology.nodes]
        self.node_ids = node_ids
        if len(node_ids) == 1:
            self._build_node_page(node_ids[0])
        elif node_ids:
            self._build_multi_page(node_ids)
        else:
            self._build_settings_page()

    def set_comparison(self, diff: TopologyDiff | None) -> None:
        """Show, for the selected node, what changed since the other version (None: no
        comparison)."""
        before = self._comparison_shown()
        self.comparison = diff
        if self._comparison_shown() != before:  # a page rebuilt would lose the focus
            self.show_nodes(self.node_ids)

    def _comparison_shown(self):
        diff = self.comparison
        if diff is None or len(self.node_ids) != 1:
            return diff is None
        node_id = self.node_ids[0]
        verdict = diff.state.get(node_id)
        return (
            node_changes(diff, node_id),
            node_id in diff.added,
            (verdict.verdict, verdict.reason) if verdict else None,
        )

    # -- field-name completions ------------------------------------------------------------

    def set_topic_fields(self, provider: Callable[[str], list[str]]) -> None:
        """Where field names of a topic come from (cached; may answer [] and tell later
        through ``on_topic_fields``)."""
        self.topic_fields = provider
        self.refresh_field_names()

    def refresh_field_names(self) -> None:
        """Ask again for the shown node's field names and hand them to its editors."""
        if self.node_id is None or self.node_id not in self.topology.nodes:
            self.field_topics, self.field_names = set(), []
            return
        names, self.field_topics = value_fields(self.topology, self.node_id, self.topic_fields)
        self.field_names = names
        for field in self.fields.values():
            field.editor.set_field_names(names)

    def set_registry_lookup(self, provider: Callable[[], object | None]) -> None:
        """Where schema editors ask the registry (blocking; called off the GUI thread):
        ``gui.monitor.schema_info.RegistryLookup`` or None."""
        self.registry_lookup = provider

    def _schema_source(self, node_id: str, name: str) -> SchemaSource:
        part = "key" if name.startswith("key") else "value"
        default = "string" if part == "key" else "json"

        def fmt() -> str:
            node = self.topology.nodes.get(node_id)
            params = node.params if node is not None and isinstance(node.params, dict) else {}
            return str(params.get(f"{part}_format", default))

        return SchemaSource(
            folder=lambda: self.topology.folder,
            fmt=fmt,
            registry=lambda: self.registry_lookup(),
        )

    def on_topic_fields(self, topic: str, _names: list) -> None:
        if topic in self.field_topics:
            self.refresh_field_names()

    # -- pages ---------------------------------------------------------------------------

    def _new_page(self) -> QVBoxLayout:
        page = QWidget()
        page.setObjectName("inspectorPage")
        layout = QVBoxLayout(page)
        layout.setContentsMargins(14, 12, 14, 14)
        layout.setSpacing(12)
        self._page = page
        self.fields = {}
        self.id_edit = None
        self.node_id = None
        return layout

    def _install_page(self) -> None:
        """Show the page built since _new_page; built off-screen so its children show at once."""
        old = self.takeWidget()
        if old is not None:
            old.deleteLater()
        self.setWidget(self._page)
        self._wheel_guard.watch(self._page)
        self.set_run_active(self.run_active)

    def set_run_active(self, active: bool) -> None:
        """While a run is on, the alert rules' editors say their changes wait for the
        next Run (the run watches the rules it started with)."""
        self.run_active = active
        for field in self.fields.values():
            if isinstance(field.editor, AlertsParamEditor):
                field.editor.set_run_active(active)

    def _header(
        self,
        layout: QVBoxLayout,
        pixmap_type: str | None,
        title: str,
        subtitle: str,
        description: str,
    ) -> None:
        row = QHBoxLayout()
        row.setSpacing(10)
        if pixmap_type is not None:
            icon = QLabel()
            icon.setPixmap(icons.type_pixmap(pixmap_type, 36, self.devicePixelRatioF()))
            row.addWidget(icon, 0, Qt.AlignmentFlag.AlignTop)
        text = QVBoxLayout()
        text.setSpacing(0)
        self.title_label = QLabel(title)
        self.title_label.setObjectName("inspectorTitle")
        sub = QLabel(subtitle)
        sub.setObjectName("inspectorSubtitle")
        text.addWidget(self.title_label)
        text.addWidget(sub)
        row.addLayout(text, 1)
        layout.addLayout(row)
        if description:
            desc = QLabel(description)
            desc.setObjectName("help")
            desc.setWordWrap(True)
            layout.addWidget(desc)

    def _problems_box(self, layout: QVBoxLayout) -> None:
        self.problems_label = QLabel()
        self.problems_label.setObjectName("problemsBox")
        self.problems_label.setWordWrap(True)
        self.problems_label.setTextFormat(Qt.TextFormat.RichText)
        self.problems_label.setVisible(False)
        layout.addWidget(self.problems_label)

    def _section(self, layout: QVBoxLayout, text: str) -> None:
        label = QLabel(text.upper())
        label.setObjectName("section")
        layout.addWidget(label)
        line = QFrame()
        line.setObjectName("separator")
        line.setFrameShape(QFrame.Shape.HLine)
        layout.addWidget(line)

    def _build_node_page(self, node_id: str) -> None:
        node = self.topology.node(node_id)
        spec = NODE_TYPES.get(node.type)
        layout = self._new_page()
        self.node_id = node_id
        self._header(
            layout,
            node.type,
            node_id,
            f"{spec.title} · {spec.category}" if spec else f"unknown type '{node.type}'",
            spec.description if spec else "",
        )
        self._problems_box(layout)
        if self.comparison is not None:
            layout.addWidget(ParamChangesBox(self.comparison, node_id))

        id_label = QLabel("Node id")
        id_label.setObjectName("fieldLabel")
        layout.addWidget(id_label)
        self.id_edit = QLineEdit(node_id)
        self.id_edit.setObjectName("nodeId")
        self.id_edit.setToolTip("Unique name of the node; also used in internal topic names")
        self.id_edit.editingFinished.connect(self._on_id_edited)
        layout.addWidget(self.id_edit)
        self.id_error = QLabel()
        self.id_error.setObjectName("problem")
        self.id_error.setWordWrap(True)
        self.id_error.setVisible(False)
        layout.addWidget(self.id_error)

        if spec is not None and spec.params:
            self._section(layout, "Parameters")
            for param in spec.params:
                editor = editor_for(param)
                if isinstance(editor, SchemaParamEditor):
                    editor.bind(self._schema_source(node_id, param.name))
                editor.set_value(
                    node.params.get(param.name) if isinstance(node.params, dict) else None
                )
                editor.edited.connect(
                    lambda value, p=param.name, e=editor: self._on_param_edited(p, value, e)
                )
                field = _Field(param, editor)
                self.fields[param.name] = field
                layout.addWidget(field)
        elif spec is not None:
            note = QLabel("This node has no parameters.")
            note.setObjectName("help")
            layout.addWidget(note)
        layout.addStretch(1)
        self._show_applicable()
        self._install_page()
        self.refresh_field_names()
        self._on_problems_changed(self.document.problems)

    def _show_applicable(self) -> None:
        """Hides the params that mean nothing beside the others (a schema where the format
        is JSON), unless they hold a value."""
        if self.node_id is None:
            return
        node = self.topology.node(self.node_id)
        spec = NODE_TYPES.get(node.type)
        params = node.params if isinstance(node.params, dict) else {}
        for field in self.fields.values():
            field.setVisible(spec is None or field.spec.applies(params, spec.params))

    def _build_multi_page(self, node_ids: list[str]) -> None:
        layout = self._new_page()
        self._header(
            layout,
            None,
            f"{len(node_ids)} nodes selected",
            ", ".join(node_ids[:6]) + ("…" if len(node_ids) > 6 else ""),
            "Drag to move them together; Delete removes them; Ctrl+D duplicates them.",
        )
        layout.addStretch(1)
        self._install_page()

    def _build_settings_page(self) -> None:
        layout = self._new_page()
        t = self.topology
        self._header(
            layout,
            None,
            "Topology",
            self._counts(),
            "Select a node to edit it. These settings apply to the whole topology.",
        )
        self._problems_box(layout)
        name_label = QLabel(f"Name <span style='color:{theme.ERROR.name()}'>*</span>")
        name_label.setObjectName("fieldLabel")
        layout.addWidget(name_label)
        self.name_edit = QLineEdit(t.name)
        self.name_edit.setObjectName("topologyName")
        self.name_edit.setToolTip(
            "Also the application id: the consumer group and the prefix of internal topics"
        )
        self.name_edit.editingFinished.connect(self._on_topology_name_edited)
        layout.addWidget(self.name_edit)
        hint = QLabel("Also the application id: consumer group and internal topic prefix.")
        hint.setObjectName("help")
        hint.setWordWrap(True)
        layout.addWidget(hint)
        self._section(layout, "Settings")
        for spec in SETTINGS.values():
            editor = editor_for(spec)
            if hasattr(editor, "set_topology"):  # the alert rules offer the topology's nodes
                editor.set_topology(t)
            editor.set_value(t.settings.get(spec.name))
            editor.edited.connect(
                lambda value, n=spec.name, e=editor: self.document.set_setting(
                    n, value, merge_key=(n, e.gesture)
                )
            )
            field = _Field(spec, editor)
            self.fields[spec.name] = field
            layout.addWidget(field)
        layout.addStretch(1)
        self._install_page()
        self._on_problems_changed(self.document.problems)

    def _counts(self) -> str:
        n, e = len(self.topology.nodes), len(self.topology.edges)
        return f"{n} node{'s' if n != 1 else ''} · {e} edge{'s' if e != 1 else ''}"

    # -- edits ---------------------------------------------------------------------------

    def _on_param_edited(self, name: str, value, editor: ParamEditor) -> None:
        if self.node_id is None:
            return
        self.document.set_param(self.node_id, name, value, merge_key=(name, editor.gesture))

    def _on_id_edited(self) -> None:
        if self.node_id is None or self.id_edit is None:
            return
        new = self.id_edit.text().strip()
        if new == self.node_id:
            self.id_error.setVisible(False)
            set_invalid(self.id_edit, False)
            return
        try:
            self.document.rename_node(self.node_id, new)
        except ModelError as exc:
            self.id_error.setText(str(exc))
            self.id_error.setVisible(True)
            set_invalid(self.id_edit, True)
            return
        self.id_error.setVisible(False)
        set_invalid(self.id_edit, False)

    def _on_topology_name_edited(self) -> None:
        name = self.name_edit.text().strip()
        if name and TOPIC_PATTERN.match(name):
            set_invalid(self.name_edit, False)
            self.document.rename_topology(name)
        else:
            set_invalid(self.name_edit, True)

    # -- the model's events ----------------------------------------------------------------

    def _on_params_changed(self, node_id: str) -> None:
        if node_id != self.node_id:
            if self.node_id is not None:  # an upstream topic or field may have changed
                self.refresh_field_names()
            return
        params = self.topology.node(node_id).params
        for name, field in self.fields.items():
            value = params.get(name) if isinstance(params, dict) else None
            if field.editor.value() != value:
                field.editor.set_value(value)
        self._show_applicable()

    def _on_node_renamed(self, old: str, new: str) -> None:
        if old in self.node_ids:
            self.node_ids = [new if n == old else n for n in self.node_ids]
        if old == self.node_id:
            self.node_id = new
            self.title_label.setText(new)
            if self.id_edit is not None and self.id_edit.text() != new:
                self.id_edit.setText(new)
            if self.id_error is not None:
                self.id_error.setVisible(False)
                set_invalid(self.id_edit, False)

    def _on_node_removed(self, node) -> None:
        if node.id in self.node_ids:
            self.show_nodes([n for n in self.node_ids if n != node.id])

    def _on_settings_changed(self) -> None:
        if self.node_ids:
            return
        for name, field in self.fields.items():
            value = self.topology.settings.get(name)
            if field.editor.value() != value and not (
                value is None and field.editor.value() == field.editor.spec.default
            ):
                field.editor.set_value(value)

    def _on_name_changed(self, name: str) -> None:
        if not self.node_ids and hasattr(self, "name_edit") and self.name_edit.text() != name:
            self.name_edit.setText(name)

    def _on_count_changed(self, *args) -> None:
        if self.node_id is not None:
            self.refresh_field_names()
        if not self.node_ids and self._page is not None:
            subtitle = self._page.findChild(QLabel, "inspectorSubtitle")
            if subtitle is not None:
                subtitle.setText(self._counts())

    def _on_problems_changed(self, problems: list[Problem]) -> None:
        if self._page is None or not hasattr(self, "problems_label"):
            return
        try:
            self.problems_label.isVisible()
        except RuntimeError:  # the label belonged to a page already replaced
            return
        if self.node_id is not None:
            mine = [p for p in problems if p.node_id == self.node_id]
        elif not self.node_ids:
            mine = [p for p in problems if p.node_id is None]
        else:
            return
        by_param: dict[str, Problem] = {}
        for p in sorted(mine, key=lambda p: not p.is_error):  # a param's error before its warning
            if p.param and p.param not in by_param:
                by_param[p.param] = p
        for name, field in self.fields.items():
            p = by_param.get(name)
            field.set_problem(p.message if p else None, p is not None and not p.is_error)
        general = [p for p in mine if not (p.param and p.param in self.fields)]
        if general:
            lines = []
            for p in general:
                colour = theme.ERROR.name() if p.is_error else theme.WARNING.name()
                lines.append(f"<span style='color:{colour}'>●</span> {p.message}")
            self.problems_label.setText("<br>".join(lines))
        self.problems_label.setVisible(bool(general))
