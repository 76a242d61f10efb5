"""Small durable-file helpers: atomic replace with fsync, and file checksums.

Leaves out locking (see lock.py), any knowledge of the index layout and source files'
sha256 (ingest/digest.py, which loaders share)."""

from __future__ import annotations

import os
from pathlib import Path

from ragkit.ingest.digest import sha256_file


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_file(path: Path) -> None:
    with open(path, "rb+") as fh:
        os.fsync(fh.fileno())


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write `data` to `path` so readers see the old or the new content, never a mix."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


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
