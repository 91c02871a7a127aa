"""The three schema types the registry accepts (AVRO, PROTOBUF, JSON): parsing a schema
text with its references, refusing invalid or hostile ones, and the canonical form by
which two registrations are the same schema.

Limits, checked before any parser runs, so no schema costs more than a bounded time and
memory: a schema text of at most ``MAX_SCHEMA_CHARS`` characters, and brackets or
braces nested at most ``MAX_DEPTH`` deep. Recursive named types (an Avro record that
refers to itself, a message that contains itself) are valid and accepted; the checkers
never follow them forever.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import avro.errors
import avro.name
import avro.schema
import jsonschema
from google.protobuf import descriptor_pb2

from engine.cluster.registry import protobuf_text
from engine.cluster.registry.errors import invalid_schema

AVRO = "AVRO"
PROTOBUF = "PROTOBUF"
JSON = "JSON"
SCHEMA_TYPES = (JSON, PROTOBUF, AVRO)  # the order Confluent lists them in
MAX_SCHEMA_CHARS = 2_000_000
MAX_DEPTH = 64
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_PROTO_NOISE = re.compile(
    r'//[^\n]*|/\*.*?\*/|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'', re.DOTALL
)
_BRACKETS = re.compile(r"[\[\]{}]")


@dataclass(frozen=True)
class Reference:
    """A schema reference as Confluent's API spells it: the name the schema imports
    (an Avro full name, a ``.proto`` path, a JSON ``$ref`` URL) and where it is registered."""

    name: str
    subject: str
    version: int

    def to_json(self) -> dict:
        return {"name": self.name, "subject": self.subject, "version": self.version}


@dataclass(frozen=True)
class ParsedSchema:
    """A valid schema: ``text`` as registered, ``canonical`` the form two registrations of
    the same schema share, ``parsed`` the parser's object (an avro Schema, a JSON Schema
    document, a FileDescriptorProto)."""

    schema_type: str
    text: str
    references: tuple[Reference, ...]
    canonical: str
    parsed: Any = field(compare=False)
    # Parsed references, in import order (Avro named types, Protobuf files).
    dependencies: tuple[ParsedSchema, ...] = field(default=(), compare=False)


def normalize_type(schema_type: str | None) -> str:
    kind = (schema_type or AVRO).upper()
    if kind not in SCHEMA_TYPES:
        raise invalid_schema(f"unknown schema type '{schema_type}' (AVRO, PROTOBUF or JSON)")
    return kind


def check_limits(text: str, schema_type: str) -> None:
    """Refuse a schema too large or too deeply nested to parse in bounded time and memory."""
    if len(text) > MAX_SCHEMA_CHARS:
        raise invalid_schema(
            f"the schema is {len(text):,} characters; the limit is {MAX_SCHEMA_CHARS:,}"
        )
    pattern = _PROTO_NOISE if schema_type == PROTOBUF else _JSON_STRING
    depth = 0
    for bracket in _BRACKETS.findall(pattern.sub("", text)):
        if bracket in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                raise invalid_schema(f"the schema is nested deeper than {MAX_DEPTH} levels")
        else:
            depth -= 1


def parse_schema(
    schema_type: str | None,
    text: object,
    references: tuple[Reference, ...] = (),
    dependencies: tuple[ParsedSchema, ...] = (),
) -> ParsedSchema:
    """``text`` as a ParsedSchema, or RegistryError 42201 with the parser's reason.
    ``dependencies`` are the parsed schemas ``references`` name, in the same order."""
    kind = normalize_type(schema_type)
    if not isinstance(text, str) or not text.strip():
        raise invalid_schema("the schema text is missing")
    check_limits(text, kind)
    refs = json.dumps([r.to_json() for r in references], sort_keys=True)
    try:
        if kind == AVRO:
            parsed: Any = _parse_avro(text, dependencies)
            canonical = json.dumps(parsed.to_json(), sort_keys=True, separators=(",", ":"))
        elif kind == JSON:
            parsed = _parse_json_schema(text)
            canonical = json.dumps(parsed, sort_keys=True, separators=(",", ":"))
        else:
            deps = [_named(d.parsed, r.name) for d, r in zip(dependencies, references, strict=True)]
            parsed = protobuf_text.parse(text, deps)
            unnamed = descriptor_pb2.FileDescriptorProto()
            unnamed.CopyFrom(parsed)
            unnamed.ClearField("name")
            canonical = protobuf_text.to_base64(unnamed)
    except RecursionError:
        raise invalid_schema(f"the schema is nested deeper than {MAX_DEPTH} levels") from None
    except (
        avro.errors.AvroException,
        protobuf_text.ProtoSyntaxError,
        jsonschema.SchemaError,
        ValueError,
        TypeError,
        KeyError,
    ) as exc:
        raise invalid_schema(_reason(exc)) from None
    return ParsedSchema(kind, text, references, f"{kind}:{canonical}:{refs}", parsed, dependencies)


def _reason(exc: Exception) -> str:
    if isinstance(exc, jsonschema.SchemaError):
        where = "/".join(str(p) for p in exc.absolute_path)
        return f"{exc.message}" + (f" at '{where}'" if where else "")
    text = str(exc) or type(exc).__name__
    return text if len(text) < 500 else text[:500] + "…"


def _parse_avro(text: str, dependencies: tuple[ParsedSchema, ...]) -> avro.schema.Schema:
    names = avro.name.Names(validate_names=True)
    for dep in _flatten(dependencies):
        if dep.schema_type != AVRO:
            raise ValueError(f"an Avro schema cannot reference a {dep.schema_type} schema")
        avro.schema.make_avsc_object(json.loads(dep.text), names)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON: {exc}") from None
    return avro.schema.make_avsc_object(data, names)


def _flatten(dependencies: tuple[ParsedSchema, ...]) -> list[ParsedSchema]:
    """Every schema reached through references, each after the ones it references."""
    seen: dict[str, ParsedSchema] = {}

    def visit(dep: ParsedSchema) -> None:
        if dep.canonical in seen:
            return
        for inner in dep.dependencies:
            visit(inner)
        seen[dep.canonical] = dep

    for dep in dependencies:
        visit(dep)
    return list(seen.values())


def _parse_json_schema(text: str) -> Any:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON: {exc}") from None
    if not isinstance(document, (dict, bool)):
        raise TypeError("a JSON Schema is an object or a boolean")
    validator = jsonschema.validators.validator_for(document, default=jsonschema.Draft7Validator)
    validator.check_schema(document)
    return document


def _named(fdp: descriptor_pb2.FileDescriptorProto, name: str):
    """A referenced file under the name the schema imports it by."""
    copy = descriptor_pb2.FileDescriptorProto()
    copy.CopyFrom(fdp)
    copy.name = name
    return copy


def text_in_format(schema: ParsedSchema, fmt: str | None) -> str:
    """The schema text to answer with for ``?format=``: Protobuf as ``serialized`` (the
    base64 descriptor confluent-kafka's deserializers ask for) or as ``.proto`` text;
    other types and formats as registered."""
    if schema.schema_type != PROTOBUF:
        return schema.text
    if fmt == "serialized":
        return protobuf_text.to_base64(schema.parsed)
    if protobuf_text.is_base64(schema.text):
        return protobuf_text.to_text(schema.parsed)
    return schema.text
