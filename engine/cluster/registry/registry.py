"""The registry's changes, as Confluent's registry makes them, each a record of the
``_schemas`` topic (``SchemaLog``) read back into the state (``SchemaState``) before the
request is answered, so a registry started again on the same broker has every schema
and id.

- A schema registered again under a subject, where it is a live version, answers the id it
  has; the same schema (by canonical form and references) under another subject reuses its
  id; a new schema gets the next id.
- A new version is checked against the subject's compatibility level (the subject's own,
  else the global one, else BACKWARD) and refused with 409 and the reasons.
- A soft delete marks versions deleted (they keep their ids and can be read with
  ``deleted=true``); a permanent delete needs a soft delete first and removes them; a
  schema another one references is not deleted.

The topic is opened on the first request, not when the registry is made: a sandbox
whose registry is never used costs nothing on the broker.
"""

from __future__ import annotations

import threading

from engine.cluster.registry import compatibility, errors
from engine.cluster.registry.errors import RegistryError
from engine.cluster.registry.formats import AVRO, ParsedSchema, text_in_format
from engine.cluster.registry.schema_log import SchemaLog, SchemaLogError
from engine.cluster.registry.state import SchemaState, Version, parse_version


class Registry:
    """The registry's operations over the ``_schemas`` topic at ``bootstrap``; ``state``
    answers the reads. Changes run one at a time."""

    def __init__(self, bootstrap: str):
        self.bootstrap = bootstrap
        self.state = SchemaState()
        self._log = SchemaLog(bootstrap, self.state.apply)
        self._opened = False
        self._open_lock = threading.Lock()
        self._write_lock = threading.Lock()

    # -- the topic

    def open(self) -> None:
        """Read the topic (creating it if absent) once; RegistryError 50001 if it cannot."""
        with self._open_lock:
            if self._opened:
                return
            try:
                self._log.start()
            except SchemaLogError as exc:
                self._log.stop()
                self._log = SchemaLog(self.bootstrap, self.state.apply)
                raise errors.store_error(str(exc)) from None
            self._opened = True

    def close(self) -> None:
        with self._open_lock:
            self._log.stop()
            self._log = SchemaLog(self.bootstrap, self.state.apply)
            self._opened = False

    def _write(self, key: dict, value: dict | None) -> None:
        try:
            self._log.write(key, value)
        except SchemaLogError as exc:
            raise errors.store_error(str(exc)) from None

    # -- compatibility

    def set_level(self, subject: str | None, body: object) -> str:
        level = None
        if isinstance(body, dict):
            level = body.get("compatibility") or body.get("compatibilityLevel")
        if not isinstance(level, str) or level.upper() not in compatibility.LEVELS:
            raise RegistryError(
                422,
                errors.INVALID_COMPATIBILITY_LEVEL,
                "Invalid compatibility level. Valid values are none, backward, forward, full, "
                "backward_transitive, forward_transitive, and full_transitive",
            )
        with self._write_lock:
            self._write(
                {"keytype": "CONFIG", "subject": subject, "magic": 0},
                {"compatibilityLevel": level.upper()},
            )
        return level.upper()

    def delete_level(self, subject: str | None) -> str:
        previous = self.state.subject_level(subject)
        with self._write_lock:
            self._write({"keytype": "CONFIG", "subject": subject, "magic": 0}, None)
        return previous

    def test_compatibility(self, subject: str, body: object, text: object = None) -> list[str]:
        """Why ``body`` is incompatible with the subject at its level: against one version
        (``text``, e.g. ``latest``) or, with ``text`` None, as a registration would be."""
        schema = self.state.parse_body(body)
        level = self.state.level(subject)
        if text is None:
            return compatibility.check(level, schema, self.state.previous(subject))
        target = self.state.version(subject, text)
        if target.schema.parsed is None:
            return []
        return compatibility.check(
            level.removesuffix("_TRANSITIVE"), schema, [(target.version, target.schema)]
        )

    # -- changing

    def register(self, subject: str, body: object) -> int:
        """The id of ``body``'s schema under ``subject``, registering a new version when the
        subject has no live version of it; RegistryError 409 when incompatible."""
        schema = self.state.parse_body(body)
        with self._write_lock:
            live = self.state.live_id(subject, schema.canonical)
            if live is not None:
                return live
            next_version = self.state.next_version(subject)
            schema_id = self.state.id_for(schema.canonical)
            problems = compatibility.check(
                self.state.level(subject), schema, self.state.previous(subject)
            )
            if problems:
                raise RegistryError(
                    409,
                    errors.INCOMPATIBLE_SCHEMA,
                    f"Schema being registered is incompatible with an earlier schema for subject "
                    f'"{subject}", details: [{", ".join(problems)}]',
                )
            value = {
                "subject": subject,
                "version": next_version,
                "id": schema_id,
                "schemaType": schema.schema_type,
                "schema": schema.text,
                "references": [r.to_json() for r in schema.references],
                "deleted": False,
            }
            self._write(_schema_key(subject, next_version), value)
        return schema_id

    def delete_subject(self, subject: str, permanent: bool = False) -> list[int]:
        with self._write_lock:
            every = self.state.versions(subject, deleted=True)
            live = [v for v in every if not v.deleted]
            self._refuse_if_referenced(subject, every if permanent else live)
            if permanent:
                if live:
                    raise RegistryError(
                        404,
                        errors.SUBJECT_NOT_SOFT_DELETED,
                        f"Subject '{subject}' was not deleted first before being deleted "
                        "permanently",
                    )
                for v in every:
                    self._write(_schema_key(subject, v.version), None)
                if self.state.has_level(subject):
                    self._write({"keytype": "CONFIG", "subject": subject, "magic": 0}, None)
                return [v.version for v in every]
            if not live:
                raise RegistryError(
                    404,
                    errors.SUBJECT_SOFT_DELETED,
                    f"Subject '{subject}' was soft deleted. Set permanent=true to delete "
                    "permanently",
                )
            for v in live:
                self._write(_schema_key(subject, v.version), _schema_value(v, deleted=True))
            self._write(
                {"keytype": "DELETE_SUBJECT", "subject": subject, "magic": 0},
                {"subject": subject, "version": live[-1].version},
            )
            return [v.version for v in live]

    def delete_version(self, subject: str, text: object, permanent: bool = False) -> int:
        with self._write_lock:
            # "latest" is the latest live version, unless deleting permanently.
            explicit = parse_version(text) is not None
            target = self.state.version(subject, text, deleted=permanent or explicit)
            if target.deleted and not permanent:
                raise RegistryError(
                    404,
                    errors.SCHEMA_VERSION_SOFT_DELETED,
                    f"Subject '{subject}' Version {target.version} was soft deleted. Set "
                    "permanent=true to delete permanently",
                )
            self._refuse_if_referenced(subject, [target])
            if permanent:
                if not target.deleted:
                    raise RegistryError(
                        404,
                        errors.SCHEMA_VERSION_NOT_SOFT_DELETED,
                        f"Subject '{subject}' Version {target.version} was not deleted first "
                        "before being deleted permanently",
                    )
                self._write(_schema_key(subject, target.version), None)
            else:
                self._write(_schema_key(subject, target.version), _schema_value(target, True))
            return target.version

    def _refuse_if_referenced(self, subject: str, versions: list[Version]) -> None:
        for v in versions:
            if self.state.referenced_by(subject, v.version):
                raise RegistryError(
                    422,
                    errors.REFERENCE_EXISTS,
                    f"One or more references exist to the schema {{subject={subject}, "
                    f"version={v.version}}}",
                )


def _schema_key(subject: str, version: int) -> dict:
    return {"keytype": "SCHEMA", "subject": subject, "version": version, "magic": 1}


def _schema_value(v: Version, deleted: bool) -> dict:
    return {
        "subject": v.subject,
        "version": v.version,
        "id": v.id,
        "schemaType": v.schema.schema_type,
        "schema": v.schema.text,
        "references": [r.to_json() for r in v.schema.references],
        "deleted": deleted,
    }


def version_json(v: Version, fmt: str | None = None) -> dict:
    """A subject version as the REST API answers it."""
    return {"subject": v.subject, "version": v.version, "id": v.id, **schema_json(v.schema, fmt)}


def schema_json(schema: ParsedSchema, fmt: str | None = None) -> dict:
    body: dict = {"schema": text_in_format(schema, fmt)}
    if schema.schema_type != AVRO:
        body["schemaType"] = schema.schema_type
    if schema.references:
        body["references"] = [r.to_json() for r in schema.references]
    return body
