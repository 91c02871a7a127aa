"""How long a run has had nothing to read, for ``--until-idle``."""

from __future__ import annotations


class IdleClock:
    """Runs from the first assignment; any consumed batch resets it."""

    def __init__(self) -> None:
        self.assigned_at: float | None = None
        self.last_input = 0.0

    def assigned(self, now: float) -> None:
        self.assigned_at = now
        self.last_input = now

    def idle_for(self, now: float) -> float:
        """Seconds without input since the run was assigned (0 before that)."""
        if self.assigned_at is None:
            return 0.0
        return now - self.last_input
