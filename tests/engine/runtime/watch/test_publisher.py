"""Publishing run state never fails a run: a refused topic gets one warning (reference §12.1)."""

from __future__ import annotations

import concurrent.futures
import threading
import time

import pytest
from confluent_kafka.admin import AdminClient, ConfigResource

from engine.cluster.fleet import metrics_topic, topology_topic
from engine.code.builder import StreamsBuilder
from engine.runtime.kafka.run import KafkaRun, RunConfig
from engine.runtime.watch.publisher import RunPublisher
from tests.engine.kafka_util import create_topic, produce

pytestmark = pytest.mark.kafka


def test_a_refused_record_gets_one_warning_and_the_run_goes_on(bootstrap, unique):
    src, out = f"pub-in-{unique}", f"pub-out-{unique}"
    create_topic(bootstrap, src, partitions=1)
    produce(bootstrap, src, [(f"k{i}", {"i": i}) for i in range(50)])
    b = StreamsBuilder(f"pub-{unique}")
    stream = b.stream(src, name="src")
    for n in range(25):  # enough nodes that every metrics record is over 1 kB too
        stream = stream.filter(f"value['i'] != {-n - 1}", name=f"keep_{n:02d}")
    stream.to(out, name="out")
    lines: list[str] = []
    # The sandbox broker accepts any topic; a client limit refuses every record of the
    # publisher instead, as a broker refusing its topics would.
    run = KafkaRun(
        b.build(),
        RunConfig(
            bootstrap=bootstrap,
            client_config={"message.max.bytes": 1000},
            console=lambda node, text: lines.append(text),
            observers=[RunPublisher()],
        ),
    )
    result = run.run(until_idle=3.0)
    assert result.status == "stopped", result.reason
    assert result.metrics["nodes"]["out"]["in"] == 50
    warnings = [line for line in lines if "not published" in line]
    assert len(warnings) == 1, lines
    assert "publish_metrics" in warnings[0]
    assert run.config.observers  # the publisher was not dropped as a failed observer


class SlowAdmin:
    """The real admin client, whose creation requests reach the brokers a second late
    (as on a busy cluster): a write sent without waiting for them creates the topic first."""

    def __init__(self, config: dict):
        self.admin = AdminClient(config)

    def create_topics(self, topics, **kwargs):
        answers = {t.topic: concurrent.futures.Future() for t in topics}

        def later():
            time.sleep(1.0)
            for name, future in self.admin.create_topics(topics, **kwargs).items():
                try:
                    future.result()
                    answers[name].set_result(None)
                except Exception as exc:  # noqa: BLE001 - handed to the publisher as it came
                    answers[name].set_exception(exc)

        threading.Thread(target=later, daemon=True).start()
        return answers


def test_the_topology_topic_is_created_compacted_before_the_first_write(
    bootstrap, unique, monkeypatch
):
    monkeypatch.setattr("engine.runtime.watch.publisher.AdminClient", SlowAdmin)

    src, out = f"pubc-in-{unique}", f"pubc-out-{unique}"
    create_topic(bootstrap, src, partitions=1)
    produce(bootstrap, src, [("k", {"i": 1})])
    b = StreamsBuilder(f"pubc-{unique}")
    b.stream(src, name="src").to(out, name="out")
    run = KafkaRun(b.build(), RunConfig(bootstrap=bootstrap, observers=[RunPublisher()]))
    result = run.run(until_idle=2.0)
    assert result.status == "stopped", result.reason
    admin = AdminClient({"bootstrap.servers": bootstrap})
    topic = topology_topic(f"pubc-{unique}")
    resource = ConfigResource(ConfigResource.Type.TOPIC, topic)
    configs = admin.describe_configs([resource])[resource].result(timeout=15)
    # The sandbox broker lists only configs set explicitly: this one was, at creation.
    policy = configs.get("cleanup.policy")
    assert policy is not None and policy.value == "compact"
    topics = admin.list_topics(timeout=10).topics
    assert len(topics[topic].partitions) == 1
    assert len(topics[metrics_topic(f"pubc-{unique}")].partitions) == 1
