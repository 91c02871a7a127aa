"""Deleting topics and creating them again, many at once (``engine.cluster.rotation``).

Each step is one request for every topic concerned, not one per topic: on the sandbox a
rotation of a topology's topics before a run deletes and creates a dozen topics, and each
request costs a round trip to a broker that is busy with what it holds. A step that fails
for some topics goes on with the others; the failures are returned, each as a sentence.
"""

from __future__ import annotations

import time

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic, ResourceType

CREATE_ATTEMPTS = 6

Spec = tuple[int, dict[str, str]]  # partitions, settings


def reason(exc: KafkaException) -> str:
    err = exc.args[0] if exc.args else None
    return err.str() if isinstance(err, KafkaError) else str(exc)


def _code(exc: KafkaException) -> int | None:
    err = exc.args[0] if exc.args else None
    return err.code() if isinstance(err, KafkaError) else None


def topic_configs(
    admin: AdminClient, topics: list[str], timeout: float = 15.0
) -> tuple[dict[str, dict[str, str]], dict[str, str]]:
    """The settings to create each of ``topics`` again with (the sandbox describes the ones
    it was created with; read-only entries left out), and the topics whose settings could
    not be read, with why."""
    found: dict[str, dict[str, str]] = {}
    failed: dict[str, str] = {}
    if not topics:
        return found, failed
    resources = [ConfigResource(ResourceType.TOPIC, t) for t in topics]
    try:
        asked = admin.describe_configs(resources, request_timeout=timeout)
    except KafkaException as exc:
        return found, {t: f"cannot read the settings of '{t}': {reason(exc)}" for t in topics}
    for resource, future in asked.items():
        topic = resource.name
        try:
            entries = future.result(timeout=timeout + 2)
        except KafkaException as exc:
            failed[topic] = f"cannot read the settings of '{topic}': {reason(exc)}"
            continue
        found[topic] = {
            name: str(entry.value)
            for name, entry in entries.items()
            if entry.value is not None and not entry.is_read_only
        }
    return found, failed


def recreate(admin: AdminClient, wanted: dict[str, Spec], timeout: float = 15.0) -> dict[str, str]:
    """Deletes each topic of ``wanted`` and creates it again, empty, with its partitions and
    settings; checked afterwards, and done again when something else created it meanwhile
    (the sandbox creates a missing topic, with its defaults, for a producer that asks for
    it). Returns the topics not done, with why (whether each was deleted is said)."""
    failed: dict[str, str] = {}
    todo = dict(wanted)
    for attempt in range(CREATE_ATTEMPTS):
        failed |= _delete(admin, list(todo), timeout)
        todo = {t: s for t, s in todo.items() if t not in failed}
        if not todo:
            break
        created = admin.create_topics(
            [
                NewTopic(t, num_partitions=n, replication_factor=-1, config=c)
                for t, (n, c) in todo.items()
            ],
            operation_timeout=timeout,
        )
        for topic, future in created.items():
            try:
                future.result(timeout=timeout + 2)
            except KafkaException as exc:
                if _code(exc) != KafkaError.TOPIC_ALREADY_EXISTS:
                    failed[topic] = (
                        f"'{topic}' was deleted but could not be created again: {reason(exc)}"
                    )
        todo = {t: s for t, s in todo.items() if t not in failed}
        todo = {t: s for t, s in todo.items() if t not in _as_wanted(admin, todo, timeout)}
        if not todo:
            break
        time.sleep(0.1 * (attempt + 1))
    for topic, (partitions, _settings) in todo.items():
        failed[topic] = (
            f"'{topic}' was deleted but could not be created again with {partitions} partitions"
        )
    return failed


def _delete(admin: AdminClient, topics: list[str], timeout: float) -> dict[str, str]:
    """Deletes ``topics`` and waits until the cluster lists none of them; returns those that
    could not be deleted (missing ones count as deleted)."""
    failed: dict[str, str] = {}
    if not topics:
        return failed
    for topic, future in admin.delete_topics(topics, operation_timeout=timeout).items():
        try:
            future.result(timeout=timeout + 2)
        except KafkaException as exc:
            if _code(exc) != KafkaError.UNKNOWN_TOPIC_OR_PART:
                failed[topic] = f"cannot delete '{topic}': {reason(exc)}"
    gone = set(topics) - set(failed)
    deadline = time.monotonic() + timeout
    while gone & set(admin.list_topics(timeout=timeout).topics):
        if time.monotonic() > deadline:
            break
        time.sleep(0.05)
    return failed


def _as_wanted(admin: AdminClient, wanted: dict[str, Spec], timeout: float) -> set[str]:
    """The topics of ``wanted`` that are there with their partitions and settings (waiting
    up to ``timeout`` for them to be listed)."""
    deadline = time.monotonic() + timeout
    listed: dict = {}
    while time.monotonic() < deadline:
        listed = admin.list_topics(timeout=timeout).topics
        if all(t in listed and not listed[t].error for t in wanted):
            break
        time.sleep(0.05)
    there = [
        t
        for t, (n, _) in wanted.items()
        if t in listed and not listed[t].error and len(listed[t].partitions) == n
    ]
    settings, _failed = topic_configs(admin, there, timeout)
    return {
        t
        for t in there
        if t in settings and all(settings[t].get(k) == v for k, v in wanted[t][1].items())
    }
