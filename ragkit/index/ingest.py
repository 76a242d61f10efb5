"""Preparing files for the index: walk, check, hash, load, chunk and analyse, file by file.

`FileIngest.run` is the loop both writers (the local engine and Milvus) share: expand the
given paths, skip files unchanged since they were indexed, prepare the rest in order, hand
each to the writer's `store` callback, and retire files that vanished from a folder
indexed again. `FileIngest.prepare` does one file in this process. `Pipeline` does it for
many in a worker process (`python -m ragkit.index.ingest`) that runs ahead of the caller,
so that while the writer embeds one batch on its core, the next files are read, parsed,
split and stemmed on the other. Reading still goes through the loaders' `BoundedLoader`
(memory and time limits, a crashing parser costs one file), now inside the worker.

Requests and results are JSON lines over the worker's stdin/stdout (no pickle); a
reader thread keeps up to `ahead` prepared files in memory. Pages OCR reads are
reported as they come (`{"page": [source, done, total]}` lines before the file's result)
so progress shows "OCR page 3/12" while a scan is read. Each file's outcome is the
same as in-process: one bad file is one failed line, never the batch. A worker that dies
(killed, out of memory) costs nothing either: the files it did not answer are prepared
here instead. Leaves out writing to the store and embedding (each writer does both, in
the parent, in file order).
"""

from __future__ import annotations

import dataclasses
import json
import os
import queue
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from ragkit.errors import LoaderError, UnsupportedFileError
from ragkit.index.progress import IndexProgress
from ragkit.index.store import FileState, storable_document, storable_text
from ragkit.ingest.chunking import Chunker, ChunkerParams
from ragkit.ingest.digest import sha256_file
from ragkit.ingest.loaders import BoundedLoader, LoaderOptions, WalkProblem, check_file, walk
from ragkit.ingest.loaders.bounded import document_from_json, document_json
from ragkit.text.analysis import Analyzer
from ragkit.types import Chunk, Document, FileOutcome


@dataclass
class Prepared:
    """One file ready to be stored, or its final outcome (`outcome` set: unchanged,
    skipped or failed). `terms` maps each chunk text to its BM25 terms."""

    source: str
    outcome: FileOutcome | None = None
    state: FileState | None = None
    docs: list[tuple[Document, list[Chunk]]] = field(default_factory=list)
    terms: dict[str, list[str]] = field(default_factory=dict)
    replaces: bool = False  # the index holds an older version of the file

    def indexed(self, chunks: int, documents_changed: int, documents_gone: int) -> FileOutcome:
        """The report line of this file once stored: `chunks` new chunks, and for a file
        of several documents that replaced an older version, how many of them changed."""
        docs = [d for d, _ in self.docs]
        notes = []
        if len(docs) > 1 and self.replaces:
            notes.append(
                f"{documents_changed} of {len(docs)} documents new or changed, "
                f"{documents_gone} replaced or gone"
            )
        skipped_lines = docs[0].metadata.get("skipped_lines") if docs else None
        if skipped_lines:
            notes.append(f"skipped bad lines {skipped_lines}")
        return FileOutcome(self.source, "indexed", "; ".join(notes), chunks)


@dataclass(frozen=True)
class Request:
    path: Path
    source: str
    known: FileState | None


def unchanged_by_stat(request: Request, options: LoaderOptions) -> bool:
    """Whether the file is certainly unchanged (same size and mtime as indexed), which
    needs one stat and no reading: checked before any file goes to the worker."""
    known = request.known
    if known is None:
        return False
    try:
        st = check_file(request.path, options)
    except (LoaderError, OSError):
        return False  # `prepare` reports it
    return known.size == st.st_size and known.mtime_ns == st.st_mtime_ns


# Below this many files a worker process costs more to start than it saves.
PIPELINE_MIN_FILES = 16


