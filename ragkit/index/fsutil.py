"""Index data files' checksums, and the durable-file helpers the index writes with.

The helpers themselves live in ragkit/durable.py (one copy, which the models' derived
files use too); they are named here as well because the index modules import them from
here. Leaves out locking (see lock.py), any knowledge of the index layout and source
files' sha256 (ingest/digest.py, which loaders share)."""

from __future__ import annotations

from pathlib import Path

from ragkit.durable import atomic_write_bytes, fsync_dir, fsync_file
from ragkit.ingest.digest import sha256_file

__all__ = ["atomic_write_bytes", "file_checksum", "fsync_dir", "fsync_file", "verify_checksum"]


def file_checksum(path: Path) -> str:
    """Checksum of an index data file, as `xxh3_128:<hex>`. xxh3 verifies hundreds of MB
    in milliseconds, so every open can afford to check every file."""
    import xxhash

    digest = xxhash.xxh3_128()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 22), b""):
            digest.update(block)
    return "xxh3_128:" + digest.hexdigest()


def verify_checksum(path: Path, expected: str) -> bool:
    """Whether `path` matches a manifest checksum (`xxh3_128:<hex>`, or bare sha256 hex)."""
    if expected.startswith("xxh3_128:"):
        return file_checksum(path) == expected
    return sha256_file(path) == expected
