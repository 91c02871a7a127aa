"""The sandbox keeper (reference §16) against the real sandbox broker: each kind of topic
bounded as documented, restores exact after compaction, unread records kept and the
group's offsets translated, settings and partitions kept; nothing done on another
cluster, while the application runs, or to topics under the limit or not the run's."""

from __future__ import annotations

import json
import time
from collections import defaultdict

import pytest
from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient, NewTopic

from engine.cluster.admin import ClusterClient
from engine.cluster.rotation import Record, Rotated
from engine.code.builder import Aggregation, StreamsBuilder
from engine.runtime import state
from engine.runtime.kafka import checkpoints, keeper
from engine.runtime.kafka.keeper import SandboxKeeper, compact, topic_kinds
from engine.runtime.kafka.restore import read_changelogs
from engine.runtime.kafka.run import KafkaRun, RunConfig
from tests.engine.kafka_util import consume_all, exact_ends

pytestmark = pytest.mark.kafka


def create(bootstrap, name, partitions=3, config=None):
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(name, partitions, -1, config=config or {})])[name].result(20)


def write(bootstrap, topic, per_partition, partitions=3, start=0, headers=True):
    """``per_partition`` records to each partition: key k<i % 7>, value {"i": i, "p": p}."""
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
    for p in range(partitions):
        for i in range(start, start + per_partition):
            producer.produce(
                topic,
                json.dumps({"i": i, "p": p}),
                f"k{i % 7}",
                partition=p,
                timestamp=1_700_000_000_000 + i,
                headers=[("n", str(i).encode())] if headers else None,
            )
    assert producer.flush(30) == 0


def ends(bootstrap, topic):
    meta = AdminClient({"bootstrap.servers": bootstrap}).list_topics(topic).topics[topic]
    tps = [(topic, p) for p in range(len(meta.partitions))]
    _low, high = exact_ends(bootstrap, tps)
    return [high[tp] for tp in tps]


def by_partition(bootstrap, topic):
    out = defaultdict(list)
    for m in consume_all(bootstrap, topic, quiet=1.0):
        out[m.partition()].append(m)
    return out


def settings_of(bootstrap, topic):
    from engine.cluster.rotation import topic_config

    return topic_config(AdminClient({"bootstrap.servers": bootstrap}), topic)


def copy_topology(name, src, out, **settings):
    b = StreamsBuilder(name, commit_interval="500ms", topic_partitions=3, **settings)
    b.stream(src, name="src").map("{'i': value['i'], 'p': value['p']}", name="m").to(
        out, name="out"
    )
    return b.build()


def run(topology, bootstrap):
    """A run that sends every record through its repartition topics, as when instances share
    the work (alone, it would hand them over: test_local_routes.py): the keeper bounds them."""
    r = KafkaRun(topology, RunConfig(bootstrap=bootstrap, session_timeout_ms=2000, hand_over=False))
    result = r.run(until_idle=2.0, max_seconds=90)
    assert result.status == "stopped", result.reason
    return result


def test_topics_of_a_topology_by_kind():
    b = StreamsBuilder("shop", dead_letter_topic="bad")
    b.stream("orders", name="src").group_by("value['c']", name="agg").count().to("out", name="o")
    kinds = topic_kinds(b.build())
    assert kinds == {
        "orders": "input",
        "shop-agg-repartition": "input",
        "shop-agg-changelog": "changelog",
        "out": "output",
        "bad": "output",
        "shop-metrics": "output",
    }


