"""Readers of a topic, in any process on the machine, keep it from being rotated: a
consumer that has fetched from a topic the sandbox deletes crashes its process."""

from __future__ import annotations

import subprocess
import sys
import uuid

import pytest

from engine.cluster import rotation
from engine.cluster.rotation import RotationError


def test_a_topic_followed_here_or_by_another_process_is_not_rotated():
    topic = f"followed-{uuid.uuid4().hex[:8]}"
    assert not rotation.followed(topic)
    rotation.follow([topic])
    rotation.follow([topic])
    assert rotation.followed(topic)
    with pytest.raises(RotationError), rotation._unfollowed(topic):
        pass
    rotation.unfollow([topic])
    assert rotation.followed(topic)  # one reader left
    rotation.unfollow([topic])
    assert not rotation.followed(topic)

    other = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import time; from engine.cluster import rotation; "
            f"rotation.follow(['{topic}']); print('ok', flush=True); time.sleep(30)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert other.stdout is not None and other.stdout.readline().strip() == "ok"
        assert rotation.followed(topic)
        with pytest.raises(RotationError), rotation._unfollowed(topic):
            pass
    finally:
        other.kill()
        other.wait(10)
    assert not rotation.followed(topic)  # its lock went with it
    with rotation._unfollowed(topic):
        pass


@pytest.mark.kafka
def test_topics_are_rotated_together_and_a_followed_one_is_left_as_it_is(bootstrap):
    from confluent_kafka.admin import AdminClient

    from tests.engine.kafka_util import consume_all, exact_ends
    from tests.engine.runtime.kafka.test_keeper import create, write

    admin = AdminClient({"bootstrap.servers": bootstrap})
    names = [f"together-{uuid.uuid4().hex[:8]}" for _ in range(3)]
    for i, name in enumerate(names):
        create(bootstrap, name, partitions=2, config={"retention.ms": str(3_600_000 + i)})
        write(bootstrap, name, 10, partitions=2)
    reader = consumer(bootstrap)
    try:  # closed before any topic is deleted (see rotation.follow)
        read = {
            name: {
                p: recs
                for (_, p), recs in rotation.read_ranges(
                    reader, {(name, p): (7, 10) for p in range(2)}
                ).items()
            }
            for name in names
        }
    finally:
        reader.close()
    rotation.follow([names[2]])
    try:
        failed = rotation.rotate(
            admin, {"bootstrap.servers": bootstrap}, read, dict.fromkeys(names, 2)
        )
    finally:
        rotation.unfollow([names[2]])
    assert set(failed) == {names[2]} and "is reading" in failed[names[2]]
    for i, name in enumerate(names[:2]):
        assert rotation.topic_config(admin, name) == {"retention.ms": str(3_600_000 + i)}
        kept = consume_all(bootstrap, name, quiet=1.0)
        assert sorted((m.partition(), m.offset(), m.value()) for m in kept) == sorted(
            (p, r_i, r.value) for p, recs in read[name].items() for r_i, r in enumerate(recs)
        )
        assert all(m.headers() for m in kept)  # headers written back
    assert exact_ends(bootstrap, [(names[2], 0), (names[2], 1)])[1] == {
        (names[2], 0): 10,
        (names[2], 1): 10,
    }


def consumer(bootstrap):
    from confluent_kafka import Consumer

    return Consumer({"bootstrap.servers": bootstrap, "group.id": "rotation-tests"})


@pytest.mark.kafka
def test_a_topic_written_a_record_a_batch_is_read_deep_into_its_partitions(bootstrap):
    # The sandbox answers a fetch empty while finding the batch at the offset asked takes
    # longer than the fetch may wait: with 10 ms, this read made no progress at all.
    from confluent_kafka import Producer
    from confluent_kafka.admin import AdminClient, NewTopic

    config = {"bootstrap.servers": bootstrap}
    topic = f"batch-each-{uuid.uuid4().hex[:8]}"
    admin = AdminClient(config)
    admin.create_topics([NewTopic(topic, 2, 1)])[topic].result(15)
    producer = Producer(
        {**config, "linger.ms": 1000, "batch.num.messages": 1, "acks": "all"}
    )  # a record a batch, as a slow producer writes
    for i in range(16_000):
        for p in (0, 1):
            producer.produce(topic, str(i).encode(), None, p)
        if i % 1000 == 0:
            producer.poll(0)
    assert producer.flush(60) == 0
    tps = [(topic, 0), (topic, 1)]
    low, high = rotation.ends(admin, tps, config)
    assert low == {tp: 0 for tp in tps} and high == {tp: 16_000 for tp in tps}
    reader = rotation.reader(config, f"reader-{topic}")
    try:
        read = rotation.read_ranges(reader, {tp: (15_000, 16_000) for tp in tps}, stall_s=5)
    finally:
        reader.close()
    for tp in tps:
        assert [r.offset for r in read[tp]] == list(range(15_000, 16_000))
        assert read[tp][-1].value == b"15999"
