"""Indexing jobs and their progress, for the page to poll.

An `IndexJob` is the `IndexProgress` the engine reports to while one upload batch is
indexed; it keeps counts, the current stage and each file's outcome behind a lock, and
`snapshot` gives a JSON-ready copy; while OCR reads a scan, `ocr` says which file and
page (the page shows "OCR page 3/12"). `JobBoard` keeps the most recent jobs by id. Leaves
out persistence: jobs live in memory and are forgotten on restart (the index is not).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import OrderedDict
from pathlib import Path
from typing import Any, Literal

from ragkit.types import FileOutcome

JobState = Literal["queued", "running", "done", "failed"]
KEEP_JOBS = 200


class IndexJob:
    """Progress of one upload batch; written by the collection's writer thread, read by
    request handlers."""

    def __init__(self, collection: str, files: list[str]) -> None:
        self.id = uuid.uuid4().hex[:16]
        self.collection = collection
        self.files = files
        self._lock = threading.Lock()
        self._state: JobState = "queued"
        self._files_total = len(files)
        self._files_done = 0
        self._chunks_total = 0
        self._chunks_done = 0
        self._stage = "queued"
        self._message = ""
        self._outcomes: list[dict[str, Any]] = []
        self._ocr: dict[str, Any] | None = None  # the scan being read: file, done, total
        self._ocr_pages = 0  # pages read by OCR in this job
        self._started = time.time()
        self._finished: float | None = None

    # --- IndexProgress ---------------------------------------------------------------
    def files_found(self, total: int) -> None:
        with self._lock:
            self._files_total = total
            self._stage = "reading"

    def file_done(self, outcome: FileOutcome) -> None:
        with self._lock:
            self._files_done += 1
            if self._ocr is not None and self._ocr["source"] == outcome.path:
                self._ocr = None
            self._outcomes.append(
                {
                    "file": Path(outcome.path).name,
                    "status": outcome.status,
                    "reason": outcome.reason,
                    "chunks": outcome.chunks,
                }
            )

    def embedding(self, total: int) -> None:
        with self._lock:
            self._chunks_total = total
            self._stage = "embedding"

    def embedded(self, count: int) -> None:
        with self._lock:
            self._chunks_done += count

    def stage(self, name: str) -> None:
        with self._lock:
            self._stage = f"writing {name}"

    def waiting(self, message: str) -> None:
        with self._lock:
            self._stage = "waiting for another writer"
            self._message = message

    def ocr_page(self, source: str, done: int, total: int) -> None:
        with self._lock:
            self._ocr = {"source": source, "file": Path(source).name, "done": done, "total": total}
            self._ocr_pages += 1

    # --- lifecycle -------------------------------------------------------------------
    def start(self) -> None:
        with self._lock:
            self._state = "running"
            self._stage = "starting"

    def finish(self, error: str = "") -> None:
        with self._lock:
            self._state = "failed" if error else "done"
            self._stage = "failed" if error else "done"
            self._message = error
            self._finished = time.time()

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "id": self.id,
                "collection": self.collection,
                "state": self._state,
                "stage": self._stage,
                "message": self._message,
                "files": list(self.files),
                "files_total": self._files_total,
                "files_done": self._files_done,
                "chunks_total": self._chunks_total,
                "chunks_done": self._chunks_done,
                "outcomes": [dict(o) for o in self._outcomes],
                # Names only: the server's paths stay on the server.
                "ocr": None
                if self._ocr is None
                else {k: v for k, v in self._ocr.items() if k != "source"},
                "ocr_pages": self._ocr_pages,
                "seconds": round((self._finished or time.time()) - self._started, 2),
            }


class JobBoard:
    """The last `KEEP_JOBS` jobs by id."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: OrderedDict[str, IndexJob] = OrderedDict()

    def add(self, job: IndexJob) -> None:
        with self._lock:
            self._jobs[job.id] = job
            while len(self._jobs) > KEEP_JOBS:
                self._jobs.popitem(last=False)

    def get(self, job_id: str) -> IndexJob | None:
        with self._lock:
            return self._jobs.get(job_id)
