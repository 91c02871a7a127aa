"""Observers of a run's life: the hook that run-state publishing, alerts and dashboards use."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class RunObserver:
    """Told of a run's life from the run's thread; every method must return quickly.

    ``on_start`` once the clients exist and the run is about to read; ``on_tick`` with
    ``snapshot()`` every metrics interval (about once a second); ``on_stop`` with the
    final snapshot after the last commit. An observer that raises is reported once
    on the console and then left alone: observing never fails a run."""

    def on_start(self, run: Any) -> None:
        pass

    def on_tick(self, snapshot: dict) -> None:
        pass

    def on_stop(self, snapshot: dict) -> None:
        pass


def notify(observers: list, event: str, arg: Any, console: Callable[[str, str], None]) -> None:
    """Call ``event`` on every observer; one that raises is dropped from ``observers`` with
    a warning on ``console``."""
    for observer in list(observers):
        try:
            getattr(observer, event)(arg)
        except Exception as exc:  # noqa: BLE001 - observing never fails a run
            observers.remove(observer)
            console(
                "run",
                f"warning: {type(observer).__name__} stopped after {type(exc).__name__}: {exc}",
            )
