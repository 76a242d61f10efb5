"""The progress interface an index write reports to (a CLI bar, a web page, nothing).

Leaves out rendering: `ragkit.apps.cli` draws bars with rich; the library only calls these."""

from __future__ import annotations

from typing import Protocol

from ragkit.types import FileOutcome


class IndexProgress(Protocol):
    def files_found(self, total: int) -> None: ...
    def file_done(self, outcome: FileOutcome) -> None: ...
    def embedding(self, total: int) -> None:
        """Chunks queued for embedding so far in this run. Called again with a larger
        total as the files read ahead (pipelined build) add chunks."""

    def embedded(self, count: int) -> None: ...
    def stage(self, name: str) -> None:
        """A commit is writing `name` (vectors, bm25, commit); during a long run, each
        checkpoint goes through these stages before files are read on."""

    def waiting(self, message: str) -> None: ...
    def ocr_page(self, source: str, done: int, total: int) -> None:
        """OCR has read `done` of the `total` pages without text of `source` (a scanned
        PDF), one call per page. With a pipelined build it comes from a reader thread
        while earlier files are still being embedded."""


class NoProgress:
    """Reports nowhere."""

    def files_found(self, total: int) -> None:
        pass

    def file_done(self, outcome: FileOutcome) -> None:
        pass

    def embedding(self, total: int) -> None:
        pass

    def embedded(self, count: int) -> None:
        pass

    def stage(self, name: str) -> None:
        pass

    def waiting(self, message: str) -> None:
        pass

    def ocr_page(self, source: str, done: int, total: int) -> None:
        pass
