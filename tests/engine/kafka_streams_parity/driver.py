"""A TopologyTestDriver for the ports of Kafka Streams' tests: inputs are fed one by one
through the in-process runner (LocalRun), and outputs read in Kafka Streams' shapes.

The state behind the run is one of:

- ``memory``: one run, memory stores;
- ``rocksdb``: a restart after every input record, keeping RocksDB stores on disk;
- ``changelog``: a restart after every input record, each store rebuilt from nothing but
  its changelog (as a moved instance does).

So every ported test also checks that the operators keep all their state in the store.
"""

from __future__ import annotations

import json
from collections import defaultdict

from engine.code.builder import StreamsBuilder
from engine.model.topology import Topology
from engine.runtime.local import LocalRun
from engine.runtime.state import (
    ChangeloggingStore,
    MemoryStore,
    RocksDBStore,
    decode_entry,
    encode_entry,
    restore,
)

STATE = ("memory", "rocksdb", "changelog")

# MockValueJoiner.TOSTRING_JOINER: value1 + "+" + value2, a missing side printing as null
TOSTRING_JOINER = "str(left) + '+' + (str(right) if right is not None else 'null')"


class _Run(LocalRun):
    """A LocalRun whose stores come from ``factory(node_id, partition)``."""

    factory = None

    def store(self, node_id, partition):
        key = (node_id, partition)
        if key not in self.stores:
            self.stores[key] = self.factory(node_id, partition) if self.factory else MemoryStore()
        return self.stores[key]


class Driver:
    def __init__(
        self, topology: Topology, state: str = "memory", tmp_path=None, output: str = "out"
    ):
        self.topology, self.state, self.output = topology, state, output
        self.tmp_path = tmp_path
        self.changelog: dict[tuple[str, int], list] = defaultdict(list)
        self.messages: list = []  # every output message, in order
        self._read = 0
        self.run = self._new_run() if state == "memory" else None
        self.late = 0

    def _factory(self, node_id, partition):
        if self.state == "rocksdb":
            return RocksDBStore(str(self.tmp_path / "state" / node_id / str(partition)))
        log = self.changelog[(node_id, partition)]
        store = MemoryStore()
        restore(store, (decode_entry(k, v) for k, v in log))
        return ChangeloggingStore(store, lambda k, v, log=log: log.append(encode_entry(k, v)))

    def _new_run(self) -> _Run:
        run = _Run(self.topology)
        if self.state != "memory":
            run.factory = self._factory
        return run

    def input(
        self,
        topic: str,
        key_format: str = "json",
        value_format: str = "string",
        start: int = 0,
        advance: int = 0,
    ) -> InputTopic:
        return InputTopic(self, topic, key_format, value_format, start, advance)

    def send(self, topic, key, value, timestamp, key_format, value_format) -> None:
        run = self.run or self._new_run()
        before = len(run.topics.get(self.output, []))
        run.send(
            topic,
            value,
            key=key,
            timestamp=timestamp,
            key_format=key_format,
            value_format=value_format,
        )
        self.messages += run.topics.get(self.output, [])[before:]
        self.late += sum(m.late for m in run.metrics.values()) if self.run is None else 0
        if self.run is None:
            for store in run.stores.values():
                store.close()

    def late_records(self) -> int:
        if self.run is not None:
            return sum(m.late for m in self.run.metrics.values())
        return self.late

    def read(self) -> list:
        """Output messages since the last read."""
        new = self.messages[self._read :]
        self._read = len(self.messages)
        return new

    # -- outputs in Kafka Streams' shapes ------------------------------------------------

    def keyed(self, value_format: str = "string") -> list[tuple]:
        """(key, value, timestamp) of the new output records, keys as JSON."""
        out = []
        for m in self.read():
            value = m.value()
            if value is not None:
                value = value.decode() if value_format == "string" else json.loads(value)
            out.append((json.loads(m.key()), value, m.timestamp()[1]))
        return out

    def windowed(self, field="count") -> list[tuple]:
        """New aggregate outputs as Kafka Streams' ``Windowed.toString()`` keys: ``[key@start/end]``,
        with ``field`` of the value (a function of the value when callable; None for a
        retraction), and the timestamp.

        Difference: the engine's output key is the group key alone; the window is in the value
        (or, for a retraction, in the ts.window_start/ts.window_end headers)."""
        out = []
        for m in self.read():
            key = m.key().decode()
            if m.value() is None:
                headers = dict(m.headers())
                start, end, value = (
                    int(headers["ts.window_start"]),
                    int(headers["ts.window_end"]),
                    None,
                )
            else:
                row = json.loads(m.value())
                start, end = row["window_start"], row["window_end"]
                value = field(row) if callable(field) else row[field]
            out.append((f"[{key}@{start}/{end}]", value, m.timestamp()[1]))
        return out

    def table(self) -> dict:
        """Key → latest value of every output (a None value deletes), as readKeyValuesToMap."""
        table = {}
        for m in self.read():
            key = m.key().decode()
            table[key] = None if m.value() is None else json.loads(m.value())
        return table


