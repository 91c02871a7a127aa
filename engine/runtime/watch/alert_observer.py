"""Alerts of a headless run (``run``, an exported script): a ``RunObserver`` that evaluates
the topology's rules about once a second, logs each transition, POSTs it to the webhook,
keeps it for ``--metrics-out`` and tells listeners (the run-state publisher).

The run's thread only hands over its snapshot (``on_tick`` returns at once); evaluating,
posting and reading the group's lag happen on the observer's own threads. The group's
lag is read from the cluster (committed offsets and high watermarks, as the app's lag
view does) when a rule needs it: a run that is stuck cannot report its own lag, and a
consumer that stops is exactly what those rules are for. Without a cluster address the
snapshot's offsets are used.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from engine.model.alerts import rules_of
from engine.runtime.kafka.observers import RunObserver
from engine.runtime.watch.alerts import RATE_WINDOW_S, AlertEvaluator, Transition
from engine.runtime.watch.webhook import WebhookSender

if TYPE_CHECKING:  # made on first use: a run without lag or fleet rules never loads them
    from engine.cluster.admin import ClusterClient
    from engine.cluster.fleet_reader import FleetReader

EVALUATE_EVERY_S = 1.0
LAG_EVERY_S = 2.0
FLEET_EVERY_S = 2.0


class AlertObserver(RunObserver):
    def __init__(
        self,
        topology,
        *,
        application_id: str | None = None,
        log: Callable[[str], None] | None = None,
        webhook_url: str | None = None,
        bootstrap: str | None = None,
        client_config: dict | None = None,
        lag_source: Callable[[], dict] | None = None,
        fleet_source: Callable[[], list[dict]] | None = None,
        interval_s: float = EVALUATE_EVERY_S,
        lag_interval_s: float = LAG_EVERY_S,
        lag_window: int = 10,
        rate_window_s: float = RATE_WINDOW_S,
    ):
        settings = topology.settings if isinstance(topology.settings, dict) else {}
        self.application_id = application_id or topology.name
        self.evaluator = AlertEvaluator(
            topology, rules=rules_of(settings), lag_window=lag_window, rate_window_s=rate_window_s
        )
        self.log = log or (lambda _text: None)
        url = webhook_url if webhook_url is not None else settings.get("alert_webhook")
        self.webhook = WebhookSender(url, log=self.log) if url else None
        self.interval_s = interval_s
        self.lag_interval_s = lag_interval_s
        self.listeners: list[Callable[[dict], None]] = []  # each transition as a webhook event
        # (the cluster's lag and fleet sources are made only when bootstrap is given)
        self._bootstrap, self._client_config = bootstrap or "", dict(client_config or {})
        self._client: ClusterClient | None = None
        if lag_source is None and bootstrap and self.evaluator.needs_lag:
            lag_source = self._cluster_lag
        self.lag_source = lag_source
        self._fleet: FleetReader | None = None
        if fleet_source is None and bootstrap and self.evaluator.needs_fleet:
            fleet_source = self._cluster_fleet
        self.fleet_source = fleet_source
        self._lock = threading.Lock()
        self._latest: tuple[float, dict] | None = None
        self._fed: dict | None = None
        self._transitions: list[Transition] = []
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    @property
    def active(self) -> bool:
        return bool(self.evaluator.rules)

    # -- the run's side: returns at once --------------------------------------------

    def on_start(self, run: Any) -> None:
        if not self.active or self._threads:
            return
        self.application_id = getattr(run, "application_id", None) or self.application_id
        self._start_thread(self._evaluate_loop, "alerts")
        if self.lag_source is not None:
            self._start_thread(self._lag_loop, "alerts-lag", self.lag_source)
        if self.fleet_source is not None and self.evaluator.needs_fleet:
            self._start_thread(self._fleet_loop, "alerts-fleet", self.fleet_source)

    def on_tick(self, snapshot: dict) -> None:
        self._latest = (time.monotonic(), snapshot)

    def on_stop(self, snapshot: dict) -> None:
        self._latest = (time.monotonic(), snapshot)
        self._stop.set()

    # -- what callers read ------------------------------------------------------------

    def alerts(self) -> list[dict]:
        """Every transition so far, in order, as ``--metrics-out``'s ``alerts``."""
        with self._lock:
            return [t.as_dict() for t in self._transitions]

    def events(self) -> list[dict]:
        """Every transition so far, in order, as the webhook's JSON."""
        with self._lock:
            return [t.as_event(self.application_id) for t in self._transitions]

    def firing(self) -> list[dict]:
        """The rules firing now, as the webhook's JSON of their firing."""
        with self._lock:
            return [t.as_event(self.application_id) for t in self.evaluator.firing()]

    def close(self, timeout: float = 10.0) -> None:
        """Stop evaluating, then wait up to ``timeout`` for the webhook to post what is queued
        (call it after the run returned, not from the run's thread)."""
        self._stop.set()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.1, min(3.0, deadline - time.monotonic())))
        if self.webhook is not None:
            self.webhook.close(max(0.1, deadline - time.monotonic()))
        for resource in (self._client, self._fleet):
            if resource is not None:
                resource.close()
        self._client = self._fleet = None

    # -- the observer's threads -------------------------------------------------------

    def _start_thread(self, target: Callable[..., None], name: str, *args: Any) -> None:
        thread = threading.Thread(target=target, name=name, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _evaluate_loop(self) -> None:
        while True:
            stopping = self._stop.wait(self.interval_s)
            self.evaluate_now()
            if stopping:
                return

    def evaluate_now(self, now: float | None = None) -> list[Transition]:
        with self._lock:
            latest = self._latest
            if latest is not None and latest[1] is not self._fed:
                self._fed = latest[1]
                self.evaluator.observe_snapshot(latest[1], latest[0], lag=self.lag_source is None)
            transitions = self.evaluator.evaluate(now)
            self._transitions += transitions
        for t in transitions:
            self._tell(t)
        return transitions

    def _tell(self, t: Transition) -> None:
        where = f" at node {t.node}" if t.node else ""
        self.log(f"alert {t.state}: {t.rule}{where}, value {_show(t.value)} ({t.description})")
        event = t.as_event(self.application_id)
        if t.notify and self.webhook is not None:
            self.webhook.send(event)
        for listener in list(self.listeners):
            try:
                listener(event)
            except Exception as exc:  # noqa: BLE001 - a listener never stops alerting
                self.listeners.remove(listener)
                self.log(f"warning: an alert listener stopped after {type(exc).__name__}: {exc}")

    def _lag_loop(self, lag_source: Callable[[], dict]) -> None:
        while not self._stop.is_set():
            try:
                offsets = lag_source()
            except Exception:  # noqa: BLE001 - the cluster away: lag is simply not known now
                offsets = None
            if offsets is not None:
                with self._lock:
                    self.evaluator.observe_lag(offsets)
            self._stop.wait(self.lag_interval_s)

    def _fleet_loop(self, fleet_source: Callable[[], list[dict]]) -> None:
        while not self._stop.is_set():
            try:
                instances = fleet_source()
            except Exception:  # noqa: BLE001 - as for lag
                instances = None
            if instances is not None:
                with self._lock:
                    self.evaluator.observe_instances(instances)
            self._stop.wait(FLEET_EVERY_S)

    def _cluster_lag(self) -> dict:
        from engine.cluster.admin import ClusterClient

        if self._client is None:
            self._client = ClusterClient(self._bootstrap, self._client_config)
        return self._client.group_lag(self.application_id)

    def _cluster_fleet(self) -> list[dict]:
        from engine.cluster.fleet_reader import FleetReader

        if self._fleet is None:
            self._fleet = FleetReader(self._bootstrap, self.application_id, self._client_config)
        self._fleet.poll()
        now_ms = time.time() * 1000
        return [inst.as_dict(now_ms) for inst in self._fleet.fleet.instances.values()]


def _show(value) -> str:
    if value is None:
        return "∞"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def alerts_of(observers: list) -> AlertObserver | None:
    """The run's alert observer among ``RunConfig.observers`` (for the run-state publisher)."""
    for observer in observers:
        if isinstance(observer, AlertObserver):
            return observer
    return None
