"""Reaching the cluster and creating the topics a run reads and writes.

Sources, sinks and repartition topics get the topology's ``topic_partitions``; each
changelog gets as many partitions as the topics its store is fed by, and compaction;
the dead-letter topic one partition. Existing topics are left as they are."""

from __future__ import annotations

import time

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import NewTopic

from engine.runtime.kafka import clients
from engine.runtime.kafka.errors import BrokerUnreachableError, RunFailedError


class TopicManager:
    def __init__(self, base_config: dict, bootstrap: str, partitions: int, dead_letter_topic: str):
        self.base_config = base_config
        self.bootstrap = bootstrap
        self.partitions = partitions
        self.dead_letter_topic = dead_letter_topic
        self.admin: clients.AdminClient | None = None  # once check_reachable() answered
        self.cluster_id: str | None = None

    def check_reachable(self, timeout: float = 8.0) -> clients.AdminClient:
        """Connects the admin client; raises BrokerUnreachableError when nobody answers."""
        admin = clients.AdminClient(
            {**self.base_config, "socket.connection.setup.timeout.ms": 5000}
        )
        try:
            self.cluster_id = admin.list_topics(timeout=timeout).cluster_id
        except KafkaException as exc:
            raise BrokerUnreachableError(
                f"cannot reach Kafka at {self.bootstrap}: {exc.args[0].str() if exc.args else exc}"
            ) from None
        self.admin = admin
        return admin

    def answers(self, timeout: float = 0.5) -> bool:
        try:
            clients.attached(self.admin).list_topics(timeout=timeout)
        except KafkaException:
            return False
        return True

    def ensure(self, compiled) -> None:
        """Creates whatever topic of ``compiled`` is missing and waits until the cluster
        knows them. Raises RunFailedError when one cannot be created."""
        admin = clients.attached(self.admin)
        meta = admin.list_topics(timeout=10)
        existing = {name: len(t.partitions) for name, t in meta.topics.items() if not t.error}
        wanted = self.missing(compiled, existing)
        if not wanted:
            return
        futures = admin.create_topics(list(wanted.values()), request_timeout=15)
        for name, future in futures.items():
            try:
                future.result(timeout=20)
            except KafkaException as exc:
                if exc.args and exc.args[0].code() == KafkaError.TOPIC_ALREADY_EXISTS:
                    continue
                raise RunFailedError(f"cannot create topic '{name}': {exc.args[0].str()}") from None
        # Metadata of new topics reaches every client a moment later.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            topics = admin.list_topics(timeout=5).topics
            if all(name in topics and not topics[name].error for name in wanted):
                break
            time.sleep(0.1)

    def missing(self, compiled, existing: dict[str, int]) -> dict[str, NewTopic]:
        """The topics of ``compiled`` not in ``existing`` (name -> partition count)."""
        wanted: dict[str, NewTopic] = {}

        def want(name: str, partitions: int, config: dict | None = None) -> None:
            if name not in existing and name not in wanted:
                wanted[name] = NewTopic(
                    name, num_partitions=partitions, replication_factor=-1, config=config or {}
                )

        for topic in compiled.source_starts:
            want(topic, self.partitions)
        for topic in compiled.output_topics:
            want(topic, self.partitions)
        want(self.dead_letter_topic, 1)
        for internal in compiled.internal_topics:
            if internal.kind == "repartition":
                want(internal.name, self.partitions)
        for internal in compiled.internal_topics:
            if internal.kind == "changelog":
                counts = [
                    existing.get(t)
                    or (wanted[t].num_partitions if t in wanted else self.partitions)
                    for t in internal.partitions_like
                ]
                want(internal.name, max(counts or [self.partitions]), {"cleanup.policy": "compact"})
        return wanted
