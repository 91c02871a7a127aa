"""The registry's HTTP face: Confluent's Schema Registry REST API v1, as confluent-kafka's
``SchemaRegistryClient``, kafka-ui and AKHQ call it, on the standard library's
``ThreadingHTTPServer`` bound to 127.0.0.1.

Answers are ``application/vnd.schemaregistry.v1+json``; errors are
``{"error_code": 40401, "message": ...}`` with Confluent's codes. A request body over
``MAX_BODY_BYTES`` is read off the socket and refused without being parsed.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from engine.cluster.registry import errors
from engine.cluster.registry.errors import RegistryError
from engine.cluster.registry.formats import MAX_SCHEMA_CHARS, SCHEMA_TYPES, text_in_format
from engine.cluster.registry.registry import Registry, schema_json, version_json

CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"
# A schema at the size limit, escaped in JSON, with room for its references.
MAX_BODY_BYTES = 2 * MAX_SCHEMA_CHARS + 64_000
_CHUNK = 1 << 16
_log = logging.getLogger(__name__)


class RegistryServerError(RuntimeError):
    """The registry could not start; the message says why."""


class _Raw(str):
    """An answer sent as it is (a schema's own text), not as a JSON value."""


Route = tuple[str, re.Pattern, Callable[..., Any]]


class _Request:
    """What a handler needs of one request: path parameters, query and body."""

    def __init__(self, params: list[str], query: dict[str, list[str]], body: object):
        self.params = params
        self.query = query
        self.body = body

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else default

    def flag(self, name: str) -> bool:
        return (self.arg(name) or "").lower() == "true"


def _routes(reg: Registry) -> list[Route]:
    def subjects(r: _Request):
        names = reg.state.subjects(
            r.arg("subjectPrefix") or "", r.flag("deleted"), r.flag("deleted_only")
        )
        return _page(names, r)

    def subject_versions(r: _Request):
        numbers = reg.state.version_numbers(
            r.params[0], deleted=r.flag("deleted"), deleted_only=r.flag("deleted_only")
        )
        return _page(numbers, r)

    def all_schemas(r: _Request):
        found = []
        for subject in reg.state.subjects(r.arg("subjectPrefix") or "", r.flag("deleted")):
            versions = [
                reg.state.version(subject, n, deleted=True)
                for n in reg.state.version_numbers(subject, deleted=r.flag("deleted"))
            ]
            if r.flag("latestOnly"):
                versions = versions[-1:]
            found += [version_json(v, r.arg("format")) for v in versions]
        return _page(found, r)

    def get_version(r: _Request):
        v = reg.state.version(r.params[0], r.params[1], deleted=r.flag("deleted"))
        return version_json(v, r.arg("format"))

    def get_version_schema(r: _Request):
        v = reg.state.version(r.params[0], r.params[1], deleted=r.flag("deleted"))
        return _Raw(text_in_format(v.schema, r.arg("format")))

    def register(r: _Request):
        return {"id": reg.register(r.params[0], r.body)}

    def lookup(r: _Request):
        return version_json(
            reg.state.lookup(r.params[0], r.body, deleted=r.flag("deleted")), r.arg("format")
        )

    def schema_by_id(r: _Request):
        return schema_json(reg.state.schema(_schema_id(r.params[0])), r.arg("format"))

    def schema_text_by_id(r: _Request):
        return _Raw(text_in_format(reg.state.schema(_schema_id(r.params[0])), r.arg("format")))

    def subjects_of_id(r: _Request):
        found = reg.state.versions_of_id(_schema_id(r.params[0]), deleted=r.flag("deleted"))
        wanted = r.arg("subject")
        return sorted({v.subject for v in found if wanted is None or v.subject == wanted})

    def versions_of_id(r: _Request):
        found = reg.state.versions_of_id(_schema_id(r.params[0]), deleted=r.flag("deleted"))
        wanted = r.arg("subject")
        return [
            {"subject": v.subject, "version": v.version}
            for v in found
            if wanted is None or v.subject == wanted
        ]

    def latest_with_metadata(r: _Request):
        if r.query.get("key"):
            # This registry keeps no schema metadata, so no version matches a filter.
            raise errors.schema_not_found(
                f"No version of subject '{r.params[0]}' has the metadata asked for"
            )
        return version_json(reg.state.version(r.params[0], "latest", deleted=r.flag("deleted")))

    def compatibility(r: _Request, one_version: bool):
        version = r.params[1] if one_version else None
        problems = reg.test_compatibility(r.params[0], r.body, version)
        answer: dict = {"is_compatible": not problems}
        if r.flag("verbose"):
            answer["messages"] = problems
        return answer

    def compatibility_all(r: _Request):
        try:
            return compatibility(r, one_version=False)
        except RegistryError as exc:
            if exc.code == errors.SUBJECT_NOT_FOUND:
                return {"is_compatible": True, **({"messages": []} if r.flag("verbose") else {})}
            raise

    def mode(r: _Request):
        return {"mode": "READWRITE"}

    def set_mode(r: _Request):
        wanted = r.body.get("mode") if isinstance(r.body, dict) else None
        if wanted != "READWRITE":
            raise RegistryError(
                422,
                errors.INVALID_MODE,
                f"Invalid mode {wanted!r}: this registry is always READWRITE",
            )
        return {"mode": "READWRITE"}

    S = r"([^/]+)"  # a subject or version, percent-encoded
    V = r"([^/]+)"
    return [
        ("GET", re.compile(r"/?"), lambda r: {}),
        ("GET", re.compile(r"/subjects/?"), subjects),
        ("GET", re.compile(r"/schemas/?"), all_schemas),
        ("GET", re.compile(rf"/subjects/{S}/versions/?"), subject_versions),
        ("POST", re.compile(rf"/subjects/{S}/versions/?"), register),
        ("GET", re.compile(rf"/subjects/{S}/versions/{V}/?"), get_version),
        ("GET", re.compile(rf"/subjects/{S}/versions/{V}/schema/?"), get_version_schema),
        (
            "GET",
            re.compile(rf"/subjects/{S}/versions/{V}/referencedby/?"),
            lambda r: reg.state.referenced_by(r.params[0], r.params[1]),
        ),
        (
            "DELETE",
            re.compile(rf"/subjects/{S}/versions/{V}/?"),
            lambda r: reg.delete_version(r.params[0], r.params[1], r.flag("permanent")),
        ),
        ("POST", re.compile(rf"/subjects/{S}/?"), lookup),
        (
            "DELETE",
            re.compile(rf"/subjects/{S}/?"),
            lambda r: reg.delete_subject(r.params[0], r.flag("permanent")),
        ),
        ("GET", re.compile(rf"/subjects/{S}/metadata/?"), latest_with_metadata),
        ("GET", re.compile(r"/schemas/types/?"), lambda r: list(SCHEMA_TYPES)),
        ("GET", re.compile(r"/schemas/ids/([^/]+)/?"), schema_by_id),
        ("GET", re.compile(r"/schemas/ids/([^/]+)/schema/?"), schema_text_by_id),
        ("GET", re.compile(r"/schemas/ids/([^/]+)/subjects/?"), subjects_of_id),
        ("GET", re.compile(r"/schemas/ids/([^/]+)/versions/?"), versions_of_id),
        ("GET", re.compile(r"/config/?"), lambda r: {"compatibilityLevel": reg.state.level(None)}),
        ("PUT", re.compile(r"/config/?"), lambda r: {"compatibility": reg.set_level(None, r.body)}),
        ("DELETE", re.compile(r"/config/?"), lambda r: {"compatibilityLevel": _reset_global(reg)}),
        (
            "GET",
            re.compile(rf"/config/{S}/?"),
            lambda r: {
                "compatibilityLevel": reg.state.subject_level(
                    r.params[0], r.flag("defaultToGlobal")
                )
            },
        ),
        (
            "PUT",
            re.compile(rf"/config/{S}/?"),
            lambda r: {"compatibility": reg.set_level(r.params[0], r.body)},
        ),
        (
            "DELETE",
            re.compile(rf"/config/{S}/?"),
            lambda r: {"compatibilityLevel": reg.delete_level(r.params[0])},
        ),
        ("GET", re.compile(r"/mode/?"), mode),
        ("PUT", re.compile(r"/mode/?"), set_mode),
        ("GET", re.compile(rf"/mode/{S}/?"), mode),
        ("PUT", re.compile(rf"/mode/{S}/?"), set_mode),
        ("GET", re.compile(r"/contexts/?"), lambda r: ["."]),
        (
            "POST",
            re.compile(rf"/compatibility/subjects/{S}/versions/{V}/?"),
            lambda r: compatibility(r, one_version=True),
        ),
        ("POST", re.compile(rf"/compatibility/subjects/{S}/versions/?"), compatibility_all),
    ]


def _page(items: list, r: _Request) -> list:
    """``items`` from ``?offset=`` with at most ``?limit=`` of them (negative: all)."""
    try:
        offset = max(int(r.arg("offset") or 0), 0)
        limit = int(r.arg("limit") or -1)
    except ValueError:
        raise RegistryError(422, 422, "offset and limit must be numbers") from None
    return items[offset:] if limit < 0 else items[offset : offset + limit]


def _reset_global(reg: Registry) -> str:
    previous = reg.state.level(None)
    try:
        reg.delete_level(None)
    except RegistryError:
        pass  # no global level was set: the default stays
    return previous


def _schema_id(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise errors.schema_not_found(f"Schema {text} not found") from None


class _Handler(BaseHTTPRequestHandler):
    server: _HTTPServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass  # a sandbox service: no access log on the console

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def _serve(self, method: str) -> None:
        try:
            status, answer = 200, self._answer(method)
        except RegistryError as exc:
            status, answer = exc.status, exc.body()
        except Exception as exc:  # noqa: BLE001 - a request never takes the server down
            status, answer = 500, errors.store_error(f"{type(exc).__name__}: {exc}").body()
        if isinstance(answer, _Raw):
            data = str(answer).encode()
        else:
            data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", CONTENT_TYPE)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _answer(self, method: str) -> object:
        body = self._body()
        url = urlsplit(self.path)
        query = parse_qs(url.query, keep_blank_values=True)
        path = url.path
        allowed = False
        for verb, pattern, handler in self.server.routes:
            match = pattern.fullmatch(path)
            if match is None:
                continue
            allowed = True
            if verb != method:
                continue
            if path.strip("/"):
                self.server.registry.open()
            params = [unquote(p) for p in match.groups()]
            return handler(_Request(params, query, body))
        if allowed:
            raise RegistryError(405, 405, f"HTTP method {method} is not allowed on {path}")
        raise RegistryError(404, 404, f"HTTP 404 Not Found: {path}")

    def _body(self) -> object:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            raise RegistryError(400, 400, "Content-Length is not a number") from None
        if length <= 0:
            return None
        if length > MAX_BODY_BYTES:
            remaining = length
            while remaining > 0:  # read off, so the client hears the answer
                chunk = self.rfile.read(min(_CHUNK, remaining))
                if not chunk:
                    break
                remaining -= len(chunk)
            raise errors.invalid_schema(
                f"the request is {length:,} bytes; a schema may be at most "
                f"{MAX_SCHEMA_CHARS:,} characters"
            )
        raw = self.rfile.read(length)
        try:
            return json.loads(raw)
        except (ValueError, RecursionError):
            raise RegistryError(422, 422, "Unrecognized JSON in the request body") from None


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], registry: Registry):
        self.registry = registry
        self.routes = _routes(registry)
        super().__init__(address, _Handler)

    def handle_error(self, request: object, client_address: object) -> None:
        # A client gone mid-answer: nothing to tell anyone, and never a traceback on stderr.
        _log.debug("schema registry request from %s failed", client_address, exc_info=True)


class SchemaRegistryServer:
    """A Confluent-compatible schema registry keeping its schemas in the ``_schemas``
    topic of the cluster at ``bootstrap``, served on ``host:port`` (0: a free port).
    ``start()`` binds and serves in a background thread; ``url`` is where clients go."""

    def __init__(self, bootstrap: str, port: int = 0, host: str = "127.0.0.1"):
        self.bootstrap = bootstrap
        self.host = host
        self.port = port
        self.registry = Registry(bootstrap)
        self._server: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> SchemaRegistryServer:
        try:
            self._server = _HTTPServer((self.host, self.port), self.registry)
        except OSError as exc:
            raise RegistryServerError(
                f"port {self.port} on {self.host} is already in use; choose another port"
                if exc.errno in (98, 48, 10048)
                else f"cannot listen on {self.host}:{self.port}: {exc.strerror or exc}"
            ) from None
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name="schema-registry",
            daemon=True,
        )
        self._thread.start()
        return self

    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self.registry.close()

    def __enter__(self) -> SchemaRegistryServer:
        if self._server is None:
            self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
