"""Committed offsets of a consumer group (engine.cluster.groups), on the sandbox broker: what
is read, a group's new topics found, and a process that keeps asking while its broker goes
and comes back is never aborted."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time

import pytest
from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition

from engine.cluster import groups
from engine.cluster.admin import ClusterClient, ConnectionProblem
from engine.cluster.broker import SandboxBroker, free_port
from tests.engine.kafka_util import create_topic, produce

pytestmark = pytest.mark.kafka


def _commit(bootstrap: str, group: str, offsets: dict[tuple[str, int], int]) -> None:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "log_level": 0})
    try:
        consumer.commit(
            offsets=[TopicPartition(t, p, o) for (t, p), o in offsets.items()],
            asynchronous=False,
        )
    finally:
        consumer.close()


def test_committed_offsets_of_a_group_and_of_none(bootstrap, unique):
    a, b, group = f"ca-{unique}", f"cb-{unique}", f"cg-{unique}"
    create_topic(bootstrap, a, partitions=2)
    create_topic(bootstrap, b, partitions=1)
    produce(bootstrap, a, [(None, {"i": i}) for i in range(6)], partition=1)
    _commit(bootstrap, group, {(a, 0): 0, (a, 1): 4})
    client = ClusterClient(bootstrap)
    try:
        assert client.committed(group) == {(a, 0): 0, (a, 1): 4}
        assert client.committed(f"nobody-{unique}") == {}
    finally:
        client.close()


def test_a_topic_the_group_commits_to_later_is_found_at_the_next_full_look(
    bootstrap, unique, monkeypatch
):
    a, b, group = f"la-{unique}", f"lb-{unique}", f"lg-{unique}"
    create_topic(bootstrap, a, partitions=1)
    create_topic(bootstrap, b, partitions=1)
    _commit(bootstrap, group, {(a, 0): 0})
    offsets = groups.CommittedOffsets({"bootstrap.servers": bootstrap, "log_level": 0})
    try:
        assert offsets.read(group) == {(a, 0): 0}
        _commit(bootstrap, group, {(a, 0): 0, (b, 0): 0})
        assert offsets.read(group) == {(a, 0): 0}  # between full looks: its known topics
        monkeypatch.setattr(groups, "FULL_LOOK_S", 0.0)
        assert offsets.read(group) == {(a, 0): 0, (b, 0): 0}
    finally:
        offsets.close()


def test_every_group_at_once_with_a_group_that_committed_nothing(bootstrap, unique):
    a, b = f"ea-{unique}", f"eb-{unique}"
    create_topic(bootstrap, a, partitions=2)
    create_topic(bootstrap, b, partitions=1)
    _commit(bootstrap, f"e1-{unique}", {(a, 0): 3, (a, 1): 0})
    _commit(bootstrap, f"e2-{unique}", {(b, 0): 5})
    idle = Consumer({"bootstrap.servers": bootstrap, "group.id": f"e3-{unique}", "log_level": 0})
    idle.subscribe([b])  # a group with a member and no commit
    client = ClusterClient(bootstrap)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and f"e3-{unique}" not in client.groups():
            idle.poll(0.2)
        found = groups.every_group({"bootstrap.servers": bootstrap, "log_level": 0})
    finally:
        idle.close()
        client.close()
    assert found[f"e1-{unique}"] == {(a, 0): 3, (a, 1): 0}
    assert found[f"e2-{unique}"] == {(b, 0): 5}
    assert found.get(f"e3-{unique}", {}) == {}


def test_work_on_its_own_admin_client_raises_the_kafka_error_alone():
    port = free_port()
    config = {"bootstrap.servers": f"127.0.0.1:{port}", "log_level": 0}

    def describe(admin):
        return admin.describe_consumer_groups(["g"], request_timeout=1)["g"].result(timeout=3)

    with pytest.raises(KafkaException) as raised:
        groups.with_own_admin(config, describe)
    assert raised.value.__traceback__ is not None
    assert raised.value.__context__ is None  # the client's frame is not kept alive by it
    assert isinstance(raised.value.args[0], KafkaError)


def test_no_broker_is_a_connection_problem_in_plain_words():
    port = free_port()
    client = ClusterClient(f"127.0.0.1:{port}", {"log_level": 0})
    try:
        with pytest.raises(ConnectionProblem, match=f"no broker answered at 127.0.0.1:{port}"):
            client.committed("any", timeout=1.0)
    finally:
        client.close()


POLLER = textwrap.dedent(
    """
    import sys, time
    from confluent_kafka import KafkaException
    from engine.cluster import groups
    from engine.cluster.admin import ClusterClient, ConnectionProblem

    bootstrap, group, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
    client = ClusterClient(bootstrap, {"log_level": 0})
    config = {"bootstrap.servers": bootstrap, "log_level": 0}
    end, read = time.monotonic() + seconds, 0
    while time.monotonic() < end:
        try:
            read += client.committed(group, timeout=1.0) == {("t", 0): 1}
        except ConnectionProblem:
            pass
        try:  # what the sandbox's keepers ask, on admin clients of their own
            read += groups.every_group(config, timeout=1.0).get(group) == {("t", 0): 1}
        except KafkaException:
            pass
        time.sleep(0.05)
    client.close()
    print(read)
    """
)


@pytest.mark.slow
def test_asking_while_the_broker_goes_and_comes_back_never_aborts_the_process(tmp_path):
    # The app's lag chart asks every two seconds. librdkafka 2.16's admin request for group
    # offsets aborted the process ("Assertion 'eonce->refcnt > 0'") within seconds of such
    # restarts: three pollers, all three aborted, every time.
    port = free_port()
    bootstrap = f"127.0.0.1:{port}"
    broker = SandboxBroker(port=port).start()
    pollers = []
    try:
        script = tmp_path / "poller.py"
        script.write_text(POLLER)
        pollers = [
            subprocess.Popen(
                [sys.executable, str(script), bootstrap, "g", "30"],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(3)
        ]
        end = time.monotonic() + 27
        while time.monotonic() < end:
            # The sandbox keeps everything in memory: each start begins empty.
            create_topic(bootstrap, "t", partitions=1)
            _commit(bootstrap, "g", {("t", 0): 1})
            time.sleep(1.5)
            broker.stop()
            time.sleep(1.0)
            broker = SandboxBroker(port=port).start()
        for poller in pollers:
            out, err = poller.communicate(timeout=60)
            assert poller.returncode == 0, err[-2000:]
            assert int(out) > 0  # it did read the offsets between the restarts
    finally:
        for poller in pollers:
            if poller.poll() is None:
                poller.kill()
                poller.wait()
        broker.stop()
