"""The README and docs/ read as written: balanced code fences (an unclosed one turns the
rest of a page into code) and relative links that point at files in the repository."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_code_fences_are_closed(page: Path) -> None:
    fences = [
        line for line in page.read_text(encoding="utf-8").splitlines() if line.startswith("```")
    ]
    assert len(fences) % 2 == 0, f"{page.name} has an unclosed code fence"


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_relative_links_resolve(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
        if "://" in target:
            continue
        assert (page.parent / target).exists(), f"{page.name} links to missing {target}"


def test_readme_is_a_first_page() -> None:
    # What a newcomer needs first; the rest lives in docs/.
    assert len((ROOT / "README.md").read_text(encoding="utf-8").splitlines()) <= 120
