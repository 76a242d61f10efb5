"""Reading untrusted files under a memory limit and a time limit.

What it does: `BoundedLoader` parses files in one long-lived worker process (started on
first use, `python -m ragkit.ingest.loaders.worker`) whose address space is capped with
`RLIMIT_AS`; the parent waits for each answer at most `timeout_s` seconds. A file that
runs past the limit, exhausts the memory or crashes the parser costs only its own
worker, which is killed and restarted for the next file, and gets a one-line
`LoaderError`. Plain text and Markdown below `inprocess_max_bytes` are read in this
process, because nothing in them can blow up and a process round trip per small note
would slow big batches. The cheap checks (suffix, regular file, size) always run here
first, so a FIFO or device is never opened by anyone.

Requests and answers are JSON lines over the worker's stdin/stdout (no pickle); paths
and texts keep non-UTF-8 bytes as surrogate escapes, which JSON carries losslessly.
While OCR reads a scanned PDF the worker sends a `{"page": [done, total]}` line per page
before its answer; each starts the time limit again, so a long scan that is moving is
not cut off while a page that hangs still is.
What it leaves out: a pool of workers (files are read one at a time; embedding, not
parsing, dominates an index run) and limits on platforms without `resource` (Windows),
where the worker still bounds time but not memory.
"""

from __future__ import annotations

import dataclasses
import json
import os
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from ragkit.errors import LoaderError, UnsupportedFileError
from ragkit.types import Block, Document, Page

_INPROCESS_SUFFIXES = frozenset({".txt", ".md", ".markdown"})


class BoundedLoader:
    """Reads files with the limits of `options`; use as a context manager (or call
    `close`) so the worker process ends with the batch. Safe to share between threads:
    one file is read at a time."""

    def __init__(self, options: Any) -> None:
        self.options = options
        self._proc: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()

    def __enter__(self) -> BoundedLoader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def load(
        self,
        path: Path,
        on_page: Callable[[int, int], None] | None = None,
        sha256: str | None = None,
    ) -> list[Document]:
        """`load_file`'s documents and errors, with the limits applied; a scanned PDF's
        pages are reported to `on_page(done, total)` as OCR reads them, and `sha256`
        (the file's, when the caller has hashed it) keys the OCR cache."""
        from ragkit.ingest.loaders import check_file, read_checked

        path = Path(path)
        st = check_file(path, self.options)
        suffix = path.suffix.lower()
        if not self.options.isolate or (
            suffix in _INPROCESS_SUFFIXES and st.st_size <= self.options.inprocess_max_bytes
        ):
            return read_checked(path, self.options, on_page, sha256)
        with self._lock:
            return self._in_worker(path, on_page, sha256)

    def close(self) -> None:
        with self._lock:
            self._stop()

    # --- the worker ------------------------------------------------------------------
    def _in_worker(
        self, path: Path, on_page: Callable[[int, int], None] | None, sha256: str | None
    ) -> list[Document]:
        options = dataclasses.asdict(self.options)
        request = json.dumps({"path": str(path), "options": options, "sha256": sha256})
        for attempt in (1, 2):
            proc = self._start()
            assert proc.stdin is not None
            try:
                proc.stdin.write(request.encode("ascii") + b"\n")
                proc.stdin.flush()
                break
            except OSError:
                # A worker that died since its last file: start a fresh one, once.
                self._stop()
                if attempt == 2:
                    raise LoaderError(path, "the file reader could not be started") from None
        reply = self._read_reply(path, proc, on_page)
        return _documents(path, reply)

    def _read_reply(
        self,
        path: Path,
        proc: subprocess.Popen[bytes],
        on_page: Callable[[int, int], None] | None,
    ) -> dict[str, Any]:
        assert proc.stdout is not None
        fd = proc.stdout.fileno()
        timeout = self.options.timeout_s
        deadline = time.monotonic() + timeout if timeout > 0 else None
        parts: list[bytes] = []
        while True:
            wait = None if deadline is None else deadline - time.monotonic()
            if wait is not None and wait <= 0:
                self._stop()
                raise LoaderError(
                    path,
                    f"reading took longer than {timeout:g} s and was stopped (a hostile or "
                    "damaged file?); raise RAGKIT_LOADER__TIMEOUT_S if it is just large",
                )
            ready, _, _ = select.select([fd], [], [], wait)
            if not ready:
                continue
            block = os.read(fd, 1 << 20)
            if not block:
                code = self._stop()
                raise LoaderError(path, self._death_reason(code))
            while b"\n" in block:
                head, _, block = block.partition(b"\n")
                parts.append(head)
                message: dict[str, Any] = json.loads(b"".join(parts))
                parts = []
                if "page" in message:  # a scanned page read: the time limit starts again
                    if deadline is not None:
                        deadline = time.monotonic() + timeout
                    if on_page is not None:
                        self._report(on_page, message["page"])
                    continue
                if block:  # one request, one answer: anything more is a broken worker
                    self._stop()
                    raise LoaderError(path, "the file reader answered out of turn")
                if message.get("restart"):
                    self._stop()  # after MemoryError the worker's heap is not worth keeping
                return message
            if block:
                parts.append(block)

    def _report(self, on_page: Callable[[int, int], None], page: Any) -> None:
        try:
            on_page(int(page[0]), int(page[1]))
        except BaseException:
            self._stop()  # the worker is mid-answer: it cannot serve the next file
            raise

    def _death_reason(self, code: int | None) -> str:
        limit = self.options.memory_mb
        if code is not None and code < 0:
            how = f"signal {signal.Signals(-code).name}" if -code in signal.valid_signals() else ""
        else:
            how = f"exit status {code}"
        return (
            f"the file reader stopped ({how}) while parsing it: the file needs more than "
            f"{limit} MiB of memory or crashes the parser; raise RAGKIT_LOADER__MEMORY_MB "
            "if the file is trusted"
        )

    def _start(self) -> subprocess.Popen[bytes]:
        if self._proc is not None and self._proc.poll() is None:
            return self._proc
        self._stop()
        env = dict(os.environ)
        # The worker must import this very ragkit, wherever it was imported from.
        root = str(Path(__file__).resolve().parents[3])
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
        memory = max(0, int(self.options.memory_mb)) * 1024 * 1024
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "ragkit.ingest.loaders.worker", str(memory)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
            close_fds=True,
        )
        return self._proc

    def _stop(self) -> int | None:
        proc, self._proc = self._proc, None
        if proc is None:
            return None
        for stream in (proc.stdin, proc.stdout):
            _close_quietly(stream)
        if proc.poll() is None:
            proc.kill()
        return proc.wait()


