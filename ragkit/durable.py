"""Durable file writes: a file replaced whole or not at all, and the fsyncs that make a
write and its rename survive a crash or a power cut.

`replaced_whole` hands out a temporary file beside the target (a unique mkstemp name, so
two processes writing the same file never share one), then flushes it to disk and
renames it over the target; readers see the old content or the new, never a mix. A
temporary file a killed process left behind goes with a later write of the same target
once it is older than `STALE_TEMP_S`.

Leaves out locking (who may write: ragkit/index/lock.py), checksums (ragkit/ingest/digest.py,
ragkit/index/fsutil.py) and any knowledge of what the files hold. It sits in the lowest
layer so that every stage (the index, the models' derived files, the CLI) writes through
this one copy.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

STALE_TEMP_S = 600.0
"""A temporary file older than this is a write killed midway (the slowest one here, a
model conversion, takes seconds)."""

# A new file is as readable as the files it is made from; a replaced one keeps its mode.
_NEW_FILE_MODE = 0o644


def fsync_file(path: Path) -> None:
    """Flush a written file's bytes to disk."""
    with open(path, "rb+") as fh:
        os.fsync(fh.fileno())


def fsync_dir(path: Path) -> None:
    """Make the renames and new names in a folder durable. Skipped where the OS cannot
    open a folder (Windows); a failing fsync raises."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except PermissionError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_stale_temps(path: Path, older_than_s: float = STALE_TEMP_S) -> None:
    """Delete the temporary files for `path` that writes killed midway left behind; a
    recent one may be another process writing now and stays."""
    now = time.time()
    for temp in path.parent.glob(f".{path.name}.*.tmp"):
        with contextlib.suppress(OSError):
            if now - temp.stat().st_mtime > older_than_s:
                temp.unlink()


@contextlib.contextmanager
def replaced_whole(path: Path) -> Iterator[Path]:
    """A temporary file beside `path` for the block to fill. When the block ends without
    an error the file is flushed to disk and renamed to `path`; when it raises (or is
    interrupted) the temporary file is removed and `path` is as it was."""
    remove_stale_temps(path)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    temp = Path(name)
    try:
        yield temp
        fsync_file(temp)
        # mkstemp makes the file private (0600); the result keeps the target's mode.
        os.chmod(temp, _mode_for(path))
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise
    fsync_dir(path.parent)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write `data` to `path` so readers see the old or the new content, never a mix."""
    with replaced_whole(path) as temp, open(temp, "wb") as fh:
        fh.write(data)


def _mode_for(path: Path) -> int:
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return _NEW_FILE_MODE
