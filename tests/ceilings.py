"""How long a test waits for something before calling it a hang.

Tests wait on events and states, never on the clock: a wait ends as soon as what it waits
for happens, so its ceiling costs nothing on a quiet machine. The ceiling only turns a hang
into a failure that names what never happened. It is generous because the suite must pass
on a 2-core machine whose load average is 15-20 (every step then takes ~20 times longer
than on a quiet one), and it stays below pytest-timeout's per-test limit (pyproject.toml)
so that a test's own message, not a stack dump, reports the hang.

Leaves out: timing assertions. Speed is measured in bench/, as ratios."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

HANG_S = 600.0
"""Ceiling of one wait (a page to load, a server to start, a job to finish, a lock)."""


def wait_until(check: Callable[[], T], what: str, ceiling: float = HANG_S) -> T:
    """Poll `check` until it returns something truthy and return that; fail naming `what`
    after `ceiling` seconds."""
    deadline = time.monotonic() + ceiling
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {ceiling:.0f} s waiting for {what}")
        time.sleep(0.02)
