"""What a broker says of a topic's partitions, for scans and offset resets: each
partition's low and end offsets (the end read from a fetch response's high watermark, exact on
every Kafka-compatible broker), and the first offset at or after a time."""

from __future__ import annotations

import time

from confluent_kafka import Consumer, KafkaException, TopicPartition

from engine.cluster.admin import ConnectionProblem, explain


def end_offsets(
    consumer: Consumer, topic: str, partitions: list[int]
) -> dict[int, tuple[int, int]]:
    """(low, end) of each partition: the end is the high watermark of a fetch response
    (see the module docstring), found by fetching each partition's last record."""
    listed: dict[int, tuple[int, int]] = {}
    for p in partitions:
        try:
            low, high = consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)
        except KafkaException as exc:
            raise ConnectionProblem(explain(exc.args[0] if exc.args else None, "the cluster"))
        listed[p] = (low, high)
    probe = [p for p, (low, high) in listed.items() if high > low]
    if not probe:
        return listed
    consumer.assign([TopicPartition(topic, p, max(listed[p][0], listed[p][1] - 1)) for p in probe])
    found: dict[int, tuple[int, int]] = dict(listed)
    pending = set(probe)
    deadline = time.monotonic() + 5.0
    while pending and time.monotonic() < deadline:
        consumer.consume(1000, timeout=0.1)
        for p in list(pending):
            _low, high = consumer.get_watermark_offsets(TopicPartition(topic, p), cached=True)
            if high is not None and high >= listed[p][1]:
                found[p] = (listed[p][0], high)
                pending.discard(p)
    consumer.unassign()
    return found


def offsets_for_time(
    consumer: Consumer, topic: str, partitions: list[int], when: int
) -> dict[int, int]:
    """The broker's first offset at or after ``when`` per partition (-1: none). A broker
    that cannot answer gives the start: the scan then skips by record timestamps."""
    try:
        found = consumer.offsets_for_times(
            [TopicPartition(topic, p, when) for p in partitions], timeout=10
        )
    except KafkaException:
        return {p: 0 for p in partitions}
    return {tp.partition: (tp.offset if tp.error is None else 0) for tp in found}
