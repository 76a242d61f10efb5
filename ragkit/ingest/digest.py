"""The sha256 of a source file: what identifies a document's content across runs (the
index's unchanged-file check, the OCR cache's key).

Low in the package so that loaders and the index share one definition. Also the xxh3
digest naming the model files ragkit derives once (the int8 embedder, the chat model's
Q8_0 copy), where speed matters and tampering does not. Leaves out the index's own
data-file checksums (index/fsutil.file_checksum, xxh3-128)."""

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


def xxh3_file(path: Path) -> str:
    """xxh3-64 of the file at `path`, as hex, read a megabyte at a time: which source a
    derived model file was made from (a 100 MB model in ~0.05 s)."""
    import xxhash

    digest = xxhash.xxh3_64()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return str(digest.hexdigest())
