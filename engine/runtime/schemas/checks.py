"""Schemas checked in-process, and what the codecs and checks share (reference §7.6).

Test runs, traces and previews have no registry: a sink checks each plain value against its
schema here (fastavro's validation for Avro, jsonschema for JSON Schema, protobuf's
``json_format.ParseDict`` for Protobuf) and a value the schema refuses becomes the same
sentence as on a cluster: ``field 'amount': expected double, got 'abc'``. Protobuf message
classes are built from ``.proto`` text compiled by protoc here, from a registered schema in
``engine.cluster.schema_classes``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from engine.cluster.schema_classes import add_files, registered_message_class
from engine.model.schema_values import SchemaValueError, branch_kind, fits, to_avro
from engine.model.schemas import (
    CompiledProto,
    SchemaRef,
    compile_proto,
    parse_avro,
    parse_json_schema,
)
from engine.runtime.serde import SerdeError


def compiled_message_class(compiled: CompiledProto):
    """The class of the first message of a ``.proto`` compiled by protoc."""
    from confluent_kafka.schema_registry.common.protobuf import _init_pool
    from google.protobuf.descriptor_pool import DescriptorPool
    from google.protobuf.message_factory import GetMessageClass

    pool = DescriptorPool()
    _init_pool(pool)
    add_files(pool, compiled)
    return GetMessageClass(pool.FindMessageTypeByName(compiled.message))


def avro_named(text: str) -> tuple[Any, dict]:
    import json

    import fastavro

    parse_avro(text)  # a sentence for a bad schema
    named: dict = {}
    parsed = fastavro.parse_schema(json.loads(text), named_schemas=named)
    return parsed, named


def parse_message(value: Any, message_class):
    from google.protobuf import json_format

    if not isinstance(value, dict):
        raise SchemaValueError(
            "", f"expected an object for {message_class.DESCRIPTOR.full_name}, got {_show(value)}"
        )
    try:
        return json_format.ParseDict(value, message_class())
    except json_format.ParseError as exc:
        raise _proto_refusal(value, message_class.DESCRIPTOR, str(exc)) from None
    except (TypeError, ValueError, RecursionError) as exc:
        raise SchemaValueError("", f"{message_class.DESCRIPTOR.full_name}: {exc}") from None


def _proto_refusal(value: Any, desc, text: str) -> SchemaValueError:
    """protobuf's ParseError ('Failed to parse inner field: Failed to parse x field: ...')
    as the field it names, the type it expects and the value it got."""
    import re

    from google.protobuf import descriptor_pb2

    names = re.findall(r"Failed to parse (\w+) field", text)
    unknown = re.search(r'has no field named "([^"]+)"', text)
    path, datum, fd = [], value, None
    for name in names:
        fd = desc.fields_by_name.get(name) if desc is not None else None
        path.append(name)
        datum = datum.get(name) if isinstance(datum, dict) else None
        desc = fd.message_type if fd is not None else None
    if unknown:
        where = ".".join(path)
        field = f"{where}.{unknown.group(1)}" if where else unknown.group(1)
        full = desc.full_name if desc is not None else "the message"
        return SchemaValueError(field, f"is not a field of {full}")
    if fd is None:
        return SchemaValueError("", text.splitlines()[0])
    if fd.message_type is not None:
        expected = fd.message_type.full_name
    elif fd.enum_type is not None:
        expected = f"one of {', '.join(v.name for v in fd.enum_type.values)[:120]}"
    else:
        expected = descriptor_pb2.FieldDescriptorProto.Type.Name(fd.type)[5:].lower()
    return SchemaValueError(".".join(path), f"expected {expected}, got {_show(datum)}")


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:57]}..."


# -- in-process checks ------------------------------------------------------------------


class Checker:
    """Raises SerdeError naming the field when a plain value does not fit a schema."""

    message_class = None

    def __call__(self, value: Any) -> None:
        return None


def checker(fmt: str, ref: SchemaRef, schema=None, client=None) -> Checker:
    """A check of plain values against ``ref``'s schema, in-process (no registry needed for
    text and files; ``schema``: the registered one a subject names, when known)."""
    if ref.kind == "subject" and schema is None:
        return Checker()  # only the registry knows it: written unchecked in test runs
    if fmt == "avro":
        return _AvroChecker(schema.schema_str if schema is not None else ref.text)
    if fmt == "json_schema":
        return _JsonSchemaChecker(schema.schema_str if schema is not None else ref.text)
    if schema is not None:
        return _ProtobufChecker(registered_message_class(client, schema, [0]))
    name = ref.path.rsplit("/", 1)[-1] if ref.kind == "file" else "schema.proto"
    return _ProtobufChecker(compiled_message_class(compile_proto(ref.text, name)))


class _AvroChecker(Checker):
    def __init__(self, text: str):
        self.parsed, self.named = avro_named(text)

    def __call__(self, value: Any) -> None:
        from fastavro.validation import ValidationError, validate

        try:
            converted = to_avro(value, self.parsed, self.named)
            validate(converted, self.parsed, raise_errors=True)
        except SchemaValueError as exc:
            raise SerdeError(str(exc)) from None
        except ValidationError as exc:
            fault = _avro_fault(value, self.parsed, self.named, "")
            raise SerdeError(str(fault) if fault else _first(exc)) from None


def _first(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:300] if text else type(exc).__name__


_AVRO_LEAVES: dict[str, Callable[[Any], bool]] = {
    "null": lambda v: v is None,
    "boolean": lambda v: isinstance(v, bool),
    "int": lambda v: isinstance(v, int) and not isinstance(v, bool) and -(2**31) <= v < 2**31,
    "long": lambda v: isinstance(v, int) and not isinstance(v, bool) and -(2**63) <= v < 2**63,
    "float": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "double": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "string": lambda v: isinstance(v, str),
    "bytes": lambda v: isinstance(v, str),
}


def _avro_fault(value: Any, schema: Any, named: dict, path: str) -> SchemaValueError | None:
    """The first field of a plain value that ``schema`` refuses, found for the sentence
    (fastavro decides validity; this only says where)."""
    if isinstance(schema, str):
        if schema in named:
            return _avro_fault(value, named[schema], named, path)
        ok = _AVRO_LEAVES.get(schema)
        if ok is not None and not ok(value):
            return _expected(path, schema, value)
        return None
    if isinstance(schema, list):
        faults = []
        for branch in schema:
            fault = _avro_fault(value, branch, named, path)
            if fault is None:
                return None
            if fits(value, branch_kind(branch, named)):
                faults.append(fault)
        if len(faults) == 1:  # one branch of the value's kind: say what is wrong inside it
            return faults[0]
        names = [b if isinstance(b, str) else b.get("name") or b.get("type") for b in schema]
        return _expected(path, " or ".join(str(n) for n in names), value)
    kind = schema.get("type")
    if kind in ("record", "error"):
        if not isinstance(value, dict):
            return _expected(path, f"a record {schema.get('name', '')}".strip(), value)
        for f in schema.get("fields", ()):
            sub = f"{path}.{f['name']}" if path else f["name"]
            if f["name"] not in value:
                if "default" not in f:
                    return SchemaValueError(sub, "missing, and the schema gives no default")
                continue
            fault = _avro_fault(value[f["name"]], f["type"], named, sub)
            if fault is not None:
                return fault
        return None
    if kind == "array":
        if not isinstance(value, list):
            return _expected(path, "an array", value)
        for i, item in enumerate(value):
            fault = _avro_fault(item, schema["items"], named, f"{path}[{i}]")
            if fault is not None:
                return fault
        return None
    if kind == "map":
        if not isinstance(value, dict):
            return _expected(path, "a map", value)
        for k, item in value.items():
            fault = _avro_fault(item, schema["values"], named, f"{path}.{k}" if path else k)
            if fault is not None:
                return fault
        return None
    if kind == "enum":
        if value not in schema.get("symbols", ()):
            return _expected(path, f"one of {_symbols(schema.get('symbols', ()))}", value)
        return None
    if kind == "fixed":
        return None if isinstance(value, str) else _expected(path, "fixed bytes", value)
    logical = schema.get("logicalType")
    if logical in ("decimal", "date", "time-millis", "time-micros", "uuid"):
        return None if isinstance(value, (str, int, float)) else _expected(path, logical, value)
    return _avro_fault(value, kind, named, path) if isinstance(kind, str) else None


def _symbols(symbols) -> str:
    text = ", ".join(symbols[:12])
    return text if len(symbols) <= 12 else f"{text}, ... ({len(symbols):,} symbols)"


def _expected(path: str, what: str, value: Any) -> SchemaValueError:
    return SchemaValueError(path, f"expected {what}, got {_show(value)}")


class _JsonSchemaChecker(Checker):
    def __init__(self, text: str):
        import jsonschema

        schema = parse_json_schema(text)
        self.validator = jsonschema.validators.validator_for(schema)(schema)

    def __call__(self, value: Any) -> None:
        import jsonschema

        error = jsonschema.exceptions.best_match(self.validator.iter_errors(value))
        if error is None:
            return
        path = ".".join(str(p) for p in error.absolute_path)
        if error.validator == "type":
            expected = error.validator_value
            if isinstance(expected, list):
                expected = " or ".join(expected)
            raise SerdeError(
                str(SchemaValueError(path, f"expected {expected}, got {_show(error.instance)}"))
            )
        if error.validator == "required":
            missing = error.message.split("'")[1] if "'" in error.message else error.message
            field = f"{path}.{missing}" if path else missing
            raise SerdeError(str(SchemaValueError(field, "missing, and the schema requires it")))
        raise SerdeError(str(SchemaValueError(path, error.message[:300])))


class _ProtobufChecker(Checker):
    def __init__(self, message_class):
        self.message_class = message_class

    def __call__(self, value: Any) -> None:
        try:
            parse_message(value, self.message_class)
        except SchemaValueError as exc:
            raise SerdeError(str(exc)) from None