@dataclass(frozen=True)
class FileIngest:
    """How a writer turns paths into prepared files. `analyzer` None: no BM25 terms (a
    backend that analyses text itself). `pipeline`: prepare in a worker process when
    there are at least PIPELINE_MIN_FILES files (needs the analyzer)."""

    options: LoaderOptions
    chunker: Chunker
    analyzer: Analyzer | None
    pipeline: bool = False

    def run(
        self,
        paths: Sequence[Path],
        known: Mapping[str, FileState],
        prog: IndexProgress,
        store: Callable[[Prepared], FileOutcome],
        retire: Callable[[str], None],
        after_each: Callable[[], None] | None = None,
    ) -> list[FileOutcome]:
        """One outcome per entry: walk problems, unchanged files, each prepared file as
        `store` reports it (then `after_each`), and each file of a folder indexed again
        that no longer exists, which `retire` removes."""
        outcomes: list[FileOutcome] = []

        def done(outcome: FileOutcome) -> None:
            outcomes.append(outcome)
            prog.file_done(outcome)

        files: list[Path] = []
        walked_dirs: list[Path] = []
        for raw in paths:
            # Every entry that yields no file (an unreadable sub-folder, a link loop, a
            # named pipe) is one line of the report; the walk goes on past it.
            for item in walk([raw]):
                if isinstance(item, WalkProblem):
                    done(FileOutcome(shown_path(item.path), item.status, item.reason))
                else:
                    files.append(item)
            if raw.is_dir():
                walked_dirs.append(raw.resolve())
        prog.files_found(len(files) + len(outcomes))
        requests: list[Request] = []
        seen: set[str] = set()
        for path in files:
            try:
                source = storable_text(str(path.resolve()))
            except (OSError, RuntimeError) as exc:
                done(FileOutcome(shown_path(path), "failed", _os_reason(exc)))
                continue
            if source in seen:
                continue
            seen.add(source)
            request = Request(path, source, known.get(source))
            if unchanged_by_stat(request, self.options):
                done(FileOutcome(source, "unchanged"))
            else:
                requests.append(request)
        # A progress object written before `ocr_page` joined the interface has none.
        for prepared in self.prepared(requests, getattr(prog, "ocr_page", None)):
            done(store(prepared))
            if after_each is not None:
                after_each()
        # Files that vanished from a folder that was indexed again leave the index too.
        for source in known:
            if source in seen or Path(source).exists():
                continue
            if any(Path(source).is_relative_to(d) for d in walked_dirs):
                retire(source)
                done(FileOutcome(source, "skipped", "file no longer exists; removed"))
        return outcomes

    def prepared(
        self, requests: Sequence[Request], on_page: PageReport | None = None
    ) -> Iterator[Prepared]:
        """The files prepared for storing, in order: in a worker process that runs ahead
        of the embedder when there are enough of them to pay for its start. Pages read
        by OCR go to `on_page(source, done, total)` as they are read."""
        analyzer = self.analyzer
        if analyzer is not None and self.pipeline and len(requests) >= PIPELINE_MIN_FILES:
            with Pipeline(requests, self, on_page=on_page) as pipe:
                yield from pipe
            return
        with BoundedLoader(self.options) as loader:
            for request in requests:
                yield self.prepare(request, loader, on_page)

    def prepare(
        self, request: Request, loader: BoundedLoader, on_page: PageReport | None = None
    ) -> Prepared:
        """`request`'s file checked against what the index knows of it, and if it
        changed, loaded, chunked and analysed. Any failure is this file's outcome,
        never raised."""
        source = request.source
        try:
            return self._prepare(request, loader, on_page)
        except RecursionError:
            return Prepared(source, FileOutcome(source, "failed", "nested too deeply to read"))
        except MemoryError:
            reason = "out of memory while indexing it"
            return Prepared(source, FileOutcome(source, "failed", reason))
        except Exception as exc:
            reason = f"could not be indexed ({type(exc).__name__})"
            return Prepared(source, FileOutcome(source, "failed", reason))

    def _prepare(
        self, request: Request, loader: BoundedLoader, on_page: PageReport | None
    ) -> Prepared:
        path, source, known = request.path, request.source, request.known
        try:
            # Suffix, regular file, size: checked before any byte is read or hashed, so
            # a FIFO or /dev/zero (or a .txt link to one) is skipped, never waited on.
            st = check_file(path, self.options)
        except UnsupportedFileError as exc:
            return Prepared(source, FileOutcome(source, "skipped", exc.reason))
        except LoaderError as exc:
            return Prepared(source, FileOutcome(source, "failed", exc.reason))
        if known is not None and known.size == st.st_size and known.mtime_ns == st.st_mtime_ns:
            return Prepared(source, FileOutcome(source, "unchanged"))
        try:
            digest = sha256_file(path)
        except OSError as exc:
            reason = f"cannot read ({exc.strerror})"
            return Prepared(source, FileOutcome(source, "failed", reason))
        if known is not None and known.sha256 == digest:
            return Prepared(source, FileOutcome(source, "unchanged"))
        try:
            pages = None if on_page is None else _for_file(on_page, source)
            # The hash just taken keys the OCR cache too: a scan is read once for it.
            docs = [storable_document(d) for d in loader.load(path, pages, digest)]
        except UnsupportedFileError as exc:
            return Prepared(source, FileOutcome(source, "skipped", exc.reason))
        except LoaderError as exc:
            return Prepared(source, FileOutcome(source, "failed", exc.reason))
        pairs = [(d, self.chunker.split(d)) for d in docs]
        if sum(len(c) for _, c in pairs) == 0:
            return Prepared(source, FileOutcome(source, "failed", "no text to index"))
        terms: dict[str, list[str]] = {}
        if self.analyzer is not None:
            for _, chunks in pairs:
                for chunk in chunks:
                    if chunk.text not in terms:
                        terms[chunk.text] = self.analyzer.tokenize(chunk.text)
        state = FileState(source, st.st_size, st.st_mtime_ns, digest)
        return Prepared(source, None, state, pairs, terms, known is not None)


