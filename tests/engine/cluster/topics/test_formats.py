"""Decoding by format and by detection (JSON, text, bytes), and encoding for produce."""

from __future__ import annotations

import base64

import pytest

from engine.cluster.topics.formats import FormatError, PartDecoder, encode_plain
from engine.model.schema_values import named_types, plain, to_avro


def test_detection_json_then_text_then_bytes():
    decode = PartDecoder("auto", "t", "value")
    assert decode(b'{"a": 1}') == ("json", {"a": 1})
    assert decode(b"hello") == ("string", "hello")
    assert decode(b"\xff\x00") == ("bytes", base64.b64encode(b"\xff\x00").decode())
    assert decode(None) == (None, None)


def test_wire_format_without_a_registry_is_shown_as_it_decodes():
    decode = PartDecoder("auto", "t", "value")
    assert decode(b"\x00\x00\x00\x00\x07\x02a")[0] in ("string", "bytes")


def test_a_given_format_that_refuses_a_record_falls_back_and_counts_it():
    decode = PartDecoder("json", "t", "value")
    assert decode(b"not json") == ("string", "not json")
    assert decode.problems == {"not JSON": 1}
    assert PartDecoder("string", "t", "key")(b"123") == ("string", "123")
    assert PartDecoder("bytes", "t", "key")(b"ab") == ("bytes", "YWI=")
    avro = PartDecoder("avro", "t", "value")
    assert avro(b'{"x": 1}') == ("json", {"x": 1})
    assert "needs a schema registry" in next(iter(avro.problems))


def test_wire_format_records_without_a_registry_are_counted_with_their_schema_id():
    decode = PartDecoder("auto", "t", "value")
    decode(b"\x00\x00\x00\x00\x07\x02a")
    decode(b"\x00\x00\x00\x00\x09\x02b")
    decode(b'{"a": 1}')
    decode(b"\x00\x01")  # too short for a schema id: not counted
    assert (decode.wire_without_registry, decode.first_schema_id) == (2, 7)


def test_unknown_format_is_a_sentence():
    with pytest.raises(FormatError, match="unknown format 'xml'"):
        PartDecoder("xml", "t", "value")


def test_encoding_plain_formats():
    assert encode_plain("json", {"a": 1}) == b'{"a":1}'
    assert encode_plain("string", "x") == b"x"
    assert encode_plain("bytes", "YWI=") == b"ab"
    assert encode_plain("json", None) is None
    with pytest.raises(FormatError, match="base64"):
        encode_plain("bytes", "not base64!")


def test_plain_data_from_deserializers():
    import datetime
    import decimal

    moment = datetime.datetime(2025, 1, 2, 3, 4, 5, 678000, tzinfo=datetime.UTC)
    data = {
        "b": b"\x01",
        "d": decimal.Decimal("1.50"),
        "t": datetime.date(2025, 1, 2),
        "l": (1,),
        "at": moment,
    }
    # One form with the engine's nodes: a timestamp is epoch milliseconds, as a record's own
    assert plain(data) == {
        "b": "AQ==",
        "d": "1.50",
        "t": "2025-01-02",
        "l": [1],
        "at": 1735787045678,
    }


def test_shown_avro_data_goes_back_to_avros_types():
    import datetime
    import decimal

    schema = {
        "type": "record",
        "name": "R",
        "fields": [
            {"name": "b", "type": "bytes"},
            {
                "name": "d",
                "type": {"type": "bytes", "logicalType": "decimal", "precision": 5, "scale": 2},
            },
            {"name": "day", "type": {"type": "int", "logicalType": "date"}},
            {"name": "opt", "type": ["null", "bytes"]},
            {"name": "kids", "type": {"type": "array", "items": "R"}},
            {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
            {"name": "was", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        ],
    }
    shown = {
        "b": "AQ==",
        "d": "1.50",
        "day": "2025-01-02",
        "opt": "Ag==",
        "kids": [{"b": "Aw=="}],
        "at": 1735787045678,
        "was": "2025-01-02T03:04:05.678+00:00",  # as exports before the one form wrote it
    }
    assert to_avro(shown, schema, named_types(schema)) == {
        "b": b"\x01",
        "d": decimal.Decimal("1.50"),
        "day": datetime.date(2025, 1, 2),
        "opt": b"\x02",
        "kids": [{"b": b"\x03"}],
        "at": 1735787045678,
        "was": datetime.datetime(2025, 1, 2, 3, 4, 5, 678000, tzinfo=datetime.UTC),
    }


def test_schemas_are_named_by_format_subject_version_and_id():
    from types import SimpleNamespace

    from engine.cluster.topics.schema_names import describe_ids

    versions = {1: [SimpleNamespace(subject="orders-value", version=1)], 4: []}
    client = SimpleNamespace(
        get_schema=lambda i: SimpleNamespace(schema_type="PROTOBUF" if i == 4 else None),
        get_schema_versions=lambda i: versions[i],
    )
    assert (
        describe_ids(client, [1], "orders")
        == "Avro · subject orders-value · version 1 · schema id 1"
    )
    assert describe_ids(client, {4, 1}, "orders") == (
        "Avro / Protobuf · subject orders-value · version 1 · schema ids 1, 4"
    )

    def down(_i):
        raise ConnectionError("refused")

    assert describe_ids(SimpleNamespace(get_schema=down), [3, 1]) == "schema ids 1, 3"
