"""The schema-registry formats of a run: avro, protobuf, json_schema (reference §7.6).

``SchemaFormats`` is what a run gives its sources and sinks (``ctx.schemas``): a decoder
per source topic and part (key or value), an encoder per sink. Against a cluster it holds
the registry client, and the codecs are confluent-kafka's own serializers
(``engine.runtime.schemas.codecs``); while the registry does not answer, the run waits
(``registry.RegistryOutage``). In-process runs (test runs, traces, previews) have no
registry: records are given decoded, so sources read them as JSON, and sinks check each
value against their schema before writing it as JSON, so a value the schema refuses is
dead-lettered with the same sentence as on a cluster.

Internal topics (repartition, changelog) stay JSON: what a source decoded is plain data and
goes through them unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from engine.model.schemas import SchemaRef, SchemaTextError, resolve_ref
from engine.runtime.schemas import codecs
from engine.runtime.schemas.registry import (
    RegistryConfig,
    RegistryConfigError,
    RegistryOutage,
    resolve_registry,
    unreachable_reason,
)
from engine.runtime.serde import DECODERS, ENCODERS, SerdeError

__all__ = [
    "RegistryConfig",
    "RegistryConfigError",
    "RegistryOutage",
    "SchemaFormats",
    "in_process_format",
    "resolve_registry",
]


def in_process_format(fmt: str) -> str:
    """The format records of ``fmt`` are given in where no registry is: JSON for the
    schema formats (records are given decoded), else the format itself."""
    return "json" if fmt in ("avro", "protobuf", "json_schema") else fmt


class SchemaFormats:
    """Decoders and encoders of the schema formats for one run.

    ``client``: a schema registry client (None: in-process, no registry). ``folder``: where
    schema files named by sinks are (the topology file's). ``outage``: how the run waits
    while the registry does not answer (None: such a record fails with the reason)."""

    def __init__(
        self,
        client=None,
        folder: str | None = None,
        auto_register: bool = True,
        outage: RegistryOutage | None = None,
        url: str = "",
    ):
        self.client = client
        self.folder = folder
        self.auto_register = auto_register
        self.outage = outage
        self.url = url

    @classmethod
    def for_registry(
        cls, config: RegistryConfig, folder: str | None = None, outage: RegistryOutage | None = None
    ) -> SchemaFormats:
        return cls(config.client(), folder, config.auto_register, outage, config.shown_url)

    @property
    def in_process(self) -> bool:
        return self.client is None

    def unreachable(self) -> str | None:
        """None when the registry answers (or there is none to ask), else why not."""
        if self.client is None:
            return None
        return unreachable_reason(self.client, self.url)

    def decoder(self, fmt: str, topic: str, part: str) -> Callable[[bytes], Any]:
        if self.client is None:
            return DECODERS["json"]
        return self._guarded(codecs.decoder(fmt, self.client, topic, part))

    def encoder(
        self, fmt: str, schema_param: str, topic: str, part: str, strategy: str = "topic"
    ) -> Callable[[Any], bytes | None]:
        """Raises SerdeError with a sentence when the schema cannot be had (a file that went
        missing, a subject the registry does not know)."""
        ref = self.schema_ref(schema_param)
        if self.client is None:
            try:
                check = codecs.checker(fmt, ref)
            except SchemaTextError as exc:
                raise SerdeError(str(exc)) from None
            encode_json = ENCODERS["json"]

            def encode(value: Any) -> bytes | None:
                if value is not None:
                    check(value)
                return encode_json(value)

            return encode
        try:
            made = codecs.encoder(fmt, self.client, ref, topic, part, strategy, self.auto_register)
        except codecs.RegistryUnavailable:
            if self.outage is None:
                raise SerdeError(f"the schema registry at {self.url} does not answer") from None
            made = self.outage.retry(
                lambda _: codecs.encoder(
                    fmt, self.client, ref, topic, part, strategy, self.auto_register
                ),
                None,
                SerdeError("the schema registry does not answer"),
            )
        return self._guarded(made)

    def schema_ref(self, schema_param: str) -> SchemaRef:
        try:
            return resolve_ref(schema_param, self.folder)
        except SchemaTextError as exc:
            raise SerdeError(str(exc)) from None

    def _guarded(self, fn: Callable) -> Callable:
        outage, url = self.outage, self.url

        def call(arg):
            try:
                return fn(arg)
            except codecs.RegistryUnavailable as exc:
                if outage is None:
                    raise SerdeError(f"the schema registry at {url} does not answer") from None
                return outage.retry(fn, arg, exc)

        return call
