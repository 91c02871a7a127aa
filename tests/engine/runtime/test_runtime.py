"""The runtime against the real sandbox broker: exact outputs, routing, dead letters, metrics."""

from __future__ import annotations

import json

import pytest

from engine.code.builder import Branch, StreamsBuilder
from engine.runtime.kafka.run import BrokerUnreachableError, KafkaRun, RunConfig
from tests.engine.kafka_util import consume_all, create_topic, pairs, produce, values

pytestmark = pytest.mark.kafka


def run_topology(topology, bootstrap, *, until_idle=1.0, max_seconds=60, group_id=None):
    lines = []
    run = KafkaRun(
        topology,
        RunConfig(
            bootstrap=bootstrap,
            group_id=group_id,
            session_timeout_ms=2000,
            console=lambda node, text: lines.append((node, text)),
        ),
    )
    result = run.run(until_idle=until_idle, max_seconds=max_seconds)
    assert result.status == "stopped", result.reason
    return result, lines


ORDERS = [
    ("c1", {"id": 1, "status": "paid", "amount": 120.0, "items": [{"sku": "a", "qty": 2}]}),
    ("c2", {"id": 2, "status": "pending", "amount": 15.5, "items": []}),
    (
        "c1",
        {
            "id": 3,
            "status": "paid",
            "amount": 300.0,
            "items": [{"sku": "b", "qty": 1}, {"sku": "c", "qty": 4}],
        },
    ),
    ("c3", {"id": 4, "status": "cancelled", "amount": 9.0, "items": [{"sku": "d", "qty": 1}]}),
    ("c2", {"id": 5, "status": "paid", "amount": 42.0, "items": [{"sku": "a", "qty": 1}]}),
]


def test_stateless_chain_gives_exact_output(bootstrap, unique, tmp_path):
    src, out, items_topic = f"orders-{unique}", f"paid-{unique}", f"items-{unique}"
    create_topic(bootstrap, src)
    produce(bootstrap, src, ORDERS)

    b = StreamsBuilder(f"chain-{unique}", topic_partitions=1)
    orders = b.stream(src, name="orders")
    paid = orders.filter("value['status'] == 'paid'", name="paid")
    tagged = paid.set_fields(
        {"big": "value['amount'] >= 100", "cents": "int(value['amount'] * 100)"}, name="tag"
    )
    tagged.map("{'id': value['id'], 'big': value['big'], 'cents': value['cents']}", name="slim").to(
        out, name="out"
    )
    items = paid.flat_map("[dict(i, order=value['id']) for i in value['items']]", name="items")
    items.rekey("value['sku']", name="by_sku").to(items_topic, name="items_out")
    items.to_file(str(tmp_path / "items.jsonl"), name="items_file")
    paid.to_console(name="log", limit=2)
    result, lines = run_topology(b.build(), bootstrap)

    assert pairs(consume_all(bootstrap, out, expect=3)) == [
        ("c1", {"id": 1, "big": True, "cents": 12000}),
        ("c1", {"id": 3, "big": True, "cents": 30000}),
        ("c2", {"id": 5, "big": False, "cents": 4200}),
    ]
    assert pairs(consume_all(bootstrap, items_topic, expect=4)) == [
        ("a", {"sku": "a", "qty": 2, "order": 1}),
        ("b", {"sku": "b", "qty": 1, "order": 3}),
        ("c", {"sku": "c", "qty": 4, "order": 3}),
        ("a", {"sku": "a", "qty": 1, "order": 5}),
    ]
    file_lines = [json.loads(line) for line in (tmp_path / "items.jsonl").read_text().splitlines()]
    assert [(r["key"], r["value"]["sku"]) for r in file_lines] == [
        ("c1", "a"),
        ("c1", "b"),
        ("c1", "c"),
        ("c2", "a"),
    ]
    assert all(isinstance(r["timestamp"], int) and r["timestamp"] > 0 for r in file_lines)
    assert [node for node, _ in lines] == ["log", "log"]  # limit 2
    assert '"c1"' in lines[0][1] and '"id":1' in lines[0][1]
    nodes = result.metrics["nodes"]
    assert nodes["orders"] == {"in": 5, "out": 5, "errors": 0, "late": 0}
    assert nodes["paid"]["in"] == 5 and nodes["paid"]["out"] == 3
    assert nodes["items"]["out"] == 4 and nodes["items_out"]["out"] == 4
    assert nodes["log"] == {"in": 3, "out": 2, "errors": 0, "late": 0}
    assert result.metrics["lag"] == {src: {"0": 0}}


