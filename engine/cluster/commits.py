"""The committed offsets of consumer groups, read the way a group's own members read them.

``CommittedOffsets.read(group)`` asks the group's coordinator with a consumer of that group
(``Consumer.committed``: an OffsetFetch through librdkafka's consumer-group client), a
consumer that never subscribes, so it never joins the group nor changes what it holds.

It does not use the admin API's ListConsumerGroupOffsets: that request goes through
librdkafka's admin coordinator requests, and librdkafka 2.16 can abort the whole process
(``rdkafka_queue.h: rd_kafka_enq_once_del_source_return: Assertion 'eonce->refcnt > 0'``)
when the coordinator goes and comes back while one is pending, as it does when a broker
restarts under an app polling its group's lag every two seconds.

A consumer's OffsetFetch names its partitions, so the partitions come from the cluster's
metadata: every partition of every topic while the group has committed nothing and every
``FULL_LOOK_S``, the topics it had committed to in between, so a poll of a group on a
cluster of thousands of topics asks for its own few.
"""

from __future__ import annotations

import time
import uuid
from collections import OrderedDict

from confluent_kafka import Consumer, TopicPartition

INTERNAL_PREFIXES = ("__", "_schemas")  # the schema registry's topic is internal too
FULL_LOOK_S = 30.0
KEPT_GROUPS = 4  # consumers kept open, the groups read most recently


class CommittedOffsets:
    """One consumer per group read recently; not thread-safe (the caller holds a lock).

    Raises ``KafkaException`` when the brokers or the coordinator do not answer in time."""

    def __init__(self, config: dict):
        self.config = config
        self._consumers: OrderedDict[str, Consumer] = OrderedDict()
        self._partitions: dict[str, dict[str, int]] = {}  # group -> topic -> partitions
        self._looked: dict[str, float] = {}  # group -> when every topic was last asked

    def read(self, group: str, timeout: float = 10.0) -> dict[tuple[str, int], int]:
        consumer = self._consumer(group)
        now = time.monotonic()
        full = not self._partitions.get(group) or now - self._looked[group] >= FULL_LOOK_S
        if full:
            meta = consumer.list_topics(timeout=timeout)
            topics = {
                name: len(t.partitions)
                for name, t in meta.topics.items()
                if not t.error and not name.startswith(INTERNAL_PREFIXES)
            }
        else:
            topics = self._partitions[group]
        asked = [TopicPartition(t, p) for t, n in sorted(topics.items()) for p in range(n)]
        found = consumer.committed(asked, timeout=timeout) if asked else []
        offsets = {
            (tp.topic, tp.partition): tp.offset for tp in found if tp.offset >= 0 and not tp.error
        }
        read = {t for t, _ in offsets}
        self._partitions[group] = {t: n for t, n in topics.items() if t in read}
        if full:
            self._looked[group] = now
        return offsets

    def _consumer(self, group: str) -> Consumer:
        consumer = self._consumers.pop(group, None)
        if consumer is None:
            consumer = Consumer(
                {
                    **self.config,
                    "group.id": group,
                    "client.id": f"topology-studio-offsets-{uuid.uuid4().hex[:8]}",
                    "enable.auto.commit": False,
                    "enable.auto.offset.store": False,
                }
            )
            while len(self._consumers) >= KEPT_GROUPS:
                old, kept = self._consumers.popitem(last=False)
                kept.close()
                self._partitions.pop(old, None)
        self._consumers[group] = consumer
        return consumer

    def close(self) -> None:
        while self._consumers:
            _group, consumer = self._consumers.popitem()
            consumer.close()
        self._looked.clear()
        self._partitions.clear()
