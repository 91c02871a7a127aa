"""Topic scans (reference §9.12, engine/cluster/topics): the time to the first page and the rate of
a filtered scan over a whole topic, against a raw confluent-kafka loop on the same topic.

    python bench/bench_topic_scan.py                       # 1,000,000 records of ~200 B
    python bench/bench_topic_scan.py --records 200000      # fewer, where filling takes long
    python bench/bench_topic_scan.py --bootstrap HOST:PORT --topic EXISTING   # your cluster

It starts a sandbox broker, fills a topic of 3 partitions with JSON orders of about 200
bytes (two headers each), then measures, each ``--repeats`` times (medians printed):

- first page: from creating the scan (metadata, end offsets) to its first page of records,
  reading from earliest without a filter, as the app's Topic Browser opens a topic;
- filter scan: the whole topic through ``value['customer'] == 'c-77' and value['amount'] >
  100`` (decode, headers, filter; few matches), records scanned per second;
- filter scan with masking: the same with a masking rule on ``email``;
- raw: a hand-written loop, ``consume(500)`` → ``orjson.loads`` → the same test, the most a
  Python loop gets from the client on this machine.

Targets: first page ≤ 1 s; filter scan ≥ 50,000 records/s. Exits 1 when one is missed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import orjson
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from engine.cluster.broker import SandboxBroker
from engine.cluster.topics.positions import EARLIEST
from engine.cluster.topics.reader import ScanRequest, TopicReader, TopicScan
from engine.model.masking import MaskRule

FILTER = "value['customer'] == 'c-77' and value['amount'] > 100"
PARTITIONS = 3


def fill(bootstrap: str, topic: str, n: int) -> int:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    for f in admin.create_topics([NewTopic(topic, PARTITIONS, 1)]).values():
        f.result(30)
    producer = Producer(
        {
            "bootstrap.servers": bootstrap,
            "linger.ms": 50,
            "batch.num.messages": 10_000,
            "queue.buffering.max.messages": 1_000_000,
            "compression.type": "none",
        }
    )
    size = 0
    start = time.monotonic()
    for i in range(n):
        value = orjson.dumps(
            {
                "order_id": f"o-{i:09d}",
                "customer": f"c-{i % 1000}",
                "email": f"customer{i % 1000}@example.com",
                "category": ("books", "games", "garden", "tools")[i % 4],
                "amount": round((i * 7919 % 20000) / 100, 2),
                "status": "paid" if i % 10 < 6 else "created",
                "ts": 1_765_015_200_000 + i,
                "note": "gift wrap, leave at the door",
            }
        )
        size += len(value)
        while True:
            try:
                producer.produce(
                    topic,
                    value,
                    f"c-{i % 1000}".encode(),
                    partition=i % PARTITIONS,
                    headers=[("source", b"bench"), ("n", str(i).encode())],
                )
                break
            except BufferError:
                producer.poll(0.05)
        if i % 10_000 == 0:
            producer.poll(0)
    producer.flush(300)
    took = time.monotonic() - start
    print(f"filled {topic}: {n:,} records, {size / n:.0f} B values on average, {took:.1f} s")
    return n


def first_page(bootstrap: str, topic: str) -> float:
    start = time.perf_counter()
    scan = TopicScan(TopicReader(bootstrap), ScanRequest(topic, EARLIEST))
    pages = scan.pages()
    page = next(pages)
    took = time.perf_counter() - start
    scan.cancel()
    for _ in pages:
        pass
    assert page, "the first page is empty"
    return took


def filter_scan(bootstrap: str, topic: str, masked: bool) -> tuple[float, int, int]:
    reader = TopicReader(bootstrap, masking=[MaskRule("email")] if masked else None)
    scan = TopicScan(reader, ScanRequest(topic, EARLIEST, filter=FILTER))
    start = time.perf_counter()
    matched = sum(len(page) for page in scan.pages())
    took = time.perf_counter() - start
    return scan.progress.scanned / took, scan.progress.scanned, matched


def raw_scan(bootstrap: str, topic: str, n: int) -> float:
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"bench-raw-{uuid.uuid4().hex[:8]}",
            "enable.auto.commit": False,
            "fetch.wait.max.ms": 100,
        }
    )
    consumer.assign([TopicPartition(topic, p, 0) for p in range(PARTITIONS)])
    start = time.perf_counter()
    seen = matched = 0
    loads = orjson.loads
    while seen < n:
        for m in consumer.consume(500, timeout=0.5):
            if m.error():
                continue
            seen += 1
            v = loads(m.value())
            if v["customer"] == "c-77" and v["amount"] > 100:
                matched += 1
    took = time.perf_counter() - start
    consumer.close()
    return seen / took


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--bootstrap", help="your cluster instead of the sandbox")
    parser.add_argument("--topic", help="an existing topic to scan (with --bootstrap)")
    args = parser.parse_args()

    broker = None
    if args.bootstrap:
        bootstrap = args.bootstrap
    else:
        broker = SandboxBroker(registry=False)
        broker.start()
        bootstrap = broker.bootstrap
    try:
        topic = args.topic or f"bench-scan-{uuid.uuid4().hex[:6]}"
        n = args.records if args.topic else fill(bootstrap, topic, args.records)
        firsts, rates, masked_rates, raws = [], [], [], []
        for _ in range(args.repeats):
            firsts.append(first_page(bootstrap, topic))
            rate, scanned, matched = filter_scan(bootstrap, topic, masked=False)
            rates.append(rate)
            masked_rates.append(filter_scan(bootstrap, topic, masked=True)[0])
            raws.append(raw_scan(bootstrap, topic, scanned))
        first, rate = statistics.median(firsts), statistics.median(rates)
        raw, masked_rate = statistics.median(raws), statistics.median(masked_rates)
        print(f"records scanned: {scanned:,} (of {n:,}), matched by the filter: {matched:,}")
        print(f"first page:                {first * 1000:8.0f} ms   (runs: "
              + ", ".join(f"{f * 1000:.0f}" for f in firsts) + ")")  # fmt: skip
        print(f"filter scan:               {rate:8,.0f} records/s   (runs: "
              + ", ".join(f"{r:,.0f}" for r in rates) + ")")  # fmt: skip
        print(f"filter scan with masking:  {masked_rate:8,.0f} records/s")
        print(f"raw orjson loop:           {raw:8,.0f} records/s   (scan = {rate / raw:.2f} x raw)")
        ok_first, ok_rate = first <= 1.0, rate >= 50_000
        print(f"{'PASS' if ok_first else 'FAIL'}: first page <= 1 s")
        print(f"{'PASS' if ok_rate else 'FAIL'}: filter scan >= 50,000 records/s")
        return 0 if ok_first and ok_rate else 1
    finally:
        if broker is not None:
            broker.stop()


if __name__ == "__main__":
    sys.exit(main())
