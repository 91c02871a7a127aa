"""Local state checkpoints (engine.runtime.kafka.local_checkpoints): a re-run of the app
restores only the changelog written since its last clean stop, with the same state as a
full restore; a file that no longer matches its changelog is not used."""

from __future__ import annotations

import json
import os
import threading
import time

import orjson
import pytest
from confluent_kafka import TopicPartition

from engine.code.builder import Aggregation, StreamsBuilder
from engine.runtime.kafka.local_checkpoints import LocalCheckpoints
from engine.runtime.kafka.run import KafkaRun, RunConfig
from engine.runtime.kafka.state_manager import StateManager
from tests.engine.kafka_util import consume_all, create_topic, produce


def totals_topology(name, src, out, state_dir):
    b = StreamsBuilder(name, commit_interval="500ms", topic_partitions=2, state_dir=state_dir)
    (
        b.stream(src, name="src")
        .group_by("value['k']", name="totals")
        .aggregate(
            [Aggregation("sum", "sum", "value['n']"), Aggregation("count", "count")],
            emit="update",
        )
        .to(out, name="out")
    )
    return b.build()


def records(start, n, keys=40):
    return [(f"r{i}", {"k": f"k{i % keys}", "n": i}) for i in range(start, start + n)]


def expected(n, keys=40):
    out: dict[str, dict] = {}
    for i in range(n):
        cell = out.setdefault(f"k{i % keys}", {"sum": 0, "count": 0})
        cell["sum"] += i
        cell["count"] += 1
    return out


def latest(bootstrap, topic):
    got = {}
    for m in consume_all(bootstrap, topic, timeout=5):
        value = json.loads(m.value())
        got[value["key"]] = {"sum": value["sum"], "count": value["count"]}
    return got


def run(topology, bootstrap, *, local=True):
    r = KafkaRun(
        topology,
        RunConfig(bootstrap=bootstrap, session_timeout_ms=2000, local_checkpoints=local),
    )
    result = r.run(until_idle=1.5, max_seconds=90)
    assert result.status == "stopped", result.reason
    return r


def files(state_dir, app):
    root = os.path.join(state_dir, app, "totals")
    return sorted(os.listdir(root)) if os.path.isdir(root) else []


pytestmark = pytest.mark.kafka


def test_a_rerun_reads_only_what_changed_since_the_last_run(bootstrap, unique, tmp_path):
    src, out, app = f"in-{unique}", f"out-{unique}", f"local-{unique}"
    create_topic(bootstrap, src, partitions=2)
    topology = totals_topology(app, src, out, str(tmp_path))
    produce(bootstrap, src, records(0, 2_000))
    first = run(topology, bootstrap)
    assert first.restored == 0
    assert files(str(tmp_path), app) == ["0.checkpoint", "1.checkpoint"]

    produce(bootstrap, src, records(2_000, 300))
    second = run(topology, bootstrap)
    progress = second.changelogs.progress
    assert progress["local"] == 2 == progress["partitions"]
    # only each partition's checkpoint record is read, not the 2,000 records' changes
    assert progress["records_total"] <= 2 and second.restored == 0
    assert second.metrics["src"].in_ == 300
    assert latest(bootstrap, out) == expected(2_300)

    # the same state as a full restore from the changelog
    produce(bootstrap, src, records(2_300, 100))
    third = run(topology, bootstrap, local=False)
    assert third.changelogs.progress["local"] == 0 and third.restored >= 40
    assert latest(bootstrap, out) == expected(2_400)


