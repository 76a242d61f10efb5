"""The sha256 of a source file: what identifies a document's content across runs (the
index's unchanged-file check, the OCR cache's key).

Low in the package so that loaders and the index share one definition. Leaves out the
index's own data-file checksums (index/fsutil.file_checksum, xxh3)."""

from __future__ import annotations

import hashlib
from pathlib import Path


def sha256_file(path: Path) -> str:
    """sha256 of the file at `path`, as hex, read a megabyte at a time."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
