"""Following an application's published run state from a background thread.

``QtFleetWatcher.watch(bootstrap, config, app_id)`` reads the application's metrics
topic (``engine.cluster.fleet_reader.FleetReader``) once a second in a daemon thread and hands
what it found to the GUI thread through queued signals: ``updated`` with the fleet's
summary (plus per-instance rates) and ``eventsArrived`` with sentences about instances
joining, leaving or going silent. ``stop()`` returns at once; the thread ends within a
poll.
"""

from __future__ import annotations

import threading
import time

from PySide6.QtCore import QObject, Qt, Signal, Slot

from engine.cluster.admin import ConnectionProblem
from engine.cluster.fleet_reader import FleetReader

POLL_S = 1.0


class QtFleetWatcher(QObject):
    updated = Signal(dict)  # Fleet.summary() + "instance_rates" + "hashes" + "now_ms"
    eventsArrived = Signal(list)  # sentences
    problem = Signal(str)

    _found = Signal(int, object, object, object)  # serial, summary, events, problem

    def __init__(self, parent=None, *, poll_s: float = POLL_S):
        super().__init__(parent)
        self.poll_s = poll_s
        self.application_id = ""
        self.polls = 0  # rounds read so far (tests check that a stopped watcher stops)
        self._serial = 0
        self._stop: threading.Event | None = None
        self._thread: threading.Thread | None = None
        self._found.connect(self._on_found, Qt.ConnectionType.QueuedConnection)

    def watching(self) -> bool:
        return self._stop is not None and not self._stop.is_set()

    def watch(self, bootstrap: str, client_config: dict, application_id: str) -> None:
        self.stop()
        self._serial += 1
        self.application_id = application_id
        stop = self._stop = threading.Event()
        serial = self._serial
        self._thread = threading.Thread(
            target=self._loop,
            args=(serial, stop, bootstrap, dict(client_config), application_id),
            name="fleet-watcher",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        if self._stop is not None:
            self._stop.set()
        self._serial += 1

    def join(self, timeout: float = 5.0) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(
        self, serial: int, stop: threading.Event, bootstrap: str, config: dict, app_id: str
    ) -> None:
        reader = FleetReader(bootstrap, app_id, config)
        try:
            first = True
            while not stop.is_set():
                started = time.monotonic()
                try:
                    events = reader.catch_up() if first else reader.poll(0.2)
                    first = False
                    problem = None
                except ConnectionProblem as exc:
                    events, problem = [], str(exc)
                except Exception as exc:  # noqa: BLE001 - a watcher never takes the app down
                    events, problem = [], f"{type(exc).__name__}: {exc}"
                if stop.is_set():
                    break
                fleet = reader.fleet
                now = time.time() * 1000
                summary = fleet.summary(now)
                summary["instance_rates"] = {i.instance: i.rates for i in fleet.instances.values()}
                summary["hashes"] = fleet.topology_hashes(now)
                summary["found"] = reader.found
                summary["now_ms"] = now
                try:
                    self._found.emit(serial, summary, [e.sentence() for e in events], problem)
                except RuntimeError:
                    break  # the watcher's Qt side was deleted (its window closed): nobody to tell
                stop.wait(max(0.05, self.poll_s - (time.monotonic() - started)))
        finally:
            reader.close()

    @Slot(int, object, object, object)
    def _on_found(self, serial: int, summary, events, problem) -> None:
        if serial != self._serial:
            return  # a watch that was stopped or replaced
        self.polls += 1
        if problem:
            self.problem.emit(problem)
        if events:
            self.eventsArrived.emit(list(events))
        self.updated.emit(summary)