def load_file_bounded(
    path: Path, options: Any, loader: BoundedLoader | None = None
) -> list[Document]:
    """Read one file with the limits of `options` (see `BoundedLoader`); pass a
    `loader` to reuse its worker across many files."""
    if loader is not None:
        return loader.load(path)
    with BoundedLoader(options) as one_off:
        return one_off.load(path)


def _documents(path: Path, reply: dict[str, Any]) -> list[Document]:
    error = reply.get("error")
    if error == "unsupported":
        raise UnsupportedFileError(path, str(reply.get("reason", "")))
    if error is not None:
        raise LoaderError(path, str(reply.get("reason") or "could not be read"))
    return [document_from_json(d) for d in reply["docs"]]


def document_from_json(data: dict[str, Any]) -> Document:
    """A document back from `document_json`'s form."""
    return Document(
        source=data["source"],
        key=data["key"],
        pages=tuple(
            Page(n, t, tuple(Block(k, a, b, lv) for k, a, b, lv in blocks))
            for n, t, blocks in data["pages"]
        ),
        title=data["title"],
        file_type=data["file_type"],
        metadata=dict(data["metadata"]),
    )


def document_json(doc: Document) -> dict[str, Any]:
    """The wire form of a document (the worker's side of `_documents`)."""
    return {
        "source": doc.source,
        "key": doc.key,
        "pages": [
            [p.number, p.text, [[b.kind, b.start, b.end, b.level] for b in p.blocks]]
            for p in doc.pages
        ],
        "title": doc.title,
        "file_type": doc.file_type,
        "metadata": dict(doc.metadata),
    }


def _close_quietly(stream: IO[bytes] | None) -> None:
    if stream is None:
        return
    try:
        stream.close()
    except OSError:
        pass
