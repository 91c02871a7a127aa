"""Which registered schema records were written with, in words: the format, the subject and
version that hold a schema id, and one line for a set of them
(``Avro · subject orders-value · version 1 · schema id 1``). The Topic Browser, ``topic read``,
the data preview and the Cluster dock's samples say it the same way. Every lookup asks the
registry (blocking); callers keep the answers, a schema id never changes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from engine.model.schemas import FORMAT_TITLES

FORMAT_OF_TYPE = {"AVRO": "avro", "PROTOBUF": "protobuf", "JSON": "json_schema"}


@dataclass(frozen=True)
class SchemaInfo:
    schema_id: int
    format: str  # avro, protobuf, json_schema
    subject: str = ""  # "" when no subject holds it any more
    version: int | None = None


def schema_info(client, schema_id: int, topic: str = "") -> SchemaInfo:
    """What ``schema_id`` is, asked of ``client`` (confluent-kafka's registry client): its
    format, and the subject and version it is registered under (``<topic>-value`` when it is
    there, else the first)."""
    schema = client.get_schema(schema_id)
    fmt = FORMAT_OF_TYPE.get(schema.schema_type or "AVRO", "avro")
    subject, version = "", None
    try:
        versions = list(client.get_schema_versions(schema_id))
    except Exception:  # noqa: BLE001 - a registry without the endpoint: no subject shown
        versions = []
    preferred = [v for v in versions if v.subject == f"{topic}-value"] or versions
    if preferred:
        subject, version = preferred[0].subject, preferred[0].version
    return SchemaInfo(schema_id, fmt, subject, version)


def describe(infos: list[SchemaInfo]) -> str:
    """One line naming the schemas ``infos``."""
    formats = sorted({FORMAT_TITLES.get(i.format, i.format) for i in infos})
    subjects = sorted({i.subject for i in infos if i.subject})
    versions = sorted({i.version for i in infos if i.version is not None})
    ids = [str(i.schema_id) for i in infos]
    parts = [" / ".join(formats)]
    if subjects:
        parts.append(f"subject {', '.join(subjects)}")
    if versions:
        parts.append(f"version{'s' if len(versions) > 1 else ''} {', '.join(map(str, versions))}")
    parts.append(f"schema id{'s' if len(ids) > 1 else ''} {', '.join(ids)}")
    return " · ".join(parts)


def describe_ids(client, schema_ids: Iterable[int], topic: str = "") -> str:
    """``describe`` of the schemas ``schema_ids``; the ids alone when the registry does not
    say more."""
    ids = sorted(set(schema_ids))
    try:
        return describe([schema_info(client, i, topic) for i in ids])
    except Exception:  # noqa: BLE001 - the registry stopped answering: the ids alone
        return f"schema id{'s' * (len(ids) != 1)} {', '.join(map(str, ids))}"
