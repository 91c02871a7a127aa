"""Topic administration of the cluster client (the app's Cluster dock) on the real broker:
replicas and in-sync replicas per topic, create with configs, config view, delete, and the
broker's refusals as sentences."""

from __future__ import annotations

import pytest

from engine.cluster.admin import ClusterClient, TopicAdminError

pytestmark = pytest.mark.kafka


def test_create_describe_and_delete_a_topic(bootstrap, unique):
    client = ClusterClient(bootstrap)
    name = f"admin-{unique}"
    try:
        client.create_topic(name, partitions=3, replication=1, config={"retention.ms": "60000"})
        [info] = [t for t in client.topics() if t.name == name]
        assert (info.partitions, info.replicas, info.in_sync, info.internal) == (3, 1, 1, False)
        assert client.topic_config(name)["retention.ms"][0] == "60000"
        client.delete_topic(name)
        assert name not in {t.name for t in client.topics()}
    finally:
        client.close()


def test_the_brokers_refusals_are_sentences(bootstrap, unique):
    client = ClusterClient(bootstrap)
    name = f"admin-twice-{unique}"
    try:
        client.create_topic(name)
        with pytest.raises(TopicAdminError, match=f"refused to create topic '{name}': .*exists"):
            client.create_topic(name)
        with pytest.raises(TopicAdminError, match=f"refused to delete topic 'gone-{unique}'"):
            client.delete_topic(f"gone-{unique}")
    finally:
        client.close()