class InputTopic:
    """TestInputTopic: records get ``start`` + ``advance`` per record unless a time is given."""

    def __init__(self, driver, topic, key_format, value_format, start, advance):
        self.driver, self.topic = driver, topic
        self.key_format, self.value_format = key_format, value_format
        self.time, self.advance = start, advance

    def pipeInput(self, key, value, timestamp: int | None = None) -> None:
        if timestamp is None:
            timestamp = self.time
            self.time += self.advance
        self.driver.send(self.topic, key, value, timestamp, self.key_format, self.value_format)


# -- topologies --------------------------------------------------------------------------


def stream_join(mode: str, window_ms: int, grace_ms: int | None = None) -> Topology:
    """topic1 (left) joined with topic2 (right) within ``window_ms``, TOSTRING_JOINER, to out.
    Integer keys (JSON), String values, as the tests' serdes."""
    b = StreamsBuilder("ks-join")
    left = b.stream("topic1", name="left", key_format="json", value_format="string")
    right = b.stream("topic2", name="right", key_format="json", value_format="string")
    left.join(right, TOSTRING_JOINER, name="join", mode=mode, window=f"{window_ms}ms").to(
        "out", name="out", key_format="json", value_format="string"
    )
    topology = b.build()
    if grace_ms is not None:
        topology.node("join").params["grace"] = f"{grace_ms}ms"
    return topology


def table_join(mode: str = "inner") -> Topology:
    """KStream (topic1) joined with a KTable (topic2), TOSTRING_JOINER, to out."""
    b = StreamsBuilder("ks-table-join")
    left = b.stream("topic1", name="stream", key_format="json", value_format="string")
    right = b.stream("topic2", name="table", key_format="json", value_format="string")
    left.join(right, TOSTRING_JOINER, name="join", mode=mode).to(
        "out", name="out", key_format="json", value_format="string"
    )
    return b.build()


def windowed_count(
    window: dict | None,
    emit: str = "update",
    topic: str = "input",
    aggregations: list | None = None,
) -> Topology:
    """groupByKey().windowedBy(window).count() (or ``aggregations``), string keys and values,
    to out."""
    b = StreamsBuilder("ks-windowed-count")
    b.stream(topic, name="src", key_format="string", value_format="string").aggregate(
        aggregations or [{"name": "count", "fn": "count"}], name="agg", window=window, emit=emit
    ).to("out", name="out", key_format="string", value_format="json")
    return b.build()


# MockAggregator.TOSTRING_ADDER (agg + "+" + value): the engine has no string concatenation,
# so the ports aggregate what it shows, how many values and their sum, and compare those.
ADDER = [{"name": "n", "fn": "count"}, {"name": "sum", "fn": "sum", "expr": "int(value)"}]


def adder(text: str) -> tuple[int, int]:
    """What an aggregate of ADDER gives for Kafka Streams' ``"0+2+2+1"`` (or ``"+2+2+1"``)."""
    values = [int(v) for v in text.split("+")[1:]]
    return len(values), sum(values)


def adder_row(row: dict) -> tuple[int, int]:
    return row["n"], row["sum"]


def as_if_cached(records: list[tuple]) -> list[tuple]:
    """What Kafka Streams forwards from a caching store flushed once at the end: the latest
    record per windowed key, in the order of each key's last update, keys whose latest value
    is a deletion of a never-flushed session left out (the engine has no record cache: it
    forwards every update, as Kafka Streams with caching disabled)."""
    latest: dict = {}
    for key, value, ts in records:
        latest.pop(key, None)
        latest[key] = (key, value, ts)
    return [r for r in latest.values() if r[1] is not None]


def store_items(driver: Driver, node_id: str, partition: int = 0) -> dict:
    """The state store of ``node_id`` as it is now, whatever keeps it."""
    if driver.state == "memory":
        return dict(driver.run.store(node_id, partition).items())
    store = driver._factory(node_id, partition)
    try:
        return dict(store.items())
    finally:
        store.close()


def find_sessions(driver: Driver, key: str, node_id: str = "agg") -> list[tuple]:
    """SessionStore.findSessions(key, ...) over all time: (start, end, count) in order."""
    prefix = f"s:{json.dumps(key)}:"
    return sorted(
        (v["s"], v["e"], v["a"][0])
        for k, v in store_items(driver, node_id).items()
        if k.startswith(prefix)
    )


# MockValueJoiner.TOSTRING_JOINER where either side may be missing (outer table joins)
BOTH_SIDES_JOINER = (
    "(str(left) if left is not None else 'null') + '+' + "
    "(str(right) if right is not None else 'null')"
)


def table_table_join(mode: str = "inner") -> Topology:
    """KTable (topic1) joined with a KTable (topic2), TOSTRING_JOINER, toStream() to out.
    Integer keys (JSON), String values, as the tests' serdes."""
    b = StreamsBuilder("ks-table-table-join")
    left = b.table("topic1", name="left", key_format="json", value_format="string")
    right = b.table("topic2", name="right", key_format="json", value_format="string")
    left.table_join(right, BOTH_SIDES_JOINER, name="join", mode=mode).to(
        "out", name="out", key_format="json", value_format="string"
    )
    return b.build()
