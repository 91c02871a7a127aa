"""Keeping background work off the interface's CPU.

The desktop app runs pipelines in a worker process and may run the sandbox broker
beside it. At full speed they would take every cycle of a small machine, and the
interface would wait its turn (measured on 2 cores: event-loop lateness and chart
updates twice as slow). ``yield_to_interface()``, called in such a process before it
starts threads (they inherit both settings), gives it the lowest priority and keeps it
off the first CPU the process may use, so the interface always has a core of its own.
On a single-core machine only the priority applies.
"""

from __future__ import annotations

import os


def yield_to_interface() -> None:
    try:
        os.nice(19)
    except (AttributeError, OSError):
        pass
    try:
        cpus = sorted(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return
    if len(cpus) >= 2:
        try:
            os.sched_setaffinity(0, cpus[1:])
        except OSError:
            pass
