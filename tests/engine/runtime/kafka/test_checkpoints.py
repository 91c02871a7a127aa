"""Changelog checkpoints without a broker: a run killed after its changelog writes and
before its offset commit restarts with exact state (at-least-once); restores stop at the
last checkpoint; changelogs written before checkpoints existed restore whole.

The StateManager, ChangelogReader and Committer are driven directly against an in-memory cluster: a
"kill" is an exception out of the offset commit (or out of the flush of the checkpoints)
after which everything the process held in memory is thrown away."""

from __future__ import annotations

import json
from collections import defaultdict
from types import SimpleNamespace

import pytest
from confluent_kafka import TopicPartition

from engine.runtime.kafka import checkpoints, clients
from engine.runtime.kafka.collector import RecordCollector
from engine.runtime.kafka.committer import Committer
from engine.runtime.kafka.lifecycle import RunState
from engine.runtime.kafka.restore import ChangelogReader
from engine.runtime.kafka.state_manager import StateManager

APP, NODE, TOPIC, PARTITIONS = "app", "count", "in", (0, 1)
CHANGELOG = f"{APP}-{NODE}-changelog"


class Killed(Exception):
    """The process died here."""


class Msg:
    def __init__(self, topic, partition, offset, key, value):
        self._t, self._p, self._o, self._k, self._v = topic, partition, offset, key, value

    def topic(self):
        return self._t

    def partition(self):
        return self._p

    def offset(self):
        return self._o

    def key(self):
        return self._k

    def value(self):
        return self._v

    def error(self):
        return None


class Cluster:
    def __init__(self):
        self.logs: dict[tuple[str, int], list[tuple[bytes, bytes | None]]] = defaultdict(list)
        self.committed: dict[tuple[str, int], int] = {}
        self.understated = False  # offset queries answer the end as the sandbox does


class Producer:
    def __init__(self, cluster, die_on_checkpoint=False):
        self.cluster, self.queue, self.die_on_checkpoint = cluster, [], die_on_checkpoint

    def produce(
        self,
        topic,
        value,
        key,
        partition=-1,
        callback=None,
        on_delivery=None,
        timestamp=0,
        headers=None,
    ):  # confluent-kafka's positional order
        self.queue.append(((topic, max(partition, 0)), key, value))

    def flush(self, timeout=0):
        if self.die_on_checkpoint and any(
            k == checkpoints.CHECKPOINT_KEY for _, k, _ in self.queue
        ):
            raise Killed  # the changes were acknowledged, the checkpoints are not
        for tp, key, value in self.queue:
            self.cluster.logs[tp].append((key, value))
        self.queue.clear()
        return 0

    def poll(self, timeout=0):
        return 0

    def __len__(self):
        return len(self.queue)


class Consumer:
    """The input consumer, from the committed offsets; its commit can be made to fail."""

    def __init__(self, cluster, kill_on_commit=False):
        self.cluster, self.kill_on_commit = cluster, kill_on_commit
        self.pos = {(TOPIC, p): cluster.committed.get((TOPIC, p), 0) for p in PARTITIONS}

    def assignment(self):
        return [TopicPartition(t, p) for t, p in self.pos]

    def position(self, tps):
        return [
            TopicPartition(tp.topic, tp.partition, self.pos[(tp.topic, tp.partition)]) for tp in tps
        ]

    def consume(self, n):
        out = []
        for (t, p), at in self.pos.items():
            log = self.cluster.logs[(t, p)][at : at + n]
            out += [Msg(t, p, at + i, k, v) for i, (k, v) in enumerate(log)]
            self.pos[(t, p)] = at + len(log)
        return out

    def commit(self, offsets, asynchronous=False):
        if self.kill_on_commit:
            raise Killed
        for tp in offsets:
            self.cluster.committed[(tp.topic, tp.partition)] = tp.offset


