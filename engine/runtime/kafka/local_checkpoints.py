"""Local state checkpoints: a re-run restores only what changed since the last run.

Kafka Streams keeps a ``.checkpoint`` file beside each persistent store naming the changelog
offsets the store holds, so that a restart reads only the changelog past them. The app's runs
do the same for every store kind, memory stores included: at a clean stop (the final commit
acknowledged) each store's contents go to a file of their own with the changelog offset of the
store's last checkpoint record (``checkpoints``: its delivery report gives the offset) and
that checkpoint's input offsets.

When the partition is assigned again the restore reads the changelog from that record: if it
is still the same checkpoint, the store starts from the file and only the records after it are
read; otherwise (the changelog was written again, the broker restarted empty, the file belongs
to another cluster) the whole changelog is read, as without a file. Past the checkpoint record
everything goes on as for a full restore (``checkpoints.split``), so the state is the same either
way. A file is removed when it is read: a run that is killed leaves none, and its next start
reads the whole changelog, as Kafka Streams does after an unclean shutdown under at-least-once.

The files live in ``<state_dir>/<application id>/<node>/<partition>.checkpoint`` (the setting
``state_dir``, else ``default_state_dir()``), written whole to a temporary file, then renamed.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import orjson

from engine.runtime.state import default_state_dir

VERSION = 1
SUFFIX = ".checkpoint"


@dataclass
class LocalCheckpoint:
    """One store's file: what it held at the changelog record ``offset`` (a checkpoint naming
    the input ``offsets``)."""

    offset: int
    offsets: dict[str, int]
    items: list[tuple[str, Any]]


class LocalCheckpoints:
    """The checkpoint files of one application; ``cluster()`` names the cluster (its id and
    bootstrap servers: known once the run has reached it), and a file of another is not used."""

    def __init__(self, state_dir: str | None, application_id: str, cluster: Callable[[], str]):
        self.root = os.path.join(state_dir or default_state_dir(), application_id)
        self.cluster = cluster

    @classmethod
    def of_run(
        cls, config, guarantee: str, state_dir: str | None, application_id: str, topics
    ) -> LocalCheckpoints | None:
        """A run's (its ``RunConfig.local_checkpoints``), or None: not asked for, or under
        exactly_once, where each changelog ends with a transaction marker."""
        if not config.local_checkpoints or guarantee == "exactly_once":
            return None
        return cls(state_dir, application_id, lambda: f"{topics.cluster_id}@{config.bootstrap}")

    def path(self, node_id: str, partition: int) -> str:
        return os.path.join(self.root, node_id, f"{partition}{SUFFIX}")

    def save(
        self,
        node_id: str,
        partition: int,
        offset: int,
        offsets: dict[str, int],
        items: Iterable[tuple[str, Any]],
    ) -> bool:
        """Writes one store's file; False (and nothing left behind) when it cannot be written
        or a value is not JSON: the next run then reads the whole changelog, as before."""
        path = self.path(node_id, partition)
        temporary = f"{path}.tmp"
        try:
            data = orjson.dumps(
                {
                    "version": VERSION,
                    "cluster": self.cluster(),
                    "offset": offset,
                    "offsets": offsets,
                    "items": list(items),
                }
            )
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(temporary, "wb") as f:
                f.write(data)
            os.replace(temporary, path)
        except (OSError, TypeError, ValueError):
            _remove(temporary)
            return False
        return True

    def take(self, node_id: str, partition: int) -> LocalCheckpoint | None:
        """The store's file, removed as it is read; None when there is none or it is not one
        of this cluster's (damaged, of another version)."""
        path = self.path(node_id, partition)
        try:
            with open(path, "rb") as f:
                raw = f.read()
        except OSError:
            return None
        _remove(path)
        try:
            data = orjson.loads(raw)
            if data.get("version") != VERSION or data.get("cluster") != self.cluster():
                return None
            offsets = {str(t): int(o) for t, o in data["offsets"].items()}
            items = [(str(k), v) for k, v in data["items"]]
            return LocalCheckpoint(int(data["offset"]), offsets, items)
        except (orjson.JSONDecodeError, AttributeError, KeyError, TypeError, ValueError):
            return None

    def forget(self, node_id: str, partition: int) -> None:
        _remove(self.path(node_id, partition))


def _remove(path: str) -> None:
    try:
        os.remove(path)
    except OSError:
        pass
