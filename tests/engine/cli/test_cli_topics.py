"""``topology-studio topic read | produce`` and ``offsets`` on the real broker: output
formats and files, sentences and exit codes for bad input, a produce round trip with a
topology's formats and masking."""

from __future__ import annotations

import csv
import io
import json

import pytest

from engine.cli import main
from tests.engine.cluster.topics.conftest import create_topic, make_orders_topic

pytestmark = pytest.mark.kafka


@pytest.fixture
def orders_topic(bootstrap, unique) -> str:
    return make_orders_topic(bootstrap, unique)


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_read_ndjson_and_csv_to_stdout_and_a_file(capsys, tmp_path, bootstrap, orders_topic):
    code, out, err = run(capsys, "topic", "read", orders_topic, "--bootstrap", bootstrap)
    assert code == 0
    lines = [json.loads(line) for line in out.splitlines()]
    assert len(lines) == 30 and lines[0]["topic"] == orders_topic
    assert f"{orders_topic} from earliest: scanned 30 of 30 records, wrote 30" in err

    target = tmp_path / "orders.csv"
    code, out, err = run(
        capsys, "topic", "read", orders_topic, "--bootstrap", bootstrap, "--format", "csv",
        "-o", str(target), "--filter", "value['i'] < 3", "--partition", "0",
    )  # fmt: skip
    assert code == 0 and out == ""
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"))))
    assert [json.loads(r["value"])["i"] for r in rows] == [0]
    assert rows[0]["key"] == "k0" and json.loads(rows[0]["headers"]) == {"source": "test", "n": "0"}


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--filter", "__import__('os')"], "the filter is not allowed: calling '__import__'"),
        (["--from", "tomorrow"], "is neither earliest, latest, an offset nor a time"),
        (["--limit", "0"], "the limit must be 1 or more"),
        (["--partition", "9"], "has no partition 9"),
    ],
)
def test_bad_input_to_read_is_a_sentence_and_exit_2(capsys, bootstrap, orders_topic, args, said):
    code, out, err = run(capsys, "topic", "read", orders_topic, "--bootstrap", bootstrap, *args)
    assert code == 2 and out == ""
    assert said in err and "Traceback" not in err


def test_read_of_an_unreachable_cluster_exits_3(capsys):
    code, _out, err = run(capsys, "topic", "read", "t", "--bootstrap", "127.0.0.1:1")
    assert code == 3 and "cannot reach Kafka at 127.0.0.1:1" in err


def test_produce_round_trip_with_a_topologys_formats_and_masking(
    capsys, tmp_path, bootstrap, orders_topic, unique
):
    topology = tmp_path / "app.topology.json"
    topology.write_text(
        json.dumps(
            {
                "format": "topology-studio/1",
                "name": "app",
                "settings": {"masking": [{"field": "email"}]},
                "nodes": [
                    {"id": "src", "type": "kafka_source", "params": {"topic": orders_topic}},
                    {"id": "out", "type": "console_sink", "params": {}},
                ],
                "edges": [{"from": "src", "to": "out"}],
            }
        ),
        encoding="utf-8",
    )
    dump = tmp_path / "dump.ndjson"
    code, _, err = run(
        capsys, "topic", "read", orders_topic, "--bootstrap", bootstrap, "--topology",
        str(topology), "-o", str(dump),
    )  # fmt: skip
    assert code == 0, err
    lines = [json.loads(line) for line in dump.read_text(encoding="utf-8").splitlines()]
    assert all(r["value"]["email"] == "***" for r in lines)
    assert {r["key_format"] for r in lines} == {"string"}  # the source's key format

    target = f"copy-{unique}"
    create_topic(bootstrap, target)
    code, _, err = run(
        capsys, "topic", "produce", target, "-i", str(dump), "--bootstrap", bootstrap
    )
    assert code == 0 and "wrote 30 records" in err
    code, out, _ = run(capsys, "topic", "read", target, "--bootstrap", bootstrap)
    copied = [json.loads(line) for line in out.splitlines()]
    keep = ("key", "value", "headers", "timestamp")
    assert sorted(json.dumps({k: r[k] for k in keep}) for r in copied) == sorted(
        json.dumps({k: r[k] for k in keep}) for r in lines
    )


def test_produce_refuses_unreadable_files_and_bad_lines(capsys, tmp_path, bootstrap, unique):
    topic = f"never-{unique}"
    create_topic(bootstrap, topic)
    code, _, err = run(
        capsys, "topic", "produce", topic, "-i", str(tmp_path / "missing.ndjson"),
        "--bootstrap", bootstrap,
    )  # fmt: skip
    assert code == 2 and "cannot read" in err and "missing.ndjson" in err
    bad = tmp_path / "bad.ndjson"
    bad.write_bytes(b'{"value": 1}\n{"value": \n\xff\xfe\n')
    code, _, err = run(capsys, "topic", "produce", topic, "-i", str(bad), "--bootstrap", bootstrap)
    assert code == 2
    assert f"{bad}:2: not JSON" in err
    assert f"{bad}:3: not UTF-8 text (invalid start byte at byte 0)" in err
    assert f"nothing was written to {topic}" in err
    code, out, _ = run(capsys, "topic", "read", topic, "--bootstrap", bootstrap)
    assert out == ""


