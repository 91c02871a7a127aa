"""Avro, Protobuf and JSON Schema in the Confluent wire format, read and written with
confluent-kafka's own schema-registry serializers (reference §7.6); and the same schemas checked
in-process, for test runs that have no registry.

Sources get the writer's schema by the id in each record (the registry client caches it);
a Protobuf source needs no generated code: its message type is built from the registered
schema, once per schema id and message index. What the libraries raise becomes one
sentence: ``schema id 7 not found``, ``not in the schema registry's wire format (first byte
0x7b)``, ``field 'amount': expected double, got 'abc'``. A registry that does not answer
raises ``RegistryUnavailable``, which the run waits through (``engine.runtime.schemas``).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from engine.cluster.schema_classes import ProtobufReader
from engine.model.schema_values import SchemaValueError, plain, to_avro
from engine.model.schemas import SchemaRef, SchemaTextError
from engine.runtime.schemas.checks import (
    Checker,
    checker,
    parse_message,
)
from engine.runtime.serde import SerdeError

Decoder = Callable[[bytes], Any]
Encoder = Callable[[Any], bytes | None]


class RegistryUnavailable(Exception):
    """The schema registry did not answer (or answered 5xx): wait and try again."""


def _no_subject(ctx, record_name):
    """Readers look up no subject: the writer's schema comes by the id in the record."""
    return


def strategies() -> dict[str, Callable]:
    from confluent_kafka.schema_registry import (
        record_subject_name_strategy,
        topic_record_subject_name_strategy,
        topic_subject_name_strategy,
    )

    return {
        "topic": topic_subject_name_strategy,
        "record": record_subject_name_strategy,
        "topic_record": topic_record_subject_name_strategy,
    }


def serialization_context(topic: str, part: str):
    from confluent_kafka.serialization import MessageField, SerializationContext

    return SerializationContext(topic, MessageField.KEY if part == "key" else MessageField.VALUE)


# -- errors as sentences ----------------------------------------------------------------


def wire_problem(data: bytes) -> str | None:
    if not data or data[0] != 0:
        first = f"first byte 0x{data[0]:02x}" if data else "no bytes"
        return f"not in the schema registry's wire format ({first})"
    if len(data) < 5:
        return f"not in the schema registry's wire format (only {len(data)} bytes)"
    return None


def schema_id(data: bytes) -> int:
    from confluent_kafka.schema_registry.serde import SchemaId

    sid = SchemaId("AVRO")
    sid.from_bytes(io.BytesIO(data))
    return sid.id or 0


def unavailable(exc: BaseException) -> bool:
    # the HTTP library the registry client uses (httpx2, or httpx before Python 3.10)
    from confluent_kafka.schema_registry.common._httpx_compat import httpx
    from confluent_kafka.schema_registry.error import SchemaRegistryError

    if isinstance(exc, httpx.TransportError):
        return True
    return isinstance(exc, SchemaRegistryError) and exc.http_status_code in (
        408,
        429,
        500,
        502,
        503,
        504,
    )


def _decode_error(exc: BaseException, data: bytes, title: str) -> Exception:
    from confluent_kafka.schema_registry.error import SchemaRegistryError

    if unavailable(exc):
        return RegistryUnavailable(str(exc))
    sid = schema_id(data)
    if isinstance(exc, SchemaRegistryError):
        if exc.http_status_code == 404:
            return SerdeError(f"schema id {sid} not found")
        return SerdeError(f"the schema registry refused schema id {sid}: {exc.error_message}")
    detail = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
    return SerdeError(f"the payload does not match schema id {sid} ({title}): {detail}")


def _registry_error(exc: BaseException, what: str) -> Exception:
    from confluent_kafka.schema_registry.error import SchemaRegistryError

    if unavailable(exc):
        return RegistryUnavailable(str(exc))
    if isinstance(exc, SchemaRegistryError):
        return SerdeError(f"the schema registry refused {what}: {exc.error_message}")
    return SerdeError(f"{what}: {exc}")


# -- sources ----------------------------------------------------------------------------


