"""Bounding the topics a run only writes while it goes on (reference §16), against the real
sandbox broker: the run keeps running, the sink stays bounded, and no record written after
a rotation is lost."""

from __future__ import annotations

import json
import threading
import time

import pytest
from confluent_kafka import Producer

from engine.cluster import rotation
from engine.code.builder import StreamsBuilder
from engine.runtime.kafka import live_keeper
from engine.runtime.kafka.run import KafkaRun, RunConfig
from tests.engine.kafka_util import consume_all, exact_ends
from tests.engine.runtime.kafka.test_keeper import counting_topology, create, ends, run

pytestmark = pytest.mark.kafka


def copy_topology(name, src, out, **settings):
    b = StreamsBuilder(name, commit_interval="200ms", topic_partitions=1, **settings)
    b.stream(src, name="src").map("{'i': value['i']}", name="m").to(out, name="out")
    return b.build()


def feed(bootstrap, topic, stop: threading.Event, written: list[int], rate=400):
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
    i = 0
    while not stop.is_set():
        for _ in range(rate // 20):
            while True:
                try:
                    producer.produce(topic, json.dumps({"i": i, "k": group(i)}), str(i))
                    break
                except BufferError:
                    producer.poll(0.1)
            i += 1
        producer.poll(0)
        time.sleep(0.05)
    assert producer.flush(20) == 0
    written.append(i)


def group(i: int) -> str:
    """The group of input ``i``: each takes 100 inputs in a row, then never changes again
    (so only the changelog holds it, not the changes a later commit writes)."""
    return f"g{i // 100}"


def run_while_fed(topology, bootstrap, src, seconds, console):
    stop, written = threading.Event(), []
    feeder = threading.Thread(target=feed, args=(bootstrap, src, stop, written), daemon=True)
    run = KafkaRun(
        topology,
        RunConfig(bootstrap=bootstrap, session_timeout_ms=2000, console=console),
    )
    result = {}
    runner = threading.Thread(
        target=lambda: result.setdefault("r", run.run(until_idle=2.0, max_seconds=120)),
        daemon=True,
    )
    runner.start()
    feeder.start()
    sizes = []
    try:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            time.sleep(1.0)
            sizes.append(size(bootstrap, topology_out(topology)))
    finally:
        stop.set()
        feeder.join(30)
        runner.join(60)
        if runner.is_alive():
            run.stop()
            runner.join(30)
    return result["r"], written[0], sizes


def size(bootstrap, topic):
    """Records in ``topic`` now (a partition being rotated this moment counts 0)."""
    _low, high = exact_ends(bootstrap, [(topic, 0)])
    return high.get((topic, 0), 0)


def topology_out(topology):
    return next(n.params["topic"] for n in topology.nodes.values() if n.type == "kafka_sink")


@pytest.fixture
def small(monkeypatch):
    monkeypatch.setattr(live_keeper, "LIVE_LIMIT", 600)
    monkeypatch.setattr(live_keeper, "LIVE_KEEP", 100)
    monkeypatch.setattr(live_keeper, "LIVE_CHECK_S", 0.5)


def test_a_sink_past_the_limit_is_rotated_while_the_run_goes_on(bootstrap, unique, small):
    app, src, out = f"live-{unique}", f"src-{unique}", f"out-{unique}"
    create(bootstrap, src, partitions=1)
    create(bootstrap, out, partitions=1, config={"retention.ms": "3600000"})
    said = []
    result, total, sizes = run_while_fed(
        copy_topology(app, src, out), bootstrap, src, 12, lambda node, text: said.append(text)
    )

    assert result.status == "stopped", result.reason
    rotations = [t for t in said if t.startswith(f"sandbox: kept the last 100 records of {out}")]
    assert len(rotations) >= 3, said
    assert total > 3_000
    assert max(sizes) < 2_000  # bounded all along (the limit plus what comes between checks)
    kept = [json.loads(m.value())["i"] for m in consume_all(bootstrap, out, quiet=1.5)]
    assert len(kept) < total
    # the last rotation kept the last 100 records, and everything written since is there,
    # in order: a run of consecutive inputs up to the very last one
    assert kept == list(range(kept[0], total)), (kept[:5], kept[-5:], total)
    assert len(kept) >= 100
    from confluent_kafka.admin import AdminClient

    from engine.cluster.rotation import topic_config

    assert topic_config(AdminClient({"bootstrap.servers": bootstrap}), out) == {
        "retention.ms": "3600000"
    }


def test_topics_the_run_reads_or_other_groups_read_are_not_rotated(bootstrap, unique, small):
    app, src, out = f"own-{unique}", f"src-{unique}", f"out-{unique}"
    create(bootstrap, src, partitions=1)
    create(bootstrap, out, partitions=1)
    # another application reads the sink: its offsets would point past a new end
    from confluent_kafka import Consumer, TopicPartition

    other = Consumer({"bootstrap.servers": bootstrap, "group.id": f"other-{unique}"})
    other.commit(offsets=[TopicPartition(out, 0, 0)], asynchronous=False)
    other.close()
    said = []
    result, total, _sizes = run_while_fed(
        copy_topology(app, src, out), bootstrap, src, 5, lambda node, text: said.append(text)
    )
    assert result.status == "stopped", result.reason
    assert f"sandbox: {out} is not bounded: another group reads it" in said
    assert not any(t.startswith("sandbox: kept") for t in said)
    assert ends(bootstrap, src) == [total]  # the source is never rotated while running
    assert ends(bootstrap, out) == [total]


@pytest.mark.parametrize("write_fails", [False, True], ids=["compacted", "write-fails"])
def test_a_changelog_past_the_limit_is_compacted_from_its_stores_while_the_run_goes_on(
    bootstrap, unique, small, monkeypatch, write_fails
):
    monkeypatch.setattr(live_keeper, "LIVE_LIMIT", 100)
    app, src, out = f"logs-{unique}", f"src-{unique}", f"out-{unique}"
    changelog = f"{app}-agg-changelog"
    if write_fails:  # the changelog emptied, its stores not written back: the next commit does
        written = rotation.write_all

        def write_all(config, topics):
            if changelog in topics:
                return {changelog: f"'{changelog}' was emptied but not written back"}
            return written(config, topics)

        monkeypatch.setattr(rotation, "write_all", write_all)
    create(bootstrap, src, partitions=1)
    topology = counting_topology(app, src, out)
    said = []
    result, total, _sizes = run_while_fed(
        topology, bootstrap, src, 12, lambda node, text: said.append(text)
    )
    assert result.status == "stopped", result.reason
    if write_fails:
        assert f"sandbox: {changelog} was not compacted: '{changelog}' was emptied but " in (
            "".join(said)
        )
        monkeypatch.undo()
    else:
        compactions = [t for t in said if t.startswith(f"sandbox: compacted {changelog} to ")]
        assert len(compactions) >= 2, said
        # each group once, and each partition's checkpoint
        groups = total // 100 + 1
        assert all(int(t.split(" to ")[1].split()[0]) <= groups + 3 for t in compactions)
        assert sum(ends(bootstrap, changelog)) < 300  # ~25 records a second without it

    # a second run restores the compacted changelog (no local checkpoint): one more record
    # for each of the first 13 groups, which no commit has written since run 1's first seconds
    assert total > 1_300
    producer = Producer({"bootstrap.servers": bootstrap})
    extra = {f"g{j}": total + j for j in range(13)}
    for key, i in extra.items():
        producer.produce(src, json.dumps({"i": i, "k": key}), str(i))
    assert producer.flush(10) == 0
    run(topology, bootstrap)
    last = {}
    for m in consume_all(bootstrap, out, quiet=1.5):
        v = json.loads(m.value())
        last[v["key"]] = (v["n"], v["total"])
    for key, i in extra.items():
        j = int(key[1:])
        assert last[key] == (101, sum(range(j * 100, j * 100 + 100)) + i), key