PageReport = Callable[[str, int, int], None]
"""Called with (source, done, total) for each page of a scanned PDF that OCR reads."""


def _for_file(on_page: PageReport, source: str) -> Callable[[int, int], None]:
    return lambda done, total: on_page(source, done, total)


def shown_path(path: Path) -> str:
    """A path for the report: absolute, with bytes that are not UTF-8 escaped."""
    return storable_text(os.path.abspath(path))


def _os_reason(exc: BaseException) -> str:
    if isinstance(exc, OSError):
        return f"cannot read ({exc.strerror or exc})"
    return "symbolic link loop; remove or fix the link"  # RuntimeError from resolve()


# --- wire form ---------------------------------------------------------------------
def _prepared_json(p: Prepared) -> dict[str, Any]:
    out: dict[str, Any] = {"source": p.source}
    if p.outcome is not None:
        o = p.outcome
        out["outcome"] = [o.path, o.status, o.reason]
        return out
    assert p.state is not None
    out["state"] = [p.state.size, p.state.mtime_ns, p.state.sha256]
    out["docs"] = [
        document_json(d)
        | {
            "chunks": [
                [c.text, c.ordinal, c.char_start, c.char_end, c.page_start, c.page_end]
                for c in chunks
            ]
        }
        for d, chunks in p.docs
    ]
    out["terms"] = p.terms
    out["replaces"] = p.replaces
    return out


def _prepared_from_json(data: dict[str, Any]) -> Prepared:
    source = data["source"]
    if "outcome" in data:
        path, status, reason = data["outcome"]
        return Prepared(source, FileOutcome(path, status, reason))
    size, mtime_ns, sha = data["state"]
    docs: list[tuple[Document, list[Chunk]]] = []
    for d in data["docs"]:
        doc = document_from_json(d)
        chunks = [Chunk(c[0], doc.key, c[1], c[2], c[3], c[4], c[5]) for c in d["chunks"]]
        docs.append((doc, chunks))
    state = FileState(source, size, mtime_ns, sha)
    return Prepared(source, None, state, docs, data["terms"], bool(data["replaces"]))


def _request_json(r: Request) -> dict[str, Any]:
    known = None if r.known is None else [r.known.size, r.known.mtime_ns, r.known.sha256]
    return {"path": os.fsdecode(r.path), "source": r.source, "known": known}


