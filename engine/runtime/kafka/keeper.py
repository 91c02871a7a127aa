"""The sandbox keeper: keeps the sandbox broker's topics of a topology bounded (reference §16).

The sandbox broker keeps every record in memory and cannot delete records (no retention,
no compaction), and its work per fetch grows with the log. Before a run of a topology
starts on the sandbox, ``SandboxKeeper.bound`` rotates each topic of the run that holds
more than ``limit`` records (summed over its partitions): it reads what is kept, deletes
the topic, creates it again with the same partitions and settings, and writes the kept
records back (``engine.cluster.rotation``).

- Changelogs are compacted: the last value of each key (none for a key whose last value is
  a tombstone), then the partition's last checkpoint, then what followed that checkpoint as
  it was, so a restore gives the same stores and skips the same input records
  (``engine.runtime.kafka.checkpoints``).
- Topics the application reads (sources, repartition topics) keep every record its group
  has not read yet and the last ``keep`` records of each partition; the group's committed
  offsets, and the changelogs' checkpoints, are translated to the new offsets.
- Other topics (sinks, the dead-letter topic, the metrics topic) keep the last ``keep``
  records of each partition.

Any consumer group that has committed offsets on a topic keeps its unread records too and
gets its offsets translated; a topic another running group reads is left as it is. Nothing
is done on another cluster than the sandbox (its cluster id), nor while an instance of the
application runs (its group has members). The schema registry's ``_schemas`` and the
fleet's ``<app>-topology`` are never touched.
"""

from __future__ import annotations

from confluent_kafka import ConsumerGroupState, KafkaError, KafkaException
from confluent_kafka.admin import AdminClient

from engine.cluster import rotation
from engine.cluster.admin import ConnectionProblem
from engine.cluster.broker import SANDBOX_CLUSTER_ID
from engine.cluster.fleet import metrics_topic, topology_topic
from engine.cluster.groups import describe_group, every_group
from engine.cluster.kafka_log import with_logger
from engine.cluster.rotation import Record, Rotated, RotationError
from engine.model.internal_topics import SOURCE_TYPES, internal_topics_by_node
from engine.model.topology import Topology
from engine.runtime.kafka import checkpoints

DEFAULT_LIMIT = 50_000  # records in a topic (all partitions) before it is bounded
KEEP_SHARE = 10  # a bounded topic keeps limit / KEEP_SHARE records per partition (5,000)
IDLE_GROUP = (ConsumerGroupState.EMPTY, ConsumerGroupState.DEAD)
CHANGELOG, INPUT, OUTPUT = "changelog", "input", "output"

Kept = dict[int, list[Record]]  # partition -> records kept, in order


def topic_kinds(topology: Topology, application_id: str | None = None) -> dict[str, str]:
    """The topics a run of ``topology`` reads and writes: name -> CHANGELOG, INPUT (the
    application reads it) or OUTPUT (it only writes it)."""
    app = application_id or topology.name
    kinds: dict[str, str] = {}
    for node in topology.nodes.values():
        if node.type == "kafka_sink" and node.params.get("topic"):
            kinds.setdefault(str(node.params["topic"]), OUTPUT)
    kinds[topology.settings.get("dead_letter_topic") or f"{topology.name}.dlq"] = OUTPUT
    kinds[metrics_topic(app)] = OUTPUT
    for node in topology.nodes.values():
        if node.type in SOURCE_TYPES and node.params.get("topic"):
            kinds[str(node.params["topic"])] = INPUT
    for topics in internal_topics_by_node(topology, app).values():
        for name in topics:
            kinds[name] = CHANGELOG if name.endswith("-changelog") else INPUT
    for never in ("_schemas", topology_topic(app)):
        kinds.pop(never, None)
    return {name: kind for name, kind in kinds.items() if not name.startswith("__")}


