"""The app bounds the sandbox's topics of a topology before its run starts and as soon as
it stops (reference §16), and says so in the run log, without crashing its own readers of
those topics."""

from __future__ import annotations

import json

import pytest
from confluent_kafka import Producer

from engine.code.builder import StreamsBuilder
from gui.monitor.connection import ConnectionProfile
from gui.monitor.qt_run_controller import RunController
from tests.engine.runtime.kafka.test_keeper import create, ends

pytestmark = pytest.mark.kafka


def test_a_run_on_the_sandbox_bounds_its_topics_first_and_says_so(qtbot, unique):
    c = RunController(ConnectionProfile(), metrics_interval_s=0.3)
    try:
        bootstrap = c.ensure_bootstrap()
        src, out = f"in-{unique}", f"out-{unique}"
        b = StreamsBuilder(f"kept-{unique}", topic_partitions=1)
        b.stream(src, name="src").to(out, name="out")
        c.set_topology_provider(lambda: b.build())
        create(bootstrap, src, partitions=1)
        create(bootstrap, out, partitions=1)
        producer = Producer({"bootstrap.servers": bootstrap})
        for i in range(300):
            producer.produce(out, json.dumps({"i": i}), str(i))
        assert producer.flush(20) == 0
        # the app's shared client follows the topic (as a lag chart does): the keeper
        # must close it before deleting the topic, or the app would crash
        assert c.cluster_client().high_watermarks([(out, 0)], wait=5) == {(out, 0): 300}
        c.keeper_limit = 100
        said: list[tuple[str, str]] = []
        c.message.connect(lambda kind, text: said.append((kind, text)))
        statuses: list[str] = []
        c.statusChanged.connect(lambda s, r: statuses.append(s))

        assert c.run()
        qtbot.waitUntil(lambda: "running" in statuses, timeout=30_000)
        assert ("status", f"sandbox: kept the last 10 records of {out} (300 before)") in said
        assert ends(bootstrap, out) == [10]
        # and bounds them again as soon as the run stops, so the next Run need not wait
        for i in range(300):
            producer.produce(src, json.dumps({"i": i}), str(i))
        assert producer.flush(20) == 0
        qtbot.waitUntil(lambda: ends(bootstrap, out) == [310], timeout=30_000)
        c.stop()
        qtbot.waitUntil(lambda: statuses[-1] == "stopped", timeout=30_000)
        after = f"sandbox: kept the last 10 records of {out} (310 before)"
        qtbot.waitUntil(lambda: ("status", after) in said, timeout=30_000)
        assert ends(bootstrap, out) == [10]
        said.clear()
        assert c.run()  # nothing left to bound
        qtbot.waitUntil(lambda: statuses[-1] == "running", timeout=30_000)
        assert not [text for _kind, text in said if "kept the last" in text]
        c.stop()
        qtbot.waitUntil(lambda: statuses[-1] == "stopped", timeout=30_000)
    finally:
        c.shutdown()
