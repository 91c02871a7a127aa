"""What the app and the worker process say to each other through their pipe.

The worker sends ``(WorkerEvent, payload)`` tuples; the supervisor's thread hands them on
as ``on_event(kind, payload)`` (``engine.runtime.worker.supervisor``), the instances
combine several workers' into one stream of the same kinds (``instances``), and the app's
run controller reads them (``gui/monitor``). The app sends ``(AppRequest, ...)`` tuples.
Both are ``StrEnum``s: a kind compares equal to its text.

Payloads, by event kind:

- ``STATUS``: ``(RunStatus, reason)`` (``engine.model.status``);
- ``METRICS``: the run's snapshot (``RunMetrics.snapshot``);
- ``CONSOLE``: a batch of ``(node_id, text)``;
- ``DEAD_LETTER``: a batch of dicts (node, error, topic, partition, offset, key, value);
- ``SAMPLES``: ``(node_id, [record as plain data])`` for the previewed node;
- ``DASHBOARDS``: the rows changed per dashboard node since the last batch;
- ``STATE``: the answer to a ``STATE`` request (``testing.state_view.state_reply``);
- ``FINISHED``: the run's final metrics (None when it could not start), always last.

Requests: ``STOP`` ``()``; ``PREVIEW`` ``(node_id or None)``; ``STATE`` ``(request dict)``.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["AppRequest", "WorkerEvent"]


class WorkerEvent(StrEnum):
    STATUS = "status"
    METRICS = "metrics"
    CONSOLE = "console"
    DEAD_LETTER = "dead_letter"
    SAMPLES = "samples"
    DASHBOARDS = "dashboards"
    STATE = "state"
    FINISHED = "finished"


class AppRequest(StrEnum):
    STOP = "stop"
    PREVIEW = "preview"
    STATE = "state"