class Reader:
    """The restore's changelog reader."""

    def __init__(self, cluster):
        self.cluster, self.at = cluster, {}

    def get_watermark_offsets(self, tp, timeout=0, cached=False):
        n = len(self.cluster.logs[(tp.topic, tp.partition)])
        if self.cluster.understated and not cached:  # the sandbox: the last batch's start + 1
            return 0, min(n, 1)
        return 0, n

    def assign(self, tps):
        self.at = {(tp.topic, tp.partition): max(tp.offset, 0) for tp in tps}

    def consume(self, n, timeout=0):
        msgs = []
        for (topic, partition), at in self.at.items():
            log = self.cluster.logs[(topic, partition)][at : at + n - len(msgs)]
            msgs += [Msg(topic, partition, at + i, k, v) for i, (k, v) in enumerate(log)]
            self.at[(topic, partition)] = at + len(log)
        return msgs

    def position(self, tps):
        return [
            TopicPartition(tp.topic, tp.partition, self.at[(tp.topic, tp.partition)]) for tp in tps
        ]

    def unassign(self):
        self.at = {}

    def close(self):
        pass


@pytest.fixture
def cluster(monkeypatch):
    cluster = Cluster()
    monkeypatch.setattr(clients, "Consumer", lambda config: Reader(cluster))
    return cluster


def feed(cluster, records):
    for i, (key, amount) in enumerate(records):
        cluster.logs[(TOPIC, i % 2)].append((key.encode(), str(amount).encode()))


class Worker:
    """One process: a per-key sum in stores per partition, and a copy of each record."""

    def __init__(self, cluster, **faults):
        self.producer = Producer(cluster, faults.pop("die_on_checkpoint", False))
        self.consumer = Consumer(cluster, **faults)
        run_clients = clients.RunClients()
        run_clients.producer, run_clients.consumer = self.producer, self.consumer
        collector = RecordCollector(run_clients, "dlq")
        self.stores = StateManager(
            APP, "memory", None, collector.produce, {}, dead_letter=collector.dead_letter
        )
        self.committer = Committer(
            RunState(),
            run_clients,
            collector,
            exactly_once=False,
            before_commit=self.stores.flush,
            checkpoint=self.stores.checkpoint,
        )
        self.process = self._process
        self.entries = {TOPIC: self.process}
        self.stores.attach(compiled({NODE: {TOPIC}}, self.entries))
        ChangelogReader(self.stores, {}).restore(self.consumer.assignment())

    def _process(self, msg):
        store = self.stores.store(NODE, msg.partition())
        key = msg.key().decode()
        store.put(key, store.get(key, 0) + int(msg.value()))
        self.stores.produce("out", msg.key(), msg.value(), None, None, None)

    def step(self, n):
        for msg in self.consumer.consume(n):
            self.entries[msg.topic()](msg)
        self.committer.commit()

    def totals(self):
        out: dict[str, int] = defaultdict(int)
        for p in PARTITIONS:
            for key, value in self.stores.store(NODE, p).items():
                out[key] += value
        return dict(out)


RECORDS = [(f"k{i % 5}", i + 1) for i in range(60)]


def expected():
    out: dict[str, int] = defaultdict(int)
    for key, amount in RECORDS:
        out[key] += amount
    return dict(out)


@pytest.mark.parametrize("fault", ["kill_on_commit", "die_on_checkpoint"])
def test_a_run_killed_before_its_offset_commit_restarts_with_exact_totals(cluster, fault):
    feed(cluster, RECORDS)
    first = Worker(cluster)
    first.step(10)  # committed: 20 records
    killed = Worker(cluster, **{fault: True})
    with pytest.raises(Killed):
        killed.step(8)  # 16 more records' changes reach the changelog; their offsets do not
    assert cluster.committed == {(TOPIC, 0): 10, (TOPIC, 1): 10}
    restarted = Worker(cluster)
    while any(restarted.consumer.pos[(TOPIC, p)] < 30 for p in PARTITIONS):
        restarted.step(7)
    assert restarted.totals() == expected()
    assert restarted.entries[TOPIC] is restarted.process  # the gate is gone once passed
    skipped = restarted.stores.skips.skipped
    assert skipped == (16 if fault == "kill_on_commit" else 0)
    # the checkpoint is no state: nothing that reads a store sees it
    assert all(
        key.startswith("k")
        for p in PARTITIONS
        for key, _ in restarted.stores.store(NODE, p).items()
    )


def compiled(store_topics, entries):
    """What the StateManager reads of a compiled topology."""
    return SimpleNamespace(store_topics=store_topics, entries=entries, topology=None)


