"""Record bytes to shown values and back, for reading and producing topics (reference §9.12).

Formats: ``string``, ``json``, ``bytes`` (shown as base64 text), the schema formats
``avro``, ``protobuf`` and ``json_schema`` (the Confluent wire format, read and written
with confluent-kafka's own schema-registry deserializers and serializers), and ``auto``:
detected per record — wire format (first byte 0 and a 4-byte schema id) decoded by the
schema the registry has under that id, else JSON, else UTF-8 text, else bytes.

Decoding never raises: what a format refuses is shown by the next one that takes it
(at worst as bytes), and ``Decoded.fmt`` says which one did, so ``produce`` can write it
back the same way. Values come out as the plain JSON-like data nodes see
(``engine.model.schema_values``: Avro records and Protobuf messages as dicts, bytes as base64
text, timestamps as epoch milliseconds, decimals, dates and times as text), so a filter reads
a record in the browser as an expression reads it in a topology.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Callable
from typing import Any

import orjson

from engine.cluster.schema_classes import ProtobufReader, registered_message_class
from engine.cluster.topics.schema_names import FORMAT_OF_TYPE
from engine.model.schema_values import named_types, plain, to_avro

PLAIN_FORMATS = ("string", "json", "bytes")
SCHEMA_FORMATS = ("avro", "protobuf", "json_schema")
FORMATS = ("auto", *PLAIN_FORMATS, *SCHEMA_FORMATS)


class FormatError(ValueError):
    """A value that cannot be written in its format, or a schema that cannot be had."""


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


_JSON_STARTS = frozenset(b'{["-0123456789tfn \t\r\n')


def _json_or_none(data: bytes) -> tuple[bool, Any]:
    if not data or data[0] not in _JSON_STARTS:
        return False, None  # cannot be JSON: skip the parser's exception, which costs
    try:
        return True, orjson.loads(data)
    except orjson.JSONDecodeError:
        return False, None


def _text_or_none(data: bytes) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


class RegistryUnavailableError(RuntimeError):
    """The schema registry does not answer."""


def registry_unreachable(exc: BaseException) -> bool:
    """Whether the schema registry client raised because the registry does not answer."""
    from confluent_kafka.schema_registry.error import SchemaRegistryError

    if isinstance(exc, SchemaRegistryError):
        return exc.http_status_code in (408, 429, 500, 502, 503, 504)
    return isinstance(exc, OSError) or "httpx" in type(exc).__module__


def _failing(exc: BaseException) -> Callable:
    def fail(data, ctx):
        raise exc

    return fail


def registry_for(url: str | None, setting: Any = None) -> Registry | None:
    """The registry at ``url``, else at ``setting``'s (a topology's ``settings.schema_registry``),
    else ``$SCHEMA_REGISTRY_URL``; with the setting's user info and CA file (``${NAME}`` read
    from the environment). None when none is named; ValueError with a sentence for an address
    the client refuses."""
    setting = setting if isinstance(setting, dict) else {}
    if not url and isinstance(setting.get("url"), str):
        url = os.path.expandvars(setting["url"])
    url = url or os.environ.get("SCHEMA_REGISTRY_URL")
    if not url:
        return None
    config: dict[str, str] = {}
    auth = setting.get("basic_auth_user_info")
    if isinstance(auth, str) and auth:
        config["basic.auth.user.info"] = os.path.expandvars(auth)
    if isinstance(setting.get("ca_location"), str) and setting["ca_location"]:
        config["ssl.ca.location"] = setting["ca_location"]
    try:
        return Registry(url, config)
    except Exception as exc:  # noqa: BLE001 - the client refuses a bad URL with many kinds
        raise ValueError(f"the schema registry address {url!r} cannot be used: {exc}") from None


class Registry:
    """A schema registry client (confluent-kafka's) and the deserializers made from it,
    kept per schema id. ``problem`` holds the last reason the registry could not be used."""

    def __init__(self, url: str, config: dict | None = None):
        from confluent_kafka.schema_registry import SchemaRegistryClient

        self.url = url
        self.client = SchemaRegistryClient({"url": url, **(config or {})})
        # Protobuf schemas are fetched as serialized descriptors; the client caches a schema
        # by id whatever form it was asked in, so that form has a client of its own.
        self.serialized = SchemaRegistryClient({"url": url, **(config or {})})
        self._readers: dict[int, tuple[str, Callable]] = {}
        self.problem: str | None = None

    def decode(self, data: bytes, topic: str, part: str) -> tuple[str, Any]:
        """(format, plain data) of wire-format ``data``; raises on anything it cannot read.
        A registry that does not answer is asked once: later records fail at once."""
        if self.problem is not None:
            raise RegistryUnavailableError(self.problem)
        schema_id = int.from_bytes(data[1:5], "big")
        found = self._readers.get(schema_id)
        if found is None:
            try:
                found = self._reader(schema_id)
            except Exception as exc:  # noqa: BLE001 - the client raises many kinds
                if registry_unreachable(exc):
                    self.problem = f"the schema registry at {self.url} does not answer"
                    raise RegistryUnavailableError(self.problem) from None
                found = ("", _failing(exc))  # e.g. schema id not found: once per id
            self._readers[schema_id] = found
        fmt, read = found
        return fmt, read(data, _context(topic, part))

    def _reader(self, schema_id: int) -> tuple[str, Callable]:
        schema = self.client.get_schema(schema_id)
        fmt = FORMAT_OF_TYPE.get((schema.schema_type or "AVRO").upper(), "avro")
        conf = {"subject.name.strategy": _no_subject}
        if fmt == "avro":
            from confluent_kafka.schema_registry.avro import AvroDeserializer

            avro = AvroDeserializer(self.client, conf=conf)
            return fmt, lambda data, ctx: plain(avro(data, ctx))
        if fmt == "json_schema":
            from confluent_kafka.schema_registry.json_schema import JSONDeserializer

            js = JSONDeserializer(None, schema_registry_client=self.client, conf=conf)
            return fmt, lambda data, ctx: plain(js(data, ctx))
        from engine.model.protobuf_values import message_data  # protobuf only where it is met

        read = ProtobufReader(self.serialized, conf)
        return fmt, lambda data, ctx: message_data(read(data, ctx))


def _no_subject(ctx, record_name):
    """Readers look up no subject: the writer's schema comes by the id in the record."""
    return


def _context(topic: str, part: str):
    from confluent_kafka.serialization import MessageField, SerializationContext

    return SerializationContext(topic, MessageField.KEY if part == "key" else MessageField.VALUE)


class Decoded:
    __slots__ = ("fmt", "value")

    def __init__(self, fmt: str | None, value: Any):
        self.fmt = fmt
        self.value = value


class PartDecoder:
    """Decodes the key or the value of one topic's records in ``fmt`` (``auto``: detected).

    ``registry`` (a ``Registry`` or None) reads wire-format records; without it they are
    shown as JSON, text or bytes as they happen to decode."""

    def __init__(self, fmt: str, topic: str, part: str, registry: Registry | None = None):
        if fmt not in FORMATS:
            raise FormatError(f"unknown format {fmt!r}; formats are {', '.join(FORMATS)}")
        self.fmt = fmt
        self.topic = topic
        self.part = part
        self.registry = registry
        self.problems: dict[str, int] = {}  # why records fell back, with how many
        self.wire_without_registry = 0  # auto, no registry: records in the wire format
        self.schema_ids: set[int] = set()  # of the records the registry decoded
        self.first_schema_id: int | None = None

    def _unregistered(self, data: bytes) -> None:
        """A record in the wire format with no registry to read it: counted, with the
        first schema id, so the reader can say what would decode it."""
        self.wire_without_registry += 1
        if self.first_schema_id is None:
            self.first_schema_id = int.from_bytes(data[1:5], "big")

    def _noted(self, reason: str) -> None:
        self.problems[reason] = self.problems.get(reason, 0) + 1

    def __call__(self, data: bytes | None) -> tuple[str | None, Any]:
        if data is None:
            return None, None
        fmt = self.fmt
        if fmt == "auto" and (self.registry is None or not data or data[0] != 0):
            if self.registry is None and len(data) >= 5 and data[0] == 0:
                self._unregistered(data)
            return self._detect(data)  # the common case, first and short
        if fmt in SCHEMA_FORMATS or (
            fmt == "auto" and len(data) >= 5 and data[0] == 0 and self.registry is not None
        ):
            if self.registry is None:
                self._noted(f"{fmt} needs a schema registry (--schema-registry URL)")
            else:
                try:
                    decoded = self.registry.decode(data, self.topic, self.part)
                except Exception as exc:  # noqa: BLE001 - the libraries raise many kinds
                    self._noted(_reason(exc, data))
                else:
                    self.schema_ids.add(int.from_bytes(data[1:5], "big"))
                    return decoded
            return self._detect(data)
        if fmt == "json":
            ok, value = _json_or_none(data)
            if ok:
                return "json", value
            self._noted("not JSON")
        elif fmt == "string":
            text = _text_or_none(data)
            if text is not None:
                return "string", text
            self._noted("not UTF-8 text")
        elif fmt == "bytes":
            return "bytes", b64(data)
        return self._detect(data)

    @staticmethod
    def _detect(data: bytes) -> tuple[str, Any]:
        ok, value = _json_or_none(data)
        if ok:
            return "json", value
        text = _text_or_none(data)
        if text is not None:
            return "string", text
        return "bytes", b64(data)


def _reason(exc: BaseException, data: bytes) -> str:
    from confluent_kafka.schema_registry.error import SchemaRegistryError

    if isinstance(exc, RegistryUnavailableError):
        return str(exc)
    schema_id = int.from_bytes(data[1:5], "big")
    if isinstance(exc, SchemaRegistryError):
        if exc.http_status_code == 404:
            return f"schema id {schema_id} not found"
        return f"the schema registry refused schema id {schema_id}: {exc.error_message}"
    text = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
    return f"not readable with schema id {schema_id}: {text}"


# -- writing ----------------------------------------------------------------------------


def encode_plain(fmt: str, value: Any) -> bytes | None:
    """``value`` as bytes in a plain format (raises FormatError with a sentence)."""
    if value is None:
        return None
    if fmt == "json":
        try:
            return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS)
        except TypeError as exc:
            raise FormatError(f"cannot be written as JSON: {exc}") from None
    if fmt == "string":
        if isinstance(value, str):
            return value.encode("utf-8")
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS)
    if fmt == "bytes":
        if not isinstance(value, str):
            raise FormatError("a bytes value must be base64 text")
        try:
            return base64.b64decode(value, validate=True)
        except ValueError:
            raise FormatError("a bytes value must be base64 text") from None
    raise FormatError(f"unknown format {fmt!r}")


