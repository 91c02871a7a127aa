"""The data preview: the latest records sampled at each node, as plain data.

The compiler asks ``ring(node_id)`` for where a node's samples go and ``sampler()`` for
each countdown that picks them (``engine.runtime.operators.chain.Sampler``: one per fused
chain and per other node's output). Chains stay fused with the preview on; only every Nth
record is sampled, N set per batch by ``pace`` so that each batch leaves about ``size``
samples per node (the first record of each batch is always sampled): a run reading a few
records at a time shows every one, a busy run pays for a sample per hundred records or so.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from engine.runtime.operators.chain import Sampler
from engine.runtime.serde import DECODERS, ENCODERS, TOO_LARGE_TO_SHOW, too_large_to_show

_json = ENCODERS["json"]
_unjson = DECODERS["json"]


class Samples:
    """A ring of the latest ``size`` samples per node, and the countdowns that fill them."""

    def __init__(self, size: int):
        self.size = size
        self._rings: dict[str, deque] = {}
        self._samplers: list[Sampler] = []

    def ring(self, node_id: str):
        ring = self._rings.get(node_id)
        if ring is None:
            ring = self._rings[node_id] = deque(maxlen=self.size)
        return ring.append

    def sampler(self) -> Sampler:
        sampler = Sampler()
        self._samplers.append(sampler)
        return sampler

    def pace(self, batch: int) -> None:
        """Before a batch of ``batch`` records: sample its first record at every node, then
        one in ``batch // size``."""
        every = max(1, batch // self.size) if self.size > 0 else 1
        for sampler in self._samplers:
            sampler.every = every
            sampler.left = 1

    def of(self, node_id: str) -> list[dict]:
        """The latest records that passed ``node_id`` (oldest first), as plain data."""
        out = []
        for record in list(self._rings.get(node_id, ())):
            origin = record.origin
            sample = {
                "key": plain(record.key),
                "value": plain(record.value),
                "timestamp": record.timestamp,
                "partition": record.partition,
                "topic": origin.topic() if origin is not None else None,
                "offset": origin.offset() if origin is not None else None,
            }
            sid = wire_schema_id(origin.value()) if origin is not None else None
            if sid is not None:  # read in a schema format: the preview names its schema
                sample["schema_id"] = sid
            out.append(sample)
        return out


def wire_schema_id(data: Any) -> int | None:
    """The schema id of a value in the schema registry's wire format (a zero byte, then
    the id in 4 bytes, big-endian), else None."""
    if isinstance(data, bytes) and len(data) >= 5 and data[0] == 0:
        return int.from_bytes(data[1:5], "big")
    return None


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
