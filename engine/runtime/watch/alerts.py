"""Evaluating alert rules (reference §14) over what a run reports; Qt-free, no threads.

``AlertEvaluator`` is fed observations — the run's ``snapshot()`` dicts (counters per
node, rates, offsets), the consumer group's offsets from any other source (the app's lag
poller, the cluster), the fleet's instances — and ``evaluate()`` turns them into
transitions. Each rule is debounced: it fires once its condition has held for its
``for``, and resolves once the condition has been false for as long. A transition is
``notify``-able at most once per rule per minute (a rule that fires again within a
minute of its last notified firing is recorded but not notified, nor is its resolve),
so flapping never floods a webhook or the desktop.

The group's OK/WARN/STALL status, lag and seconds behind are judged by
``engine.cluster.lag.LagTracker`` (Burrow's rules). Per-minute figures are the counter's
increase over the last ``RATE_WINDOW_S`` seconds, scaled to a minute.
"""

from __future__ import annotations

import math
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from engine.cluster.lag import OK, WARN, LagTracker
from engine.model.alerts import SOURCE_TYPES, AlertRule, describe, rules_of
from engine.model.status import RunStatus

RATE_WINDOW_S = 10.0  # per-minute figures: the increase over this window, scaled
STALE_AFTER_S = 5.0  # a run that has not reported for this long counts as reading nothing
NOTIFY_EVERY_S = 60.0  # at most one notification per rule per minute
FIRING, RESOLVED = "firing", "resolved"


@dataclass
class Transition:
    rule: str
    state: str  # firing or resolved
    time_ms: int
    value: Any  # the watched figure when it changed (a number, or OK/WARN/STALL)
    node: str | None = None
    description: str = ""
    notify: bool = True  # False: within a minute of the rule's last notification

    def as_dict(self) -> dict:
        """As in ``--metrics-out``'s ``alerts`` list."""
        return {
            "rule": self.rule,
            "state": self.state,
            "time_ms": self.time_ms,
            "value": self.value,
        }

    def as_event(self, application_id: str) -> dict:
        """As POSTed to the webhook (and published with the run's state)."""
        return {
            "application_id": application_id,
            "rule": self.rule,
            "state": self.state,
            "time_ms": self.time_ms,
            "value": self.value,
            "node": self.node,
        }


@dataclass
class _RuleState:
    rule: AlertRule
    state: str = "ok"  # ok, pending (holding, not yet fired), firing, resolving
    since: float = 0.0
    value: Any = None
    node: str | None = None
    last_notified: float | None = None
    notified_firing: bool = False
    transitions: list[Transition] = field(default_factory=list)