def test_offsets_dry_run_as_json_then_applied(capsys, bootstrap, orders_topic, unique):
    group = f"g-{unique}"
    code, out, err = run(
        capsys, "offsets", group, "--reset-to", "latest", "--topic", orders_topic, "--dry-run",
        "--json", "--bootstrap", bootstrap,
    )  # fmt: skip
    assert code == 0 and "dry run: nothing was changed" in err
    plan = json.loads(out)
    assert plan["group"] == group and plan["applied"] is False
    assert [(p["partition"], p["current"], p["new"]) for p in plan["partitions"]] == [
        (0, None, 10), (1, None, 10), (2, None, 10),
    ]  # fmt: skip
    code, out, err = run(
        capsys, "offsets", group, "--reset-to", "latest", "--topic", orders_topic,
        "--bootstrap", bootstrap,
    )  # fmt: skip
    assert code == 0 and f"reset 3 partitions of the group '{group}'" in err
    code, out, err = run(
        capsys, "offsets", group, "--reset-to", "2", "--bootstrap", bootstrap, "--dry-run"
    )
    assert code == 0
    assert "10  →           2  8 replayed" in out and "total: 24 replayed, 0 skipped" in out
    code, _, err = run(capsys, "offsets", group, "--reset-to", "soon", "--bootstrap", bootstrap)
    assert code == 2 and "is neither earliest" in err


def test_produce_reads_stdin_without_input(capsys, monkeypatch, bootstrap, unique):
    topic = f"stdin-{unique}"
    create_topic(bootstrap, topic)
    stdin = io.TextIOWrapper(io.BytesIO(b'{"key": "a", "value": {"n": 1}}\n{"value": "two"}\n'))
    monkeypatch.setattr("sys.stdin", stdin)
    code, _, err = run(capsys, "topic", "produce", topic, "--bootstrap", bootstrap)
    assert code == 0 and f"wrote 2 records to {topic}" in err
    code, out, _ = run(capsys, "topic", "read", topic, "--bootstrap", bootstrap)
    assert [(r["key"], r["value"]) for r in map(json.loads, out.splitlines())] == [
        ("a", {"n": 1}),
        (None, "two"),
    ]


@pytest.mark.parametrize(
    "argv",
    [
        ["topic", "produce", "t", "-i", "/dev/null"],
        ["offsets", "g", "--reset-to", "earliest"],
    ],
)
def test_produce_and_offsets_on_an_unreachable_cluster_exit_3(capsys, argv):
    code, _, err = run(capsys, *argv, "--bootstrap", "127.0.0.1:1")
    assert code == 3 and "cannot reach Kafka at 127.0.0.1:1" in err


def test_offsets_refuses_while_a_consumer_is_in_the_group(capsys, bootstrap, orders_topic, unique):
    import time

    from confluent_kafka import Consumer

    group = f"busy-{unique}"
    consumer = Consumer(
        {"bootstrap.servers": bootstrap, "group.id": group, "session.timeout.ms": 6000}
    )
    try:
        consumer.subscribe([orders_topic])
        deadline = time.monotonic() + 30
        while not consumer.assignment() and time.monotonic() < deadline:
            consumer.poll(0.2)
        code, out, err = run(
            capsys, "offsets", group, "--reset-to", "earliest", "--topic", orders_topic,
            "--bootstrap", bootstrap,
        )  # fmt: skip
        assert code == 4 and "is not empty (state STABLE" in err
        assert f"group {group} (stable)" in out
    finally:
        consumer.close()


def test_produce_of_unformatted_values_to_a_topic_with_a_schema_says_so(
    capsys, tmp_path, bootstrap, unique
):
    """A value with no format goes out as JSON; to a topic whose values have a registered
    schema that is most likely a mistake, said with the line that writes the schema's
    format (the record is still written: produce never guesses a format)."""
    from confluent_kafka.schema_registry import Schema, SchemaRegistryClient

    from engine.cluster.registry import SchemaRegistryServer

    topic = f"typed-{unique}"
    create_topic(bootstrap, topic)
    server = SchemaRegistryServer(bootstrap).start()
    try:
        schema = '{"type": "record", "name": "R", "fields": [{"name": "n", "type": "int"}]}'
        SchemaRegistryClient({"url": server.url}).register_schema(
            f"{topic}-value", Schema(schema, "AVRO")
        )
        lines = tmp_path / "in.ndjson"
        lines.write_text('{"value": {"n": 1}}\n')
        common = ["--bootstrap", bootstrap, "--schema-registry", server.url]
        code, _, err = run(capsys, "topic", "produce", topic, "-i", str(lines), *common)
        assert code == 0 and f"wrote 1 record to {topic}" in err
        assert (
            f"note: 1 value names no format and is written as JSON or text, but {topic} has a "
            f"registered schema (Avro, subject {topic}-value version 1)"
        ) in err
        assert 'write "value_format": "avro" in the line, or --value-format avro' in err
        lines.write_text('{"value": {"n": 2}, "value_format": "avro"}\n')
        code, _, err = run(capsys, "topic", "produce", topic, "-i", str(lines), *common)
        assert code == 0 and "note:" not in err
        code, out, _ = run(capsys, "topic", "read", topic, *common)
        assert [(r["value_format"], r["value"]) for r in map(json.loads, out.splitlines())] == [
            ("json", {"n": 1}),
            ("avro", {"n": 2}),
        ]
    finally:
        server.stop()