class SandboxKeeper:
    """Bounds a topology's topics on the sandbox broker at ``bootstrap``. ``limit``: the
    records (all partitions) above which a topic is bounded; ``keep``: the records each
    partition keeps then (default ``limit // KEEP_SHARE``)."""

    def __init__(
        self,
        bootstrap: str,
        client_config: dict | None = None,
        *,
        limit: int = DEFAULT_LIMIT,
        keep: int | None = None,
        stall_s: float = rotation.STALL_S,
    ):
        if limit < 1:
            raise ValueError(f"the limit must be at least 1 record, not {limit}")
        self.bootstrap = bootstrap
        self.config = with_logger({"bootstrap.servers": bootstrap, **(client_config or {})})
        self.limit = limit
        self.keep = max(1, limit // KEEP_SHARE) if keep is None else max(0, keep)
        self.stall_s = stall_s

    def bound(self, topology: Topology, application_id: str | None = None) -> list[str]:
        """Bound the topics of a run of ``topology`` that hold more than the limit; returns
        what was done, as sentences for the run log (none when nothing was)."""
        app = application_id or topology.name
        admin = AdminClient(self.config)
        try:
            meta = admin.list_topics(timeout=10)
        except KafkaException:
            return []  # the run says that the cluster cannot be reached
        cluster: str | None = meta.cluster_id
        if cluster != SANDBOX_CLUSTER_ID:
            return []
        if self._running(app):
            return [f"sandbox: {app} is running, so its topics were not bounded"]
        kinds = {t: k for t, k in topic_kinds(topology, app).items() if t in meta.topics}
        partitions = {t: len(meta.topics[t].partitions) for t in kinds}
        starts = {
            str(n.params.get("topic")): n.params.get("start", "earliest")
            for n in topology.nodes.values()
            if n.type in SOURCE_TYPES
        }
        try:
            return self._bound(admin, app, kinds, partitions, starts)
        except (ConnectionProblem, KafkaException) as exc:
            return [f"sandbox: the topics of {app} were not bounded: {exc}"]

    # -- the plan ----------------------------------------------------------------------

    def _bound(self, admin, app, kinds, partitions, starts) -> list[str]:
        tps = [(t, p) for t in kinds for p in range(partitions[t])]
        # Its readers are closed before any topic is deleted: a consumer that has fetched
        # from a topic the sandbox deletes crashes (see ``rotation.follow``).
        low, high = rotation.ends(admin, tps, self.config)
        commits = every_group(self.config)
        if len(high) < len(tps):
            return [f"sandbox: the sizes of the topics of {app} are not known; none was bounded"]
        size = {t: sum(high[(t, p)] - low[(t, p)] for p in range(partitions[t])) for t in kinds}
        notes: list[str] = []
        for topic in sorted(t for t in kinds if rotation.followed(t)):
            if size[topic] > self.limit:
                notes.append(
                    f"sandbox: {topic} holds {size[topic]:,} records but was not bounded: "
                    "this app is showing it (it will be at a later run)"
                )
            del kinds[topic]
        plans: dict[str, dict[int, int]] = {}  # topic -> partition -> first offset kept
        for topic, kind in kinds.items():
            if kind == CHANGELOG or size[topic] <= self.limit:
                continue
            readers = [g for g, c in commits.items() if any(t == topic for t, _ in c)]
            busy = [g for g in readers if g != app and self._running(g)]
            if busy:
                notes.append(
                    f"sandbox: {topic} holds {size[topic]:,} records but was not bounded: "
                    f"group {busy[0]} is reading it"
                )
                continue
            first = {}
            for p in range(partitions[topic]):
                floors = [commits[g][(topic, p)] for g in readers if (topic, p) in commits[g]]
                if kind == INPUT and (topic, p) not in commits.get(app, {}):
                    # never read by the application: all unread (unless it starts at the end)
                    floors.append(high[(topic, p)] if starts.get(topic) == "latest" else 0)
                first[p] = max(low[(topic, p)], min([high[(topic, p)] - self.keep, *floors]))
            kept = sum(high[(topic, p)] - first[p] for p in first)
            if size[topic] - kept >= max(1, size[topic] // 10):
                plans[topic] = first
        if not plans and all(size[t] <= self.limit for t, k in kinds.items() if k == CHANGELOG):
            return notes
        return notes + self._rotate(
            admin, app, kinds, partitions, (low, high), size, commits, plans
        )

    def _rotate(self, admin, app, kinds, partitions, ends, size, commits, plans) -> list[str]:
        """Reads everything kept first (a read that fails changes nothing), then rotates."""
        low, high = ends
        notes: list[str] = []
        reader = rotation.reader(self.config, f"{app}-keeper")
        kept: dict[str, Kept] = {}
        inputs_rotated = any(kinds[t] == INPUT for t in plans)
        changelogs = [t for t, k in kinds.items() if k == CHANGELOG]
        # A changelog over the limit is compacted, read whole. Another only needs its
        # checkpoints translated when inputs are rotated: where a partition ends with its
        # checkpoint (a clean stop), a translated one is appended, so only the last batch is
        # read; otherwise it is compacted too.
        compacting = [t for t in changelogs if size[t] > self.limit]
        marking = [t for t in changelogs if inputs_rotated and t not in compacting]
        spans = {(t, p): (s, high[(t, p)]) for t, first in plans.items() for p, s in first.items()}
        spans |= {
            (t, p): (low[(t, p)], high[(t, p)]) for t in compacting for p in range(partitions[t])
        }
        spans |= {
            (t, p): (max(low[(t, p)], high[(t, p)] - 1), high[(t, p)])
            for t in marking
            for p in range(partitions[t])
        }
        try:
            read = rotation.read_ranges(reader, spans, self.stall_s)  # all at once
            for topic, first in plans.items():
                kept[topic] = {p: read[(topic, p)] for p in first}
            ended = {
                t for t in marking if all(_ends_marked(read[(t, p)]) for p in range(partitions[t]))
            }
            again = [t for t in marking if t not in ended]
            if again:
                read |= rotation.read_ranges(
                    reader,
                    {
                        (t, p): (low[(t, p)], high[(t, p)])
                        for t in again
                        for p in range(partitions[t])
                    },
                    self.stall_s,
                )
            logs = {t: {p: read[(t, p)] for p in range(partitions[t])} for t in compacting + again}
            marks = {t: {p: read[(t, p)][-1:] for p in range(partitions[t])} for t in ended}
        except RotationError as exc:
            return [f"sandbox: the topics of {app} were not bounded: {exc}"]
        finally:
            reader.close()
        # Each step below is one request for all the topics concerned (rotation.rotate).
        failed = rotation.rotate(admin, self.config, kept, partitions)
        notes += [f"sandbox: {t} was not bounded: {why}" for t, why in failed.items()]
        rotated = {
            t: Rotated(t, {p: [r.offset for r in recs] for p, recs in records.items()})
            for t, records in kept.items()
            if t not in failed
        }
        for group, offsets in commits.items():
            moved = {
                (t, p): rotated[t].new_offset(p, o) for (t, p), o in offsets.items() if t in rotated
            }
            try:
                rotation.commit(self.config, group, moved)
            except RotationError as exc:
                notes.append(f"sandbox: {exc}")
        for topic in rotated:
            notes.append(
                self._told(topic, kinds[topic], size[topic], kept[topic], commits.get(app))
            )
        compacted: dict[str, Kept] = {}
        for topic, records in logs.items():
            compacted[topic], translated = compact(records, rotated)
            after = sum(len(r) for r in compacted[topic].values())
            if not translated and (
                size[topic] <= self.limit or size[topic] - after < size[topic] // 10
            ):
                del compacted[topic]
        failed = rotation.rotate(admin, self.config, compacted, partitions)
        for topic, records in compacted.items():
            if topic in failed:
                notes.append(f"sandbox: {topic} was not compacted: {failed[topic]}")
                continue
            after = sum(len(r) for r in records.values())
            notes.append(
                f"sandbox: compacted {topic} to {after:,} records ({size[topic]:,} before)"
            )
        appended = {}  # the last checkpoint again, translated: the newest is the one used
        for topic, last in marks.items():
            checkpoint, translated = compact(last, rotated)
            if translated:
                appended[topic] = {p: r for p, r in checkpoint.items() if r}
        for topic, why in rotation.write_all(self.config, appended).items():
            notes.append(f"sandbox: the checkpoints of {topic} were not translated: {why}")
        return notes

    def _told(self, topic: str, kind: str, before: int, records: Kept, app_commits) -> str:
        after = sum(len(r) for r in records.values())
        unread = 0
        if kind == INPUT and app_commits is not None:
            for p, recs in records.items():
                done = app_commits.get((topic, p))
                unread += sum(1 for r in recs if done is None or r.offset >= done)
        if unread > after - unread:
            return (
                f"sandbox: kept {after:,} records of {topic}, {unread:,} of them not read yet "
                f"({before:,} before)"
            )
        return f"sandbox: kept the last {after:,} records of {topic} ({before:,} before)"

    # -- looking ----------------------------------------------------------------------

    def _running(self, group: str) -> bool:
        """Whether ``group`` has members (the sandbox tells only the group's state; one
        that cannot be told is taken as running)."""
        try:
            return describe_group(self.config, group).state not in IDLE_GROUP
        except KafkaException as exc:
            err = exc.args[0] if exc.args else None
            return not (isinstance(err, KafkaError) and err.code() == KafkaError.GROUP_ID_NOT_FOUND)


def _ends_marked(records: list[Record]) -> bool:
    """Whether a changelog partition read from its last batch ends with a checkpoint (or
    is empty: nothing to translate)."""
    return not records or records[-1].key == checkpoints.CHECKPOINT_KEY


def compact(records: Kept, rotated: dict[str, Rotated]) -> tuple[Kept, bool]:
    """A changelog's records compacted, per partition: the last record of each key written
    before the last checkpoint (none for a tombstone), that checkpoint (its offsets
    translated for the ``rotated`` topics), then the records after it as they were. Returns
    them and whether a checkpoint was translated."""
    out: Kept = {}
    translated = False
    for p, recs in records.items():
        last = max(
            (i for i, r in enumerate(recs) if r.key == checkpoints.CHECKPOINT_KEY), default=-1
        )
        head = recs[:last] if last >= 0 else recs
        latest: dict[bytes | None, Record] = {}
        for r in head:
            if r.key == checkpoints.CHECKPOINT_KEY:
                continue
            latest.pop(r.key, None)  # kept in the order of each key's last change
            latest[r.key] = r
        kept = [r for r in latest.values() if r.value is not None]
        if last >= 0:
            mark = recs[last]
            offsets = checkpoints.decode(mark.value)
            moved = {
                t: rotated[t].new_offset(p, o) if t in rotated else o for t, o in offsets.items()
            }
            if moved != offsets:
                translated = True
                mark = Record(
                    mark.offset, mark.key, checkpoints.encode(moved), mark.headers, mark.timestamp
                )
            kept.append(mark)
            kept.extend(recs[last + 1 :])
        out[p] = kept
    return out, translated
