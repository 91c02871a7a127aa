"""What the app shows of the schema formats (reference §7.6), Qt-free: which schema the records
on screen were written with (format, subject, version, schema id), for the data preview's
header, and a sampled topic's values decoded with the registry, for the cluster view.

A ``RegistryLookup`` asks one registry and remembers its answers (a schema id never
changes); its methods block, so the app calls them off the GUI thread.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from engine.cluster.topics.schema_names import FORMAT_OF_TYPE, SchemaInfo, describe, schema_info
from engine.runtime.kafka.samples import wire_schema_id


class RegistryLookup:
    def __init__(self, client, url: str = ""):
        self.client = client
        self.url = url
        self._infos: dict[int, SchemaInfo] = {}
        self._decoders: dict[tuple[str, str], Callable[[bytes], Any]] = {}

    def info(self, schema_id: int, topic: str = "") -> SchemaInfo:
        """The schema ``schema_id`` is: its format, and the subject and version it is
        registered under (``<topic>-value`` when it is there, else the first)."""
        found = self._infos.get(schema_id)
        if found is None:
            found = self._infos[schema_id] = schema_info(self.client, schema_id, topic)
        return found

    def header(self, schema_ids: Iterable[int], topic: str = "") -> str:
        """One line naming the schemas of the records shown:
        ``Avro · subject orders-value · version 1 · schema id 1``."""
        infos = [self.info(i, topic) for i in sorted(set(schema_ids))]
        if not infos:
            return ""
        return describe(infos)

    def registered_fields(self, topic: str) -> list[str]:
        """The top-level field names of the latest schema under ``<topic>-value``
        (``engine.runtime.schemas.fields``), or [] when the registry has none."""
        from confluent_kafka.schema_registry.error import SchemaRegistryError

        from engine.runtime.schemas.fields import registered_fields

        try:
            latest = self.client.get_latest_version(f"{topic}-value")
        except SchemaRegistryError as exc:
            if exc.http_status_code == 404:
                return []
            raise
        fmt = FORMAT_OF_TYPE.get(latest.schema.schema_type or "AVRO", "avro")
        return registered_fields(self.client, topic, fmt)

    def value_decoder(self, topic: str) -> Callable[[bytes], Any]:
        """Decodes a value of ``topic`` in the wire format with the schema it names (any
        of the three formats); raises ValueError for other bytes, which the caller shows
        as they are."""

        def decode(data: bytes) -> Any:
            from engine.runtime.schemas import codecs

            sid = wire_schema_id(data)
            if sid is None:
                raise ValueError("not in the schema registry's wire format")
            fmt = self.info(sid, topic).format
            made = self._decoders.get((fmt, topic))
            if made is None:
                made = self._decoders[(fmt, topic)] = codecs.decoder(
                    fmt, self.client, topic, "value"
                )
            return made(data)

        return decode


def sample_topic(client, lookup: RegistryLookup | None, topic: str, count: int = 50):
    """Blocking: the latest ``count`` records of ``topic`` through ``client`` (a
    ClusterClient), values in a schema format decoded with ``lookup``'s registry; and the
    header naming their schemas ("" when none is in a schema format)."""
    if lookup is None:
        return client.sample(topic, count), ""
    seen: set[int] = set()
    decode = lookup.value_decoder(topic)

    def decode_value(data: bytes) -> Any:
        sid = wire_schema_id(data)
        if sid is not None:
            seen.add(sid)
        return decode(data)

    records = client.sample(topic, count, decode_value=decode_value)
    if not seen:
        return records, ""
    try:
        return records, lookup.header(seen, topic)
    except Exception:  # noqa: BLE001 - the registry stopped answering: the ids alone
        return records, f"schema ids {', '.join(map(str, sorted(seen)))}"
