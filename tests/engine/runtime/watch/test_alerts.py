"""Alert rules: their validation (engine.model.alerts) and their evaluation
(engine.runtime.watch.alerts), on hand-made snapshots with an explicit clock."""

from __future__ import annotations

import pytest

from engine.code.export import export_script
from engine.code.importer import import_script
from engine.model.alerts import default_rules, describe, rules_of
from engine.model.topology import Edge, Node, Topology
from engine.model.validation import errors, validate
from engine.runtime.watch.alerts import NOTIFY_EVERY_S, AlertEvaluator


def topology(alerts=None, **settings) -> Topology:
    t = Topology("shop", {"alerts": alerts, **settings} if alerts is not None else dict(settings))
    t.add_node(Node("orders", "kafka_source", {"topic": "orders"}))
    t.add_node(Node("paid", "filter", {"expr": "value['ok']"}))
    t.add_node(Node("counts", "aggregate", {"aggregations": [{"name": "n", "fn": "count"}]}))
    t.add_node(Node("out", "kafka_sink", {"topic": "out"}))
    for a, b in (("orders", "paid"), ("paid", "counts"), ("counts", "out")):
        t.add_edge(Edge(a, b))
    return t


def alert_problems(alerts, **settings) -> list[str]:
    return [p.message for p in errors(validate(topology(alerts, **settings)))]


# -- validation -------------------------------------------------------------------------


def test_good_rules_and_the_defaults_are_valid():
    rules = [
        {"name": "stuck", "when": "group_status", "for": "10s"},
        {"name": "orders stuck", "when": "group_status", "node": "orders"},
        {"name": "behind", "when": "lag_records", "above": 1000, "for": "1m"},
        {"name": "slow", "when": "lag_seconds", "node": "orders", "above": 30},
        {"name": "failing", "when": "errors_per_minute", "node": "paid", "above": 0},
        {"name": "late", "when": "late_per_minute", "node": "counts", "above": 5.5},
        {"name": "quiet", "when": "rate_below", "node": "orders", "below": 1, "for": "2m"},
        {"name": "lost", "when": "instance_lost"},
    ]
    assert alert_problems(rules, alert_webhook="https://hooks.example.com/x") == []
    assert alert_problems(default_rules()) == []
    assert [r.name for r in rules_of({"alerts": rules})] == [r["name"] for r in rules]
    assert rules_of({"alerts": rules})[0].for_ms == 10_000
    assert rules_of({"alerts": rules})[1].for_ms == 30_000  # the default


@pytest.mark.parametrize(
    "rule, expected",
    [
        (
            {"name": "x", "when": "errors_per_minute", "node": "nope", "above": 1},
            "alert rule 'x': node 'nope' is not a node of this topology",
        ),
        (
            {"name": "x", "when": "lag_records", "above": -5},
            "alert rule 'x': 'above' must not be negative (-5)",
        ),
        (
            {"name": "x", "when": "rate_below", "node": "orders", "below": -0.5},
            "alert rule 'x': 'below' must not be negative (-0.5)",
        ),
        (
            {"name": "x", "when": "lag_hours", "above": 1},
            (
                "alert rule 'x': unknown 'when' 'lag_hours'; it is one of group_status, lag_records, "
                "lag_seconds, errors_per_minute, late_per_minute, rate_below, instance_lost"
            ),
        ),
        (
            {"name": "x", "when": "group_status", "for": "soon"},
            (
                "alert rule 'x': 'for': 'soon' is not a duration; write a number and a unit, e.g. 500ms, "
                "10s, 1m, 1h, 1d"
            ),
        ),
        (
            {"name": "x", "when": "rate_below", "below": 1},
            "alert rule 'x': rate_below needs the node it watches",
        ),
        (
            {"name": "x", "when": "lag_records"},
            "alert rule 'x': lag_records needs 'above': the threshold",
        ),
        (
            {"name": "x", "when": "lag_records", "below": 3},
            "alert rule 'x': lag_records fires above a threshold; use 'above', not 'below'",
        ),
        (
            {"name": "x", "when": "group_status", "above": 3},
            "alert rule 'x': group_status takes no threshold ('above')",
        ),
        (
            {"name": "x", "when": "lag_records", "above": "many"},
            "alert rule 'x': 'above' must be a number, not 'many'",
        ),
        (
            {"name": "x", "when": "late_per_minute", "node": "paid", "above": 1},
            "alert rule 'x': late_per_minute watches aggregate or join nodes, and 'paid' is a filter",
        ),
        (
            {"name": "x", "when": "instance_lost", "node": "orders"},
            "alert rule 'x': instance_lost is about the whole application and takes no node",
        ),
        ({"when": "group_status"}, "alert rule 1: has no name"),
        (
            {"name": "x", "when": "group_status", "severity": "high"},
            "alert rule 'x': unknown key 'severity'; a rule takes name, when, node, above, below, for",
        ),
        (
            "lag",
            (
                "alert rule 1: must be an object with 'name', 'when' and, as the rule needs, 'node', "
                "'above' or 'below', and 'for'"
            ),
        ),
    ],
)
def test_bad_rules_are_errors_with_a_sentence(rule, expected):
    assert alert_problems([rule]) == [expected]


