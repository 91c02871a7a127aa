"""State stores of stateful operators: one store per node and input partition.

A store maps str keys to JSON-serialisable values. Two kinds, chosen by the topology
setting ``state_store``:

- ``memory`` (default): a dict, rebuilt from the changelog topic on every start;
- ``rocksdb``: on disk under ``<state_dir>/<application_id>/<node_id>/<partition>``,
  values JSON-encoded, ``items()`` in key order.

``ChangeloggingStore`` wraps either and reports every put and delete to a ``log``
function (the runtime's producer to ``<app>-<node>-changelog``, same partition);
``restore`` applies changelog entries to a store without logging them again. The
changelog's record key is the store key in UTF-8 and its value the JSON value, a
tombstone (None) for a delete: ``encode_entry``/``decode_entry``.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator
from typing import Any

_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
_loads = json.loads

STORE_KINDS = ("memory", "rocksdb")
# Where on-disk state and instance slots go when the topology sets no ``state_dir``: a deployed
# instance names its own volume here (topology-studio deploy).
ENV_STATE_DIR = "TOPOLOGY_STUDIO_STATE_DIR"


def default_state_dir() -> str:
    """$TOPOLOGY_STUDIO_STATE_DIR, else the system's temporary folder's ``topology-studio``."""
    return os.environ.get(ENV_STATE_DIR, "").strip() or os.path.join(
        tempfile.gettempdir(), "topology-studio"
    )


class MemoryStore:
    """The default store: a dict, rebuilt from the changelog topic on restart."""

    def __init__(self) -> None:
        self._data: dict[str, Any] = {}
        if type(self) is MemoryStore:  # the dict's own methods: no Python call per record
            # (subclasses, e.g. traced stores, keep theirs); same signatures as the methods below
            self.get = self._data.get  # type: ignore[method-assign,assignment]
            self.put = self._data.__setitem__  # type: ignore[method-assign,assignment]

    def get(self, key: str, default: Any = None) -> Any:
        return self._data.get(key, default)

    def put(self, key: str, value: Any) -> None:
        self._data[key] = value

    def delete(self, key: str) -> None:
        self._data.pop(key, None)

    def items(self) -> Iterator[tuple[str, Any]]:
        return iter(list(self._data.items()))

    def __len__(self) -> int:
        return len(self._data)

    def clear(self) -> None:
        self._data.clear()

    def close(self) -> None:
        pass


class RocksDBStore:
    """A store on disk (RocksDB through rocksdict); keys in UTF-8, values as JSON."""

    def __init__(self, path: str) -> None:
        from rocksdict import Options, Rdict  # imported here: memory-only runs never load it

        os.makedirs(path, exist_ok=True)
        self.path = path
        self._db = Rdict(path, Options(raw_mode=True))

    def get(self, key: str, default: Any = None) -> Any:
        raw = self._db.get(key.encode("utf-8"))
        return default if raw is None else _loads(raw)

    def put(self, key: str, value: Any) -> None:
        self._db[key.encode("utf-8")] = _dumps(value).encode("utf-8")

    def delete(self, key: str) -> None:
        del self._db[key.encode("utf-8")]

    def items(self) -> Iterator[tuple[str, Any]]:
        for raw_key, raw_value in self._db.items():
            # raw_mode: keys are bytes (rocksdict's stubs type the key of every mode)
            yield raw_key.decode("utf-8"), _loads(raw_value)  # type: ignore[union-attr]

    def __len__(self) -> int:
        return sum(1 for _ in self._db.keys())  # noqa: SIM118 - an Rdict, not a dict

    def clear(self) -> None:
        """Empties the store (before a full restore from the changelog)."""
        for raw_key in list(self._db.keys()):
            del self._db[raw_key]

    def close(self) -> None:
        self._db.close()

    def destroy(self) -> None:
        """Closes the store and deletes its files."""
        self._db.close()
        shutil.rmtree(self.path, ignore_errors=True)


def store_path(state_dir: str | None, app_id: str, node_id: str, partition: int) -> str:
    return os.path.join(state_dir or default_state_dir(), app_id, node_id, str(partition))


def make_store(kind: str, state_dir: str | None, app_id: str, node_id: str, partition: int):
    """A new store of ``kind`` (the ``state_store`` setting) for one node and partition."""
    if kind in (None, "memory"):
        return MemoryStore()
    if kind == "rocksdb":
        return RocksDBStore(store_path(state_dir, app_id, node_id, partition))
    raise ValueError(f"state_store must be one of {', '.join(STORE_KINDS)}, not {kind!r}")


class ChangeloggingStore:
    """A store that reports each change to ``log(key, value)``, ``value`` None for a delete.

    ``put(key, None)`` is a delete: None is the changelog's tombstone, so it cannot be a value.
    """

    __slots__ = ("_put", "closed", "get", "inner", "log")

    def __init__(self, inner, log: Callable[[str, Any], None]) -> None:
        self.inner = inner
        self.log = log
        self.closed = False
        self.get = inner.get  # get(key, default=None): reads go straight to the inner store
        self._put = inner.put

    def put(self, key: str, value: Any) -> None:
        if value is None:
            self.delete(key)
            return
        self._put(key, value)
        self.log(key, value)

    def delete(self, key: str) -> None:
        self.inner.delete(key)
        self.log(key, None)

    def items(self) -> Iterator[tuple[str, Any]]:
        return self.inner.items()

    def __len__(self) -> int:
        return len(self.inner)

    def clear(self) -> None:
        self.inner.clear()

    def close(self) -> None:
        self.closed = True
        self.inner.close()


def writers(store) -> tuple[Callable[[str, Any], None], Callable[[str, Any], None] | None]:
    """``(put, log)`` that write a value (never None) to ``store`` as ``store.put`` does:
    ``put(key, value)``, then ``log(key, value)`` when log is not None. For a
    ``ChangeloggingStore`` over a memory store they are two C calls (its dict's and its
    changes' ``__setitem__``), for any other store its own ``put`` and no log."""
    if type(store) is ChangeloggingStore:
        return store._put, store.log
    return store.put, None


def restore(store, entries: Iterable[tuple[str, Any]]) -> int:
    """Applies changelog entries ``(key, value or None)`` in order, without logging them;
    returns how many were applied."""
    target = store.inner if isinstance(store, ChangeloggingStore) else store
    n = 0
    for key, value in entries:
        if value is None:
            target.delete(key)
        else:
            target.put(key, value)
        n += 1
    return n


def encode_entry(key: str, value: Any) -> tuple[bytes, bytes | None]:
    """A store change as a changelog record's key and value bytes."""
    return key.encode("utf-8"), None if value is None else _dumps(value).encode("utf-8")


def decode_entry(key: bytes, value: bytes | None) -> tuple[str, Any]:
    """A changelog record's key and value bytes as a store change."""
    return key.decode("utf-8"), None if value is None else _loads(value)
