"""How many CPU cores this process may use, and how many of them are idle now.

Leaves out cgroup CPU quotas (a container limited to a share of the machine's cores
counts them all) and per-core load: the 1-minute load average is the one measure every
Unix keeps, and it is read only where the OS offers it.
"""

from __future__ import annotations

import math
import os


def usable_cores() -> int:
    """CPU cores this process may run on (its affinity, where the OS tells it)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def load_average() -> float | None:
    """The 1-minute load average (runnable tasks), or None where there is none."""
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):  # Windows has no load average
        return None


def idle_cores(cores: int, load: float | None) -> int:
    """The `cores` that the 1-minute `load` average leaves idle, a core busy only part of
    the time counted as idle, at least one; all of them when the load is unknown."""
    if load is None:
        return cores
    return max(1, min(cores, math.ceil(cores - load)))
