"""What a topic scan says once it has ended (``TopicScan.notices``, printed by ``topic read``
and shown under the Topic Browser's table): the records its filter failed on, those its
formats could not read, the registered schemas the records read were written with,
wire-format records read with no schema registry named, and a start time after the topic's
end or before its first record."""

from __future__ import annotations

from engine.cluster.topics.positions import StartKind, format_time
from engine.cluster.topics.schema_names import describe_ids


def afterwards(scan) -> list[str]:
    """The sentences ``scan`` (a ``TopicScan`` that has ended) adds to its notices."""
    notices: list[str] = []
    if scan.filter_failures:
        n = scan.filter_failures
        notices.append(
            f"the filter failed on {n} record{'s' * (n != 1)}, which do not match "
            f"(first: {scan.first_failure})"
        )
    for decoder in (scan.key_decoder, scan.value_decoder):
        what = "in the schema registry's wire format" if decoder.fmt == "auto" else ""
        for reason, n in decoder.problems.items():
            read_as = what or f"as {decoder.fmt}"
            notices.append(
                f"{n} {decoder.part}{'s' * (n != 1)} could not be read {read_as} "
                f"({reason}) and {'are' if n != 1 else 'is'} shown as detected"
            )
        if decoder.schema_ids and scan.reader.registry is not None:
            client = scan.reader.registry.client
            named = describe_ids(client, decoder.schema_ids, scan.request.topic)
            notices.append(f"{decoder.part}s in {named}")
        n = decoder.wire_without_registry
        if n:
            notices.append(
                f"{n} {decoder.part}{'s' * (n != 1)} read {'are' if n != 1 else 'is'} in "
                f"the schema registry's wire format (schema id {decoder.first_schema_id}) "
                f"and shown undecoded: {scan.reader.registry_hint}"
            )
    start = scan.request.start
    if start.kind is StartKind.TIME and not scan.cancelled:
        notices += _about_time(scan, start.value)
    return notices


def _about_time(scan, when: int) -> list[str]:
    parts = list(scan.partitions.values())
    topic = scan.request.topic
    nothing_after = all(p.start >= p.end or p.time_gate is not None for p in parts)
    complete = scan.request.limit is None or scan.progress.matched < scan.request.limit
    if nothing_after and complete:
        return [
            (
                f"no record of '{topic}' is at or after {format_time(when)}: "
                "the time is after its end, nothing to read"
            )
        ]
    firsts = [p.first_timestamp for p in parts if p.start == p.low and p.end > p.low]
    if (
        firsts
        and len(firsts) == len([p for p in parts if p.end > p.low])
        and all(ts is not None and ts > when for ts in firsts)
    ):
        oldest = min(ts for ts in firsts if ts is not None)
        return [
            (
                f"{format_time(when)} is before the first record of "
                f"'{topic}' ({format_time(oldest)}): read from its start"
            )
        ]
    return []
