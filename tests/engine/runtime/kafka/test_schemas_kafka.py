"""The schema formats on the real local broker (reference §7.6): confluent-kafka's own serializers
produce the input, a topology filters it, and confluent-kafka's own deserializers read what it
wrote, for Avro, Protobuf and JSON Schema; records that are not in the wire format go to the
dead letters with the reason; a registry that does not answer at start is unreachable.

The registry is the sandbox's own (``engine.cluster.registry``, started beside the broker),
which confluent-kafka's client talks to over HTTP as to any Confluent-compatible registry;
where a test needs a registry it can take down, confluent-kafka's in-memory one
(``mock://``, shared by name between the test and the run in this process) or a small
server of the test's own.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from confluent_kafka import Producer
from confluent_kafka.schema_registry import topic_subject_name_strategy
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer, ProtobufSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from google.protobuf import json_format

from engine.code.builder import StreamsBuilder
from engine.model import fileformat
from engine.model.schemas import compile_proto
from engine.runtime.kafka.run import KafkaRun, RegistryUnreachableError, RunConfig
from engine.runtime.schemas.checks import compiled_message_class
from engine.runtime.schemas.registry import RegistryConfig
from tests.engine.kafka_util import consume_all, create_topic

pytestmark = pytest.mark.kafka
ROOT = Path(__file__).resolve().parents[4]

AVRO = """{"type": "record", "name": "Order", "namespace": "shop", "fields": [
  {"name": "id", "type": "string"}, {"name": "amount", "type": "double"},
  {"name": "placed", "type": {"type": "long", "logicalType": "timestamp-millis"}}]}"""
PROTO = """syntax = "proto3";
package shop;
message Order { string id = 1; double amount = 2; int64 placed = 3; }
"""
JSON_SCHEMA = """{"type": "object", "title": "Order", "properties": {"id": {"type": "string"},
  "amount": {"type": "number"}, "placed": {"type": "integer"}}, "required": ["id", "amount"]}"""
ORDERS = [
    {"id": "o1", "amount": 120.0, "placed": 1714521600123},
    {"id": "o2", "amount": 5.0, "placed": 1714521600124},
    {"id": "o3", "amount": 300.5, "placed": 1714521600125},
]


def schema_of(fmt: str, name: str = "shop") -> str:
    """The order schema of ``fmt``, its namespace (Avro), package (Protobuf) or title (JSON
    Schema) ``name``: record names are subjects of their own under the record strategies."""
    if fmt == "json_schema":
        return JSON_SCHEMA.replace('"title": "Order"', f'"title": "{name}.Order"')
    return (AVRO if fmt == "avro" else PROTO).replace("shop", name)


def serde(fmt: str, client, name: str = "shop"):
    """confluent-kafka's serializer and deserializer of ``fmt``, and how to make a value."""
    conf = {"subject.name.strategy": topic_subject_name_strategy}
    if fmt == "avro":
        import datetime

        def as_avro(o):
            return {
                **o,
                "placed": datetime.datetime.fromtimestamp(o["placed"] / 1000, datetime.UTC),
            }

        def from_avro(o):
            return {**o, "placed": int(o["placed"].timestamp() * 1000)}

        return (
            AvroSerializer(client, schema_of(fmt, name), conf=conf),
            AvroDeserializer(client),
            as_avro,
            from_avro,
        )
    if fmt == "json_schema":
        return (
            JSONSerializer(schema_of(fmt, name), client, conf=conf),
            JSONDeserializer(None, schema_registry_client=client),
            dict,
            dict,
        )
    message_class = compiled_message_class(compile_proto(schema_of(fmt, name)))
    return (
        ProtobufSerializer(message_class, client, conf),
        ProtobufDeserializer(message_class, {"use.deprecated.format": False}),
        lambda o: json_format.ParseDict(o, message_class()),
        lambda m: (
            json_format.MessageToDict(m, preserving_proto_field_name=True)
            | {"placed": int(m.placed)}
        ),
    )


