"""Schemas of the schema-registry formats (reference §7.6): what a sink's ``value_schema`` /
``key_schema`` param names, and whether its text parses.

A schema param is one of: ``subject:<name>`` or ``subject:<name>:<version>`` (a schema
already registered; the latest version when none is named), a file path relative to the
topology file (``.avsc``, ``.proto``, ``.json``), or the schema text itself. Parsing uses
each format's own library: fastavro for Avro, jsonschema for JSON Schema, and protoc (the
Protocol Buffers compiler shipped by grpcio-tools) for ``.proto`` text, which Python's
protobuf cannot read by itself. Parsed schemas are cached by their text, so validating on
every edit costs nothing once a schema has been read.

``settings.schema_registry`` is checked here too: ``{"url", "basic_auth_user_info"?,
"auto_register"?, "ca_location"?}`` (the CA certificate file of an https registry), where a secret may name an environment variable as ``${NAME}``.
"""

from __future__ import annotations

import functools
import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA_FORMATS = ("avro", "protobuf", "json_schema")
FORMAT_TITLES = {"avro": "Avro", "protobuf": "Protobuf", "json_schema": "JSON Schema"}
SUBJECT_STRATEGIES = ("topic", "record", "topic_record")
SCHEMA_SUFFIXES = {"avro": (".avsc",), "protobuf": (".proto",), "json_schema": (".json",)}
REGISTRY_KEYS = ("url", "basic_auth_user_info", "auto_register", "ca_location")
# A schema is a few KB; 10 MB of text (a hostile file) is refused before any parser sees it.
MAX_SCHEMA_CHARS = 1_000_000
# Protobuf messages nested deeper than this are refused (a hostile schema): protoc and the
# protobuf runtime recurse per level.
MAX_PROTO_DEPTH = 64
_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_SUBJECT = re.compile(r"subject:(?P<name>[^:\s][^\s]*?)(?::(?P<version>\d+|latest))?\Z")


class SchemaTextError(ValueError):
    """A schema param that cannot be used, as one sentence."""


@dataclass(frozen=True)
class SchemaRef:
    """What a schema param names: ``kind`` is subject, file or text."""

    kind: str
    text: str = ""  # the schema text (file: its content, once read)
    subject: str = ""
    version: int | None = None  # subject: None for the latest
    path: str = ""  # file: as written in the param


def is_schema_format(fmt: Any) -> bool:
    return fmt in SCHEMA_FORMATS


def parse_ref(param: str) -> SchemaRef:
    """Which kind of schema param this is (nothing is read)."""
    text = param.strip()
    if text.startswith("subject:"):
        m = _SUBJECT.match(text)
        if m is None:
            raise SchemaTextError(
                f"{text!r} is not subject:<name> or subject:<name>:<version> (a number)"
            )
        version = m.group("version")
        return SchemaRef(
            "subject",
            subject=m.group("name"),
            version=int(version) if version and version != "latest" else None,
        )
    if "\n" not in text and "{" not in text and text.lower().endswith((".avsc", ".proto", ".json")):
        return SchemaRef("file", path=text)
    return SchemaRef("text", text=param)


def resolve_ref(param: str, folder: str | None) -> SchemaRef:
    """The schema param with a file's text read (relative to ``folder``, the topology file's;
    the current folder when None). Raises SchemaTextError with a sentence."""
    ref = parse_ref(param)
    if ref.kind != "file":
        if len(ref.text) > MAX_SCHEMA_CHARS:
            raise SchemaTextError(_too_long(len(ref.text)))
        return ref
    path = Path(os.path.expanduser(ref.path))
    if not path.is_absolute() and folder:
        path = Path(folder) / path
    try:
        size = path.stat().st_size
        if size > MAX_SCHEMA_CHARS:
            raise SchemaTextError(f"{ref.path}: {_too_long(size)}")
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise SchemaTextError(f"there is no schema file {ref.path} (looked in {path})") from None
    except UnicodeDecodeError:
        raise SchemaTextError(f"the schema file {ref.path} is not UTF-8 text") from None
    except OSError as exc:
        raise SchemaTextError(
            f"the schema file {ref.path} cannot be read: {exc.strerror or exc}"
        ) from None
    return SchemaRef("file", text=text, path=ref.path)


def _too_long(size: int) -> str:
    return f"the schema is {size:,} characters long; at most {MAX_SCHEMA_CHARS:,} are read"


