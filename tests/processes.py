"""Running the ragkit CLI in a child process, as the tests do: this checkout importable,
output captured as UTF-8 text, a hang cut off after HANG_S.

Leaves out what a test checks in the result (exit status, one-line errors, no traceback)
and long-running children (servers, killed writers), which the tests start with Popen
and stop themselves."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from ceilings import HANG_S

ROOT = Path(__file__).resolve().parent.parent


def child_env(**extra: str) -> dict[str, str]:
    """This process's environment without RAGKIT_* settings (a user's settings must not
    change what the CLI does), with this checkout on PYTHONPATH, then `extra` on top."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAGKIT_")}
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


def run_ragkit(
    args: Sequence[str],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    stdin: str | None = None,
    errors: str = "strict",
    launcher: Sequence[str] = ("-m", "ragkit"),
    timeout: float = HANG_S,
) -> subprocess.CompletedProcess[str]:
    """`python -m ragkit ARGS` run to its end; a non-zero exit is returned, not raised.
    `launcher` replaces `-m ragkit` where a script runs the CLI its own way (`-c CODE`)."""
    return subprocess.run(
        [sys.executable, *launcher, *args],
        cwd=cwd,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors=errors,
        timeout=timeout,
        check=False,
    )
