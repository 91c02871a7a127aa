"""The param editor for each ParamSpec kind: ``editor_for(spec)``. This module imports the
editors; none of them imports it."""

from __future__ import annotations

from engine.model.catalogue import ParamSpec
from gui.designer.editors.alerts import AlertsParamEditor
from gui.designer.editors.base import ParamEditor
from gui.designer.editors.field_list import FieldListParamEditor
from gui.designer.editors.rows import RowsParamEditor
from gui.designer.editors.scalars import (
    BoolParamEditor,
    DurationParamEditor,
    EnumParamEditor,
    ExpressionParamEditor,
    JsonParamEditor,
    NumberParamEditor,
    TextParamEditor,
    TimestampParamEditor,
)
from gui.designer.editors.schema import SchemaParamEditor, SchemaRegistryParamEditor
from gui.designer.editors.window import WindowParamEditor

EDITORS = {
    "expr": ExpressionParamEditor,
    "string": TextParamEditor,
    "path": TextParamEditor,
    "topic": TextParamEditor,
    "enum": EnumParamEditor,
    "int": NumberParamEditor,
    "number": NumberParamEditor,
    "bool": BoolParamEditor,
    "duration": DurationParamEditor,
    "timestamp": TimestampParamEditor,
    "fields": RowsParamEditor,
    "branches": RowsParamEditor,
    "aggregations": RowsParamEditor,
    "window": WindowParamEditor,
    "alerts": AlertsParamEditor,  # a node's alert rules
    "field_list": FieldListParamEditor,  # a dashboard's fields, picked from those seen upstream
    "schema": SchemaParamEditor,  # a sink's value_schema / key_schema: subject, file or text
    "schema_registry": SchemaRegistryParamEditor,  # settings.schema_registry: URL, user info
    "masking": JsonParamEditor,  # settings.masking rules, as JSON
}


def editor_for(spec: ParamSpec, parent=None) -> ParamEditor:
    return EDITORS.get(spec.kind, TextParamEditor)(spec, parent)