def check_schema(fmt: str, ref: SchemaRef) -> None:
    """Raises SchemaTextError when the text of ``ref`` is not a schema of ``fmt``. A subject
    is not checked here: only the registry knows it."""
    if ref.kind == "subject":
        return
    if fmt == "avro":
        parse_avro(ref.text)
    elif fmt == "json_schema":
        parse_json_schema(ref.text)
    elif fmt == "protobuf":
        compile_proto(ref.text, _proto_name(ref))


def _proto_name(ref: SchemaRef) -> str:
    return Path(ref.path).name if ref.kind == "file" and ref.path else "schema.proto"


@functools.lru_cache(maxsize=64)
def parse_avro(text: str):
    """The parsed Avro schema (fastavro's form)."""
    import fastavro

    try:
        schema = json.loads(text)
    except ValueError as exc:
        raise SchemaTextError(f"not a valid Avro schema: not JSON ({exc})") from None
    except RecursionError:
        raise SchemaTextError("not a valid Avro schema: nested too deeply") from None
    try:
        return fastavro.parse_schema(schema)
    except RecursionError:
        raise SchemaTextError("not a valid Avro schema: nested too deeply") from None
    except Exception as exc:  # noqa: BLE001 - fastavro raises several kinds for a bad schema
        if type(exc).__name__ == "UnknownType":  # its text is the name alone
            raise SchemaTextError(f"not a valid Avro schema: unknown type '{exc}'") from None
        raise SchemaTextError(f"not a valid Avro schema: {_first_line(exc)}") from None


def avro_record_name(text: str) -> str | None:
    parsed = parse_avro(text)
    return parsed.get("name") if isinstance(parsed, dict) else None


@functools.lru_cache(maxsize=64)
def parse_json_schema(text: str) -> dict | bool:
    """The JSON Schema as a dict, checked against its metaschema."""
    import jsonschema

    try:
        schema = json.loads(text)
    except ValueError as exc:
        raise SchemaTextError(f"not a valid JSON Schema: not JSON ({exc})") from None
    except RecursionError:
        raise SchemaTextError("not a valid JSON Schema: nested too deeply") from None
    if not isinstance(schema, (dict, bool)):
        raise SchemaTextError("not a valid JSON Schema: it must be a JSON object")
    try:
        jsonschema.validators.validator_for(schema).check_schema(schema)
    except jsonschema.SchemaError as exc:
        where = "/".join(str(p) for p in exc.path)
        raise SchemaTextError(
            f"not a valid JSON Schema: {exc.message}" + (f" (at {where})" if where else "")
        ) from None
    except RecursionError:
        raise SchemaTextError("not a valid JSON Schema: nested too deeply") from None
    risky = _risky_pattern(schema)
    if risky is not None:
        raise SchemaTextError(
            f"the JSON Schema's pattern {risky[:80]!r} repeats a repeated part: checking a "
            "value against it can take exponential time"
        )
    return schema


# A group of one repeated atom, itself repeated ("(a+)+", "(\w*)*", "([a-z]+){2,}"): Python's
# regular expressions backtrack exponentially on such patterns, and jsonschema checks every value
# against them. A schema from a topology file must not be able to stall a run (reference §15).
_NESTED_QUANTIFIER = re.compile(
    r"\((?:\?:)?(?:\\.|\[(?:[^\]\\]|\\.)*\]|[^()\\|])[+*]\)(?:[+*]|\{\d*,)"
)


def _risky_pattern(schema: Any) -> str | None:
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            patterns = [node.get("pattern")]
            props = node.get("patternProperties")
            if isinstance(props, dict):
                patterns += list(props)
            for pattern in patterns:
                if isinstance(pattern, str) and _NESTED_QUANTIFIER.search(pattern):
                    return pattern
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return None


@dataclass(frozen=True)
class CompiledProto:
    """A ``.proto`` compiled by protoc: its files (imports first) as serialized
    FileDescriptorProtos, the name of the compiled file and of its first message."""

    files: tuple[bytes, ...]
    name: str
    message: str  # full name of the first message of the file: the record's type


