"""The states a run goes through, as every run reports them: the Kafka run's status, the
worker's ``status`` events to the app, the fleet record (``topology-studio-metrics/1``),
``--metrics-out`` and ``topology-studio status``.

A ``StrEnum``: each member is its lower-case name as a string, so what is written to files,
pipes and topics stays the same text, and a status read back from one compares equal to
its member. Defined here, at the bottom of the engine, so the fleet (``engine.cluster``)
and the runs (``engine.runtime``) share it.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["ACTIVE", "ENDED", "RunStatus"]


class RunStatus(StrEnum):
    IDLE = "idle"  # no run has started (the app's monitor before its first run)
    STARTING = "starting"
    RUNNING = "running"
    DISCONNECTED = "disconnected"  # the brokers went away; the run retries
    STOPPING = "stopping"
    STOPPED = "stopped"
    FAILED = "failed"

    @classmethod
    def read(cls, text: object, default: RunStatus) -> RunStatus:
        """The status ``text`` names, or ``default`` for anything else (a record from
        elsewhere may hold anything)."""
        if not isinstance(text, str):
            return default
        try:
            return cls(text)
        except ValueError:
            return default

    @property
    def ended(self) -> bool:
        return self in ENDED


ENDED = frozenset({RunStatus.STOPPED, RunStatus.FAILED})  # a run in these does no more
ACTIVE = frozenset(  # a run in these is under way
    {RunStatus.STARTING, RunStatus.RUNNING, RunStatus.DISCONNECTED, RunStatus.STOPPING}
)
