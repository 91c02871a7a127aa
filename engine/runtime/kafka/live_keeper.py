"""Bounding the sandbox's topics while a run goes on (reference §16): the topics the run
only writes.

A run on the sandbox broker that lasts hours fills its sinks and dead-letter topic without
end (the broker has no retention). ``LiveKeeper`` measures them every ``LIVE_CHECK_S`` in a
thread of its own, off the run's loop; when one holds more than ``LIVE_LIMIT`` records, the
run's loop rotates it right after its next commit (``after_commit``): every record produced
so far is acknowledged then and the loop produces nothing while the topic is read, deleted,
created again with the same partitions and settings, and given back the last ``LIVE_KEEP``
records of each partition. So no record is in flight to the deleted topic, and the tail
kept is exact. It pauses the run for about as long as writing the tail back takes.

The run's changelogs are compacted the same way, from the stores themselves: right after
a commit each changelog partition is exactly its store (every change written, then a
checkpoint), so a changelog over the limit is created again holding each store's entries
and its latest checkpoint (``StateManager.logged``), nothing read. A re-run then restores
what the stores hold, not every change since the first run, and the keeper before it
reads no changelog whole.

Only what is safe is rotated:

- at-least-once runs without the idempotent producer (an exactly-once run's producer may
  hold an open transaction; an idempotent one numbers its records per partition, and a
  partition created again expects them from the start);
- a run that holds every partition of its inputs (another instance of the application
  would go on writing the topic while it is read and deleted);
- topics the application never reads (not its sources or repartition topics, not its
  changelogs), that no other consumer group has committed offsets on (their offsets
  would point past the new end), and that no reader on this machine follows
  (``engine.cluster.rotation.follow``: a consumer that has fetched from a deleted topic
  crashes its process). The metrics topic is never rotated while the run goes on: the
  app's Instances panel follows it all along (the keeper bounds it before the next run).
  A changelog is compacted only when every partition's store is open in this run and
  written as it is (none left out by a change no changelog record can hold).
"""

from __future__ import annotations

import threading
import time
from typing import Any

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient

from engine.cluster import rotation
from engine.cluster.admin import ConnectionProblem
from engine.cluster.broker import SANDBOX_CLUSTER_ID
from engine.cluster.fleet import metrics_topic, topology_topic
from engine.cluster.groups import every_group
from engine.cluster.kafka_log import with_logger
from engine.cluster.rotation import Record, RotationError
from engine.model.internal_topics import changelog_topic
from engine.runtime.kafka.keeper import DEFAULT_LIMIT, KEEP_SHARE

LIVE_CHECK_S = 30.0  # how often the written topics are measured
LIVE_LIMIT = DEFAULT_LIMIT  # records (all partitions) above which a written topic is rotated
LIVE_KEEP = DEFAULT_LIMIT // KEEP_SHARE  # records each partition keeps then


