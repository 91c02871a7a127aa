"""Protobuf messages as plain data (reference §7.6), as ``schema_values`` says of every
format: apart from it so that only what reads Protobuf imports protobuf."""

from __future__ import annotations

import base64
from typing import Any

from google.protobuf import json_format
from google.protobuf.descriptor import FieldDescriptor


def message_data(msg) -> dict:
    """A Protobuf message as plain data: every field by its name in the schema (a field
    with presence only when set), int64 as numbers, bytes as base64, enums by name;
    Google's well-known types (Timestamp, Duration, Struct, wrappers...) in their JSON form."""
    out = {}
    for fd in msg.DESCRIPTOR.fields:
        if fd.has_presence and not msg.HasField(fd.name):
            continue
        out[fd.name] = _field_value(fd, getattr(msg, fd.name))
    return out


def _field_value(fd: FieldDescriptor, value: Any) -> Any:
    message_type = fd.message_type
    if message_type is not None and message_type.GetOptions().map_entry:
        value_fd = message_type.fields_by_name["value"]
        return {k: _single(value_fd, v) for k, v in value.items()}
    if fd.is_repeated:
        return [_single(fd, v) for v in value]
    return _single(fd, value)


def _single(fd: FieldDescriptor, value: Any) -> Any:
    if fd.type == FieldDescriptor.TYPE_MESSAGE:
        if fd.message_type.full_name.startswith("google.protobuf."):
            return json_format.MessageToDict(value, preserving_proto_field_name=True)
        return message_data(value)
    if fd.type == FieldDescriptor.TYPE_ENUM:
        symbol = fd.enum_type.values_by_number.get(value)
        return symbol.name if symbol is not None else value
    if fd.type == FieldDescriptor.TYPE_BYTES:
        return base64.b64encode(value).decode("ascii")
    return value
