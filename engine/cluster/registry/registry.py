"""What the registry knows and the rules it keeps, as Confluent's registry keeps them:
subjects and their versions, schema ids, compatibility levels, soft and permanent
deletes. Every change is a record of the ``_schemas`` topic (``SchemaLog``); the state
here is what those records say, applied in order, so a registry started again on the
same broker has every schema and id.

- A schema registered again under a subject, where it is a live version, answers the id it
  has; the same schema (by canonical form and references) under another subject reuses its
  id; a new schema gets the next id.
- A new version is checked against the subject's compatibility level (the subject's own,
  else the global one, else BACKWARD) and refused with 409 and the reasons.
- A soft delete marks versions deleted (they keep their ids and can be read with
  ``deleted=true``); a permanent delete needs a soft delete first and removes them.

The topic is opened on the first request, not when the registry is made: a sandbox
whose registry is never used costs nothing on the broker.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace

from engine.cluster.registry import compatibility, errors
from engine.cluster.registry.errors import RegistryError
from engine.cluster.registry.formats import (
    AVRO,
    ParsedSchema,
    Reference,
    normalize_type,
    parse_schema,
    text_in_format,
)
from engine.cluster.registry.schema_log import SchemaLog, SchemaLogError

MAX_VERSION = 2**31 - 1


@dataclass(frozen=True)
class Version:
    subject: str
    version: int
    id: int
    schema: ParsedSchema
    deleted: bool = False


def parse_version(text: object) -> int | None:
    """A version as a request gives it: a number, or None for ``latest`` / ``-1``."""
    if text in ("latest", "-1", -1):
        return None
    try:
        number = int(str(text))
    except ValueError:
        raise errors.invalid_version(text) from None
    if not 1 <= number <= MAX_VERSION:
        raise errors.invalid_version(text)
    return number


class Registry:
    """The registry's state and operations over the ``_schemas`` topic at ``bootstrap``.
    Thread-safe: reads share a lock with the topic's reader; changes run one at a time."""

    def __init__(self, bootstrap: str):
        self.bootstrap = bootstrap
        self._log = SchemaLog(bootstrap, self._apply)
        self._opened = False
        self._open_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._lock = threading.RLock()
        self._subjects: dict[str, dict[int, Version]] = {}
        self._ids: dict[int, ParsedSchema] = {}
        self._id_by_canonical: dict[str, int] = {}
        self._max_id = 0
        self._config: dict[str | None, str] = {}

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
                self._log = SchemaLog(self.bootstrap, self._apply)
                raise errors.store_error(str(exc)) from None
            self._opened = True

    def close(self) -> None:
        with self._open_lock:
            self._log.stop()
            self._log = SchemaLog(self.bootstrap, self._apply)
            self._opened = False

    def _write(self, key: dict, value: dict | None) -> None:
        try:
            self._log.write(key, value)
        except SchemaLogError as exc:
            raise errors.store_error(str(exc)) from None

    def _apply(self, key: dict, value: dict | None) -> None:
        """One record of the topic, in order (called by the log's reader)."""
        kind = key.get("keytype")
        subject = key.get("subject")
        with self._lock:
            if kind == "SCHEMA" and isinstance(subject, str):
                self._apply_schema(subject, key.get("version"), value)
            elif kind == "CONFIG":
                level = (value or {}).get("compatibilityLevel")
                if level in compatibility.LEVELS:
                    self._config[subject] = level
                else:
                    self._config.pop(subject, None)
            elif kind == "DELETE_SUBJECT" and isinstance(subject, str) and value:
                upto = value.get("version") or 0
                versions = self._subjects.get(subject, {})
                for number, entry in list(versions.items()):
                    if number <= upto:
                        versions[number] = replace(entry, deleted=True)

    def _apply_schema(self, subject: str, version: object, value: dict | None) -> None:
        if not isinstance(version, int):
            return
        versions = self._subjects.setdefault(subject, {})
        if value is None:
            gone = versions.pop(version, None)
            if not versions:
                del self._subjects[subject]
            if gone is not None and not self._id_used(gone.id):
                self._ids.pop(gone.id, None)
                if self._id_by_canonical.get(gone.schema.canonical) == gone.id:
                    del self._id_by_canonical[gone.schema.canonical]
            return
        schema_id = value.get("id")
        if not isinstance(schema_id, int):
            return
        schema = self._ids.get(schema_id) or self._parse_stored(value)
        versions[version] = Version(subject, version, schema_id, schema, bool(value.get("deleted")))
        self._ids[schema_id] = schema
        self._id_by_canonical.setdefault(schema.canonical, schema_id)
        self._max_id = max(self._max_id, schema_id)

    def _parse_stored(self, value: dict) -> ParsedSchema:
        kind = str(value.get("schemaType") or AVRO)
        text = str(value.get("schema") or "")
        try:
            refs, deps = self._references(value.get("references"))
            return parse_schema(kind, text, refs, deps)
        except RegistryError:
            # Written by another registry with what this one cannot parse: kept as text,
            # served as it is, and left out of compatibility checks.
            return ParsedSchema(kind, text, (), f"{kind}:raw:{text}", None)

    def _id_used(self, schema_id: int) -> bool:
        return any(v.id == schema_id for vs in self._subjects.values() for v in vs.values())

    # -- reading

    def _versions(self, subject: str, deleted: bool = False) -> list[Version]:
        """The subject's versions, oldest first; RegistryError 40401 when it has none."""
        with self._lock:
            found = [
                v
                for _, v in sorted(self._subjects.get(subject, {}).items())
                if deleted or not v.deleted
            ]
        if not found:
            raise errors.subject_not_found(subject)
        return found

    def subjects(
        self, prefix: str = "", deleted: bool = False, deleted_only: bool = False
    ) -> list[str]:
        with self._lock:
            names = []
            for subject, versions in sorted(self._subjects.items()):
                if not subject.startswith(prefix):
                    continue
                live = any(not v.deleted for v in versions.values())
                if (deleted_only and not live) or (not deleted_only and (live or deleted)):
                    names.append(subject)
            return names

    def version_numbers(
        self, subject: str, deleted: bool = False, deleted_only: bool = False
    ) -> list[int]:
        versions = self._versions(subject, deleted=deleted or deleted_only)
        if deleted_only:
            return [v.version for v in versions if v.deleted]
        return [v.version for v in versions]

    def version(self, subject: str, text: object, deleted: bool = False) -> Version:
        number = parse_version(text)
        versions = self._versions(subject, deleted)
        if number is None:
            return versions[-1]
        for v in versions:
            if v.version == number:
                return v
        raise errors.version_not_found(subject, number)

    def schema(self, schema_id: int) -> ParsedSchema:
        with self._lock:
            found = self._ids.get(schema_id)
        if found is None:
            raise errors.schema_not_found(f"Schema {schema_id} not found")
        return found

    def versions_of_id(self, schema_id: int, deleted: bool = False) -> list[Version]:
        self.schema(schema_id)
        with self._lock:
            return [
                v
                for _, versions in sorted(self._subjects.items())
                for _, v in sorted(versions.items())
                if v.id == schema_id and (deleted or not v.deleted)
            ]

    def referenced_by(self, subject: str, text: object) -> list[int]:
        target = self.version(subject, text, deleted=True)
        with self._lock:
            return sorted(
                {
                    v.id
                    for vs in self._subjects.values()
                    for v in vs.values()
                    if any(
                        r.subject == subject and r.version == target.version
                        for r in v.schema.references
                    )
                }
            )

    def lookup(self, subject: str, body: object, deleted: bool = False) -> Version:
        schema = self.parse_body(body)
        versions = self._versions(subject, deleted)
        for v in reversed(versions):
            if v.schema.canonical == schema.canonical:
                return v
        raise errors.schema_not_found()

    # -- parsing a request

    def parse_body(self, body: object) -> ParsedSchema:
        if not isinstance(body, dict):
            raise errors.invalid_schema("the request body is not a JSON object")
        refs, deps = self._references(body.get("references"))
        return parse_schema(normalize_type(body.get("schemaType")), body.get("schema"), refs, deps)

    def _references(self, raw: object) -> tuple[tuple[Reference, ...], tuple[ParsedSchema, ...]]:
        if raw is None:
            return (), ()
        if not isinstance(raw, list):
            raise errors.invalid_schema("references must be a list")
        refs, deps = [], []
        for item in raw:
            if not isinstance(item, dict):
                raise errors.invalid_schema("a reference is an object with name, subject, version")
            name, subject, version = item.get("name"), item.get("subject"), item.get("version")
            if not isinstance(name, str) or not isinstance(subject, str):
                raise errors.invalid_schema("a reference needs a name and a subject")
            try:
                target = self.version(subject, version, deleted=True)
            except RegistryError:
                raise errors.invalid_schema(
                    f"reference '{name}' names subject '{subject}' version {version}, "
                    "which is not registered"
                ) from None
            refs.append(Reference(name, subject, target.version))
            deps.append(target.schema)
        return tuple(refs), tuple(deps)

    # -- compatibility

    def level(self, subject: str | None) -> str:
        with self._lock:
            return (
                self._config.get(subject) or self._config.get(None) or compatibility.DEFAULT_LEVEL
            )

    def subject_level(self, subject: str | None, default_to_global: bool = False) -> str:
        with self._lock:
            level = self._config.get(subject)
        if level is None:
            if subject is None or default_to_global:
                return self.level(subject)
            raise RegistryError(
                404,
                errors.SUBJECT_LEVEL_COMPATIBILITY_NOT_CONFIGURED,
                f"Subject '{subject}' does not have subject-level compatibility configured",
            )
        return level

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
        previous = self.subject_level(subject)
        with self._write_lock:
            self._write({"keytype": "CONFIG", "subject": subject, "magic": 0}, None)
        return previous

    def _previous(self, subject: str) -> list[tuple[int, ParsedSchema]]:
        with self._lock:
            versions = sorted(self._subjects.get(subject, {}).items())
        return [(n, v.schema) for n, v in versions if not v.deleted and v.schema.parsed is not None]

    def test_compatibility(self, subject: str, body: object, text: object = None) -> list[str]:
        """Why ``body`` is incompatible with the subject at its level: against one version
        (``text``, e.g. ``latest``) or, with ``text`` None, as a registration would be."""
        schema = self.parse_body(body)
        level = self.level(subject)
        if text is None:
            return compatibility.check(level, schema, self._previous(subject))
        target = self.version(subject, text)
        if target.schema.parsed is None:
            return []
        return compatibility.check(
            level.removesuffix("_TRANSITIVE"), schema, [(target.version, target.schema)]
        )

    # -- changing

    def register(self, subject: str, body: object) -> int:
        """The id of ``body``'s schema under ``subject``, registering a new version when the
        subject has no live version of it; RegistryError 409 when incompatible."""
        schema = self.parse_body(body)
        with self._write_lock:
            with self._lock:
                existing = self._subjects.get(subject, {})
                for v in existing.values():
                    if not v.deleted and v.schema.canonical == schema.canonical:
                        return v.id
                next_version = max(existing, default=0) + 1
                schema_id = self._id_by_canonical.get(schema.canonical, self._max_id + 1)
            problems = compatibility.check(self.level(subject), schema, self._previous(subject))
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
            every = self._versions(subject, deleted=True)
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
                with self._lock:
                    configured = subject in self._config
                if configured:
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
            target = self.version(subject, text, deleted=permanent or explicit)
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
            if self.referenced_by(subject, v.version):
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
