"""Protobuf message classes without generated code (reference §7.6): built from a schema a
registry holds (the serialized descriptor it returns for ``format=serialized``, or ``.proto``
text compiled with protoc where a registry answers text), and the reader that decodes
wire-format records with them. Runs' sources, the Topic Browser, ``topic read``, produce and
the inspector's completions all build their classes here."""

from __future__ import annotations

import base64
import binascii
import io
from typing import Any

from engine.model.schemas import CompiledProto, compile_proto


def registered_message_class(client, schema, indexes: list[int]):
    """The message class that ``indexes`` names in ``schema``, a registered Protobuf schema
    (its references resolved through ``client``)."""
    from confluent_kafka.schema_registry._sync.protobuf import _resolve_named_schema
    from confluent_kafka.schema_registry.common.protobuf import _init_pool, _str_to_proto
    from google.protobuf.descriptor_pool import DescriptorPool
    from google.protobuf.message_factory import GetMessageClass

    pool = DescriptorPool()
    _init_pool(pool)
    _resolve_named_schema(schema, client, pool)
    try:
        base64.b64decode(schema.schema_str.encode("ascii"), validate=True)  # .proto text: raises
        file_proto = _str_to_proto("default", schema.schema_str)
        pool.Add(file_proto)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        from google.protobuf import descriptor_pb2

        compiled = compile_proto(schema.schema_str)
        file_proto = descriptor_pb2.FileDescriptorProto.FromString(compiled.files[-1])
        add_files(pool, compiled)
    desc = file_proto.message_type[indexes[0]]
    name = desc.name
    for i in indexes[1:]:
        desc = desc.nested_type[i]
        name = f"{name}.{desc.name}"
    full = f"{file_proto.package}.{name}" if file_proto.package else name
    return GetMessageClass(pool.FindMessageTypeByName(full))


def add_files(pool, compiled: CompiledProto) -> None:
    """The files protoc compiled into ``pool``, but those already there (Google's own)."""
    from google.protobuf import descriptor_pb2

    for raw in compiled.files:
        file_proto = descriptor_pb2.FileDescriptorProto.FromString(raw)
        try:
            pool.FindFileByName(file_proto.name)
            continue  # Google's well-known types, already there
        except KeyError:
            pool.Add(file_proto)


class ProtobufReader:
    """Wire-format bytes to a Protobuf message, with the writer's schema: confluent-kafka's
    ProtobufDeserializer wants the message type up front, so one is built per (schema id,
    message index) from the registered schema and kept. ``client`` must be able to answer
    ``format=serialized``."""

    def __init__(self, client, conf: dict):
        self.client = client
        self.conf = conf
        self.readers: dict[tuple, Any] = {}

    def __call__(self, data: bytes, ctx) -> Any:
        from confluent_kafka.schema_registry.serde import SchemaId

        sid = SchemaId("PROTOBUF")
        sid.from_bytes(io.BytesIO(data))
        key = (sid.id, tuple(sid.message_indexes or ()))
        read = self.readers.get(key)
        if read is None:
            from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer

            schema = self.client.get_schema(sid.id, fmt="serialized")
            message_class = registered_message_class(self.client, schema, list(key[1]) or [0])
            read = self.readers[key] = ProtobufDeserializer(message_class, self.conf, self.client)
        return read(data, ctx)
