"""Consumer groups: their committed offsets, and the admin requests that go to a group's
coordinator, made so that a broker that restarts cannot abort the process.

librdkafka 2.16 aborts the process when an admin request that goes to a group's coordinator
(ListConsumerGroupOffsets, DescribeConsumerGroups, DeleteConsumerGroups,
AlterConsumerGroupOffsets) times out while the coordinator is away and the coordinator comes
back while the client lives: the request is sent late, finds its operation gone, and the
failure it then reports releases the operation's reference a second time
(``rdkafka_queue.h: rd_kafka_enq_once_del_source_return: Assertion 'eonce->refcnt > 0'``).
An app polling its group's lag every two seconds while the broker restarts met it within
seconds. So:

- ``CommittedOffsets.read(group)``, for what asks again and again (lag charts, the app's
  cluster view), asks the group's coordinator with a consumer of that group
  (``Consumer.committed``: the consumer-group client's OffsetFetch), a consumer that never
  subscribes, so it never joins the group nor changes what it holds. A consumer's
  OffsetFetch names its partitions, so they come from the cluster's metadata: every
  partition of every topic while the group has committed nothing and every ``FULL_LOOK_S``,
  the topics it had committed to in between, so a poll of a group on a cluster of thousands
  of topics asks for its own few.
- ``with_own_admin(config, work)`` does one piece of work on an admin client made for it
  and destroyed right after, before a coordinator that comes back can meet a request of it
  that timed out.
- ``describe_group(config, group)``: a group's state and members, through such a client.
- ``every_group(config)``: every group's committed offsets at once (the sandbox keepers),
  through such a client, all groups' requests in flight together.
"""

from __future__ import annotations

import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from typing import TypeVar

from confluent_kafka import (
    Consumer,
    ConsumerGroupTopicPartitions,
    KafkaError,
    KafkaException,
    TopicPartition,
)
from confluent_kafka.admin import AdminClient, ConsumerGroupDescription

INTERNAL_PREFIXES = ("__", "_schemas")  # the schema registry's topic is internal too
FULL_LOOK_S = 30.0
KEPT_GROUPS = 4  # consumers kept open, the groups read most recently
T = TypeVar("T")


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


def with_own_admin(config: dict, work: Callable[[AdminClient], T]) -> T:
    """``work(admin)`` on an admin client made for it and destroyed before this returns or
    raises (module docstring); a ``KafkaException`` of ``work`` is raised again after, with
    its error only (its traceback would keep the client alive). ``work`` must keep neither
    the client nor its futures."""
    admin = AdminClient(config)
    error = None
    try:
        result = work(admin)
    except KafkaException as exc:
        error = exc.args[0] if exc.args else KafkaError(KafkaError._FAIL)
    del admin  # the last reference: librdkafka's client is destroyed here
    if error is not None:
        raise KafkaException(error)
    return result


def describe_group(config: dict, group: str, timeout: float = 10.0) -> ConsumerGroupDescription:
    """``group``'s description (state, members), asked on an admin client of its own;
    ``KafkaException`` as the broker answers (GROUP_ID_NOT_FOUND for a group it does not
    know) or when it does not."""

    def work(admin: AdminClient) -> ConsumerGroupDescription:
        future = admin.describe_consumer_groups([group], request_timeout=timeout)[group]
        return future.result(timeout=timeout + 2)

    return with_own_admin(config, work)


def every_group(config: dict, timeout: float = 10.0) -> dict[str, dict[tuple[str, int], int]]:
    """Every consumer group's committed offsets per (topic, partition), all groups' requests
    in flight together; ``KafkaException`` when the brokers do not answer. A group gone
    meanwhile is left out."""

    def work(admin: AdminClient) -> dict[str, dict[tuple[str, int], int]]:
        listed = admin.list_consumer_groups(request_timeout=timeout).result(timeout=timeout + 2)
        futures = {
            g.group_id: admin.list_consumer_group_offsets(
                [ConsumerGroupTopicPartitions(g.group_id)], request_timeout=timeout
            )[g.group_id]
            for g in listed.valid
        }
        found: dict[str, dict[tuple[str, int], int]] = {}
        for name, future in sorted(futures.items()):
            try:
                result = future.result(timeout=timeout + 2)
            except KafkaException as exc:
                if exc.args and exc.args[0].code() == KafkaError.GROUP_ID_NOT_FOUND:
                    continue
                raise
            found[name] = {
                (tp.topic, tp.partition): tp.offset
                for tp in result.topic_partitions
                if tp.offset >= 0 and not tp.error
            }
        return found

    return with_own_admin(config, work)
