"""The two tiers of the suite stay honest: every test marked slow says why.

The quick tier is `pytest -m "not slow"` (fakes, seconds); the full tier is plain
`pytest`, which CI runs (docs/development.md). Leaves out deciding what is slow: that is
the author's call, written down in the marker's reason."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def _slow_marks(tree: ast.AST) -> list[tuple[int, ast.AST]]:
    """(line, node) of every `...mark.slow` use, called or bare."""
    called = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    found: list[tuple[int, ast.AST]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _is_slow(node.func):
            found.append((node.lineno, node))
        elif _is_slow(node) and id(node) not in called:
            found.append((node.lineno, node))
    return found


def _is_slow(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and node.attr == "slow"
        and isinstance(node.value, ast.Attribute)
        and node.value.attr == "mark"
    )


def _has_reason(node: ast.AST) -> bool:
    if not isinstance(node, ast.Call):
        return False
    for kw in node.keywords:
        if kw.arg == "reason" and isinstance(kw.value, ast.Constant):
            return bool(str(kw.value.value).strip())
    return False


def test_every_slow_test_says_why_it_is_slow() -> None:
    offenders = []
    for path in sorted(TESTS.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for line, node in _slow_marks(tree):
            if not _has_reason(node):
                offenders.append(f"{path.relative_to(TESTS.parent)}:{line}")
    assert offenders == [], (
        'mark these pytest.mark.slow(reason="why it is slow: real model, subprocesses, ..."): '
        + ", ".join(offenders)
    )


def test_the_slow_marker_is_declared_with_its_reason() -> None:
    pyproject = (TESTS.parent / "pyproject.toml").read_text(encoding="utf-8")
    assert '"slow(reason): ' in pyproject