class AlertEvaluator:
    def __init__(
        self,
        topology,
        *,
        rules: list[AlertRule] | None = None,
        lag_window: int = 10,
        rate_window_s: float = RATE_WINDOW_S,
        stale_after_s: float = STALE_AFTER_S,
    ):
        self.rules = list(rules if rules is not None else rules_of(topology.settings))
        self.topics = {
            n.id: n.params.get("topic")
            for n in topology.nodes.values()
            if n.type in SOURCE_TYPES and isinstance(n.params, dict)
        }
        self.rate_window_s = rate_window_s
        self.stale_after_s = stale_after_s
        self.tracker = LagTracker(window=lag_window)
        self._states = {r.name: _RuleState(r) for r in self.rules}
        self._counts: deque[tuple[float, dict]] = deque()  # (now, {node: {errors, late, ...}})
        self._rates: dict[str, dict] = {}
        self._snapshot_at: float | None = None
        self._partitions: set[tuple[str, int]] | None = None  # last observed, None: no lag yet
        self._instances: dict[str, dict] = {}
        self._expected: set[str] = set()  # instances seen alive that have not stopped cleanly
        self._has_fleet = False
        self.history: list[Transition] = []

    @property
    def needs_lag(self) -> bool:
        return any(r.when in ("group_status", "lag_records", "lag_seconds") for r in self.rules)

    @property
    def needs_fleet(self) -> bool:
        return any(r.when == "instance_lost" for r in self.rules)

    # -- observations --------------------------------------------------------------

    def observe_snapshot(
        self, snapshot: dict, now: float | None = None, *, lag: bool = True
    ) -> None:
        """A run's ``snapshot()``; ``lag=False`` when the group's lag comes from elsewhere."""
        now = time.monotonic() if now is None else now
        nodes = snapshot.get("nodes") or {}
        counts = {
            n: {"errors": int(c.get("errors", 0)), "late": int(c.get("late", 0))}
            for n, c in nodes.items()
            if isinstance(c, dict)
        }
        if not self._counts:  # the run started with zero counts, elapsed_s ago
            elapsed = float(snapshot.get("elapsed_s") or 0.0)
            self._counts.append((now - elapsed, {n: {"errors": 0, "late": 0} for n in counts}))
        self._counts.append((now, counts))
        while len(self._counts) > 2 and now - self._counts[1][0] >= self.rate_window_s:
            self._counts.popleft()
        self._rates = dict(snapshot.get("rates") or {})
        self._snapshot_at = now
        if lag:
            offsets = snapshot.get("offsets") or {}
            self.observe_lag(
                {
                    (topic, int(p)): (c, h)
                    for topic, parts in offsets.items()
                    for p, (c, h) in parts.items()
                },
                now,
            )

    def observe_lag(
        self, offsets: dict[tuple[str, int], tuple[int, int]], now: float | None = None
    ) -> None:
        """The group's (committed, high watermark) per partition."""
        now = time.monotonic() if now is None else now
        for (topic, partition), (committed, high) in offsets.items():
            self.tracker.observe("g", topic, partition, committed, high, now)
        self._partitions = set(offsets)

    def observe_instances(self, instances: list[dict]) -> None:
        """The fleet's instances (``status --json``'s ``instances``: instance, status, alive)."""
        self._has_fleet = True
        current = {}
        for inst in instances:
            if isinstance(inst, dict) and inst.get("instance") is not None:
                current[str(inst["instance"])] = inst
        for key, inst in current.items():
            if inst.get("alive") and inst.get("status") not in (
                RunStatus.STOPPING,
                RunStatus.STOPPED,
            ):
                if key not in self._expected:
                    lost = [k for k in self._expected if not self._alive(current.get(k))]
                    if lost:  # a new instance takes the place of one lost
                        self._expected.discard(min(lost))
                    self._expected.add(key)
            elif inst.get("status") in (RunStatus.STOPPING, RunStatus.STOPPED):
                self._expected.discard(key)  # a clean stop is not a loss
        self._instances = current

    @staticmethod
    def _alive(inst: dict | None) -> bool:
        return bool(inst and inst.get("alive") and inst.get("status") != RunStatus.FAILED)

    # -- evaluation ----------------------------------------------------------------

    def evaluate(self, now: float | None = None, wall_ms: int | None = None) -> list[Transition]:
        """The transitions since the last call, in rule order."""
        now = time.monotonic() if now is None else now
        wall_ms = int(time.time() * 1000) if wall_ms is None else wall_ms
        out = []
        for state in self._states.values():
            holds, value, node = self._condition(state.rule, now)
            transition = self._step(state, holds, value, node, now, wall_ms)
            if transition is not None:
                out.append(transition)
        self.history += out
        return out

    def firing(self) -> list[Transition]:
        """The last firing transition of each rule firing now."""
        return [
            s.transitions[-1]
            for s in self._states.values()
            if s.state in ("firing", "resolving") and s.transitions
        ]

    def current(self, name: str) -> tuple[str, Any]:
        """(state, latest value) of a rule: for the app and tests."""
        state = self._states[name]
        return state.state, state.value

    def _step(
        self, s: _RuleState, holds: bool | None, value, node, now: float, wall_ms: int
    ) -> Transition | None:
        if holds is None:  # nothing known yet: no change
            return None
        s.value = value
        for_s = s.rule.for_ms / 1000
        if holds:
            s.node = node if node is not None else s.node
        if s.state == "ok" and holds:
            s.state, s.since = "pending", now
        elif s.state == "pending" and not holds:
            s.state = "ok"
        elif s.state == "firing" and not holds:
            s.state, s.since = "resolving", now
        elif s.state == "resolving" and holds:
            s.state = "firing"
        if s.state == "pending" and now - s.since >= for_s:
            s.state = "firing"
            notify = s.last_notified is None or now - s.last_notified >= NOTIFY_EVERY_S
            if notify:
                s.last_notified = now
            s.notified_firing = notify
            return self._transition(s, FIRING, wall_ms, value, notify)
        if s.state == "resolving" and now - s.since >= for_s:
            s.state = "ok"
            transition = self._transition(s, RESOLVED, wall_ms, value, s.notified_firing)
            s.node = None
            return transition
        return None

    def _transition(
        self, s: _RuleState, state: str, wall_ms: int, value, notify: bool
    ) -> Transition:
        rule = s.rule
        t = Transition(
            rule.name, state, wall_ms, _plain(value), rule.node or s.node, describe(rule), notify
        )
        s.transitions.append(t)
        return t

    def _condition(self, rule: AlertRule, now: float) -> tuple[bool | None, Any, str | None]:
        """(holds, value, node): holds None while there is nothing to judge."""
        when = rule.when
        if when in ("group_status", "lag_records", "lag_seconds"):
            return self._lag_condition(rule)
        if when in ("errors_per_minute", "late_per_minute"):
            per_minute = self._per_minute("errors" if when == "errors_per_minute" else "late")
            if per_minute is None:
                return None, None, None
            if rule.node is not None:
                if rule.node not in per_minute:
                    return None, None, None
                value, node = per_minute[rule.node], rule.node
            elif per_minute:
                node = max(per_minute, key=lambda n: per_minute[n])
                value = per_minute[node]
            else:
                return None, None, None
            return value > rule.limit, value, node
        if when == "rate_below":
            if self._snapshot_at is None:
                return None, None, None
            stale = now - self._snapshot_at > self.stale_after_s
            rates = self._rates.get(rule.node) if rule.node is not None else None
            rate = 0.0 if stale else float((rates or {}).get("in", 0.0))
            return rate < rule.limit, round(rate, 2), rule.node
        if when == "instance_lost":
            if not self._has_fleet:
                return None, None, None
            lost = sorted(k for k in self._expected if not self._alive(self._instances.get(k)))
            return bool(lost), len(lost), None
        return None, None, None

    def _lag_condition(self, rule: AlertRule):
        if self._partitions is None:
            return None, None, None
        topic = self.topics.get(rule.node) if rule.node else None
        parts = [
            p
            for p in self.tracker.partitions("g")
            if (p.topic, p.partition) in self._partitions and (topic is None or p.topic == topic)
        ]
        if not parts:
            return (False, OK if rule.when == "group_status" else 0, rule.node)
        if rule.when == "group_status":
            rank = {OK: 0, WARN: 1}
            worst = max(parts, key=lambda p: rank.get(p.status, 2))
            return worst.status != OK, worst.status, rule.node or self._node_of(worst.topic)
        if rule.when == "lag_records":
            total = sum(p.lag for p in parts)
            worst = max(parts, key=lambda p: p.lag)
            return total > rule.limit, total, rule.node or self._node_of(worst.topic)
        worst = max(parts, key=lambda p: p.seconds_behind)
        seconds = worst.seconds_behind
        return seconds > rule.limit, seconds, rule.node or self._node_of(worst.topic)

    def _node_of(self, topic: str) -> str | None:
        for node_id, t in self.topics.items():
            if t == topic:
                return node_id
        return None

    def _per_minute(self, key: str) -> dict[str, float] | None:
        if len(self._counts) < 2:
            return None
        (t0, first), (t1, last) = self._counts[0], self._counts[-1]
        span = t1 - t0
        if span <= 0:
            return None
        return {
            n: round(max(0, c[key] - first.get(n, {}).get(key, 0)) * 60.0 / max(span, 1.0), 1)
            for n, c in last.items()
        }


def _plain(value):
    """JSON-safe: an infinite seconds-behind (nothing moves) is null."""
    if isinstance(value, float):
        return round(value, 2) if math.isfinite(value) else None
    return value
