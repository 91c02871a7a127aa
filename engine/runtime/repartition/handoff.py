"""Repartitioned records handed to their aggregate in-process.

A grouped aggregate reads its input from a repartition topic, so that every record of a
group key meets the others in one partition, on one instance (Kafka Streams'
repartitioning). When the run holds every partition of every topic it reads (it is its
consumer group's only member), that round trip moves no record to another instance: it
only costs a produce, a consume and a decode per record. The run then hands each record
straight to the aggregate (``Route.local``), at the partition the topic would have put
it in (the producer's murmur2 partitioner, ``partition_of``), in the order it would
have read it back: the same stores, changelogs, checkpoints and outputs.

When a route may be local is the Kafka run's decision (``engine.runtime.kafka.local_routes``);
this module is what the repartition writers (``topic``) read per record.
"""

from __future__ import annotations

import random

__all__ = ["Handoff", "Route", "murmur2", "partition_of"]

_M = 0x5BD1E995
_SEED = 0x9747B28C
_MASK = 0xFFFFFFFF
PARTITION_CACHE = 65536  # group keys whose partition a route remembers


def murmur2(data: bytes) -> int:
    """Kafka's murmur2 hash of ``data`` (Java's ``Utils.murmur2``, librdkafka's
    ``rd_murmur2``), as an unsigned 32-bit number."""
    length = len(data)
    h = (_SEED ^ length) & _MASK
    end = length & ~3
    for i in range(0, end, 4):
        k = (int.from_bytes(data[i : i + 4], "little") * _M) & _MASK
        k ^= k >> 24
        h = ((h * _M) & _MASK) ^ ((k * _M) & _MASK)
    extra = length - end
    if extra:
        if extra == 3:
            h ^= data[end + 2] << 16
        if extra >= 2:
            h ^= data[end + 1] << 8
        h = ((h ^ data[end]) * _M) & _MASK
    h ^= h >> 13
    h = (h * _M) & _MASK
    return h ^ (h >> 15)


def partition_of(key: bytes | None, count: int) -> int:
    """The partition the run's producer (``murmur2_random``) puts a record keyed ``key``
    in, among ``count``: murmur2 of the key, positive, modulo; a random one for no key."""
    if key is None:
        return random.randrange(count)
    return (murmur2(key) & 0x7FFFFFFF) % count


class Route:
    """What the writer of one repartition topic reads per record: ``local`` (hand records
    to the aggregate), the topic's partition ``count``, and the partitions of text group
    keys seen since the route last became local (``text_partition``)."""

    __slots__ = ("count", "local", "texts", "topic")

    def __init__(self, topic: str) -> None:
        self.topic = topic
        self.local = False
        self.count = 0
        self.texts: dict[str, int] = {}

    def text_partition(self, group: str, key: bytes) -> int:
        """The partition of a text group key (``key``: its encoded bytes), remembered."""
        texts = self.texts
        if len(texts) >= PARTITION_CACHE:
            texts.clear()
        partition = texts[group] = partition_of(key, self.count)
        return partition


class Handoff:
    """The run's routes, one per repartition topic whose reader is an aggregate. ``enter``
    makes them local (given each topic's partition count), ``leave`` sends records through
    the topics again; ``entered`` counts the times they became local."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.local = False
        self.entered = 0

    def route(self, topic: str) -> Route:
        route = self.routes.get(topic)
        if route is None:
            route = self.routes[topic] = Route(topic)
        return route

    def enter(self, counts: dict[str, int]) -> None:
        for topic, route in self.routes.items():
            route.count = counts[topic]
            route.texts.clear()
            route.local = True
        self.local = True
        self.entered += 1

    def leave(self) -> None:
        for route in self.routes.values():
            route.local = False
        self.local = False
