"""Helpers for tests against the real sandbox broker."""

from __future__ import annotations

import json
import time

from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from engine.cluster.rotation import follow, unfollow


def create_topic(bootstrap: str, name: str, partitions: int = 1) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    futures = admin.create_topics(
        [NewTopic(name, num_partitions=partitions, replication_factor=-1)]
    )
    for future in futures.values():
        future.result(timeout=20)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        topic = admin.list_topics(timeout=5).topics.get(name)
        if topic is not None and not topic.error and len(topic.partitions) == partitions:
            return
        time.sleep(0.05)


def produce(bootstrap: str, topic: str, records, *, partition: int | None = None) -> None:
    """records: (key, value) pairs; values that are not bytes/str are written as JSON."""
    producer = Producer({"bootstrap.servers": bootstrap, "partitioner": "murmur2_random"})
    for item in records:
        key, value = item[0], item[1]
        headers = item[2] if len(item) > 2 else None
        if value is not None and not isinstance(value, (bytes, str)):
            value = json.dumps(value)
        kwargs = {"headers": headers} if headers else {}
        if partition is not None:
            kwargs["partition"] = partition
        producer.produce(topic, value, key, **kwargs)
    assert producer.flush(20) == 0


def consume_all(
    bootstrap: str,
    topic: str,
    *,
    expect: int | None = None,
    timeout: float = 20.0,
    quiet: float = 1.0,
):
    """Every message of ``topic`` from the beginning (messages, with error()-free entries).

    Reads until ``expect`` messages arrived (then a short quiet period to catch extras),
    or until nothing new arrives for ``quiet`` seconds after the topic's end. The topic is
    followed meanwhile (``engine.cluster.rotation.follow``): no keeper of this process
    deletes it under the consumer.
    """
    follow([topic])
    try:
        return _consume_all(bootstrap, topic, expect=expect, timeout=timeout, quiet=quiet)
    finally:
        unfollow([topic])


def _consume_all(bootstrap: str, topic: str, *, expect, timeout: float, quiet: float):
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"reader-{time.monotonic_ns()}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    meta = consumer.list_topics(topic, timeout=10).topics[topic]
    consumer.assign([TopicPartition(topic, p, 0) for p in meta.partitions])
    out = []
    deadline = time.monotonic() + timeout
    last_new = time.monotonic()
    while time.monotonic() < deadline:
        msgs = consumer.consume(500, timeout=0.2)
        fresh = [m for m in msgs if m.error() is None]
        out.extend(fresh)
        if fresh:
            last_new = time.monotonic()
        if expect is not None and len(out) >= expect and time.monotonic() - last_new > 0.3:
            break
        if expect is None and time.monotonic() - last_new > quiet:
            break
    consumer.close()
    return out


def values(messages) -> list:
    return [json.loads(m.value()) if m.value() is not None else None for m in messages]


def pairs(messages) -> list:
    return [
        (
            m.key().decode() if m.key() is not None else None,
            json.loads(m.value()) if m.value() is not None else None,
        )
        for m in messages
    ]


def exact_ends(bootstrap: str, tps: list[tuple[str, int]]) -> tuple[dict, dict]:
    """The first and end offsets of ``tps``, exact: the sandbox answers an offset query for
    the end with the start of the last batch + 1, so the end is what a fetch from there
    tells. The topics are followed meanwhile, as ``consume_all``'s."""
    topics = sorted({t for t, _ in tps})
    follow(topics)
    try:
        return _exact_ends(bootstrap, tps)
    finally:
        unfollow(topics)


def _exact_ends(bootstrap: str, tps: list[tuple[str, int]]) -> tuple[dict, dict]:
    probe = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": "tests-exact-ends",
            "enable.auto.commit": False,
            "enable.partition.eof": True,
            "fetch.wait.max.ms": 10,
        }
    )
    try:
        told = {
            (t, p): probe.get_watermark_offsets(TopicPartition(t, p), timeout=10) for t, p in tps
        }
        low = {tp: first for tp, (first, _) in told.items()}
        high = {tp: last for tp, (first, last) in told.items() if last <= first}
        filled = [tp for tp in tps if tp not in high]
        if filled:
            probe.assign(
                [TopicPartition(t, p, max(low[(t, p)], told[(t, p)][1] - 1)) for t, p in filled]
            )
            deadline = time.monotonic() + 20
            while len(high) < len(tps) and time.monotonic() < deadline:
                for msg in probe.consume(10_000, timeout=0.2):
                    tp = (str(msg.topic()), int(msg.partition() or 0))
                    if msg.error() is None:
                        _first, end = probe.get_watermark_offsets(TopicPartition(*tp), cached=True)
                        if end is not None and end > int(msg.offset() or 0):
                            high.setdefault(tp, end)
                    elif msg.error().code() == KafkaError._PARTITION_EOF:
                        high.setdefault(tp, int(msg.offset() or 0))
        return low, high
    finally:
        probe.close()