def test_rule_names_are_unique_and_alerts_is_a_list():
    twice = [{"name": "x", "when": "group_status"}, {"name": "x", "when": "instance_lost"}]
    assert alert_problems(twice) == ["alert rule 'x': two rules are named 'x'"]
    assert alert_problems({"name": "x"}) == ["setting 'alerts' must be a list of rules"]


def test_a_bad_webhook_is_an_error():
    assert alert_problems([], alert_webhook="ftp://example.com") == [
        "setting 'alert_webhook' must be an http:// or https:// address, not 'ftp://example.com'"
    ]
    assert alert_problems([], alert_webhook="http://127.0.0.1:8080/hook") == []


def test_problems_point_at_the_setting():
    problems = validate(topology([{"name": "x", "when": "nope"}], alert_webhook="x"))
    assert {p.param for p in problems if p.node_id is None} == {"alerts", "alert_webhook"}


def test_exported_scripts_keep_the_rules():
    t = topology(
        default_rules()
        + [{"name": "quiet", "when": "rate_below", "node": "orders", "below": 0.5, "for": "1m"}],
        alert_webhook="http://127.0.0.1:9/hook",
    )
    back = import_script(export_script(t))
    assert not errors(validate(back))
    assert back.settings["alerts"] == t.settings["alerts"]
    assert back.settings["alert_webhook"] == "http://127.0.0.1:9/hook"


def test_describe_says_the_rule_in_words():
    assert (
        describe({"name": "x", "when": "lag_records", "node": "orders", "above": 1000})
        == "lag (records) of orders above 1000 for 30s"
    )
    assert (
        describe({"name": "x", "when": "rate_below", "node": "orders", "below": 2, "for": "1m"})
        == "records/s in of orders below 2 for 1m"
    )


# -- evaluation ---------------------------------------------------------------------------


class Clock:
    """Feeds an evaluator snapshots one second apart."""

    def __init__(self, rules):
        self.t = topology(rules)
        self.ev = AlertEvaluator(self.t, lag_window=4)
        self.now = 100.0
        self.counts = {n: {"in": 0, "out": 0, "errors": 0, "late": 0} for n in self.t.nodes}
        self.rates = {n: {"in": 10.0, "out": 10.0} for n in self.t.nodes}
        self.offsets = {"orders": {"0": (0, 0)}}

    def tick(self, seconds: int = 1, **changes):
        out = []
        for _ in range(seconds):
            self.now += 1
            for node, delta in changes.items():
                for key, n in delta.items():
                    self.counts[node][key] += n
            snapshot = {
                "nodes": {n: dict(c) for n, c in self.counts.items()},
                "rates": self.rates,
                "offsets": self.offsets,
                "elapsed_s": self.now - 100.0,
                "status": "running",
            }
            self.ev.observe_snapshot(snapshot, self.now)
            out += [
                (t.rule, t.state, t.value, t.node)
                for t in self.ev.evaluate(self.now, int(self.now * 1000))
            ]
        return out


def test_errors_fire_after_holding_for_their_duration_and_resolve_after_as_long():
    c = Clock(
        [{"name": "failing", "when": "errors_per_minute", "node": "paid", "above": 30, "for": "3s"}]
    )
    assert c.tick(2) == []
    assert c.tick(2, paid={"errors": 2}) == []  # 120/min, held 1 s
    assert c.tick(1, paid={"errors": 2}) == []  # held 2 s
    fired = c.tick(1, paid={"errors": 2})  # held 3 s
    assert [(r, s, n) for r, s, _v, n in fired] == [("failing", "firing", "paid")]
    assert fired[0][2] > 30
    assert c.ev.firing()[0].node == "paid"
    # No more errors: the per-minute figure falls below 30 once the window has passed,
    # then the rule resolves 3 s later.
    transitions = c.tick(20)
    assert [(r, s) for r, s, _v, _n in transitions] == [("failing", "resolved")]
    assert c.ev.firing() == []


