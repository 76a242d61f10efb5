"""Running the ragkit CLI in process, as the CLI unit tests do: `typer`'s CliRunner on the
app, with a home of its own (indexes under the test's folder, the hashing embedder in place
of the configured model; tests/conftest.py already runs every test in an empty folder with
no RAGKIT_ setting from the caller's environment).

Leaves out child processes (tests/processes.py runs `python -m ragkit` for tests that need
a real process) and what a test checks in the result beyond "no traceback"."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

import ragkit.wiring
from ragkit import HashingEmbedder
from ragkit.apps.cli import app


def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Indexes under `tmp_path/indexes` (returned), and the hashing embedder for
    documents and queries alike."""
    monkeypatch.setenv("RAGKIT_INDEX__HOME", str(tmp_path / "indexes"))
    monkeypatch.setattr(ragkit.wiring, "embedder", lambda settings: HashingEmbedder())
    monkeypatch.setattr(ragkit.wiring, "query_embedder", lambda settings: HashingEmbedder())
    return tmp_path / "indexes"


def run(*args: str) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of `ragkit ARGS`; fails the test on a traceback."""
    result = CliRunner().invoke(app, list(args))
    # A traceback would surface as an exception other than the clean exit.
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr
