"""The run's schema registry (reference §7.6): found, connected and asked whether it answers
before the run compiles its sources and sinks, as the brokers are."""

from __future__ import annotations

from engine.model.topology import Topology
from engine.runtime.kafka.errors import RegistryUnreachableError, RunFailedError
from engine.runtime.kafka.lifecycle import RunState
from engine.runtime.schemas import (
    RegistryConfigError,
    RegistryOutage,
    SchemaFormats,
    resolve_registry,
)


def connect_registry(topology: Topology, url: str | None, state: RunState) -> SchemaFormats:
    """The schema formats of a run of ``topology`` (its run context's ``schemas``): in-process
    when it has no schema format, else with the registry at ``url`` (else settings.schema_registry, else
    $SCHEMA_REGISTRY_URL), waiting through its outages with the run's ``state``. Raises
    RunFailedError when there is none to use, RegistryUnreachableError when it does not
    answer now."""
    from engine.model.validation import registry_problems, schema_format_nodes

    if not schema_format_nodes(topology):
        return SchemaFormats(folder=topology.folder)
    try:
        config = resolve_registry(topology.settings, url)
    except RegistryConfigError as exc:
        raise RunFailedError(str(exc)) from None
    if config is None:
        raise RunFailedError(str(registry_problems(topology, None)[0]))
    outage = RegistryOutage(
        config.shown_url, state.set, lambda: state.stopping, lambda: state.status
    )
    schemas = SchemaFormats.for_registry(config, topology.folder, outage)
    reason = schemas.unreachable()
    if reason is not None:
        raise RegistryUnreachableError(reason)
    return schemas
