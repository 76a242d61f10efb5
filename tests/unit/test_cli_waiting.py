"""What `ragkit ask` shows before its answer starts: at a terminal a spinner line on
stderr says what it is doing (loading the model, searching, writing) and is gone once
the answer starts; piped, nothing but the answer is written."""

from __future__ import annotations

import io
import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

from ceilings import HANG_S
from processes import child_env, run_ragkit

from ragkit.apps.cli.common import SafeConsole
from ragkit.apps.cli.kb import _Waiting


def test_the_waiting_line_is_drawn_at_a_terminal_only() -> None:
    for terminal in (True, False):
        out = io.StringIO()
        console = SafeConsole(file=out, force_terminal=terminal, width=80)
        with _Waiting(console) as waiting:
            waiting.say("Searching the documents…")
        assert ("Searching the documents…" in out.getvalue()) is terminal, out.getvalue()


def _in_a_terminal(args: list[str], cwd: Path) -> tuple[int, str]:
    """`python -m ragkit ARGS` with stdout and stderr on one pseudo-terminal."""
    main, child = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "ragkit", *args],
        stdin=child,
        stdout=child,
        stderr=child,
        cwd=cwd,
        env=child_env(HF_HUB_OFFLINE="1", COLUMNS="100"),
        close_fds=True,
    )
    os.close(child)
    shown = b""
    deadline = time.monotonic() + HANG_S
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([main], [], [], 0.2)
            if ready:
                try:
                    data = os.read(main, 65536)
                except OSError:  # the child closed the terminal
                    break
                if not data:
                    break
                shown += data
            elif proc.poll() is not None:
                break
        return proc.wait(HANG_S), shown.decode("utf-8", "replace")
    finally:
        proc.kill()
        os.close(main)


def test_ask_says_what_it_is_doing_until_the_answer_starts(tmp_path: Path) -> None:
    (tmp_path / "kettle.txt").write_text("The Ember kettle has a warranty of 18 months.\n")
    env = child_env(HF_HUB_OFFLINE="1")
    assert run_ragkit(["index", "kettle.txt"], cwd=tmp_path, env=env).returncode == 0
    question = ["ask", "How long is the Ember kettle's warranty?", "--mode", "extractive"]
    code, shown = _in_a_terminal(question, tmp_path)
    assert code == 0, shown
    # The line came before the answer and was cleared before it was written.
    searching = shown.index("Searching the documents…")
    answer = shown.index("The Ember kettle has a warranty of 18 months [1].")
    assert searching < answer and "\x1b[2K" in shown[searching:answer], shown
    piped = run_ragkit(question, cwd=tmp_path, env=env)
    assert piped.returncode == 0 and piped.stderr == "", piped.stderr
    assert piped.stdout.startswith("The Ember kettle has a warranty of 18 months [1]."), (
        piped.stdout
    )
