"""The data preview: the latest records that passed each node, as plain data."""

from __future__ import annotations

from collections import deque
from typing import Any

from engine.runtime.serde import DECODERS, ENCODERS, TOO_LARGE_TO_SHOW, too_large_to_show

_json = ENCODERS["json"]
_unjson = DECODERS["json"]


class Samples:
    """``tap(node_id)`` is the compiler's tap: an executor appending to a ring per node."""

    def __init__(self, size: int):
        self.size = size
        self._rings: dict[str, deque] = {}

    def tap(self, node_id: str):
        ring = self._rings[node_id] = deque(maxlen=self.size)
        return ring.append

    def of(self, node_id: str) -> list[dict]:
        """The latest records that passed ``node_id`` (oldest first), as plain data."""
        out = []
        for record in list(self._rings.get(node_id, ())):
            origin = record.origin
            out.append(
                {
                    "key": plain(record.key),
                    "value": plain(record.value),
                    "timestamp": record.timestamp,
                    "partition": record.partition,
                    "topic": origin.topic() if origin is not None else None,
                    "offset": origin.offset() if origin is not None else None,
                }
            )
        return out


def plain(value: Any) -> Any:
    """A value safe to pickle and show: JSON types as they are, anything else as text."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if too_large_to_show(value):
        return TOO_LARGE_TO_SHOW
    try:
        return _unjson(_json(value))
    except Exception:  # noqa: BLE001
        return str(value)


def preview(data: bytes | None, limit: int = 2000) -> str | None:
    if data is None:
        return None
    text = data[:limit].decode("utf-8", errors="replace")
    return text + ("…" if len(data) > limit else "")