def test_a_short_blip_never_fires():
    # One error counts for the 10 s window of per-minute figures: less than the 15 s asked.
    c = Clock([{"name": "failing", "when": "errors_per_minute", "above": 0, "for": "15s"}])
    assert c.tick(1, paid={"errors": 1}) == []
    assert c.tick(20) == []
    assert c.ev.current("failing")[0] == "ok"


def test_rate_below_fires_for_a_quiet_source_and_when_the_run_stops_reporting():
    c = Clock([{"name": "quiet", "when": "rate_below", "node": "orders", "below": 1, "for": "2s"}])
    assert c.tick(3) == []
    c.rates = {**c.rates, "orders": {"in": 0.0, "out": 0.0}}
    assert c.tick(2) == []  # held for 1 s
    assert c.tick(1) == [("quiet", "firing", 0.0, "orders")]  # held for 2 s
    c.rates = {**c.rates, "orders": {"in": 5.0, "out": 5.0}}
    assert c.tick(2) == []
    assert c.tick(1) == [("quiet", "resolved", 5.0, "orders")]
    # The run goes silent (stuck): its last rates are not believed past STALE_AFTER_S.
    assert c.ev.evaluate(c.now + 5, 0) == []
    assert [t.state for t in c.ev.evaluate(c.now + 6, 0)] == []  # pending...
    assert [t.state for t in c.ev.evaluate(c.now + 8.5, 0)] == ["firing"]


def test_group_status_and_lag_from_offsets():
    c = Clock(
        [
            {"name": "stuck", "when": "group_status", "for": "2s"},
            {"name": "behind", "when": "lag_records", "node": "orders", "above": 50, "for": "1s"},
        ]
    )
    c.offsets = {"orders": {"0": (100, 100)}}
    assert c.tick(3) == []
    # The consumer stops: its committed offset stays while records arrive.
    for high in (130, 160, 190, 220, 250, 280):
        c.offsets = {"orders": {"0": (100, high)}}
        c.tick(1)
    assert c.ev.current("stuck")[0] == "firing"
    assert c.ev.current("stuck")[1] == "STALL"
    assert [(t.rule, t.state, t.value) for t in c.ev.history] == [
        ("behind", "firing", 90),
        ("stuck", "firing", "STALL"),
    ]
    c.offsets = {"orders": {"0": (280, 280)}}  # caught up
    resolved = c.tick(3)
    assert sorted((r, s) for r, s, _v, _n in resolved) == [
        ("behind", "resolved"),
        ("stuck", "resolved"),
    ]


def test_instance_lost_from_the_fleet():
    ev = AlertEvaluator(topology([{"name": "lost", "when": "instance_lost", "for": "1s"}]))
    assert ev.evaluate(0, 0) == []  # no fleet data: nothing judged
    a = {"instance": "a", "status": "running", "alive": True}
    b = {"instance": "b", "status": "running", "alive": True}
    ev.observe_instances([a, b])
    assert ev.evaluate(1, 1) == [] and ev.evaluate(2, 2) == []
    ev.observe_instances([a, {**b, "alive": False}])  # b went silent
    ev.evaluate(3, 3)
    assert [(t.state, t.value) for t in ev.evaluate(4, 4)] == [("firing", 1)]
    ev.observe_instances(
        [a, {**b, "alive": False}, {"instance": "c", "status": "running", "alive": True}]
    )  # c replaces it
    ev.evaluate(5, 5)
    assert [(t.state, t.value) for t in ev.evaluate(6, 6)] == [("resolved", 0)]
    # An instance that stops cleanly is not lost.
    ev.observe_instances(
        [
            {**a, "status": "stopped", "alive": False},
            {**b, "alive": False},
            {"instance": "c", "status": "running", "alive": True},
        ]
    )
    assert ev.evaluate(7, 7) == [] and ev.evaluate(9, 9) == []


def test_notifications_at_most_once_per_rule_per_minute():
    c = Clock([{"name": "quiet", "when": "rate_below", "node": "orders", "below": 1, "for": "1s"}])
    states = []
    for _ in range(3):  # flapping: quiet 2 s, busy 2 s
        c.rates = {**c.rates, "orders": {"in": 0.0, "out": 0.0}}
        c.tick(2)
        c.rates = {**c.rates, "orders": {"in": 9.0, "out": 9.0}}
        c.tick(2)
    states = [(t.state, t.notify) for t in c.ev.history]
    assert states == [
        ("firing", True),
        ("resolved", True),
        ("firing", False),
        ("resolved", False),
        ("firing", False),
        ("resolved", False),
    ]
    c.now += NOTIFY_EVERY_S
    c.rates = {**c.rates, "orders": {"in": 0.0, "out": 0.0}}
    c.tick(2)
    assert (c.ev.history[-1].state, c.ev.history[-1].notify) == ("firing", True)
