"""What a Kafka run is told (``RunConfig``) and what it answers (``RunResult``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from engine.model.status import RunStatus
from engine.runtime.dashboard import DashboardSet


@dataclass
class RunResult:
    status: RunStatus
    elapsed_s: float
    metrics: dict
    reason: str = ""


@dataclass
class RunConfig:
    bootstrap: str
    group_id: str | None = None
    client_config: dict = field(default_factory=dict)  # extra librdkafka settings (SASL, SSL, ...)
    console: Callable[[str, str], None] | None = None
    on_status: Callable[[RunStatus, str], None] | None = None
    on_metrics: Callable[[dict], None] | None = None
    on_dead_letter: Callable[[dict], None] | None = None
    metrics_interval_s: float = 1.0
    # None: 6,000 ms, 3,000 against the sandbox broker (clients.session_timeout says why)
    session_timeout_ms: int | None = None
    sample_size: int = 0  # > 0: keep the latest records that passed each node (data preview)
    # The idempotent producer keeps retries from duplicating records. None: on, except
    # against the sandbox broker, which forgets producer ids when it restarts (in memory
    # only) and would then refuse the run's records; at-least-once holds either way.
    idempotence: bool | None = None
    # Collaborators told of the run's life (see RunObserver): publishing run state,
    # alerts, dashboards. Called from the run's own thread; they must not block.
    observers: list = field(default_factory=list)
    # Which instance of the application this is, for a transactional id that stays the
    # same across restarts (see engine.runtime.kafka.slots). None: the first slot free on
    # this machine. Instances on different machines need distinct slots.
    instance_slot: int | None = None
    # Where dashboard sinks keep their rows (None: a set of the run's own). The app's worker
    # gives one that notes which rows changed.
    dashboards: DashboardSet | None = None
    # The schema registry of the avro, protobuf and json_schema formats (reference §7.6), when the
    # caller names one (run --schema-registry, the sandbox's); else settings.schema_registry,
    # else $SCHEMA_REGISTRY_URL.
    schema_registry_url: str | None = None
    # Keep each store locally at a clean stop, so the next run reads only the changelog
    # records written since (engine.runtime.kafka.local_checkpoints): the app's runs.
    local_checkpoints: bool = False
    # Hand repartitioned records to their aggregates in-process while this instance holds
    # every partition (engine.runtime.repartition.handoff, engine.runtime.kafka.local_routes); False:
    # every record goes through its repartition topic, as when the work is shared.
    hand_over: bool = True
