"""The garbage collector while a run's loop goes.

A run makes and drops a few container objects per record (messages, decoded values,
outputs), nearly all freed by their reference counts at once. With Python's default (a
young collection every 700 new containers) the collector mostly traverses the batch of
messages being processed, moves the survivors to older generations and traverses them
there again, with every store entry. ``collecting_less()`` raises the young generation's
threshold for the loop, so a batch is gone before a collection finds it. Cycles are still
collected, a few tens of thousands of containers later; nothing is frozen out of the
collector's sight (``gc.freeze``: in a process whose runs overlap, or one that never
ends, garbage frozen with the rest would never be collected). Runs in threads of one
process share one setting: the first run in sets it, the last one out puts the
process's own back.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

YOUNG = 50_000  # new containers between young collections while a run's loop goes


class _Setting:
    """The process's own setting while runs go, and how many do."""

    lock = threading.Lock()
    runs = 0
    saved: tuple[int, ...] = ()


@contextmanager
def collecting_less() -> Iterator[None]:
    with _Setting.lock:
        if _Setting.runs == 0:
            _Setting.saved = gc.get_threshold()
            young, *older = _Setting.saved
            if young != 0:  # 0: collection switched off by the process; left so
                gc.set_threshold(max(YOUNG, young), *older)
        _Setting.runs += 1
    try:
        yield
    finally:
        with _Setting.lock:
            _Setting.runs -= 1
            if _Setting.runs == 0:
                young, *older = _Setting.saved
                if young != 0 and gc.get_threshold()[0] == max(YOUNG, young):
                    gc.set_threshold(young, *older)  # unless the process changed it meanwhile
