"""Masking rules (reference §3, §9.12.3): ``settings.masking`` and the one function that
hides what they match in a decoded record.

A rule is ``{"field": NAME_OR_GLOB, "topic": GLOB}`` (``topic`` optional: every topic).
``field`` without a dot matches a field of that name (``fnmatch`` glob) at any depth of a
record's key and value, through objects and lists, and a header of that name; with dots it
is a path from the top of the key or value (``customer.email``, ``card.*``), each step a
glob. A matched field's whole value, however nested, becomes ``"***"``.

What data is masked before anything else looks at it: a filter or a search runs on the
masked record, so it cannot find, and so reveal, a masked value.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from engine.model.problems import Problem

MASK = "***"
RULE_KEYS = frozenset({"field", "topic"})
MAX_DEPTH = 64  # a record nested deeper is masked whole below this depth: nothing leaks


@dataclass(frozen=True)
class MaskRule:
    field: str
    topic: str | None = None


def rules_from_settings(settings: Any) -> list[MaskRule]:
    """The valid rules of ``settings.masking`` (invalid ones are validation's to report)."""
    raw = settings.get("masking") if isinstance(settings, dict) else None
    if not isinstance(raw, list):
        return []
    return [
        MaskRule(rule["field"], rule.get("topic")) for rule in raw if rule_message(rule) is None
    ]


def rule_message(rule: Any) -> str | None:
    """None when ``rule`` is a valid masking rule, else why not (the rest of a sentence)."""
    if not isinstance(rule, dict):
        return 'must be an object such as {"field": "email"}'
    unknown = sorted(str(k) for k in rule if k not in RULE_KEYS)
    if unknown:
        return f"has unknown key '{unknown[0]}'; a rule has field and topic"
    field = rule.get("field")
    if not isinstance(field, str) or not field.strip():
        return "needs a field: a field name or a glob such as '*email*'"
    if any(not step for step in field.split(".")):
        return f"field {field!r} has an empty step between dots"
    topic = rule.get("topic")
    if topic is not None and (not isinstance(topic, str) or not topic.strip()):
        return "topic must be a topic name or a glob such as 'orders*'"
    return None


def check_masking(settings: Any) -> list[Problem]:
    """Problems of ``settings.masking``, one sentence each."""
    raw = settings.get("masking") if isinstance(settings, dict) else None
    if raw is None:
        return []
    if not isinstance(raw, list):
        return [Problem(None, "setting 'masking' must be a list of rules", param="masking")]
    problems = []
    for i, rule in enumerate(raw, 1):
        message = rule_message(rule)
        if message is not None:
            problems.append(Problem(None, f"masking rule {i} {message}", param="masking"))
    return problems


def _matcher(pattern: str) -> Callable[[str], bool]:
    if not any(c in pattern for c in "*?["):
        return pattern.__eq__
    return re.compile(fnmatch.translate(pattern)).match  # type: ignore[return-value]


class Masker:
    """Applies the rules that concern one topic. ``active`` is False when none do, so a
    caller can skip the work entirely."""

    def __init__(self, rules: list[MaskRule], topic: str):
        mine = [r for r in rules if r.topic is None or fnmatch.fnmatchcase(topic, r.topic)]
        names = [r.field for r in mine if "." not in r.field]
        # One regular expression for every name rule, and what it said of each name seen:
        # records repeat their field names, so most look-ups are one dict access.
        self._names_re = (
            re.compile("|".join(f"(?:{fnmatch.translate(n)})" for n in names)).match
            if names
            else None
        )
        self._seen: dict[str, bool] = {}
        self._paths = [[_matcher(s) for s in r.field.split(".")] for r in mine if "." in r.field]
        self.active = bool(mine)

    def _named(self, name: str) -> bool:
        found = self._seen.get(name)
        if found is None:
            found = self._names_re is not None and self._names_re(name) is not None
            if len(self._seen) < 10_000:
                self._seen[name] = found
        return found

    def mask(self, data: Any) -> Any:
        """``data`` (a decoded key or value) with matched fields replaced; never changed in place."""
        if not self.active:
            return data
        if not self._paths:
            return self._walk_names(data, 0)
        return self._walk(data, self._paths, 0)

    def _walk_names(self, data: Any, depth: int) -> Any:
        """``_walk`` for rules of names only: the per-record path, kept short."""
        kind = data.__class__
        if kind is dict:
            if depth > MAX_DEPTH:
                return MASK
            seen, out = self._seen, {}
            for k, v in data.items():
                hit = seen.get(k)
                if hit is None:
                    hit = self._named(str(k))
                if hit:
                    out[k] = MASK
                elif v.__class__ is dict or v.__class__ is list:
                    out[k] = self._walk_names(v, depth + 1)
                else:
                    out[k] = v
            return out
        if kind is list:
            if depth > MAX_DEPTH:
                return MASK
            return [self._walk_names(v, depth + 1) for v in data]
        return data

    def _walk(self, data: Any, paths: list[list[Callable[[str], bool]]], depth: int) -> Any:
        if depth > MAX_DEPTH and isinstance(data, (dict, list)):
            return MASK
        if isinstance(data, dict):
            out = {}
            for k, v in data.items():
                name = str(k)
                if self._named(name):
                    out[k] = MASK
                    continue
                deeper = [p[1:] for p in paths if p[0](name)]
                if any(not p for p in deeper):
                    out[k] = MASK
                    continue
                out[k] = self._walk(v, deeper, depth + 1)
            return out
        if isinstance(data, list):
            return [self._walk(v, paths, depth + 1) for v in data]
        return data

    def mask_headers(self, headers: dict[str, Any]) -> dict[str, Any]:
        if not self.active or not headers:
            return headers
        return {k: (MASK if self._named(k) else v) for k, v in headers.items()}


# -- a topology's rules applied to what is shown: by topic, by node, and a test run's trace --
#
# A topic's records are masked by the rules for that topic. A node's records (a preview of a
# node in the middle of a topology, a traced record) are masked by every rule that concerns a
# topic the node or any node upstream of it reads or writes: a value masked at its source
# stays masked on its way through.


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
