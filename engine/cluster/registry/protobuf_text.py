"""Protobuf schemas as the registry receives and gives them: ``.proto`` text or, as
confluent-kafka's serializers send them, a base64 ``FileDescriptorProto``; both become a
``FileDescriptorProto`` checked by building it in a ``DescriptorPool`` (so an unknown type,
a duplicate field number or name is refused with protobuf's own reason). ``to_text``
prints a descriptor back as ``.proto`` text; ``proto_parser`` reads the text.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable

from google.protobuf import descriptor_pb2, descriptor_pool
from google.protobuf.descriptor_pb2 import FieldDescriptorProto as FIELD
from google.protobuf.descriptor_pb2 import FileDescriptorProto as FDP
from google.protobuf.message import DecodeError

from engine.cluster.registry.proto_parser import (
    SCALAR_NAMES,
    ProtoParser,
    ProtoSyntaxError,
    well_known,
)

__all__ = ["ProtoSyntaxError", "check", "is_base64", "parse", "to_base64", "to_text"]

_BASE64 = re.compile(r"[A-Za-z0-9+/=\s]+")


def parse(text: str, dependencies: Iterable[FDP] = (), name: str = "schema.proto") -> FDP:
    """``text`` (``.proto`` text or a base64 ``FileDescriptorProto``) as a checked
    descriptor; ``dependencies`` are the files it imports (the schema's references)."""
    deps = list(dependencies)
    stripped = text.strip()
    if is_base64(stripped):
        try:
            fdp = FDP.FromString(base64.b64decode(stripped, validate=False))
        except (binascii.Error, DecodeError, ValueError) as exc:
            raise ProtoSyntaxError(f"not a base64 FileDescriptorProto: {exc}") from None
        if not fdp.name:
            fdp.name = name
    else:
        fdp = ProtoParser(text, name, deps).parse()
    check(fdp, deps)
    return fdp


def is_base64(text: str) -> bool:
    """Whether ``text`` is a base64 descriptor rather than ``.proto`` text (which always
    holds a character outside base64's alphabet, such as a space or a semicolon)."""
    stripped = text.strip()
    return bool(stripped) and _BASE64.fullmatch(stripped) is not None


def check(fdp: FDP, dependencies: Iterable[FDP] = ()) -> None:
    """Raise ProtoSyntaxError with protobuf's reason when ``fdp`` does not build."""
    pool = descriptor_pool.DescriptorPool()
    added: set[str] = set()
    for dep in [*well_known(fdp, dependencies), *dependencies]:
        if dep.name not in added:
            added.add(dep.name)
            try:
                pool.Add(dep)
            except (TypeError, ValueError) as exc:
                raise ProtoSyntaxError(f"reference {dep.name}: {exc}") from None
    try:
        pool.Add(fdp)
        pool.FindFileByName(fdp.name)
    except (TypeError, ValueError, KeyError) as exc:
        raise ProtoSyntaxError(str(exc)) from None


def to_base64(fdp: FDP) -> str:
    return base64.standard_b64encode(fdp.SerializeToString(deterministic=True)).decode("ascii")


def to_text(fdp: FDP) -> str:
    """``fdp`` as ``.proto`` text."""
    lines = [f'syntax = "{fdp.syntax or "proto2"}";']
    if fdp.package:
        lines.append(f"package {fdp.package};")
    for i, dep in enumerate(fdp.dependency):
        kind = (
            "public " if i in fdp.public_dependency else "weak " if i in fdp.weak_dependency else ""
        )
        lines.append(f'import {kind}"{dep}";')
    proto3 = fdp.syntax == "proto3"
    scope = f".{fdp.package}" if fdp.package else ""
    for msg in fdp.message_type:
        lines += _message_text(msg, proto3, scope, 0)
    for enum in fdp.enum_type:
        lines += _enum_text(enum, 0)
    for service in fdp.service:
        lines.append(f"service {service.name} {{")
        for m in service.method:
            client = "stream " if m.client_streaming else ""
            server = "stream " if m.server_streaming else ""
            lines.append(
                f"  rpc {m.name} ({client}{m.input_type}) returns ({server}{m.output_type});"
            )
        lines.append("}")
    return "\n".join(lines) + "\n"


def _type_text(field: descriptor_pb2.FieldDescriptorProto) -> str:
    return SCALAR_NAMES.get(field.type) or field.type_name


def _field_text(field: descriptor_pb2.FieldDescriptorProto, label: str) -> str:
    options = []
    if field.HasField("default_value"):
        value = field.default_value
        options.append(
            f'default = "{value}"'
            if field.type in (FIELD.TYPE_STRING, FIELD.TYPE_BYTES)
            else f"default = {value}"
        )
    if field.HasField("json_name"):
        options.append(f'json_name = "{field.json_name}"')
    if field.options.HasField("packed"):
        options.append(f"packed = {str(field.options.packed).lower()}")
    if field.options.deprecated:
        options.append("deprecated = true")
    suffix = f" [{', '.join(options)}]" if options else ""
    return f"{label}{_type_text(field)} {field.name} = {field.number}{suffix};"


def _message_text(msg, proto3: bool, scope: str, depth: int) -> list[str]:
    pad = "  " * depth
    name = f"{scope}.{msg.name}"
    lines = [f"{pad}message {msg.name} {{"]
    entries = {f"{name}.{n.name}": n for n in msg.nested_type if n.options.map_entry}
    real_oneofs: dict[int, list] = {}
    for field in msg.field:
        if field.HasField("oneof_index") and not field.proto3_optional:
            real_oneofs.setdefault(field.oneof_index, []).append(field)
            continue
        entry = entries.get(field.type_name)
        if entry is not None and field.label == FIELD.LABEL_REPEATED:
            key, value = entry.field[0], entry.field[1]
            lines.append(
                f"{pad}  map<{_type_text(key)}, {_type_text(value)}> {field.name} = {field.number};"
            )
            continue
        label = {
            FIELD.LABEL_REPEATED: "repeated ",
            FIELD.LABEL_REQUIRED: "required ",
        }.get(field.label, "" if proto3 and not field.proto3_optional else "optional ")
        lines.append(f"{pad}  {_field_text(field, label)}")
    for index, fields in real_oneofs.items():
        lines.append(f"{pad}  oneof {msg.oneof_decl[index].name} {{")
        lines += [f"{pad}    {_field_text(f, '')}" for f in fields]
        lines.append(f"{pad}  }}")
    for r in msg.reserved_range:
        lines.append(
            f"{pad}  reserved {r.start}" + (f" to {r.end - 1};" if r.end - 1 > r.start else ";")
        )
    if msg.reserved_name:
        lines.append(f"{pad}  reserved {', '.join(repr(n) for n in msg.reserved_name)};")
    for nested in msg.nested_type:
        if not nested.options.map_entry:
            lines += _message_text(nested, proto3, name, depth + 1)
    for enum in msg.enum_type:
        lines += _enum_text(enum, depth + 1)
    lines.append(f"{pad}}}")
    return lines


def _enum_text(enum, depth: int) -> list[str]:
    pad = "  " * depth
    lines = [f"{pad}enum {enum.name} {{"]
    lines += [f"{pad}  {v.name} = {v.number};" for v in enum.value]
    lines.append(f"{pad}}}")
    return lines
