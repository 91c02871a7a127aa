"""Alert rules (reference §14): their format in ``settings.alerts`` and ``settings.alert_webhook``,
the rules a new topology starts with, and the checks validation runs on them.

A rule is ``{"name", "when", "node", "above" | "below", "for"}``. ``when`` says what is
watched; ``node`` (where the rule is about one node) which node; the threshold is
``above`` or ``below`` as the ``when`` reads; ``for`` (a duration, default 30s) how long
the condition must hold before the rule fires, and be false before it resolves.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from engine.model.durations import DurationError, format_duration, parse_duration
from engine.model.problems import Problem

DEFAULT_FOR = "30s"
SOURCE_TYPES = ("kafka_source", "generator_source", "table_source")


@dataclass(frozen=True)
class AlertKind:
    """One ``when``: what it watches, which threshold it takes, which nodes it may name."""

    name: str
    title: str  # how the panel and the editor say it
    threshold: str | None  # "above", "below" or None (no threshold)
    node: str  # "none": takes no node; "optional"; "required"
    node_types: tuple[str, ...] = ()  # empty: any node type
    unit: str = ""


KINDS: dict[str, AlertKind] = {
    k.name: k
    for k in (
        AlertKind("group_status", "consumer group WARN or STALL", None, "optional", SOURCE_TYPES),
        AlertKind("lag_records", "lag (records)", "above", "optional", SOURCE_TYPES, "records"),
        AlertKind("lag_seconds", "lag (seconds behind)", "above", "optional", SOURCE_TYPES, "s"),
        AlertKind(
            "errors_per_minute",
            "errors and dead letters per minute",
            "above",
            "optional",
            (),
            "/min",
        ),
        AlertKind(
            "late_per_minute",
            "late records per minute",
            "above",
            "optional",
            ("aggregate", "join"),
            "/min",
        ),
        AlertKind("rate_below", "records/s in", "below", "required", (), "/s"),
        AlertKind("instance_lost", "an instance lost", None, "none"),
    )
}
WHENS = tuple(KINDS)
RULE_KEYS = ("name", "when", "node", "above", "below", "for")


@dataclass(frozen=True)
class AlertRule:
    """A checked rule, ready for the evaluator."""

    name: str
    when: str
    node: str | None
    threshold: float | None
    for_ms: int

    @property
    def kind(self) -> AlertKind:
        return KINDS[self.when]

    @property
    def limit(self) -> float:
        """The threshold of a kind that takes one (a checked rule of such a kind has it)."""
        if self.threshold is None:
            raise ValueError(f"{self.when} takes no threshold")
        return self.threshold


def default_rules() -> list[dict]:
    """What a new topology starts with: its consumer group stuck or falling behind for a
    minute, records failing, or a minute's worth of records waiting."""
    return [
        {"name": "consumer group behind", "when": "group_status", "for": "1m"},
        {"name": "lag over a minute", "when": "lag_seconds", "above": 60, "for": "1m"},
        {"name": "records failing", "when": "errors_per_minute", "above": 0, "for": DEFAULT_FOR},
    ]


def rules_of(settings: dict) -> list[AlertRule]:
    """The valid rules of ``settings`` (invalid ones are skipped: validation reports them)."""
    raw = settings.get("alerts") if isinstance(settings, dict) else None
    out: list[AlertRule] = []
    if not isinstance(raw, list):
        return out
    for entry in raw:
        if rule_message(entry, None) is not None:
            continue
        kind = KINDS[entry["when"]]
        threshold = entry.get(kind.threshold) if kind.threshold else None
        out.append(
            AlertRule(
                entry["name"],
                entry["when"],
                entry.get("node"),
                float(threshold) if threshold is not None else None,
                parse_duration(entry.get("for") or DEFAULT_FOR),
            )
        )
    return out