def test_branch_routes_to_first_match_and_else_and_merge_unions(bootstrap, unique):
    src, clicks = f"orders-{unique}", f"clicks-{unique}"
    create_topic(bootstrap, src)
    create_topic(bootstrap, clicks)
    produce(bootstrap, src, ORDERS)
    produce(bootstrap, clicks, [("u1", {"action": "view"}), ("u2", {"action": "buy"})])

    b = StreamsBuilder(f"branch-{unique}", topic_partitions=1)
    ports = b.stream(src, name="orders").branch(
        [Branch("big", "value['amount'] >= 100"), Branch("paid", "value['status'] == 'paid'")],
        name="route",
    )
    ports["big"].to(f"big-{unique}", name="big_out")
    ports["paid"].to(f"small-paid-{unique}", name="paid_out")
    ports["else"].to(f"other-{unique}", name="else_out")
    merged = ports["else"].merge(b.stream(clicks, name="clicks"), name="all")
    merged.map("value.get('id', value.get('action'))", name="ids").to(
        f"merged-{unique}", name="merged_out"
    )
    run_topology(b.build(), bootstrap)

    assert [v["id"] for v in values(consume_all(bootstrap, f"big-{unique}", expect=2))] == [1, 3]
    assert [v["id"] for v in values(consume_all(bootstrap, f"small-paid-{unique}", expect=1))] == [
        5
    ]
    assert [v["id"] for v in values(consume_all(bootstrap, f"other-{unique}", expect=2))] == [2, 4]
    assert sorted(map(str, values(consume_all(bootstrap, f"merged-{unique}", expect=4)))) == [
        "2",
        "4",
        "buy",
        "view",
    ]


def test_dead_letters_keep_original_bytes_and_say_why(bootstrap, unique):
    src, out, dlq = f"in-{unique}", f"out-{unique}", f"dlq-{unique}"
    create_topic(bootstrap, src)
    produce(
        bootstrap,
        src,
        [
            ("k1", {"n": 4}),
            ("k2", b"\xff not json"),
            ("k3", {"n": 0}),
            ("k4", {"n": 2}, [("trace", b"abc")]),
        ],
    )
    b = StreamsBuilder(f"dlq-{unique}", topic_partitions=1, dead_letter_topic=dlq)
    b.stream(src, name="src").map(
        "{'inv': 100 // value['n'], 'trace': headers.get('trace')}", name="divide"
    ).to(out, name="out")
    result, _ = run_topology(b.build(), bootstrap)

    assert values(consume_all(bootstrap, out, expect=2)) == [
        {"inv": 25, "trace": None},
        {"inv": 50, "trace": "abc"},
    ]
    dead = consume_all(bootstrap, dlq, expect=2)
    assert [(m.key(), m.value()) for m in dead] == [(b"k2", b"\xff not json"), (b"k3", b'{"n": 0}')]
    first, second = (dict(m.headers()) for m in dead)
    assert first[b"ts.node".decode()] == b"src"
    assert b"not JSON" in first["ts.error"]
    assert first["ts.source.topic"] == src.encode()
    assert first["ts.source.partition"] == b"0" and first["ts.source.offset"] == b"1"
    assert second["ts.node"] == b"divide" and second["ts.error"].startswith(b"ZeroDivisionError")
    assert second["ts.source.offset"] == b"2"
    assert result.metrics["nodes"]["src"]["errors"] == 1
    assert result.metrics["nodes"]["divide"]["errors"] == 1
    assert result.metrics["nodes"]["out"]["out"] == 2


def test_source_formats_and_timestamp_expression(bootstrap, unique):
    src, out = f"raw-{unique}", f"out-{unique}"
    create_topic(bootstrap, src)
    produce(bootstrap, src, [(json.dumps({"region": "eu"}), "hello 1700000000000")])
    b = StreamsBuilder(f"fmt-{unique}", topic_partitions=1)
    (
        b.stream(
            src,
            name="src",
            key_format="json",
            value_format="string",
            timestamp="int(value.split(' ')[1])",
        )
        .map(
            "{'region': key['region'], 'word': value.split(' ')[0], 'ts': timestamp}", name="shape"
        )
        .to(out, name="out")
    )
    run_topology(b.build(), bootstrap)
    [msg] = consume_all(bootstrap, out, expect=1)
    assert json.loads(msg.value()) == {"region": "eu", "word": "hello", "ts": 1700000000000}
    assert msg.timestamp()[1] == 1700000000000
    assert msg.key() == b'{"region":"eu"}'


def test_generator_writes_its_limit_and_reads_it_back(bootstrap, unique):
    b = StreamsBuilder(f"gen-{unique}", topic_partitions=1)
    b.generator(f"gen-orders-{unique}", name="gen", profile="orders", rate=0, seed=3, limit=250).to(
        f"copy-{unique}", name="copy"
    )
    result, _ = run_topology(b.build(), bootstrap)
    copied = values(consume_all(bootstrap, f"copy-{unique}", expect=250))
    assert len(copied) == 250
    assert {"order_id", "customer_id", "category", "items", "amount", "status"} <= set(copied[0])
    assert result.metrics["nodes"]["gen"]["out"] == 250


def test_unreachable_broker_is_reported():
    b = StreamsBuilder("nowhere")
    b.stream("t", name="s").to("u", name="o")
    run = KafkaRun(b.build(), RunConfig(bootstrap="127.0.0.1:1"))
    with pytest.raises(BrokerUnreachableError, match="cannot reach Kafka at 127.0.0.1:1"):
        run.check_reachable(timeout=2)
