"""Instance slots: which of an application's instances on this machine a run is, so its
transactional id is the same from one run to the next (as Kafka Streams keeps its
process id in the state directory).

A restarted instance that uses its predecessor's transactional id fences it when it
starts: the broker aborts the predecessor's open transaction at once, instead of
letting it block read_committed readers of the output until the transaction times out.
The first free slot is claimed with a lock file under the state directory, held until
the run ends (the operating system releases it when a process dies, so a killed run's
slot is free for its successor). Instances of one application on different machines
must be given distinct slots (``RunConfig.instance_slot``, or the environment variable
TOPOLOGY_STUDIO_INSTANCE_SLOT), or they fence each other."""

from __future__ import annotations

import os

from engine.runtime.state import default_state_dir

ENV_SLOT = "TOPOLOGY_STUDIO_INSTANCE_SLOT"
MAX_SLOTS = 64


class InstanceSlot:
    def __init__(self, number: int, handle=None):
        self.number = number
        self._handle = handle

    def release(self) -> None:
        if self._handle is not None:
            self._handle.close()  # closing the file drops its lock
            self._handle = None


def claim_slot(
    application_id: str, state_dir: str | None = None, slot: int | None = None
) -> InstanceSlot:
    """``slot`` when given (or set in the environment), else the first one no other run of
    ``application_id`` on this machine holds."""
    if slot is None and os.environ.get(ENV_SLOT, "").strip():
        slot = int(os.environ[ENV_SLOT])
    if slot is not None:
        return InstanceSlot(slot)
    try:
        import fcntl
    except ImportError:  # no advisory locks (Windows): one instance per machine
        return InstanceSlot(0)
    folder = os.path.join(state_dir or default_state_dir(), application_id.replace(os.sep, "_"))
    os.makedirs(folder, exist_ok=True)
    for number in range(MAX_SLOTS):
        handle = open(os.path.join(folder, f"instance-{number}.lock"), "a+")  # noqa: SIM115
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            continue
        return InstanceSlot(number, handle)
    raise RuntimeError(f"more than {MAX_SLOTS} instances of '{application_id}' on this machine")


def transactional_id(application_id: str, slot: int) -> str:
    return f"{application_id}-{slot}"
