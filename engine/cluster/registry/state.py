"""What the ``_schemas`` topic says, applied record by record in order: subjects and their
versions, schema ids, compatibility levels; and the reads of it that requests make
(``engine.cluster.registry.registry`` makes the changes). Thread-safe: the topic's reader
applies records under the lock that reads take.
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
)

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


class SchemaState:
    """Subjects, versions, ids and levels as the topic's records set them."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._subjects: dict[str, dict[int, Version]] = {}
        self._ids: dict[int, ParsedSchema] = {}
        self._id_by_canonical: dict[str, int] = {}
        self._max_id = 0
        self._config: dict[str | None, str] = {}

    def apply(self, key: dict, value: dict | None) -> None:
        """One record of the topic, in order (called by the log's reader)."""
        kind = key.get("keytype")
        subject = key.get("subject")
        with self.lock:
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
            refs, deps = self.references(value.get("references"))
            return parse_schema(kind, text, refs, deps)
        except RegistryError:
            # Written by another registry with what this one cannot parse: kept as text,
            # served as it is, and left out of compatibility checks.
            return ParsedSchema(kind, text, (), f"{kind}:raw:{text}", None)

    def _id_used(self, schema_id: int) -> bool:
        return any(v.id == schema_id for vs in self._subjects.values() for v in vs.values())

    # -- reading

    def versions(self, subject: str, deleted: bool = False) -> list[Version]:
        """The subject's versions, oldest first; RegistryError 40401 when it has none."""
        with self.lock:
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
        with self.lock:
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
        versions = self.versions(subject, deleted=deleted or deleted_only)
        if deleted_only:
            return [v.version for v in versions if v.deleted]
        return [v.version for v in versions]

    def version(self, subject: str, text: object, deleted: bool = False) -> Version:
        number = parse_version(text)
        versions = self.versions(subject, deleted)
        if number is None:
            return versions[-1]
        for v in versions:
            if v.version == number:
                return v
        raise errors.version_not_found(subject, number)

    def schema(self, schema_id: int) -> ParsedSchema:
        with self.lock:
            found = self._ids.get(schema_id)
        if found is None:
            raise errors.schema_not_found(f"Schema {schema_id} not found")
        return found

    def versions_of_id(self, schema_id: int, deleted: bool = False) -> list[Version]:
        self.schema(schema_id)
        with self.lock:
            return [
                v
                for _, versions in sorted(self._subjects.items())
                for _, v in sorted(versions.items())
                if v.id == schema_id and (deleted or not v.deleted)
            ]

    def referenced_by(self, subject: str, text: object) -> list[int]:
        target = self.version(subject, text, deleted=True)
        with self.lock:
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
        versions = self.versions(subject, deleted)
        for v in reversed(versions):
            if v.schema.canonical == schema.canonical:
                return v
        raise errors.schema_not_found()

    # -- parsing a request

    def parse_body(self, body: object) -> ParsedSchema:
        if not isinstance(body, dict):
            raise errors.invalid_schema("the request body is not a JSON object")
        refs, deps = self.references(body.get("references"))
        return parse_schema(normalize_type(body.get("schemaType")), body.get("schema"), refs, deps)

    def references(self, raw: object) -> tuple[tuple[Reference, ...], tuple[ParsedSchema, ...]]:
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
        with self.lock:
            return (
                self._config.get(subject) or self._config.get(None) or compatibility.DEFAULT_LEVEL
            )

    def subject_level(self, subject: str | None, default_to_global: bool = False) -> str:
        with self.lock:
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

    def previous(self, subject: str) -> list[tuple[int, ParsedSchema]]:
        with self.lock:
            versions = sorted(self._subjects.get(subject, {}).items())
        return [(n, v.schema) for n, v in versions if not v.deleted and v.schema.parsed is not None]

    # -- for a registration

    def live_id(self, subject: str, canonical: str) -> int | None:
        """The id of a live version of ``subject`` with this canonical form, if any."""
        with self.lock:
            for v in self._subjects.get(subject, {}).values():
                if not v.deleted and v.schema.canonical == canonical:
                    return v.id
        return None

    def next_version(self, subject: str) -> int:
        with self.lock:
            return max(self._subjects.get(subject, {}), default=0) + 1

    def id_for(self, canonical: str) -> int:
        """The id this schema has anywhere, else the next free one."""
        with self.lock:
            return self._id_by_canonical.get(canonical, self._max_id + 1)

    def has_level(self, subject: str | None) -> bool:
        with self.lock:
            return subject in self._config
