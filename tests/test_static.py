"""The code stays typed and formatted: mypy (strict) and ruff run as part of the suite."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CODE = [d for d in ("ragkit", "tests", "samples", "bench", "apps") if (ROOT / d).is_dir()]
pytestmark = pytest.mark.slow(reason="runs mypy --strict and ruff over the whole tree")


def _tool(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent))
    if found is None:
        pytest.fail(f"{name} is not installed; install the test extra: pip install -e '.[test]'")
    return found


def test_mypy_strict_is_clean() -> None:
    # No timeout of its own: a cold strict run is slow on a loaded machine, and
    # pytest-timeout's per-test limit still catches a hang.
    done = subprocess.run([_tool("mypy")], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_ruff_lint_and_format_are_clean() -> None:
    lint = subprocess.run(
        [_tool("ruff"), "check", *CODE],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr
    fmt = subprocess.run(
        [_tool("ruff"), "format", "--check", *CODE],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr


def test_no_pickle_in_the_package() -> None:
    offenders = [
        str(p.relative_to(ROOT))
        for p in (ROOT / "ragkit").rglob("*.py")
        if "import pickle" in p.read_text(encoding="utf-8")
        or "allow_pickle=True" in p.read_text(encoding="utf-8")
    ]
    assert offenders == []
