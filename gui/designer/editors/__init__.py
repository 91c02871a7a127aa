"""Typed editors for node params; ``registry.editor_for`` picks one per ParamSpec kind."""
