"""Synthetic e-commerce events for the demo: orders and clicks.

A generator writes JSON records (or Avro, Protobuf, JSON Schema: its node's value_format) to its topic at a steady rate (0 = as fast as
possible), optionally a fixed number of them and from a fixed seed, so a demo run
is repeatable. The generator_source node reads them back like any topic.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from typing import Any

from engine.runtime.serde import ENCODERS

CATEGORIES = ("books", "electronics", "fashion", "home", "toys", "sports", "beauty", "grocery")
PRICES = {
    "books": (6, 40),
    "electronics": (25, 900),
    "fashion": (12, 180),
    "home": (8, 350),
    "toys": (5, 90),
    "sports": (10, 260),
    "beauty": (4, 70),
    "grocery": (1, 30),
}
STATUSES = ("paid", "paid", "paid", "paid", "pending", "cancelled")
ACTIONS = (
    "view",
    "view",
    "view",
    "view",
    "search",
    "add_to_cart",
    "add_to_cart",
    "wishlist",
    "purchase",
)
PAGES = ("home", "search", "category", "product", "cart", "checkout")


class EventFactory:
    """Builds one profile's events from a seeded random source."""

    def __init__(self, profile: str, seed: int | None = None, customers: int = 200):
        self.profile = profile
        self.random = random.Random(seed)
        self.customers = customers
        self.count = 0
        self._sessions: dict[str, tuple[str, int]] = {}

    def next(self, now_ms: int) -> tuple[str, dict]:
        self.count += 1
        return self._order(now_ms) if self.profile == "orders" else self._click(now_ms)

    def _order(self, now_ms: int) -> tuple[str, dict]:
        r = self.random
        customer = f"c-{r.randrange(self.customers):04d}"
        category = r.choice(CATEGORIES)
        low, high = PRICES[category]
        items: list[dict[str, Any]] = []
        for _ in range(r.choice((1, 1, 1, 2, 2, 3))):
            items.append(
                {
                    "product": f"{category}-{r.randrange(1, 40):02d}",
                    "quantity": r.choice((1, 1, 1, 2, 3)),
                    "price": round(r.uniform(low, high), 2),
                }
            )
        amount = round(sum(i["price"] * i["quantity"] for i in items), 2)
        value = {
            "order_id": f"o-{self.count:07d}",
            "customer_id": customer,
            "category": category,
            "items": items,
            "amount": amount,
            "currency": "EUR",
            "status": r.choice(STATUSES),
            "created_at": now_ms,
        }
        return customer, value

    def _click(self, now_ms: int) -> tuple[str, dict]:
        r = self.random
        user = f"c-{r.randrange(self.customers):04d}"
        session, _started = self._sessions.get(user, ("", 0))
        if not session or r.random() < 0.05:
            session = f"s-{self.count:07d}"
            self._sessions[user] = (session, now_ms)
        category = r.choice(CATEGORIES)
        action = r.choice(ACTIONS)
        value = {
            "user_id": user,
            "session_id": session,
            "page": r.choice(PAGES),
            "action": action,
            "category": category,
            "product": f"{category}-{r.randrange(1, 40):02d}",
            "ts": now_ms,
        }
        return user, value


class Generator(threading.Thread):
    """Writes a profile's events to ``topic`` through ``produce(topic, key, value, ts)``."""

    def __init__(
        self,
        topic: str,
        produce: Callable,
        profile: str = "orders",
        rate: float = 50,
        seed: int | None = None,
        limit: int | None = None,
        poll: Callable | None = None,
        encode_value: Callable[[Any], bytes | None] | None = None,
    ):
        """``encode_value``: how values are written (JSON when None; a schema format's
        encoder from the run's ``ctx.schemas``)."""
        super().__init__(name=f"generator-{topic}", daemon=True)
        self.topic, self.produce, self.poll = topic, produce, poll
        self.encode_value = encode_value or ENCODERS["json"]
        self.factory = EventFactory(profile, seed)
        self.rate = float(rate or 0)
        self.limit = limit
        self.sent = 0
        self._stop_event = threading.Event()
        self._paused = threading.Event()

    def stop(self) -> None:
        self._stop_event.set()

    def run(self) -> None:
        encode_key, encode_value = ENCODERS["string"], self.encode_value
        start = time.monotonic()
        while not self._stop_event.is_set():
            if self.limit is not None and self.sent >= self.limit:
                break
            if self.rate > 0:
                due = start + self.sent / self.rate
                delay = due - time.monotonic()
                if delay > 0:
                    if self._stop_event.wait(min(delay, 0.5)):
                        break
                    continue
                batch = max(1, min(500, int((time.monotonic() - due) * self.rate) + 1))
            else:
                batch = 500
            if self.limit is not None:
                batch = min(batch, self.limit - self.sent)
            now_ms = int(time.time() * 1000)
            for _ in range(batch):
                key, value = self.factory.next(now_ms)
                self.produce(self.topic, encode_key(key), encode_value(value), now_ms)
            self.sent += batch
            if self.poll is not None:
                self.poll()