def test_output_topics_keep_their_last_records_with_settings_and_partitions(bootstrap, unique):
    app, src, out = f"keep-{unique}", f"src-{unique}", f"out-{unique}"
    create(bootstrap, src)
    create(bootstrap, out, config={"retention.ms": "123456", "max.message.bytes": "65536"})
    create(bootstrap, f"{app}-metrics", partitions=1)
    create(bootstrap, f"{app}-topology", partitions=1)
    create(bootstrap, f"unrelated-{unique}", partitions=1)
    write(bootstrap, src, 10)  # under the limit
    write(bootstrap, out, 100)
    write(bootstrap, f"{app}-metrics", 300, partitions=1)
    write(bootstrap, f"{app}-topology", 300, partitions=1)
    write(bootstrap, f"unrelated-{unique}", 300, partitions=1)
    before = by_partition(bootstrap, out)

    notes = SandboxKeeper(bootstrap, limit=200, keep=20).bound(copy_topology(app, src, out))

    assert f"sandbox: kept the last 60 records of {out} (300 before)" in notes
    assert f"sandbox: kept the last 20 records of {app}-metrics (300 before)" in notes
    after = by_partition(bootstrap, out)
    assert sorted(after) == [0, 1, 2]
    for p in range(3):
        want = [(m.key(), m.value(), m.headers(), m.timestamp()) for m in before[p][-20:]]
        assert [(m.key(), m.value(), m.headers(), m.timestamp()) for m in after[p]] == want
        assert [m.offset() for m in after[p]] == list(range(20))
    assert settings_of(bootstrap, out) == {"retention.ms": "123456", "max.message.bytes": "65536"}
    assert ends(bootstrap, src) == [10, 10, 10]  # under the limit: untouched
    assert ends(bootstrap, f"{app}-topology") == [300]  # never the fleet's topology topic
    assert ends(bootstrap, f"unrelated-{unique}") == [300]  # nor another topology's


def test_nothing_is_done_on_another_cluster_or_while_the_application_runs(
    bootstrap, unique, monkeypatch
):
    app, src, out = f"busy-{unique}", f"src-{unique}", f"out-{unique}"
    create(bootstrap, src)
    create(bootstrap, out)
    write(bootstrap, out, 100)
    topology = copy_topology(app, src, out)

    member = Consumer({"bootstrap.servers": bootstrap, "group.id": app, "session.timeout.ms": 6000})
    member.subscribe([src])
    deadline = time.monotonic() + 20
    while not member.assignment() and time.monotonic() < deadline:
        member.poll(0.2)
    try:
        notes = SandboxKeeper(bootstrap, limit=200, keep=20).bound(topology)
        assert notes == [f"sandbox: {app} is running, so its topics were not bounded"]
        assert ends(bootstrap, out) == [100, 100, 100]
    finally:
        member.close()

    monkeypatch.setattr(keeper, "SANDBOX_CLUSTER_ID", "another-cluster")
    assert SandboxKeeper(bootstrap, limit=200, keep=20).bound(topology) == []
    assert ends(bootstrap, out) == [100, 100, 100]


def test_unread_records_are_kept_and_the_group_goes_on_where_it_was(bootstrap, unique):
    app, src, out = f"copy-{unique}", f"src-{unique}", f"out-{unique}"
    create(bootstrap, src)
    topology = copy_topology(app, src, out)
    write(bootstrap, src, 200, headers=False)
    run(topology, bootstrap)
    assert len(consume_all(bootstrap, out, expect=600)) == 600
    write(bootstrap, src, 5, start=200, headers=False)  # not read yet

    notes = SandboxKeeper(bootstrap, limit=300, keep=10).bound(topology)

    assert f"sandbox: kept the last 30 records of {src} (615 before)" in notes
    kept = by_partition(bootstrap, src)
    for p in range(3):
        assert [json.loads(m.value())["i"] for m in kept[p]] == list(range(195, 205))
    client = ClusterClient(bootstrap)
    committed = client.committed(app)
    client.close()
    assert {committed[(src, p)] for p in range(3)} == {5}  # the first unread record
    out_before = len(consume_all(bootstrap, out, quiet=1.0))
    assert out_before == 30  # the sink kept its last 10 per partition

    run(topology, bootstrap)
    new = [
        json.loads(m.value()) for m in consume_all(bootstrap, out, quiet=1.5) if m.offset() >= 10
    ]
    assert sorted((v["p"], v["i"]) for v in new) == [
        (p, i) for p in range(3) for i in range(200, 205)
    ]  # exactly the unread records, once each