class LiveKeeper:
    """The run's collaborator that keeps the topics it only writes bounded on the sandbox.
    ``start(run, compiled)`` returns one that does nothing elsewhere."""

    def __init__(
        self,
        run: Any = None,
        topics: list[str] | None = None,
        changelogs: dict[str, str] | None = None,
    ) -> None:
        self.run = run
        self.topics = topics or []
        self.changelogs = changelogs or {}  # changelog topic -> its store's node
        self.limit, self.keep, self.check_s = LIVE_LIMIT, LIVE_KEEP, LIVE_CHECK_S
        self.rotations = 0
        self.due: dict[str, int] = {}  # topic -> records, measured over the limit
        self._inputs = 0  # partitions of the run's inputs (to tell it holds them all)
        self._busy = threading.Lock()  # the measuring consumer is open
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._told: set[str] = set()
        self._said: list[str] = []  # sentences waiting for the run's thread

    @classmethod
    def start(cls, run: Any, compiled: Any) -> LiveKeeper:
        written = set(compiled.output_topics) | {run.dead_letter_topic}
        app = run.application_id
        never = set(compiled.entries) | {t.name for t in compiled.internal_topics}
        never |= {metrics_topic(app), topology_topic(app), "_schemas"}
        topics = sorted(t for t in written - never if not t.startswith("__"))
        changelogs = {changelog_topic(app, n): n for n in run.stores.store_topics}
        if (
            run.topics.cluster_id != SANDBOX_CLUSTER_ID
            or run.guarantee != "at_least_once"
            or run.config.idempotence
        ):
            return cls()
        keeper = cls(run, topics, changelogs)
        if topics or changelogs:
            committed = run.committer.on_committed  # the run's loop, after each commit

            def on_committed() -> None:
                committed()
                keeper.after_commit()

            run.committer.on_committed = on_committed
            keeper._thread = threading.Thread(
                target=keeper._watch, name="sandbox-keeper", daemon=True
            )
            keeper._thread.start()
        return keeper

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)

    # -- the run's thread ---------------------------------------------------------------

    def after_commit(self) -> None:
        """Called by the run's loop after each commit: rotates the topics found too full."""
        while self._said:  # what the keeper's thread found, told from the run's thread
            self.run.console("run", self._said.pop(0))
        if not self.due or self.run.state.stopping or not self._busy.acquire(blocking=False):
            return
        try:
            due, self.due = self.due, {}
            clients = self.run.clients
            if len(clients.producer) or self.run.collector.resend:
                self.due = due  # not everything acknowledged: after the next commit
                return
            if len(clients.consumer.assignment()) < self._inputs:
                self._say_once(
                    "instances",
                    "sandbox: the topics this run writes are not bounded while other "
                    "instances of the application run",
                )
                return
            for topic, size in due.items():
                if topic in self.changelogs:
                    self._compact(topic, size)
                else:
                    self._rotate(topic, size)
        finally:
            self._busy.release()

    def _rotate(self, topic: str, size: int) -> None:
        config = self._config()
        admin = AdminClient(config)
        try:
            partitions = _partitions(admin, topic)
            if not partitions:
                return
            tps = [(topic, p) for p in range(partitions)]
            low, high = rotation.ends(admin, tps, config)
            if len(high) < len(tps):
                return
            reader = rotation.reader(config, f"{self.run.application_id}-keeper")
            try:
                spans = {tp: (max(low[tp], high[tp] - self.keep), high[tp]) for tp in tps}
                read = rotation.read_ranges(reader, spans)  # every partition at once
                kept = {p: read[(topic, p)] for p in range(partitions)}
            finally:
                reader.close()
            _rotate_one(admin, config, topic, kept)
        except (RotationError, KafkaException) as exc:
            self._say_once(topic, f"sandbox: {topic} was not bounded: {exc}")
            return
        except Exception as exc:  # noqa: BLE001 - bounding never fails the run
            self._say_once(topic, f"sandbox: {topic} was not bounded: {type(exc).__name__}: {exc}")
            return
        self.rotations += 1
        after = sum(len(r) for r in kept.values())
        self.run.console(
            "run", f"sandbox: kept the last {after:,} records of {topic} ({size:,} before)"
        )

    def _compact(self, topic: str, size: int) -> None:
        """The changelog ``topic`` created again holding what its stores hold now."""
        node = self.changelogs[topic]
        config = self._config()
        admin = AdminClient(config)
        try:
            partitions = _partitions(admin, topic)
            if not partitions:
                return
            logged = {p: self.run.stores.logged(node, p) for p in range(partitions)}
            if any(entries is None for entries in logged.values()):
                return  # measured again; compacted after a later commit
            now = int(time.time() * 1000)
            kept = {
                p: [Record(i, k, v, None, now) for i, (k, v) in enumerate(entries or [])]
                for p, entries in logged.items()
            }
        except KafkaException as exc:
            self._say_once(topic, f"sandbox: {topic} was not compacted: {exc}")
            return
        try:
            _rotate_one(admin, config, topic, kept)
        except (RotationError, KafkaException) as exc:
            # Emptied or not, the changelog gets every entry of the stores again with the next
            # commit, before its checkpoints: nothing of the state is lost to a restore.
            for p in kept:
                self.run.stores.pending[(topic, p)].update(self.run.stores.store(node, p).items())
            self._say_once(topic, f"sandbox: {topic} was not compacted: {exc}")
            return
        self.rotations += 1
        after = sum(len(r) for r in kept.values())
        self.run.console(
            "run", f"sandbox: compacted {topic} to {after:,} records ({size:,} before)"
        )

    # -- the keeper's thread ------------------------------------------------------------

    def _watch(self) -> None:
        while not self._stop.wait(self.check_s) and not self.run.state.stopping:
            try:
                with self._busy:
                    self._measure()
            except (KafkaException, ConnectionProblem, RuntimeError):
                continue  # the broker is away: the run says so; measured again later
            except Exception as exc:  # noqa: BLE001 - bounding never fails the run
                self._say_once("measure", f"sandbox: written topics not measured: {exc}")

    def _measure(self) -> None:
        config = self._config()
        admin = AdminClient(config)
        meta = admin.list_topics(timeout=10).topics
        present = [t for t in [*self.topics, *self.changelogs] if t in meta and not meta[t].error]
        inputs = [t for t in self.run.compiled.entries if t in meta]
        self._inputs = sum(len(meta[t].partitions) for t in inputs)
        tps = [(t, p) for t in present for p in range(len(meta[t].partitions))]
        if not tps:
            return
        low, high = rotation.ends(admin, tps, config)
        sizes = dict.fromkeys(present, 0)
        for t, p in tps:
            sizes[t] += high.get((t, p), low[(t, p)]) - low[(t, p)]
        over = {t: n for t, n in sizes.items() if n > self.limit}
        logs = {t: n for t, n in over.items() if t in self.changelogs}
        over = {t: n for t, n in over.items() if t not in logs}
        due = {t: n for t, n in logs.items() if not rotation.followed(t)}
        if not over:
            self.due = due
            return
        read = {
            t
            for group, commits in every_group(config).items()
            if group != self.run.application_id
            for t, _ in commits
        }
        for topic in sorted(read & set(over)):
            self._say_once(topic, f"sandbox: {topic} is not bounded: another group reads it")
        due |= {t: n for t, n in over.items() if t not in read and not rotation.followed(t)}
        self.due = due

    def _config(self) -> dict:
        return with_logger(
            {"bootstrap.servers": self.run.config.bootstrap, **self.run.config.client_config}
        )

    def _say_once(self, key: str, text: str) -> None:
        """Told on the console once (the console is the run's: from its thread only)."""
        if key not in self._told:
            self._told.add(key)
            if threading.current_thread() is self._thread:
                self._said.append(text)
            else:
                self.run.console("run", text)


def _partitions(admin: AdminClient, topic: str) -> int:
    """The partitions of ``topic`` (0 when it is not there)."""
    meta = admin.list_topics(topic=topic, timeout=10).topics.get(topic)
    return 0 if meta is None or meta.error else len(meta.partitions)


def _rotate_one(
    admin: AdminClient, config: dict, topic: str, kept: dict[int, list[Record]]
) -> None:
    """``rotation.rotate`` of one topic; raises RotationError when it was not rotated."""
    failed = rotation.rotate(admin, config, {topic: kept}, {topic: len(kept)})
    if failed:
        raise RotationError(failed[topic])
