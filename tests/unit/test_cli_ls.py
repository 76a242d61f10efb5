"""`ragkit ls`: at a terminal a header line names the columns; piped, every line is one
document (count, name) as before, so `wc -l` and awk keep working; `--json` for scripts.
The terminal case runs the command on a real pseudo-terminal."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from ceilings import HANG_S
from processes import child_env, run_ragkit

from ragkit import HashingEmbedder, KnowledgeBase, Models


@pytest.fixture
def home(tmp_path: Path) -> Path:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "kettle.md").write_text("# Kettle\n\nThe Ember kettle warranty is 18 months.\n")
    (docs / "tea.txt").write_text("Green tea is steeped at 80 degrees for two minutes.\n")
    with KnowledgeBase.open(
        tmp_path / "indexes" / "docs", models=Models(embedder=HashingEmbedder())
    ) as kb:
        kb.add([docs])
    return tmp_path / "indexes"


def _on_a_terminal(args: list[str], env: dict[str, str]) -> str:
    """What `python -m ragkit ARGS` writes to a pseudo-terminal as its stdout."""
    leader, follower = os.openpty()
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "ragkit", *args],
            stdout=follower,
            stderr=subprocess.PIPE,
            env=env,
            timeout=HANG_S,
        )
        os.close(follower)
        follower = -1
        chunks = []
        while True:
            try:
                data = os.read(leader, 65536)
            except OSError:  # EIO: the terminal's other end is closed and drained
                break
            if not data:
                break
            chunks.append(data)
    finally:
        os.close(leader)
        if follower >= 0:
            os.close(follower)
    assert proc.returncode == 0, proc.stderr
    return b"".join(chunks).decode().replace("\r\n", "\n")


def test_a_terminal_gets_a_header_line(home: Path) -> None:
    env = child_env(RAGKIT_INDEX__HOME=str(home), COLUMNS="200")
    lines = _on_a_terminal(["ls", "--index", "docs"], env).strip("\n").splitlines()
    assert lines[0].split() == ["CHUNKS", "DOCUMENT"], lines
    assert len(lines) == 3 and all(line.split()[0].isdigit() for line in lines[1:]), lines
    assert lines[1].endswith("kettle.md") and lines[2].endswith("tea.txt"), lines


def test_piped_each_line_is_one_document_and_json_is_for_scripts(home: Path) -> None:
    env = child_env(RAGKIT_INDEX__HOME=str(home))
    piped = run_ragkit(["ls", "--index", "docs"], env=env)
    assert piped.returncode == 0, piped.stderr
    rows = [line.split(maxsplit=1) for line in piped.stdout.splitlines()]
    assert [Path(name).name for _, name in rows] == ["kettle.md", "tea.txt"], piped.stdout
    assert all(count.isdigit() for count, _ in rows), piped.stdout
    listed = run_ragkit(["ls", "--index", "docs", "--json"], env=env)
    assert listed.returncode == 0, listed.stderr
    data = json.loads(listed.stdout)
    assert [Path(d["document"]).name for d in data] == ["kettle.md", "tea.txt"]
    assert [d["chunks"] for d in data] == [int(count) for count, _ in rows]
