"""The command line and the schema formats (reference §9, §14): validate reads sinks' schemas; run
needs a schema registry (--schema-registry, settings, $SCHEMA_REGISTRY_URL) and says so before
touching any broker."""

from __future__ import annotations

from engine.cli import main
from engine.code.builder import StreamsBuilder
from engine.model import fileformat

AVRO = '{"type": "record", "name": "Order", "fields": [{"name": "id", "type": "string"}]}'


def write(tmp_path, value_schema=AVRO, settings=None):
    b = StreamsBuilder("shop", **(settings or {}))
    b.stream("orders", name="orders", value_format="avro").to(
        "big", name="out", value_format="avro", value_schema=value_schema
    )
    path = tmp_path / "shop.topology.json"
    fileformat.write(b.build(check=False), path)
    return path


def test_validate_reads_schema_files_beside_the_topology(tmp_path, capsys):
    (tmp_path / "order.avsc").write_text(AVRO)
    path = write(tmp_path, "order.avsc")
    assert main(["validate", str(path)]) == 0
    (tmp_path / "order.avsc").write_text("{")
    assert main(["validate", str(path)]) == 1
    out, err = capsys.readouterr()
    assert "out: value_schema: not a valid Avro schema: not JSON" in out
    assert "Traceback" not in out + err


def test_run_without_a_registry_is_invalid_before_any_broker(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("SCHEMA_REGISTRY_URL", raising=False)
    path = write(tmp_path)
    assert main(["run", str(path), "--bootstrap", "127.0.0.1:1"]) == 1
    _out, err = capsys.readouterr()
    assert (
        "orders: value_format avro needs a schema registry: set settings.schema_registry.url, "
        "pass --schema-registry URL, or set SCHEMA_REGISTRY_URL"
    ) in err
    assert "out: value_format avro needs a schema registry" in err


def test_a_registry_from_the_environment_is_enough_to_start(tmp_path, capsys, monkeypatch):
    """With a registry named, the run goes on to the brokers (here: none, so exit 3)."""
    monkeypatch.setenv("SCHEMA_REGISTRY_URL", "mock://from-env")
    path = write(tmp_path)
    assert main(["run", str(path), "--bootstrap", "127.0.0.1:1"]) == 3
    _out, err = capsys.readouterr()
    assert "needs a schema registry" not in err
