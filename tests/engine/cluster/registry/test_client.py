"""Every endpoint confluent-kafka's SchemaRegistryClient calls, against the registry."""

from __future__ import annotations

import json

import pytest
import requests
from confluent_kafka.schema_registry import Schema, SchemaReference
from confluent_kafka.schema_registry.error import SchemaRegistryError

pytestmark = pytest.mark.kafka


def record(name: str, *fields: tuple[str, object]) -> Schema:
    return Schema(
        json.dumps(
            {
                "type": "record",
                "name": name,
                "fields": [
                    {"name": n, "type": t, **({"default": None} if t == ["null", "string"] else {})}
                    for n, t in fields
                ],
            }
        ),
        "AVRO",
    )


def error_of(call) -> SchemaRegistryError:
    with pytest.raises(SchemaRegistryError) as raised:
        call()
    return raised.value


def test_register_versions_and_ids(client, unique):
    subject, other = f"orders-{unique}-value", f"copy-{unique}-value"
    v1 = record("Order", ("id", "string"))
    v2 = record("Order", ("id", "string"), ("note", ["null", "string"]))
    first = client.register_schema(subject, v1)
    assert client.register_schema(subject, v1) == first  # the same schema twice: one id
    second = client.register_schema(subject, v2)
    assert second == first + 1
    assert client.get_versions(subject) == [1, 2]
    assert subject in client.get_subjects()
    latest = client.get_latest_version(subject)
    assert (latest.version, latest.schema_id, latest.subject) == (2, second, subject)
    assert json.loads(latest.schema.schema_str) == json.loads(v2.schema_str)
    assert client.get_version(subject, 1).schema_id == first
    # The same schema under another subject reuses its id.
    assert client.register_schema(other, v1) == first
    assert client.get_subjects_by_schema_id(first) == sorted([subject, other])
    assert {(v.subject, v.version) for v in client.get_schema_versions(first)} == {
        (subject, 1),
        (other, 1),
    }
    fresh = type(client)({"url": client._rest_client.base_urls[0]})  # no cache
    assert json.loads(fresh.get_schema(second).schema_str) == json.loads(v2.schema_str)
    found = fresh.lookup_schema(subject, v1)
    assert (found.schema_id, found.version) == (first, 1)
    assert set(client.get_schema_types()) == {"AVRO", "JSON", "PROTOBUF"}


def test_not_found_answers_carry_confluents_codes(client, registry, unique):
    subject = f"missing-{unique}"
    assert error_of(lambda: client.get_versions(subject)).error_code == 40401
    client.register_schema(subject, Schema('"string"', "AVRO"))
    assert error_of(lambda: client.get_version(subject, 9)).error_code == 40402
    fresh = type(client)({"url": registry.url})
    assert error_of(lambda: fresh.get_schema(987654)).error_code == 40403
    looked = error_of(lambda: fresh.lookup_schema(subject, Schema('"int"', "AVRO")))
    assert looked.error_code == 40403
    answer = requests.get(f"{registry.url}/subjects/{subject}/versions/zero", timeout=5)
    assert answer.status_code == 422 and answer.json()["error_code"] == 42202
    assert answer.headers["Content-Type"] == "application/vnd.schemaregistry.v1+json"
    invalid = error_of(lambda: client.register_schema(subject, Schema('{"type": "nope"}', "AVRO")))
    assert invalid.http_status_code == 422 and invalid.error_code == 42201
    assert "nope" in invalid.error_message


def test_latest_by_minus_one_and_the_raw_schema(client, registry, unique):
    subject = f"raw-{unique}"
    client.register_schema(subject, record("R", ("a", "int")))
    for version in ("latest", "-1"):
        answer = requests.get(f"{registry.url}/subjects/{subject}/versions/{version}", timeout=5)
        assert answer.json()["version"] == 1
    raw = requests.get(f"{registry.url}/subjects/{subject}/versions/1/schema", timeout=5).json()
    assert raw["name"] == "R"
    by_id = client.get_latest_version(subject).schema_id
    raw = requests.get(f"{registry.url}/schemas/ids/{by_id}/schema", timeout=5).json()
    assert raw["fields"][0]["name"] == "a"


