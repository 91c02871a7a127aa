"""The settings editor of masking rules: a list shown and read back as one line of JSON."""

from __future__ import annotations

from engine.model.catalogue import SETTINGS
from gui.designer.editors.registry import editor_for
from gui.designer.editors.scalars import JsonParamEditor


def test_masking_rules_are_edited_as_json(qtbot):
    editor = editor_for(SETTINGS["masking"])
    qtbot.addWidget(editor)
    assert isinstance(editor, JsonParamEditor)
    rules = [{"field": "email", "topic": "orders*"}]
    editor.set_value(rules)
    assert editor.edit.text() == '[{"field": "email", "topic": "orders*"}]'
    assert editor.value() == rules
    editor.edit.setText("[{oops")
    assert editor.value() == "[{oops"  # kept as text: validation says it is not a list