@functools.lru_cache(maxsize=64)
def compile_proto(text: str, name: str = "schema.proto") -> CompiledProto:
    """Compile ``.proto`` text with protoc; errors become one sentence."""
    try:
        from google.protobuf import descriptor_pb2
        from grpc_tools import protoc
    except ImportError:  # pragma: no cover - a dependency of the package
        raise SchemaTextError(
            "Protobuf schemas need grpcio-tools (protoc), which is not installed"
        ) from None
    import grpc_tools

    includes = os.path.join(os.path.dirname(grpc_tools.__file__), "_proto")
    name = re.sub(r"[^A-Za-z0-9_.\-]", "_", name) or "schema.proto"
    with tempfile.TemporaryDirectory(prefix="ts-proto-") as folder:
        source = os.path.join(folder, name)
        out = os.path.join(folder, "out.pb")
        with open(source, "w", encoding="utf-8") as fh:
            fh.write(text)
        with _stderr_to(os.path.join(folder, "errors.txt")) as errors:
            code = protoc.main(
                [
                    "protoc",
                    f"-I{folder}",
                    f"-I{includes}",
                    f"--descriptor_set_out={out}",
                    "--include_imports",
                    source,
                ]
            )
        if code != 0:
            raise SchemaTextError(f"not a valid Protobuf schema: {_protoc_error(errors(), folder)}")
        with open(out, "rb") as fh:
            files = descriptor_pb2.FileDescriptorSet.FromString(fh.read()).file
    main = files[-1]
    if not main.message_type:
        raise SchemaTextError("not a valid Protobuf schema: it defines no message")
    depth = _proto_depth(main)
    if depth > MAX_PROTO_DEPTH:
        raise SchemaTextError(
            f"not a valid Protobuf schema: messages nested {depth} deep; "
            f"at most {MAX_PROTO_DEPTH} are allowed"
        )
    first = main.message_type[0].name
    return CompiledProto(
        tuple(f.SerializeToString() for f in files),
        main.name,
        f"{main.package}.{first}" if main.package else first,
    )


def _proto_depth(file_proto) -> int:
    deepest, stack = 0, [(m, 1) for m in file_proto.message_type]
    while stack:
        msg, depth = stack.pop()
        deepest = max(deepest, depth)
        if depth <= MAX_PROTO_DEPTH:
            stack += [(m, depth + 1) for m in msg.nested_type]
    return deepest


class _stderr_to:
    """protoc writes its errors to the process's stderr (file descriptor 2): catch them."""

    def __init__(self, path: str):
        self.path = path

    def __enter__(self):
        import sys

        sys.stderr.flush()
        self._saved = os.dup(2)
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(fd, 2)
        os.close(fd)
        return self.read

    def read(self) -> str:
        try:
            with open(self.path, encoding="utf-8", errors="replace") as fh:
                return fh.read(4000)
        except OSError:
            return ""

    def __exit__(self, *exc) -> None:
        os.dup2(self._saved, 2)
        os.close(self._saved)


def _protoc_error(text: str, folder: str) -> str:
    lines = [
        line.replace(folder + os.sep, "")
        for line in text.splitlines()
        if line.strip()
        and not line.startswith(("WARNING:", "W0000", "I0000"))
        and "parser.cc" not in line
    ]
    return lines[0] if lines else "protoc refused it"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:300]


# -- settings.schema_registry -----------------------------------------------------------


def registry_setting_message(value: Any) -> str | None:
    """None when ``settings.schema_registry`` is usable, else the rest of a sentence."""
    if not isinstance(value, dict):
        return (
            'must be an object {"url", "basic_auth_user_info"?, "auto_register"?, "ca_location"?}'
        )
    unknown = sorted(set(value) - set(REGISTRY_KEYS))
    if unknown:
        return f"has unknown keys {', '.join(unknown)} (known: {', '.join(REGISTRY_KEYS)})"
    url = value.get("url")
    if url is not None and (not isinstance(url, str) or not url.strip()):
        return "url must be a non-empty text"
    if isinstance(url, str) and not url.strip().startswith(
        ("http://", "https://", "mock://", "${")
    ):
        return f"url must start with http:// or https://, not {url!r}"
    auth = value.get("basic_auth_user_info")
    if auth is not None and (
        not isinstance(auth, str) or ":" not in auth and not _ENV.search(auth)
    ):
        return "basic_auth_user_info must be 'user:password' (or name ${VARIABLE}s)"
    if "auto_register" in value and not isinstance(value["auto_register"], bool):
        return "auto_register must be true or false"
    ca = value.get("ca_location")
    if ca is not None and (not isinstance(ca, str) or not ca.strip()):
        return "ca_location must be the path of a CA certificate file (PEM)"
    return None


def expand_env(text: str, environ: dict | None = None) -> str:
    """``${NAME}`` replaced by that environment variable; a missing one raises
    SchemaTextError naming it."""
    env = os.environ if environ is None else environ

    def sub(m: re.Match) -> str:
        name = m.group(1)
        if name not in env:
            raise SchemaTextError(f"the environment variable {name} is not set")
        return env[name]

    return _ENV.sub(sub, text)
