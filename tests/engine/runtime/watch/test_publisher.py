"""Publishing run state never fails a run: a refused topic gets one warning (reference §12.1)."""

from __future__ import annotations

import pytest

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
