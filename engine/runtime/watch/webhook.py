"""POSTing alert transitions to ``settings.alert_webhook`` (reference §14), never blocking.

``send()`` only queues; one daemon thread posts each event as JSON with a timeout and
a few retries (backing off), in order. A webhook that is down loses events after the
retries, never the run's time."""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Callable

TIMEOUT_S = 5.0
RETRIES = 3  # after the first attempt
BACKOFF_S = (0.5, 1.0, 2.0)
MAX_QUEUED = 1000


class WebhookSender:
    def __init__(
        self,
        url: str,
        *,
        timeout_s: float = TIMEOUT_S,
        retries: int = RETRIES,
        backoff_s: tuple[float, ...] = BACKOFF_S,
        log: Callable[[str], None] | None = None,
    ):
        self.url = url
        self.timeout_s = timeout_s
        self.retries = retries
        self.backoff_s = backoff_s
        self.log = log or (lambda _text: None)
        self.sent = 0
        self.failed = 0
        self._queue: queue.Queue = queue.Queue(MAX_QUEUED)
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def send(self, event: dict) -> None:
        """Queue ``event`` for posting; returns at once (drops it when the queue is full)."""
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._work, name="alert-webhook", daemon=True
                )
                self._thread.start()
        try:
            self._queue.put_nowait(event)
        except queue.Full:
            self.failed += 1

    def close(self, timeout: float = 10.0) -> None:
        """Wait up to ``timeout`` for queued events to be posted (call it off the run's thread)."""
        if self._thread is None:
            return
        self._queue.put(None)
        self._thread.join(timeout)

    def _work(self) -> None:
        while True:
            event = self._queue.get()
            if event is None:
                return
            self._post(event)

    def _post(self, event: dict) -> bool:
        import urllib.error  # here: a run without webhooks never loads http and email
        import urllib.request

        body = json.dumps(event).encode("utf-8")
        problem = ""
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self.backoff_s[min(attempt - 1, len(self.backoff_s) - 1)])
            request = urllib.request.Request(
                self.url,
                data=body,
                method="POST",
                headers={"Content-Type": "application/json", "User-Agent": "topology-studio"},
            )
            try:
                with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                    response.read()
                self.sent += 1
                return True
            except urllib.error.HTTPError as exc:
                problem = f"HTTP {exc.code}"
                if 400 <= exc.code < 500 and exc.code not in (408, 429):
                    break  # the request itself is refused: retrying will not help
            except (urllib.error.URLError, OSError, ValueError) as exc:
                problem = str(getattr(exc, "reason", exc))
        self.failed += 1
        self.log(
            f"alert webhook {self.url}: could not post '{event.get('rule')}' "
            f"{event.get('state')} ({problem})"
        )
        return False