def check_alerts(topology) -> list[Problem]:
    """Problems of ``settings.alerts`` and ``settings.alert_webhook``, one sentence each."""
    settings = topology.settings if isinstance(topology.settings, dict) else {}
    problems: list[Problem] = []
    rules = settings.get("alerts")
    if rules is not None:
        if not isinstance(rules, list):
            problems.append(
                Problem(None, "setting 'alerts' must be a list of rules", param="alerts")
            )
        else:
            node_types = {n.id: n.type for n in topology.nodes.values()}
            seen: set[str] = set()
            for i, rule in enumerate(rules, 1):
                message = rule_message(rule, node_types)
                if message is None and rule["name"] in seen:
                    message = f"two rules are named '{rule['name']}'"
                if message is not None:
                    name = rule.get("name") if isinstance(rule, dict) else None
                    which = f"'{name}'" if isinstance(name, str) and name.strip() else str(i)
                    problems.append(Problem(None, f"alert rule {which}: {message}", param="alerts"))
                else:
                    seen.add(rule["name"])
    webhook = settings.get("alert_webhook")
    if webhook is not None:
        message = webhook_message(webhook)
        if message:
            problems.append(
                Problem(None, f"setting 'alert_webhook' {message}", param="alert_webhook")
            )
    return problems


def rule_message(rule: Any, node_types: dict[str, str] | None) -> str | None:
    """None when ``rule`` is a well-formed rule, else why not (the rest of a sentence).
    ``node_types`` ({node id: type}) also checks the node it names; None skips that."""
    if not isinstance(rule, dict):
        return (
            "must be an object with 'name', 'when' and, as the rule needs, 'node', "
            "'above' or 'below', and 'for'"
        )
    unknown = [k for k in rule if k not in RULE_KEYS]
    if unknown:
        return f"unknown key {', '.join(repr(k) for k in unknown)}; a rule takes {', '.join(RULE_KEYS)}"
    name = rule.get("name")
    if not isinstance(name, str) or not name.strip():
        return "has no name"
    when = rule.get("when")
    kind = KINDS.get(when) if isinstance(when, str) else None
    if kind is None:
        return f"unknown 'when' {when!r}; it is one of {', '.join(WHENS)}"
    node = rule.get("node")
    if node is not None:
        if kind.node == "none":
            return f"{when} is about the whole application and takes no node"
        if not isinstance(node, str) or not node:
            return "node must be a node id"
        if node_types is not None:
            if node not in node_types:
                return f"node '{node}' is not a node of this topology"
            if kind.node_types and node_types[node] not in kind.node_types:
                return (
                    f"{when} watches {' or '.join(t.replace('_', ' ') for t in kind.node_types)} "
                    f"nodes, and '{node}' is a {str(node_types[node]).replace('_', ' ')}"
                )
    elif kind.node == "required":
        return f"{when} needs the node it watches"
    for side in ("above", "below"):
        if side in rule and side != kind.threshold:
            if kind.threshold is None:
                return f"{when} takes no threshold ('{side}')"
            return (
                f"{when} fires {kind.threshold} a threshold; use '{kind.threshold}', not '{side}'"
            )
    if kind.threshold is not None:
        value = rule.get(kind.threshold)
        if value is None:
            return f"{when} needs '{kind.threshold}': the threshold"
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or not math.isfinite(value)
        ):
            return f"'{kind.threshold}' must be a number, not {value!r}"
        if value < 0:
            return f"'{kind.threshold}' must not be negative ({value:g})"
    duration = rule.get("for")
    if duration is not None:
        try:
            parse_duration(duration)
        except DurationError as exc:
            return f"'for': {exc}"
    return None


def webhook_message(url: Any) -> str | None:
    if not isinstance(url, str) or not url.strip():
        return "must be an http:// or https:// address"
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return f"{url!r} is not a valid address"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"must be an http:// or https:// address, not {url!r}"
    return None


def describe(rule: AlertRule | dict) -> str:
    """The rule in words, for the panel, the log and the editor: 'lag (records) above 1000 for 30s'."""
    if isinstance(rule, dict):
        when, node = rule.get("when"), rule.get("node")
        kind = KINDS.get(when) if isinstance(when, str) else None
        threshold = rule.get(kind.threshold) if kind and kind.threshold else None
        duration = rule.get("for") or DEFAULT_FOR
    else:
        when, node, kind, threshold = rule.when, rule.node, rule.kind, rule.threshold
        duration = format_duration(rule.for_ms)
    if kind is None:
        return str(when)
    text = kind.title
    if node:
        text += f" of {node}"
    if kind.threshold and isinstance(threshold, (int, float)):
        text += f" {kind.threshold} {threshold:g}"
    return f"{text} for {duration}"
