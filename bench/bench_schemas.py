"""Avro source -> filter -> Avro sink: the engine against a hand-written loop (reference §7.6).

    python bench/bench_schemas.py                    # 100,000 records, 3 runs of each
    python bench/bench_schemas.py --records 200000 --repeats 5

One sandbox broker; one input topic of Avro orders in the Confluent wire format, written
with confluent-kafka's AvroSerializer. Both systems read all of it in a fresh consumer group,
keep the `paid` orders (60 %) and write them with AvroSerializer to a topic of their own, at
least once (the producer flushed before every commit, commits once a second):

- raw: a hand-written confluent-kafka loop, consume(1000) -> AvroDeserializer -> filter ->
  AvroSerializer -> produce;
- engine: KafkaRun on kafka_source (avro) -> filter -> kafka_sink (avro, value_schema).

Both run in this process, one after the other and interleaved over the repeats, against
confluent-kafka's in-memory registry (``mock://``, shared by name): what is compared is the
serialization and the engine's own cost, not a registry's network. The figure is the
process's CPU time (every thread, librdkafka's too) per input record, and the ratio of the
medians; the issue's target is the engine within 1.3x of the loop.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
import uuid
from pathlib import Path

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer
from confluent_kafka.admin import AdminClient, NewTopic
from confluent_kafka.schema_registry import topic_subject_name_strategy
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


REGISTRY = "mock://bench-schemas"
PARTITIONS = 3
SCHEMA = """{"type": "record", "name": "Order", "namespace": "shop", "fields": [
  {"name": "id", "type": "long"}, {"name": "customer", "type": "string"},
  {"name": "status", "type": "string"}, {"name": "category", "type": "string"},
  {"name": "amount", "type": "double"}, {"name": "placed", "type": "long"}]}"""


def client():
    from engine.runtime.schemas.registry import RegistryConfig

    return RegistryConfig(REGISTRY).client()


def fill(bootstrap: str, topic: str, records: int) -> int:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    for future in admin.create_topics([NewTopic(topic, PARTITIONS, 1)]).values():
        future.result(timeout=20)
    write = AvroSerializer(
        client(), SCHEMA, conf={"subject.name.strategy": topic_subject_name_strategy}
    )
    ctx = SerializationContext(topic, MessageField.VALUE)
    rng = random.Random(7)
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 20})
    paid = 0
    for i in range(records):
        status = "paid" if rng.random() < 0.6 else rng.choice(["pending", "cancelled"])
        paid += status == "paid"
        order = {
            "id": i,
            "customer": f"c{rng.randrange(1000)}",
            "status": status,
            "category": rng.choice(["books", "games", "garden", "toys"]),
            "amount": round(rng.uniform(1, 500), 2),
            "placed": 1_714_521_600_000 + i,
        }
        producer.produce(topic, write(order, ctx), order["customer"].encode())
        if i % 10_000 == 0:
            producer.poll(0)
    assert producer.flush(60) == 0
    return paid


def run_raw(bootstrap: str, source: str, sink: str, total: int) -> float:
    registry = client()
    read = AvroDeserializer(registry)
    write = AvroSerializer(
        registry, SCHEMA, conf={"subject.name.strategy": topic_subject_name_strategy}
    )
    rctx = SerializationContext(source, MessageField.VALUE)
    wctx = SerializationContext(sink, MessageField.VALUE)
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5, "acks": "all"})
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"raw-{uuid.uuid4().hex[:8]}",
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
            "session.timeout.ms": 6000,
        }
    )
    consumer.subscribe([source])
    consumed, cpu0, next_commit = 0, None, 0.0

    def commit():
        assert producer.flush(30) == 0
        try:
            consumer.commit(asynchronous=False)
        except KafkaException as exc:
            if exc.args[0].code() != KafkaError._NO_OFFSET:
                raise

    while consumed < total:
        msgs = consumer.consume(1000, timeout=0.1)
        if not msgs:
            continue
        if cpu0 is None:
            cpu0, next_commit = time.process_time(), time.monotonic() + 1
        for msg in msgs:
            if msg.error() is not None:
                continue
            consumed += 1
            value = read(msg.value(), rctx)
            if value["status"] != "paid":
                continue
            out = write(value, wctx)
            try:
                producer.produce(sink, out, msg.key())
            except BufferError:
                producer.poll(0.05)
                producer.produce(sink, out, msg.key())
        producer.poll(0)
        if time.monotonic() >= next_commit:
            commit()
            next_commit = time.monotonic() + 1
    commit()
    consumer.close()
    return time.process_time() - cpu0


def run_engine(bootstrap: str, source: str, sink: str, total: int) -> float:
    from engine.code.builder import StreamsBuilder
    from engine.runtime.kafka.run import KafkaRun, RunConfig

    b = StreamsBuilder(f"engine-{uuid.uuid4().hex[:8]}", topic_partitions=PARTITIONS)
    b.stream(source, name="orders", value_format="avro").filter(
        "value['status'] == 'paid'", name="paid"
    ).to(sink, name="out", value_format="avro", value_schema=SCHEMA)
    run = KafkaRun(b.build(), RunConfig(bootstrap=bootstrap, schema_registry_url=REGISTRY))
    cpu0 = time.process_time()
    result = run.run(until_idle=1.0, max_seconds=600)
    assert result.status == "stopped", result.reason
    assert result.metrics["nodes"]["orders"]["in"] == total
    return time.process_time() - cpu0  # start-up and the idle second included: an upper bound


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    from engine.cluster.broker import SandboxBroker

    broker = SandboxBroker().start()
    try:
        source = f"avro-orders-{uuid.uuid4().hex[:8]}"
        paid = fill(broker.bootstrap, source, args.records)
        print(f"{args.records:,} Avro orders, {paid:,} paid", flush=True)
        cpu: dict[str, list[float]] = {"raw": [], "engine": []}
        for i in range(args.repeats):
            for name, fn in (("raw", run_raw), ("engine", run_engine)):
                seconds = fn(broker.bootstrap, source, f"{name}-out-{i}-{source}", args.records)
                cpu[name].append(seconds)
                print(
                    f"{name:7} run {i + 1}: {1e6 * seconds / args.records:6.1f} us CPU per record",
                    flush=True,
                )
        raw, engine = statistics.median(cpu["raw"]), statistics.median(cpu["engine"])
        print(
            f"median CPU per record: raw {1e6 * raw / args.records:.1f} us, engine "
            f"{1e6 * engine / args.records:.1f} us: {engine / raw:.2f}x (target: within 1.3x)"
        )
    finally:
        broker.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
