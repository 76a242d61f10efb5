"""One writer per index: an advisory `fcntl` lock on `write.lock` in the index folder.

The lock is released by the kernel when the process dies, so a killed writer never
leaves a stale lock behind. Readers take no lock. Leaves out Windows support."""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable
from pathlib import Path

from ragkit.errors import RagkitError

LOCK_FILE = "write.lock"


class IndexBusyError(RagkitError):
    """Another process is writing to the index."""


class WriteLock:
    def __init__(
        self,
        index_dir: Path,
        wait: bool = True,
        timeout: float | None = None,
        on_wait: Callable[[str], None] | None = None,
    ) -> None:
        self.path = index_dir / LOCK_FILE
        self.wait = wait
        self.timeout = timeout
        self.on_wait = on_wait
        self._fd: int | None = None

    def __enter__(self) -> WriteLock:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = None if self.timeout is None else time.monotonic() + self.timeout
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                if _same_file(fd, self.path):
                    break
                # The lock file was replaced while we waited: a lock on the old inode
                # excludes nobody, so start over on the file that is there now.
                os.close(fd)
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
                continue
            except BlockingIOError:
                if not self.wait or (deadline is not None and time.monotonic() > deadline):
                    os.close(fd)
                    raise IndexBusyError(
                        f"index {self.path.parent} is being written by another process; "
                        "wait for it to finish and try again"
                    ) from None
                if not told and self.on_wait is not None:
                    self.on_wait(
                        f"index {self.path.parent} is being written by another process; "
                        "waiting for it to finish (--no-wait fails at once instead)"
                    )
                    told = True
                time.sleep(0.1)
        self._fd = fd
        return self

    def __exit__(self, *exc: object) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def _same_file(fd: int, path: Path) -> bool:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return False
    own = os.fstat(fd)
    return (own.st_ino, own.st_dev) == (st.st_ino, st.st_dev)