def decoder(fmt: str, client, topic: str, part: str) -> Decoder:
    """Wire-format bytes to plain data, with the writer's schema from the registry."""
    ctx = serialization_context(topic, part)
    conf = {"subject.name.strategy": _no_subject}
    read: Callable[[bytes, Any], Any]
    convert: Callable[[Any], Any]
    if fmt == "avro":
        from confluent_kafka.schema_registry.avro import AvroDeserializer

        read = AvroDeserializer(client, conf=conf)
        title, convert = "Avro", plain
    elif fmt == "json_schema":
        from confluent_kafka.schema_registry.json_schema import JSONDeserializer

        read = JSONDeserializer(None, schema_registry_client=client, conf=conf)
        title, convert = "JSON Schema", plain
    else:
        from engine.model.protobuf_values import message_data

        read = ProtobufReader(client, conf)
        title, convert = "Protobuf", message_data

    def decode(data: bytes) -> Any:
        problem = wire_problem(data)
        if problem is not None:
            raise SerdeError(problem)
        try:
            return convert(read(data, ctx))
        except SerdeError:
            raise
        except Exception as exc:  # noqa: BLE001 - the libraries raise many kinds
            raise _decode_error(exc, data, title) from None

    return decode


# -- sinks ------------------------------------------------------------------------------


def encoder(
    fmt: str,
    client,
    ref: SchemaRef,
    topic: str,
    part: str,
    strategy: str = "topic",
    auto_register: bool = True,
) -> Encoder:
    """Plain data to wire-format bytes with confluent-kafka's serializer for ``fmt``, the
    schema of ``ref`` (text, or a registered subject) registered under ``strategy``."""
    ctx = serialization_context(topic, part)
    conf = {
        "auto.register.schemas": auto_register,
        "subject.name.strategy": strategies()[strategy],
    }
    schema = _registered(client, ref, fmt) if ref.kind == "subject" else None
    try:
        check = checker(fmt, ref, schema=schema, client=client)
    except SchemaTextError as exc:
        if schema is None or fmt == "protobuf":
            raise SerdeError(str(exc)) from None
        # A registered schema naming types of other subjects (references): confluent-kafka's
        # serializer resolves them; the in-process check, which cannot, is left out.
        check = Checker()
    if fmt == "avro":
        from confluent_kafka.schema_registry.avro import AvroSerializer

        to_dict = None
        if type(check) is not Checker:
            parsed, named = check.parsed, check.named  # type: ignore[attr-defined]

            def to_dict(value, _ctx):
                return to_avro(value, parsed, named)

        write = AvroSerializer(
            client, schema if schema is not None else ref.text, to_dict=to_dict, conf=conf
        )
    elif fmt == "json_schema":
        from confluent_kafka.schema_registry.json_schema import JSONSerializer

        write = JSONSerializer(schema if schema is not None else ref.text, client, conf=conf)
    else:
        from confluent_kafka.schema_registry.protobuf import ProtobufSerializer

        message_class = check.message_class
        serialize = ProtobufSerializer(message_class, client, conf)

        def write(value, wctx):
            return serialize(parse_message(value, message_class), wctx)

    def encode(value: Any) -> bytes | None:
        if value is None:
            return None
        try:
            return write(value, ctx)
        except SchemaValueError as exc:
            raise SerdeError(str(exc)) from None
        except SerdeError:
            raise
        except Exception as exc:  # noqa: BLE001 - the libraries raise many kinds
            if unavailable(exc):
                raise RegistryUnavailable(str(exc)) from None
            from confluent_kafka.schema_registry.error import SchemaRegistryError

            if isinstance(exc, SchemaRegistryError):
                raise _registry_error(exc, f"the schema of '{topic}'") from None
            check(value)  # names the field the schema refuses
            raise SerdeError(f"the schema refuses the value: {exc}") from None

    return encode


def _registered(client, ref: SchemaRef, fmt: str):
    """The schema a ``subject:`` param names, from the registry."""
    fmt_arg = "serialized" if fmt == "protobuf" else None
    try:
        if ref.version is None:
            found = client.get_latest_version(ref.subject, fmt_arg)
        else:
            found = client.get_version(ref.subject, ref.version, False, fmt_arg)
    except Exception as exc:  # noqa: BLE001
        from confluent_kafka.schema_registry.error import SchemaRegistryError

        if isinstance(exc, SchemaRegistryError) and exc.http_status_code == 404:
            which = f"version {ref.version} of " if ref.version is not None else ""
            raise SerdeError(f"the schema registry has no {which}subject '{ref.subject}'") from None
        raise _registry_error(exc, f"subject '{ref.subject}'") from None
    return found.schema
