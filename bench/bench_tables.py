"""The tables' cost per record beside a stream-table join's (issue 27).

    flock /tmp/bench.lock python bench/bench_tables.py [--records 100000] [--repeats 3]

In-process runs (LocalRun: topics as lists, memory stores, records encoded and decoded as on
a cluster) of four topologies over the same 1,000 keys, JSON values:

- ``stream_table_join``: a stream joined with a table (the baseline: a lookup per record);
- ``table_join``: a table joined with a table, every record a change of the left table;
- ``table_aggregate``: a table regrouped into 10 groups (count and sum), every record a
  change of a row that moves group (each pass over the keys moves every row to the next group) (a retraction and an addition through the repartition
  topic);
- ``table_aggregate_same``: the same with rows that keep their group (one record each).

The right table (or nothing) is loaded first and not counted. Prints the CPU time per
record (process time, median of the repeats) and each one's ratio to the stream-table join.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

KEYS = 1000


def topologies():
    from engine.code.builder import Aggregation, StreamsBuilder

    out = {}
    b = StreamsBuilder("bench-stream-table")
    stream, table = b.stream("left", name="left"), b.stream("right", name="right")
    stream.join(table, "{**left, **right}", name="join").to("out", name="out")
    out["stream_table_join"] = b.build()

    b = StreamsBuilder("bench-table-table")
    left, right = b.table("left", name="left"), b.table("right", name="right")
    left.table_join(right, "{**left, **right}", name="join").to("out", name="out")
    out["table_join"] = b.build()

    for name, group_by in (("table_aggregate", "value['g']"), ("table_aggregate_same", "key[-1]")):
        b = StreamsBuilder(f"bench-{name}")
        b.table("left", name="left").table_aggregate(
            [Aggregation("n", "count"), Aggregation("total", "sum", "value['amount']")],
            group_by=group_by,
            name="agg",
        ).to("out", name="out")
        out[name] = b.build()
    return out


def measure(topology, records: int) -> float:
    """CPU seconds per record of feeding ``records`` left records."""
    from engine.runtime.local import LocalRun

    run = LocalRun(topology)
    if "right" in {n.params.get("topic") for n in topology.nodes.values()}:
        for k in range(KEYS):
            run.send("right", {"region": f"r{k % 7}"}, key=f"k{k}", timestamp=k)
    values = [
        (f"k{i % KEYS}", {"g": f"g{(i // KEYS) % 10}", "amount": i % 97, "n": i}, 10_000 + i)
        for i in range(records)
    ]
    start = time.process_time()
    for key, value, ts in values:
        run.send("left", value, key=key, timestamp=ts)
    spent = time.process_time() - start
    assert run.topics.get("out"), "the topology wrote nothing: the figure would mean nothing"
    return spent / records


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    figures = {}
    for name, topology in topologies().items():
        runs = [measure(topology, args.records) for _ in range(args.repeats)]
        figures[name] = statistics.median(runs)
    base = figures["stream_table_join"]
    print(f"{args.records:,} records, medians of {args.repeats}")
    for name, per_record in figures.items():
        print(f"{name:22} {per_record * 1e6:8.1f} µs/record  {per_record / base:5.2f} × join")
    return 0


if __name__ == "__main__":
    sys.exit(main())