def test_soft_and_permanent_deletes(client, registry, unique):
    subject = f"deleted-{unique}"
    one = client.register_schema(subject, record("D", ("a", "int")))
    client.register_schema(subject, record("D", ("a", "int"), ("b", ["null", "string"])))
    assert client.delete_version(subject, 2) == 2
    assert error_of(lambda: client.delete_version(subject, 2)).error_code == 40406
    assert client.get_versions(subject) == [1]
    assert client.get_versions(subject, deleted=True) == [1, 2]
    assert client.get_version(subject, 2, deleted=True).version == 2
    # Permanently only after a soft delete.
    assert error_of(lambda: client.delete_version(subject, 1, permanent=True)).error_code == 40407
    assert client.delete_version(subject, 2, permanent=True) == 2
    assert client.get_versions(subject, deleted=True) == [1]
    assert error_of(lambda: client.delete_subject(subject, permanent=True)).error_code == 40405
    assert client.delete_subject(subject) == [1]
    assert subject not in client.get_subjects()
    assert subject in client.get_subjects(deleted=True)
    assert error_of(lambda: client.get_versions(subject)).error_code == 40401
    assert error_of(lambda: client.delete_subject(subject)).error_code == 40404
    # A soft-deleted schema keeps its id.
    assert client.get_schema(one) is not None
    assert client.delete_subject(subject, permanent=True) == [1]
    assert subject not in client.get_subjects(deleted=True)
    fresh = type(client)({"url": registry.url})
    assert error_of(lambda: fresh.get_schema(one)).error_code == 40403


def test_references_are_accepted_and_stored(client, registry, unique):
    common, subject = f"money-{unique}", f"payment-{unique}-value"
    money = {
        "type": "record",
        "name": "Money",
        "namespace": "shop",
        "fields": [{"name": "cents", "type": "long"}],
    }
    client.register_schema(common, Schema(json.dumps(money), "AVRO"))
    payment = {
        "type": "record",
        "name": "Payment",
        "namespace": "shop",
        "fields": [{"name": "amount", "type": "shop.Money"}],
    }
    refs = [SchemaReference("shop.Money", common, 1)]
    schema_id = client.register_schema(subject, Schema(json.dumps(payment), "AVRO", refs))
    stored = client.get_latest_version(subject).schema
    assert [(r.name, r.subject, r.version) for r in stored.references] == [
        ("shop.Money", common, 1)
    ]
    assert client.get_referenced_by(common, 1) == [schema_id]
    # A reference is needed to resolve the name, and a referenced schema stays.
    bare = error_of(lambda: client.register_schema(f"x-{unique}", Schema(json.dumps(payment))))
    assert bare.error_code == 42201 and "shop.Money" in bare.error_message
    assert error_of(lambda: client.delete_subject(common)).error_code == 42206
    assert client.get_versions(common) == [1]


def test_config_levels_global_and_per_subject(client, registry, unique):
    subject = f"config-{unique}"
    assert client.get_compatibility() == "BACKWARD"
    assert client.set_compatibility(subject, "FULL_TRANSITIVE") == {
        "compatibility": "FULL_TRANSITIVE"
    }
    assert client.get_compatibility(subject) == "FULL_TRANSITIVE"
    assert client.get_config(subject).compatibility_level.value == "FULL_TRANSITIVE"
    assert client.delete_config(subject).compatibility_level.value == "FULL_TRANSITIVE"
    assert error_of(lambda: client.get_compatibility(subject)).error_code == 40408
    default = requests.get(f"{registry.url}/config/{subject}?defaultToGlobal=true", timeout=5)
    assert default.json() == {"compatibilityLevel": "BACKWARD"}
    bad = error_of(lambda: client.set_compatibility(subject, "SIDEWAYS"))
    assert bad.error_code == 42203


def test_mode_is_read_write(client):
    assert client.get_global_mode() == "READWRITE"
    assert client.update_global_mode("READWRITE") == "READWRITE"
    assert error_of(lambda: client.update_global_mode("READONLY")).error_code == 42204


def test_compatibility_endpoints_answer_with_messages(client, unique):
    subject = f"compat-{unique}"
    client.register_schema(subject, record("C", ("a", "int")))
    added = record("C", ("a", "int"), ("b", "string"))  # no default: BACKWARD breaks
    assert client.test_compatibility(subject, added) is False
    assert client.test_compatibility(subject, record("C", ("a", "long"))) is True
    assert client.test_compatibility_all_versions(subject, added) is False
    answer = client._rest_client.post(
        f"compatibility/subjects/{subject}/versions/latest?verbose=true", body=added.to_dict()
    )
    assert answer["is_compatible"] is False
    assert "READER_FIELD_MISSING_DEFAULT_VALUE" in answer["messages"][0]
    assert client.test_compatibility_all_versions(f"none-{unique}", added) is True


def test_listing_pages_and_all_schemas(client, registry, unique):
    prefix = f"page-{unique}"
    for i in range(3):
        client.register_schema(
            f"{prefix}-{i}", Schema(f'{{"type": "fixed", "name": "F{i}", "size": {i + 1}}}')
        )
    assert client.get_subjects(subject_prefix=prefix) == [f"{prefix}-{i}" for i in range(3)]
    assert client.get_subjects(subject_prefix=prefix, offset=1, limit=1) == [f"{prefix}-1"]
    listed = requests.get(
        f"{registry.url}/schemas", params={"subjectPrefix": prefix, "latestOnly": "true"}, timeout=5
    ).json()
    assert [(s["subject"], s["version"]) for s in listed] == [
        (f"{prefix}-{i}", 1) for i in range(3)
    ]
