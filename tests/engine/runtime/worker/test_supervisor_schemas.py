"""The app's worker process with the schema formats (reference §7.6): it takes the registry the app
names and the topology's folder, previews show decoded values, and a run with no registry
fails with the reason."""

from __future__ import annotations

import pytest
from confluent_kafka import Producer
from confluent_kafka.schema_registry import topic_subject_name_strategy
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from engine.code.builder import StreamsBuilder
from engine.runtime.schemas.registry import RegistryConfig
from engine.runtime.worker.supervisor import RunSupervisor
from tests.engine.kafka_util import consume_all, create_topic
from tests.engine.runtime.worker.test_supervisor import Events

pytestmark = pytest.mark.kafka

AVRO = """{"type": "record", "name": "Click", "namespace": "web", "fields": [
  {"name": "page", "type": "string"}, {"name": "ms", "type": "long"}]}"""


def test_previews_show_decoded_values_and_schema_files_are_found(
    broker, unique, tmp_path, monkeypatch
):
    monkeypatch.delenv("SCHEMA_REGISTRY_URL", raising=False)
    src, out = f"clicks-{unique}", f"slow-{unique}"
    client = RegistryConfig(broker.registry_url).client()
    write = AvroSerializer(
        client, AVRO, conf={"subject.name.strategy": topic_subject_name_strategy}
    )
    create_topic(broker.bootstrap, src)
    producer = Producer({"bootstrap.servers": broker.bootstrap})
    for i in range(20):
        click = {"page": f"/p{i % 3}", "ms": 100 * i}
        producer.produce(src, write(click, SerializationContext(src, MessageField.VALUE)))
    assert producer.flush(20) == 0
    (tmp_path / "click.avsc").write_text(AVRO)

    b = StreamsBuilder(f"clicks-{unique}", topic_partitions=1)
    b.stream(src, name="clicks", value_format="avro").filter("value['ms'] >= 1000", name="slow").to(
        out, name="out", value_format="avro", value_schema="click.avsc"
    )
    topology = b.build(check=False)
    topology.folder = str(tmp_path)
    events = Events()
    sup = RunSupervisor(
        topology,
        broker.bootstrap,
        events,
        metrics_interval_s=0.3,
        schema_registry_url=broker.registry_url,
    )
    sup.start()
    try:
        events.wait_for(lambda k, p: k == "metrics" and p["nodes"]["out"]["in"] >= 10)
        sup.preview("clicks")
        _node, samples = events.wait_for(
            lambda k, p: k == "samples" and p[0] == "clicks" and len(p[1]) >= 10
        )
        assert {"page": "/p0", "ms": 0} in [s["value"] for s in samples]
    finally:
        sup.stop()
    final = events.wait_for(lambda k, p: k == "finished")
    assert final["nodes"]["out"]["out"] == 10 and final["nodes"]["out"]["errors"] == 0
    assert len(consume_all(broker.bootstrap, out, expect=10)) == 10
    assert f"{out}-value" in client.get_subjects()


def test_a_run_with_no_registry_fails_with_the_reason(broker, unique, monkeypatch):
    monkeypatch.delenv("SCHEMA_REGISTRY_URL", raising=False)
    b = StreamsBuilder(f"noreg-{unique}", topic_partitions=1)
    b.stream(f"in-{unique}", name="clicks", value_format="avro").to(f"o-{unique}", name="out")
    events = Events()
    sup = RunSupervisor(b.build(), broker.bootstrap, events)
    sup.start()
    status = events.wait_for(lambda k, p: k == "status" and p[0] == "failed", timeout=40)
    assert "clicks: value_format avro needs a schema registry" in status[1]
    events.wait_for(lambda k, p: k == "finished", timeout=10)
    sup.stop()
