"""Windows of windowed aggregations: which windows a record belongs to, and when they close.

The rules are Kafka Streams' (``TimeWindows``, ``SessionWindows``):

- Tumbling and hopping windows are aligned to the epoch and half-open, ``[start, end)``.
  A record belongs to every window that contains its timestamp: one for tumbling, up to
  ``size / advance`` for hopping. As in Kafka Streams no window starts before 0.
- A session starts at its first record's timestamp (``window_start``) and ends at its last
  (``window_end``), both inclusive. A record at most ``gap`` from a session
  (``start - gap <= ts <= end + gap``, as Kafka Streams' ``findSessions(ts - gap, ts + gap)``)
  merges into it; a record within the gap of two sessions bridges them into one.
- Stream time is the largest timestamp seen, per partition of the state store.
- A time window closes when ``stream time >= window_end + grace``: since ``window_end`` is
  exclusive, its last possible record is ``window_end - 1``, so with grace 0 the first
  record past the window closes it.
- A session closes when ``stream time >= window_end + gap + grace`` (``emit: final`` emits
  it then, as ``suppress(untilWindowCloses)``). A record for a session is late only when
  the session it would end up in ends before ``stream time - gap - grace``; so a session
  stays reachable, and kept, until ``stream time > window_end + 2 * gap + grace``.
- A sliding window (Kafka Streams' ``SlidingWindows``) is ``[start, start + size]``, both
  ends included, and exists where records make it (``operators/sliding.py``). It takes
  records while ``window_end >= stream time - grace``, so it closes when stream time
  passes ``window_end + grace``; its store keeps it for ``2 * size + grace``.
- A late record is dropped and counted.

``grace`` defaults to 0 when absent, as in ``TimeWindows.ofSizeWithNoGrace`` (Kafka Streams'
deprecated ``TimeWindows.of`` defaulted to 24 hours, which holds every window open for a
day; a designer tool should not surprise its user with that).
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.model.durations import parse_duration

NO_TIME = -(2**63)  # stream time before the first record


@dataclass(frozen=True)
class WindowSpec:
    """The window param of an aggregate node, in milliseconds."""

    kind: str = "none"  # none · tumbling · hopping · session · sliding
    size: int = 0
    advance: int = 0
    gap: int = 0
    grace: int = 0

    @classmethod
    def from_param(cls, param: dict | None) -> WindowSpec:
        if not param or param.get("type", "none") == "none":
            return cls()
        kind = param["type"]
        grace = parse_duration(param["grace"]) if param.get("grace") is not None else 0
        if kind == "tumbling":
            size = parse_duration(param["size"])
            return cls(kind, size=size, advance=size, grace=grace)
        if kind == "hopping":
            return cls(
                kind,
                size=parse_duration(param["size"]),
                advance=parse_duration(param["advance"]),
                grace=grace,
            )
        if kind == "session":
            return cls(kind, gap=parse_duration(param["gap"]), grace=grace)
        if kind == "sliding":
            return cls(kind, size=parse_duration(param["size"]), grace=grace)
        raise ValueError(f"unknown window type {kind!r}")

    @property
    def windowed(self) -> bool:
        return self.kind != "none"

    # -- tumbling and hopping ------------------------------------------------------

    def windows_for(self, timestamp: int) -> list[tuple[int, int]]:
        """The ``(start, end)`` of every time window containing ``timestamp``, oldest first."""
        size, advance = self.size, self.advance
        if size == advance:  # tumbling
            start = timestamp - timestamp % size
            return [(start, start + size)]
        first = timestamp - size + advance
        if timestamp >= 0 and first < 0:
            first = 0
        first -= first % advance
        return [(start, start + size) for start in range(first, timestamp + 1, advance)]

    # -- closing -------------------------------------------------------------------

    def close_time(self, window_end: int) -> int:
        """The stream time at which the window ending at ``window_end`` is closed."""
        if self.kind == "session":
            return window_end + self.gap + self.grace
        if self.kind == "sliding":  # window_end is included: open while end >= st - grace
            return window_end + self.grace + 1
        return window_end + self.grace

    @property
    def retention(self) -> int:
        """How long a sliding window stays in the store after its start, measured on the
        latest window start written (Kafka Streams' default for SlidingWindows)."""
        return 2 * self.size + self.grace

    def is_closed(self, window_end: int, stream_time: int) -> bool:
        return stream_time >= self.close_time(window_end)

    # -- sessions ------------------------------------------------------------------

    def session_touches(self, start: int, end: int, timestamp: int) -> bool:
        """Whether a record at ``timestamp`` is at most ``gap`` from a session."""
        return start - self.gap <= timestamp <= end + self.gap

    def session_is_late(self, merged_end: int, stream_time: int) -> bool:
        """Whether a record whose session would end at ``merged_end`` is late."""
        return merged_end < stream_time - self.gap - self.grace

    def session_expiry(self, window_end: int) -> int:
        """Stream time from which no record that is not late can reach the session: such a
        record has ``ts >= stream time - gap - grace`` and reaches it only when
        ``ts <= window_end + gap``."""
        return window_end + 2 * self.gap + self.grace + 1
