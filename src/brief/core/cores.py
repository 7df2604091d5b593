"""How many cores this process may run on: the one answer for every pool of worker processes."""

from __future__ import annotations

import os


def usable_cores() -> int:
    """Return the number of cores this process may run on (its CPU affinity where known)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1