def restored(store_topics, partitions, entries=None):
    """A StateManager for ``store_topics``, restored for ``partitions``, and its reader
    (which must have told its progress as it went, ending inactive)."""
    stores = StateManager(APP, "memory", None, lambda *a: None, {})
    stores.attach(compiled(store_topics, entries or {TOPIC: lambda msg: None}))
    told = []
    reader = ChangelogReader(stores, {}, on_progress=lambda p: told.append(dict(p)))
    reader.restore(partitions)
    assert told[0]["active"] and not told[-1]["active"]
    return stores, reader


def checkpoint(offsets):
    return checkpoints.CHECKPOINT_KEY, checkpoints.encode(offsets)


def test_a_restore_drops_what_follows_the_last_checkpoint(cluster):
    log = cluster.logs[(CHANGELOG, 0)]
    log += [
        (b"a", b"1"),
        checkpoint({TOPIC: 3}),
        (b"a", b"2"),
        (b"b", b"7"),
        checkpoint({TOPIC: 5}),
        (b"a", b"9"),
        (b"c", b"4"),
    ]
    stores, reader = restored({NODE: {TOPIC}}, [TopicPartition(TOPIC, 0)])
    assert dict(stores.store(NODE, 0).items()) == {"a": 2, "b": 7}
    assert reader.restored == 3
    assert reader.progress == {
        "active": False,
        "partitions": 1,
        "partitions_done": 1,
        "records": 7,
        "records_total": 7,
        "local": 0,
    }
    assert stores.skips.below == {TOPIC: {0: 5}}


def test_a_store_behind_another_of_its_partition_keeps_its_complete_tail(cluster):
    """Killed between the checkpoints' acknowledgements: the changes before them were all
    acknowledged, so the store whose checkpoint is missing applies them too."""
    other = f"{APP}-other-changelog"
    cluster.logs[(CHANGELOG, 0)] += [(b"a", b"1"), checkpoint({TOPIC: 3}), (b"a", b"2")]
    cluster.logs[(other, 0)] += [
        (b"x", b"1"),
        checkpoint({TOPIC: 3}),
        (b"x", b"5"),
        checkpoint({TOPIC: 6}),
    ]
    stores, _ = restored({NODE: {TOPIC}, "other": {TOPIC}}, [TopicPartition(TOPIC, 0)])
    assert dict(stores.store(NODE, 0).items()) == {"a": 2}
    assert dict(stores.store("other", 0).items()) == {"x": 5}
    assert stores.skips.below == {TOPIC: {0: 6}}


def test_a_changelog_without_checkpoints_restores_whole(cluster):
    cluster.logs[(CHANGELOG, 0)] += [
        (b"a", b"1"),
        (b"a", b"5"),
        (b"b", json.dumps([1]).encode()),
        (b"a", None),
        (b"c", b"3"),
    ]
    stores, reader = restored({NODE: {TOPIC}}, [TopicPartition(TOPIC, 0)])
    assert dict(stores.store(NODE, 0).items()) == {"b": [1], "c": 3}
    assert reader.restored == 5 and stores.skips.below == {}


def test_a_state_value_too_large_for_the_changelog_is_dead_lettered():
    written, dead = [], []
    stores = StateManager(
        APP,
        "memory",
        None,
        lambda *a: written.append(a[1]),
        {"message.max.bytes": 100},
        dead_letter=lambda record, node, exc: dead.append((record.key, node, exc)),
    )
    stores.attach(compiled({NODE: {TOPIC}}, {}))
    store = stores.store(NODE, 0)
    store.put("small", 1)
    store.put("big", "x" * 200)
    store.put("odd", {1, 2})  # not JSON
    stores.flush()
    assert written == [b"small"]
    assert [(key, node) for key, node, _ in dead] == [("big", NODE), ("odd", NODE)]
    assert "message.max.bytes" in str(dead[0][2]) and "changelog" in str(dead[0][2])


def test_a_restore_reads_to_the_end_a_fetch_tells(cluster):
    """The sandbox answers an offset query for the end with the start of the last batch + 1;
    a changelog written in one large batch (a compacted one) is still restored whole."""
    cluster.understated = True
    log = cluster.logs[(CHANGELOG, 0)]
    log += [(f"k{i}".encode(), str(i).encode()) for i in range(2_500)]
    stores, reader = restored({NODE: {TOPIC}}, [TopicPartition(TOPIC, 0)])
    assert len(stores.store(NODE, 0)) == 2_500
    assert reader.restored == 2_500