# --- the pipeline (parent side) ------------------------------------------------------
class Pipeline:
    """Prepares `requests` in a worker process, `ahead` files ahead of the consumer.

    Iterate over it for the `Prepared` files in request order; use as a context manager
    so the worker ends with the run (also when the consumer stops early)."""

    def __init__(
        self,
        requests: Sequence[Request],
        ingest: FileIngest,
        ahead: int = 256,
        on_page: PageReport | None = None,
    ) -> None:
        assert ingest.analyzer is not None  # the worker always analyses
        self._on_page = on_page
        self._requests = list(requests)
        self._ingest = ingest
        self._analyzer = ingest.analyzer
        self._results: queue.Queue[Prepared | None] = queue.Queue(maxsize=ahead)
        self._proc: subprocess.Popen[bytes] | None = None
        self._threads: list[threading.Thread] = []
        self._stop = threading.Event()

    def __enter__(self) -> Pipeline:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _start(self) -> None:
        config = {
            "loader": dataclasses.asdict(self._ingest.options),
            "chunker": dataclasses.asdict(self._ingest.chunker.params),
            "analyzer": self._analyzer.id,
        }
        env = {**os.environ, "PYTHONPATH": _python_path()}
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "ragkit.index.ingest"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )
        assert self._proc.stdin is not None and self._proc.stdout is not None
        lines = [json.dumps(config)] + [json.dumps(_request_json(r)) for r in self._requests]
        # Requests go in from a thread: the worker's answers must be read at the same
        # time, or both sides could block on full pipes.
        self._threads = [
            threading.Thread(target=self._feed, args=(self._proc.stdin, lines), daemon=True),
            threading.Thread(target=self._collect, args=(self._proc.stdout,), daemon=True),
        ]
        for t in self._threads:
            t.start()

    def _feed(self, stdin: IO[bytes], lines: list[str]) -> None:
        try:
            for line in lines:
                if self._stop.is_set():
                    break
                stdin.write(line.encode("ascii") + b"\n")
            stdin.close()
        except (OSError, ValueError):
            pass  # the worker is gone: its missing answers are prepared in-process

    def _collect(self, stdout: IO[bytes]) -> None:
        try:
            for line in stdout:
                if self._stop.is_set():
                    break
                data = json.loads(line)
                if "page" in data:  # a page of a scan read, ahead of the file's result
                    if self._on_page is not None:
                        source, done, total = data["page"]
                        self._on_page(str(source), int(done), int(total))
                    continue
                self._put(_prepared_from_json(data))
        except (OSError, ValueError, KeyError, TypeError):
            pass
        finally:
            self._put(None)

    def _put(self, item: Prepared | None) -> None:
        while not self._stop.is_set():
            try:
                self._results.put(item, timeout=0.2)
                return
            except queue.Full:
                continue

    def __iter__(self) -> Iterator[Prepared]:
        self._start()
        done = 0
        while done < len(self._requests):
            item = self._results.get()
            if item is None:
                break
            done += 1
            yield item
        if done < len(self._requests):
            # The worker died (killed, out of memory): prepare the rest here.
            with BoundedLoader(self._ingest.options) as loader:
                for request in self._requests[done:]:
                    yield self._ingest.prepare(request, loader, self._on_page)

    def close(self) -> None:
        self._stop.set()
        proc = self._proc
        if proc is not None:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            for stream in (proc.stdin, proc.stdout):
                if stream is not None:
                    try:
                        stream.close()
                    except OSError:
                        pass
        for t in self._threads:
            t.join(timeout=5)


def _python_path() -> str:
    # The worker imports the same ragkit as this process, wherever it was imported from.
    root = str(Path(__file__).resolve().parents[2])
    rest = os.environ.get("PYTHONPATH")
    return root + (os.pathsep + rest if rest else "")


# --- the worker ----------------------------------------------------------------------
def main() -> None:
    # Answers go to a private copy of stdout; fd 1 becomes stderr so that anything a
    # library prints cannot corrupt the protocol.
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    lines = iter(sys.stdin.buffer)
    config = json.loads(next(lines))
    options = LoaderOptions(**config["loader"])
    chunker = Chunker(ChunkerParams(**config["chunker"]))
    ingest = FileIngest(options, chunker, Analyzer(stem="snowball" in config["analyzer"]))

    def page_read(source: str, done: int, total: int) -> None:
        out.write(json.dumps({"page": [source, done, total]}).encode("ascii") + b"\n")
        out.flush()

    with BoundedLoader(options) as loader:
        for line in lines:
            if not line.strip():
                continue
            data = json.loads(line)
            known = data["known"]
            request = Request(
                Path(data["path"]),
                data["source"],
                None if known is None else FileState(data["source"], *known),
            )
            result = ingest.prepare(request, loader, page_read)
            try:
                out.write(json.dumps(_prepared_json(result)).encode("ascii") + b"\n")
                out.flush()
            except BrokenPipeError:
                return  # the parent is gone (killed, or it stopped early): so is the job


if __name__ == "__main__":
    main()