def test_a_topic_with_much_unread_keeps_all_of_it(bootstrap, unique):
    app, src, out = f"lag-{unique}", f"src-{unique}", f"out-{unique}"
    create(bootstrap, src)
    topology = copy_topology(app, src, out)
    write(bootstrap, src, 100, headers=False)
    run(topology, bootstrap)
    write(bootstrap, src, 200, start=100, headers=False)  # far more unread than kept

    notes = SandboxKeeper(bootstrap, limit=300, keep=10).bound(topology)

    assert f"sandbox: kept 600 records of {src}, 600 of them not read yet (900 before)" in notes
    kept = by_partition(bootstrap, src)
    for p in range(3):
        assert [json.loads(m.value())["i"] for m in kept[p]] == list(range(100, 300))
    client = ClusterClient(bootstrap)
    assert {client.committed(app)[(src, p)] for p in range(3)} == {0}
    client.close()


def counting_topology(name, src, out):
    b = StreamsBuilder(name, commit_interval="200ms", topic_partitions=3)
    (
        b.stream(src, name="src")
        .group_by("value['k']", name="agg")
        .aggregate([Aggregation("n", "count"), Aggregation("total", "sum", "value['i']")])
        .to(out, name="out")
    )
    return b.build()


def restored(bootstrap, topic, partitions=3):
    """What a restore takes from each partition of a changelog: the store up to its last
    checkpoint, the checkpoint, and the store with what follows it too."""
    reader = Consumer(
        {"bootstrap.servers": bootstrap, "group.id": "x", "isolation.level": "read_committed"}
    )
    out = []
    for p in range(partitions):
        end = ends(bootstrap, topic)[p]
        entries = read_changelogs(reader, {(topic, p): (0, end)})[(topic, p)]
        done, tail, offsets = checkpoints.split(entries)
        store = state.MemoryStore()
        state.restore(store, done)
        upto = dict(store.items())
        state.restore(store, tail)
        whole = dict(store.items())
        out.append((upto, offsets, whole))
    reader.close()
    return out


def counted(bootstrap, unique):
    """Six runs of counting_topology over 600 records, then 100 more unread."""
    app, src, out = f"count-{unique}", f"src-{unique}", f"out-{unique}"
    create(bootstrap, src)
    topology = counting_topology(app, src, out)
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 1})
    sent = []

    def send(first, last):
        for i in range(first, last):
            value = {"k": f"g{i % 13}", "i": i}
            sent.append(value)
            producer.produce(src, json.dumps(value), str(i), partition=i % 3)
        producer.flush(10)

    for batch in range(6):  # several commits: many changelog entries per key
        send(batch * 100, batch * 100 + 100)
        run(topology, bootstrap)
    before = restored(bootstrap, f"{app}-agg-changelog")
    send(600, 700)  # more to read
    return topology, f"{app}-agg-changelog", src, out, sent, before


def totals_are_exact(bootstrap, out, sent):
    last = {}
    for m in consume_all(bootstrap, out, quiet=1.5):
        v = json.loads(m.value())
        last[v["key"]] = (v["n"], v["total"])
    want = defaultdict(lambda: [0, 0])
    for v in sent:
        want[v["k"]][0] += 1
        want[v["k"]][1] += v["i"]
    assert last == {k: tuple(v) for k, v in want.items()}


def test_changelogs_are_compacted_and_restore_the_same_state(bootstrap, unique):
    topology, changelog, src, out, sent, before = counted(bootstrap, unique)
    size = sum(ends(bootstrap, changelog))
    assert size > 60

    # the keeper: the source and the repartition topic are rotated, the changelog
    # compacted with its checkpoints translated
    notes = SandboxKeeper(bootstrap, limit=60, keep=5).bound(topology)
    assert any(n.startswith(f"sandbox: compacted {changelog} to ") for n in notes), notes
    assert any(f" of {src}, " in n for n in notes), notes
    after = restored(bootstrap, changelog)
    assert sum(ends(bootstrap, changelog)) < size
    for p in range(3):
        assert after[p][0] == before[p][0] and after[p][2] == before[p][2]
        assert before[p][1] is not None and after[p][1] is not None
        assert set(after[p][1]) == set(before[p][1])

    run(topology, bootstrap)  # restores the compacted state and reads the unread 100
    totals_are_exact(bootstrap, out, sent)


