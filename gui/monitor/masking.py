"""Masking in the app (SPEC §15): the open topology's ``settings.masking`` rules applied to
records before they are shown — the data preview, the cluster dock's sample, test runs,
traces, the dead-letter view and the Topic Browser. Qt-free.

A topic's records are masked by the rules for that topic. A node's records (the preview of
a node in the middle of a topology) are masked by every rule that concerns a topic the
node's topic (a source's or a sink's) or any node upstream of it names: a value masked at
its source stays masked on its way through.
"""

from __future__ import annotations

import fnmatch
from typing import Any

from engine.model.masking import Masker, MaskRule, rules_from_settings


def topology_rules(topology: Any) -> list[MaskRule]:
    """The valid masking rules of ``topology`` (None: no rules)."""
    if topology is None:
        return []
    return rules_from_settings(getattr(topology, "settings", None))


def masker_for_topic(topology: Any, topic: str) -> Masker:
    return Masker(topology_rules(topology), topic)


def _node_topics(topology: Any, node_id: str) -> set[str]:
    """Topics ``node_id`` or any node upstream of it reads or writes."""
    topics: set[str] = set()
    seen: set[str] = set()
    todo = [node_id]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        node = topology.nodes.get(current)
        if node is None:
            continue
        for name in ("topic", "output_topic", "dead_letter_topic"):
            value = node.params.get(name)
            if isinstance(value, str) and value:
                topics.add(value)
        todo.extend(e.source for e in topology.incoming(current))
    return topics


def masker_for_node(topology: Any, node_id: str | None) -> Masker:
    """The rules for every topic the records at ``node_id`` came from or go to."""
    rules = topology_rules(topology)
    if not rules or not node_id:
        return Masker(rules, "")
    topics = _node_topics(topology, node_id)
    mine = [
        MaskRule(r.field)
        for r in rules
        if r.topic is None or any(fnmatch.fnmatchcase(t, r.topic) for t in topics)
    ]
    return Masker(mine, "")


def mask_record(masker: Masker, record: dict) -> dict:
    """``record`` (a dict with key, value and maybe headers) with its key, value and headers
    masked; the same dict when nothing is to be masked."""
    if not masker.active:
        return record
    out = dict(record)
    if "key" in out:
        out["key"] = masker.mask(out["key"])
    if "value" in out:
        out["value"] = masker.mask(out["value"])
    if isinstance(out.get("headers"), dict):
        out["headers"] = masker.mask_headers(out["headers"])
    return out


def mask_trace(trace: Any, topology: Any) -> None:
    """A test run's traced records (``engine.runtime.testing.lineage.Trace``) masked in
    place, each by the rules of its node (what the Test run panel, its follow view and the
    canvas show)."""
    if not topology_rules(topology):
        return
    maskers: dict[str, Masker] = {}
    for rec in trace.records:
        masker = maskers.get(rec.node)
        if masker is None:
            masker = maskers[rec.node] = masker_for_node(topology, rec.node)
        if masker.active:
            rec.key = masker.mask(rec.key)
            rec.value = masker.mask(rec.value)


def mask_records(masker: Masker, records: list[dict]) -> list[dict]:
    if not masker.active:
        return records
    return [mask_record(masker, r) for r in records]