def test_a_file_that_no_longer_matches_its_changelog_is_not_used(bootstrap, unique, tmp_path):
    src, out, app = f"in-{unique}", f"out-{unique}", f"stale-{unique}"
    create_topic(bootstrap, src, partitions=2)
    topology = totals_topology(app, src, out, str(tmp_path))
    produce(bootstrap, src, records(0, 1_000))
    run(topology, bootstrap)
    # one file names another checkpoint, the other is damaged: both are read whole
    path = os.path.join(str(tmp_path), app, "totals", "0.checkpoint")
    data = orjson.loads(open(path, "rb").read())
    data["offsets"] = {src: 1}
    data["items"] = [["k0", {"sum": -1, "count": -1}]]
    open(path, "wb").write(orjson.dumps(data))
    open(os.path.join(str(tmp_path), app, "totals", "1.checkpoint"), "wb").write(b"{not json")
    produce(bootstrap, src, records(1_000, 200))
    second = run(topology, bootstrap)
    assert second.changelogs.progress["local"] == 0
    assert second.restored >= 40
    assert latest(bootstrap, out) == expected(1_200)


def test_the_files_are_taken_while_a_run_goes_on(bootstrap, unique, tmp_path):
    """A run that is killed leaves no file, so its next start reads the whole changelog."""
    src, out, app = f"in-{unique}", f"out-{unique}", f"taken-{unique}"
    create_topic(bootstrap, src, partitions=2)
    topology = totals_topology(app, src, out, str(tmp_path))
    produce(bootstrap, src, records(0, 500))
    run(topology, bootstrap)
    assert len(files(str(tmp_path), app)) == 2
    r = KafkaRun(
        topology, RunConfig(bootstrap=bootstrap, session_timeout_ms=2000, local_checkpoints=True)
    )
    thread = threading.Thread(target=r.run, kwargs={"max_seconds": 60}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and r.changelogs.progress["local"] < 2:
        time.sleep(0.05)
    assert r.changelogs.progress["local"] == 2
    assert files(str(tmp_path), app) == []
    r.stop()
    thread.join(30)
    assert len(files(str(tmp_path), app)) == 2


def test_a_checkpoint_from_another_cluster_is_not_used(tmp_path):
    here = LocalCheckpoints(str(tmp_path), "app", lambda: "sandbox@127.0.0.1:1")
    assert here.save("n", 0, 7, {"t": 3}, [("a", {"x": 1})])
    there = LocalCheckpoints(str(tmp_path), "app", lambda: "sandbox@127.0.0.1:2")
    assert there.take("n", 0) is None
    assert not os.path.exists(here.path("n", 0)), "a file is removed when it is read"
    assert here.save("n", 0, 7, {"t": 3}, [("a", {"x": 1})])
    cp = here.take("n", 0)
    assert cp is not None and (cp.offset, cp.offsets, cp.items) == (7, {"t": 3}, [("a", {"x": 1})])


def test_a_store_that_cannot_be_written_leaves_nothing(tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("in the way")
    local = LocalCheckpoints(str(blocked), "app", lambda: "c")
    assert not local.save("n", 0, 1, {}, [("a", 1)])
    ok = LocalCheckpoints(str(tmp_path), "app", lambda: "c")
    assert not ok.save("n", 0, 1, {}, [("a", 1 << 70)]), "orjson cannot hold it"
    assert not (tmp_path / "app").exists()


def test_only_stores_whose_changelog_ends_with_their_checkpoint_are_kept(tmp_path):
    stores = StateManager("app", "memory", None, lambda *record: None, {})
    stores.store_topics = {"a": {"in"}, "b": {"in"}, "c": {"in"}, "d": {"in"}}
    for node in "abc":
        stores.store(node, 0).put("k", node)
    stores.flush()
    assert stores.checkpoint([TopicPartition("in", 0, 10)]) == 3
    stores.store("b", 0).put("k", "changed after its checkpoint")
    stores.store("d", 0).put("k", "never checkpointed")
    stores.flush()
    ends = {"app-a-changelog": 101, "app-b-changelog": 102, "app-d-changelog": 103}
    local = LocalCheckpoints(str(tmp_path), "app", lambda: "c")
    assert stores.save_local(local, lambda topic, partition: ends.get(topic)) == 1
    cp = local.take("a", 0)
    assert cp is not None and cp.offset == 100 and cp.offsets == {"in": 10}
    assert cp.items == [("k", "a")]
    for node in "bcd":  # changed since; end unknown; no checkpoint
        assert local.take(node, 0) is None