def test_a_changelog_under_the_limit_gets_its_checkpoints_translated_at_its_end(bootstrap, unique):
    topology, changelog, src, out, sent, before = counted(bootstrap, unique)
    size = ends(bootstrap, changelog)
    old = by_partition(bootstrap, changelog)
    assert 60 < sum(size) < 600, size  # the source (700) and repartition topic are over it

    notes = SandboxKeeper(bootstrap, limit=sum(size), keep=5).bound(topology)
    assert any(f" of {src}, " in n for n in notes), notes
    assert not any(changelog in n for n in notes), notes
    # nothing read whole, nothing rewritten: one checkpoint appended to each partition,
    # naming the rotated topics' new offsets
    assert ends(bootstrap, changelog) == [n + 1 for n in size]
    new = by_partition(bootstrap, changelog)
    after = restored(bootstrap, changelog)
    for p in range(3):
        assert [(m.key(), m.value()) for m in new[p][:-1]] == [(m.key(), m.value()) for m in old[p]]
        assert new[p][-1].key() == checkpoints.CHECKPOINT_KEY
        assert after[p][0] == before[p][0] and after[p][2] == before[p][2]
        assert set(after[p][1]) == set(before[p][1]) and after[p][1] != before[p][1]

    run(topology, bootstrap)  # restores from the translated checkpoint: the unread 100 once
    totals_are_exact(bootstrap, out, sent)


def rec(offset, key, value):
    return Record(offset, key, value, None, None)


def test_compact_keeps_last_values_the_last_checkpoint_then_the_tail():
    mark = checkpoints.CHECKPOINT_KEY
    records = {
        0: [
            rec(0, b"a", b"1"),
            rec(1, b"b", b"1"),
            rec(2, mark, checkpoints.encode({"in": 5})),
            rec(3, b"a", b"2"),
            rec(4, b"b", None),
            rec(5, b"c", b"1"),
            rec(6, mark, checkpoints.encode({"in": 9, "other": 3})),
            rec(7, b"c", None),
            rec(8, b"d", b"1"),
        ],
        1: [rec(0, b"a", b"1"), rec(1, b"a", None), rec(2, b"e", b"1")],  # no checkpoint
    }
    rotated = Rotated("in", {0: [7, 8, 9, 10]})  # offsets 7.. kept, renumbered from 0
    out, translated = compact(records, rotated={"in": rotated})
    assert translated
    assert [(r.key, r.value) for r in out[0]] == [
        (b"a", b"2"),
        (b"c", b"1"),
        (mark, checkpoints.encode({"in": 2, "other": 3})),
        (b"c", None),
        (b"d", b"1"),
    ]
    assert [(r.key, r.value) for r in out[1]] == [(b"e", b"1")]
    assert compact(records, {})[1] is False


def test_a_topic_a_reader_of_this_process_follows_is_left_as_it_is(bootstrap, unique):
    """Deleting a topic under a consumer that fetched from it crashes the process."""
    app, src, out = f"shown-{unique}", f"src-{unique}", f"out-{unique}"
    create(bootstrap, src)
    create(bootstrap, out)
    write(bootstrap, out, 100)
    client = ClusterClient(bootstrap)  # as the app's lag chart
    try:
        assert client.high_watermarks([(out, 0)], wait=5) == {(out, 0): 100}
        notes = SandboxKeeper(bootstrap, limit=200, keep=20).bound(copy_topology(app, src, out))
        assert notes == [
            f"sandbox: {out} holds 300 records but was not bounded: this app is showing it "
            "(it will be at a later run)"
        ]
        assert ends(bootstrap, out) == [100, 100, 100]
        assert client.high_watermarks([(out, 0)], wait=1) == {(out, 0): 100}  # still alive
    finally:
        client.close()
    notes = SandboxKeeper(bootstrap, limit=200, keep=20).bound(copy_topology(app, src, out))
    assert notes == [f"sandbox: kept the last 60 records of {out} (300 before)"]
