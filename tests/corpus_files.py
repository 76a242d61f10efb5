"""Writing a test's documents: a text file at any depth of a corpus folder.

Leaves out whole corpora (tests/conftest.py's `corpus`, ragkit.testing's ChangingCorpus)
and files of other formats (tests/pdfs.py draws PDFs)."""

from __future__ import annotations

from pathlib import Path


def write_file(path: Path, text: str) -> Path:
    """`text` as UTF-8 at `path`, its folders made as needed; `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