@pytest.mark.parametrize("strategy", ["topic", "record", "topic_record"])
@pytest.mark.parametrize("fmt", ["avro", "protobuf", "json_schema"])
def test_confluent_serializers_in_topology_confluent_deserializers_out(
    broker, unique, fmt, strategy
):
    bootstrap, url = broker.bootstrap, broker.registry_url
    src, out = f"orders-{unique}", f"big-{unique}"
    client = RegistryConfig(url).client()
    name = f"shop{unique}"
    write, read, make, back = serde(fmt, client, name)
    create_topic(bootstrap, src)
    producer = Producer({"bootstrap.servers": bootstrap})
    for order in ORDERS:
        producer.produce(src, write(make(order), SerializationContext(src, MessageField.VALUE)))
    producer.produce(src, b'{"id": "plain json"}')  # not in the wire format
    assert producer.flush(20) == 0

    schema = schema_of(fmt, name)
    b = StreamsBuilder(f"schemas-{unique}", topic_partitions=1, dead_letter_topic=f"dlq-{unique}")
    orders = b.stream(src, name="orders", value_format=fmt)
    orders.filter("value['amount'] > 100", name="big").to(
        out, name="out", value_format=fmt, value_schema=schema, subject_strategy=strategy
    )
    run = KafkaRun(
        b.build(),
        RunConfig(bootstrap=bootstrap, session_timeout_ms=2000, schema_registry_url=url),
    )
    result = run.run(until_idle=1.5, max_seconds=60)
    assert result.status == "stopped", result.reason
    assert result.metrics["nodes"]["orders"]["errors"] == 1
    assert result.metrics["nodes"]["out"]["errors"] == 0, [
        dict(m.headers())["ts.error"] for m in consume_all(bootstrap, f"dlq-{unique}")
    ]

    written = consume_all(bootstrap, out, expect=2)
    ctx = SerializationContext(out, MessageField.VALUE)
    assert [back(read(m.value(), ctx)) for m in written] == [ORDERS[0], ORDERS[2]]
    record = f"{name}.Order"  # JSON Schema: its title
    subject = {"topic": f"{out}-value", "record": record, "topic_record": f"{out}-{record}"}
    assert subject[strategy] in client.get_subjects()
    (dead,) = consume_all(bootstrap, f"dlq-{unique}", expect=1)
    headers = dict(dead.headers())
    assert dead.value() == b'{"id": "plain json"}'
    assert headers["ts.error"] == (
        b"SerdeError: not in the schema registry's wire format (first byte 0x7b)"
    )
    assert headers["ts.node"] == b"orders"


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def avro_topology(unique: str):
    b = StreamsBuilder(f"unreachable-{unique}", topic_partitions=1)
    b.stream(f"in-{unique}", name="orders", value_format="avro").to(
        f"out-{unique}", name="out", value_format="avro", value_schema=AVRO
    )
    return b.build()


def test_an_unreachable_registry_at_start(bootstrap, unique):
    url = f"http://127.0.0.1:{closed_port()}"
    run = KafkaRun(avro_topology(unique), RunConfig(bootstrap=bootstrap, schema_registry_url=url))
    with pytest.raises(
        RegistryUnreachableError, match=f"the schema registry at {url} does not answer"
    ):
        run.run(until_idle=1, max_seconds=20)


def cli_env() -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "KAFKA_BOOTSTRAP_SERVERS": ""}
    env.pop("SCHEMA_REGISTRY_URL", None)
    return env


def test_cli_exits_3_when_the_registry_does_not_answer(bootstrap, unique, tmp_path):
    path = tmp_path / "app.topology.json"
    fileformat.write(avro_topology(unique), path)
    url = f"http://127.0.0.1:{closed_port()}"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "gui.launcher",
            "run",
            str(path),
            "--bootstrap",
            bootstrap,
            "--schema-registry",
            url,
            "--max-seconds",
            "20",
        ],
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 3, done.stderr
    assert f"the schema registry at {url} does not answer" in done.stderr
    assert "Traceback" not in done.stderr


def test_run_sandbox_uses_its_registry(tmp_path):
    """``run --sandbox`` with a schema format: the sandbox starts its registry and the run
    registers the sink's schema there."""
    unique = uuid.uuid4().hex[:8]
    b = StreamsBuilder(f"sandbox-{unique}", topic_partitions=1)
    b.generator(f"gen-{unique}", name="gen", limit=20).to(
        f"out-{unique}",
        name="out",
        value_format="json_schema",
        value_schema='{"type": "object"}',
    )
    path = tmp_path / "app.topology.json"
    fileformat.write(b.build(), path)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "gui.launcher",
            "run",
            str(path),
            "--sandbox",
            "--until-idle",
            "2",
            "--max-seconds",
            "60",
        ],
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr


