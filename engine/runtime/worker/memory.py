"""The memory limit of a run's process (setting ``worker_memory_limit``, in MB).

A topology from a stranger is bounded per record by its expressions' budget, but state
(windows, join buffers, tables) grows with the input. The run's process gets an address
space limit (``RLIMIT_AS``), so the worst case is a failed run with a reason, never a
machine pushed into swap or the out-of-memory killer. The app itself is never limited:
the limit is set inside the worker process, or in ``topology-studio run`` after it has
started the sandbox broker (a child would inherit it).
"""

from __future__ import annotations

from typing import Any

DEFAULT_MB = 4096  # librdkafka's threads and glibc's arenas reserve ~1 GB of address space
MIN_MB = 512


def limit_mb(settings: Any) -> int:
    value = settings.get("worker_memory_limit") if isinstance(settings, dict) else None
    if value is None or isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return DEFAULT_MB
    return value if value == 0 else max(value, MIN_MB)


def apply_memory_limit(settings: Any) -> int:
    """Limit this process's address space as the settings say; the limit in MB (0: none)."""
    mb = limit_mb(settings)
    if mb == 0:
        return 0
    try:
        import resource
    except ImportError:  # not on this platform
        return 0
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    wanted = mb * 1024 * 1024
    if hard != resource.RLIM_INFINITY:
        wanted = min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        return soft // (1024 * 1024)  # already tighter
    try:
        resource.setrlimit(resource.RLIMIT_AS, (wanted, hard))
    except (ValueError, OSError):
        return 0
    return wanted // (1024 * 1024)


def out_of_memory_reason(mb: int) -> str:
    limit = (
        f"its memory limit ({mb:,} MB, setting worker_memory_limit)"
        if mb
        else "the memory available"
    )
    return (
        f"the run needed more memory than {limit}: a node keeps too much state or builds "
        "very large values. Raise the setting, shorten windows, or filter the input earlier"
    )
