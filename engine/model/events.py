"""A small Qt-free observer: the model's past-tense events (``node_added`` ...)."""

from __future__ import annotations

from collections.abc import Callable


class Event:
    """A list of callbacks; ``emit`` calls them in the order they connected."""

    __slots__ = ("_handlers",)

    def __init__(self) -> None:
        self._handlers: list[Callable] = []

    def connect(self, handler: Callable) -> None:
        self._handlers.append(handler)

    def disconnect(self, handler: Callable) -> None:
        try:
            self._handlers.remove(handler)
        except ValueError:
            pass

    def emit(self, *args) -> None:
        for handler in list(self._handlers):
            handler(*args)
