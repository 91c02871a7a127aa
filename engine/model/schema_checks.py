"""Validation of the schema formats (reference §7.6): a sink's schemas, and a registry to use.

``schema_problems`` is part of every validation; ``registry_problems`` is asked before a
run against a cluster, once the registry's address is known (it may come from the command
line, the environment or the sandbox, not only from the file)."""

from __future__ import annotations

from engine.model.problems import WARNING, Problem
from engine.model.schemas import (
    FORMAT_TITLES,
    SchemaTextError,
    check_schema,
    is_schema_format,
    resolve_ref,
)
from engine.model.topology import Topology


def schema_problems(node_id: str, params: dict, folder: str | None) -> list[Problem]:
    """A sink's schemas: present where its format needs one, parsed when given as text or
    a file; a schema param beside a format that takes none has no effect."""
    problems = []
    for part in ("key", "value"):
        fmt = params.get(f"{part}_format")
        schema = params.get(f"{part}_schema")
        name = f"{part}_schema"
        if not isinstance(fmt, str) or not is_schema_format(fmt):
            if schema is not None:
                problems.append(
                    Problem(
                        node_id,
                        f"{name} has no effect: {part}_format is "
                        f"{fmt or ('string' if part == 'key' else 'json')}, which takes no schema",
                        WARNING,
                        param=name,
                    )
                )
            continue
        if schema is None:
            problems.append(
                Problem(
                    node_id,
                    f"{part}_format {fmt} needs a {name}: the schema text, a file beside the "
                    "topology, or subject:<name> for one already registered",
                    param=name,
                )
            )
            continue
        if not isinstance(schema, str) or not schema.strip():
            continue  # said by check_value
        try:
            check_schema(fmt, resolve_ref(schema, folder))
        except SchemaTextError as exc:
            problems.append(Problem(node_id, f"{name}: {exc}", param=name))
        except RecursionError:
            problems.append(
                Problem(node_id, f"{name}: the {FORMAT_TITLES[fmt]} schema is nested too deeply")
            )
    return problems


def schema_format_nodes(topology: Topology) -> list[tuple[str, str, str]]:
    """(node id, "key" or "value", format) of every source and sink with a schema format
    (a demo generator's included: it writes its topic and reads it back)."""
    found = []
    for node in topology.nodes.values():
        if node.type in ("kafka_source", "kafka_sink", "generator_source"):
            for part in ("key", "value"):
                fmt = node.params.get(f"{part}_format")
                if isinstance(fmt, str) and is_schema_format(fmt):
                    found.append((node.id, part, fmt))
    return found


def registry_problems(topology: Topology, registry_url: str | None) -> list[Problem]:
    """Before a run against a cluster: a schema format with no schema registry to use."""
    if registry_url:
        return []
    return [
        Problem(
            node_id,
            f"{part}_format {fmt} needs a schema registry: set settings.schema_registry.url, "
            "pass --schema-registry URL, or set SCHEMA_REGISTRY_URL",
            param=f"{part}_format",
        )
        for node_id, part, fmt in schema_format_nodes(topology)
    ]