class _Registry:
    """The two calls of the registry's REST API a source makes (``/subjects`` at start,
    ``/schemas/ids/N`` per new schema id), served on a fixed port that can go away and come
    back, as a registry restarting does."""

    def __init__(self, schemas: dict[int, str]):
        self.schemas = schemas
        self.port = closed_port()
        self.server = None

    def start(self):
        import json
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        schemas = self.schemas

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's name
                path = self.path.split("?")[0]
                if path == "/subjects":
                    body, code = [], 200
                elif path.startswith("/schemas/ids/") and int(path.rsplit("/", 1)[1]) in schemas:
                    body, code = {"schema": schemas[int(path.rsplit("/", 1)[1])]}, 200
                else:
                    body, code = {"error_code": 40403, "message": "Schema not found"}, 404
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/vnd.schemaregistry.v1+json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def wait_for(condition, timeout: float = 30.0) -> None:
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_a_registry_outage_mid_run_is_waited_through(bootstrap, unique):
    import json
    import threading

    schema = json.loads(AVRO)
    later = {
        **schema,
        "fields": [*schema["fields"], {"name": "note", "type": "string", "default": ""}],
    }
    registry = _Registry({1: AVRO, 2: json.dumps(later)}).start()
    url = f"http://127.0.0.1:{registry.port}"
    src, out = f"in-{unique}", f"out-{unique}"
    create_topic(bootstrap, src)
    writer = RegistryConfig(f"mock://outage-{unique}").client()  # ids 1, 2 as above
    from confluent_kafka.schema_registry import Schema

    writer.register_schema("a", Schema(AVRO, "AVRO"))
    writer.register_schema("a", Schema(json.dumps(later), "AVRO"))
    write_v1 = AvroSerializer(
        writer,
        AVRO,
        conf={"auto.register.schemas": False, "subject.name.strategy": lambda c, n: "a"},
    )
    producer = Producer({"bootstrap.servers": bootstrap})
    ctx = SerializationContext(src, MessageField.VALUE)
    import datetime

    first = {
        "id": "o1",
        "amount": 1.0,
        "placed": datetime.datetime(2024, 5, 1, tzinfo=datetime.UTC),
    }
    producer.produce(src, write_v1(first, ctx))
    assert producer.flush(20) == 0

    b = StreamsBuilder(f"outage-{unique}", topic_partitions=1)
    b.stream(src, name="orders", value_format="avro").map("value['id']", name="ids").to(
        out, name="out"
    )
    statuses = []
    run = KafkaRun(
        b.build(),
        RunConfig(
            bootstrap=bootstrap,
            session_timeout_ms=2000,
            schema_registry_url=url,
            on_status=lambda s, r: statuses.append((s, r)),
        ),
    )
    result = {}
    thread = threading.Thread(target=lambda: result.update(r=run.run(max_seconds=60)))
    thread.start()
    try:
        wait_for(lambda: run.metrics["out"].out == 1)
        assert [m.value() for m in consume_all(bootstrap, out, expect=1)] == [b'"o1"']
        registry.stop()  # the registry goes away; schema id 2 is not cached yet
        write_v2 = AvroSerializer(
            writer,
            json.dumps(later),
            conf={"auto.register.schemas": False, "subject.name.strategy": lambda c, n: "a"},
        )
        producer.produce(src, write_v2({**first, "id": "o2", "note": "n"}, ctx))
        assert producer.flush(20) == 0
        wait_for(lambda: run.status == "disconnected")
        assert run.reason == f"the schema registry at {url} does not answer; retrying"
        registry.start()  # back on the same address
        wait_for(lambda: run.metrics["out"].out == 2)
        assert [m.value() for m in consume_all(bootstrap, out, expect=2)] == [b'"o1"', b'"o2"']
        assert run.status == "running"
    finally:
        run.stop()
        thread.join(30)
        registry.stop() if registry.server else None
    assert result["r"].status == "stopped", result["r"].reason
    assert result["r"].metrics["nodes"]["orders"]["errors"] == 0  # nothing dead-lettered
    said = [s for s, _ in statuses]
    assert said.index("disconnected") < len(said) - 1 - said[::-1].index("running")


def test_samples_of_a_schema_topic_are_decoded(bootstrap, unique):
    """What the app's data preview and Test Run take from a topic: decoded values."""
    from engine.cluster.admin import ClusterClient
    from engine.runtime.schemas import SchemaFormats

    topic, url = f"orders-{unique}", f"mock://samples-{unique}"
    client = RegistryConfig(url).client()
    write, _read, make, _back = serde("avro", client)
    create_topic(bootstrap, topic)
    producer = Producer({"bootstrap.servers": bootstrap})
    for order in ORDERS:
        producer.produce(topic, write(make(order), SerializationContext(topic, MessageField.VALUE)))
    producer.produce(topic, b'{"id": "plain"}')
    assert producer.flush(20) == 0
    decode = SchemaFormats(client).decoder("avro", topic, "value")
    cluster = ClusterClient(bootstrap)
    try:
        values = [r["value"] for r in cluster.sample(topic, 10, decode_value=decode)]
    finally:
        cluster.close()
    assert values == [*ORDERS, {"id": "plain"}]