class SchemaEncoder:
    """Plain data to wire-format bytes with confluent-kafka's serializer for one topic's key
    or value: the schema named ``subject:<name>[:<version>]``, else the latest registered
    under the topic's subject (``<topic>-key`` / ``<topic>-value``)."""

    def __init__(self, registry: Registry, topic: str, part: str, schema: str | None = None):
        self.registry = registry
        self.topic = topic
        self.part = part
        self.schema_param = schema
        self._writers: dict[str, Callable[[Any], bytes]] = {}

    def _registered(self):
        client = self.registry.client
        subject, version = f"{self.topic}-{self.part}", None
        if self.schema_param:
            if not self.schema_param.startswith("subject:"):
                raise FormatError(
                    f"a schema is named as subject:<name> or subject:<name>:<version>, "
                    f"not {self.schema_param!r}"
                )
            subject, _, tail = self.schema_param[len("subject:") :].partition(":")
            version = int(tail) if tail.isdigit() else None
        try:
            if version is None:
                return subject, client.get_latest_version(subject).schema
            return subject, client.get_version(subject, version).schema
        except Exception as exc:  # noqa: BLE001
            from confluent_kafka.schema_registry.error import SchemaRegistryError

            if isinstance(exc, SchemaRegistryError) and exc.http_status_code == 404:
                raise FormatError(
                    f"the schema registry has no subject '{subject}': name one with "
                    f"--{self.part}-schema subject:<name>"
                ) from None
            raise FormatError(f"the schema registry at {self.registry.url}: {exc}") from None

    def writer(self, fmt: str) -> Callable[[Any], bytes]:
        found = self._writers.get(fmt)
        if found is None:
            found = self._writers[fmt] = self._make(fmt)
        return found

    def _make(self, fmt: str) -> Callable[[Any], bytes]:
        subject, schema = self._registered()
        client = self.registry.client
        conf: dict[str, Any] = {"auto.register.schemas": False, "use.latest.version": True}
        conf["subject.name.strategy"] = lambda ctx, name: subject
        ctx = _context(self.topic, self.part)
        if fmt == "avro":
            from confluent_kafka.schema_registry.avro import AvroSerializer

            parsed = _avro_json(schema.schema_str)
            named = named_types(parsed)

            def to_dict(value, _ctx):
                return to_avro(value, parsed, named)

            write = AvroSerializer(client, schema, to_dict=to_dict, conf=conf)
        elif fmt == "json_schema":
            from confluent_kafka.schema_registry.json_schema import JSONSerializer

            write = JSONSerializer(schema, client, conf=conf)
        else:
            from confluent_kafka.schema_registry.protobuf import ProtobufSerializer
            from google.protobuf.json_format import ParseDict

            registered = client.get_latest_version(subject)
            serialized = self.registry.serialized
            message_class = registered_message_class(
                serialized, serialized.get_schema(registered.schema_id or 0, fmt="serialized"), [0]
            )
            serialize = ProtobufSerializer(
                message_class, self.registry.serialized, {**conf, "use.deprecated.format": False}
            )

            def write(value, wctx):
                return serialize(ParseDict(value, message_class()), wctx)

        def encode(value: Any) -> bytes:
            try:
                return write(value, ctx)
            except Exception as exc:  # noqa: BLE001 - the libraries raise many kinds
                text = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
                raise FormatError(
                    f"the schema of subject '{subject}' refuses the {self.part}: "
                    f"{text or type(exc).__name__}"
                ) from None

        return encode


# -- shown data back to Avro's types -----------------------------------------------------


def _avro_json(text: str | None) -> Any:
    import json

    try:
        return json.loads(text or '"null"')
    except ValueError:
        return text  # a bare type name such as "string"
