"""Topology Studio's desktop app (PySide6): the designer canvas, run and monitor panels.

Importing this package does not import Qt; ``gui.app.application`` does."""
