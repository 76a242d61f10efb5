"""Reading and writing an index folder as a whole.

`IndexWriter.add` turns paths into a new generation: it loads and chunks changed files,
records them in SQLite, embeds only chunk texts it has no cached vector for, writes a small
vector segment (vectors.py) and a small BM25 segment (bm25.py) beside the large ones it
hard-links from the previous generation, and commits by replacing `manifest.json`. Until
that rename nobody sees the new generation; a crash before it leaves the previous one
intact, and the next writer discards the leftovers.
`IndexReader.open` verifies the manifest's checksums and loads one generation.
Leaves out ranking (ragkit.search.retrieval) and anything about models beyond the `Embedder`.
"""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypeVar

import numpy as np

from ragkit.errors import (
    IndexCorruptError,
    IndexNotFoundError,
    IndexStoreError,
)
from ragkit.index import bm25 as bm25_segments
from ragkit.index import vectors as vector_segments
from ragkit.index.bm25 import BM25_DIR, BM25Index
from ragkit.index.fsutil import (
    file_checksum,
    fsync_dir,
    fsync_file,
    verify_checksum,
)
from ragkit.index.ingest import PIPELINE_MIN_FILES as PIPELINE_MIN_FILES  # the tests size by it
from ragkit.index.ingest import Prepared
from ragkit.index.lock import WriteLock
from ragkit.index.manifest import (
    FORMAT_VERSION,
    MANIFEST,
    BM25Layout,
    Manifest,
    VectorLayout,
    chunker_info,
    fresh_manifest,
    generation_dirname,
    next_generation,
    read_manifest,
    write_manifest,
)
from ragkit.index.peek import require_index
from ragkit.index.progress import IndexProgress, NoProgress
from ragkit.index.store import (
    STORE,
    Store,
    connect,
    store_error,
)
from ragkit.index.vectors import (
    LEGACY_VECTORS,
    VECTORS_DIR,
    Segment,
    VectorIndex,
    build_flat,
    build_ivf,
    choose_layout,
)
from ragkit.index.writer import Writer, covered, embedder_mismatch, mismatch
from ragkit.types import FileOutcome, StoredChunk

EMBED_FLUSH = 512  # vectors cached to SQLite per transaction, so a crash keeps most work


def index_exists(index_dir: Path) -> bool:
    return (index_dir / MANIFEST).is_file()


@dataclass
class _Pending:
    ids: list[int]
    hashes: list[str]
    texts: list[str]
    files_changed: int = 0


@dataclass(frozen=True)
class _Change:
    """What one commit writes: the generation after `base`, from `store`, with the
    `pending` chunks added and the `removed` ones gone; `rebuild`: built from the store
    alone (repair)."""

    store: Store
    base: Manifest
    pending: _Pending
    removed: list[int]
    rebuild: bool


@dataclass
class _Run:
    """One `add` in progress: the generation it builds on (moved on by each
    checkpoint), what is pending for the next commit, and how far embedding got."""

    base: Manifest
    pending: _Pending
    removed: list[int]
    committed_at: float
    embedded: int = 0  # pending chunks already embedded (a prefix of pending.ids)
    queued: int = 0  # texts queued for embedding in this run, for progress
    chunks_added: int = 0  # chunks committed by earlier checkpoints


@dataclass(eq=False, repr=False)
class IndexWriter(Writer):
    """Adds files to (or creates) the index in `index_dir`. Holds the write lock only
    while a write runs, so other processes can read throughout.

    `checkpoint_chunks`/`checkpoint_seconds`: a long `add` commits a generation after
    that many new chunks or seconds. `pipeline`: prepare files in a worker process while
    this one embeds (when there are at least PIPELINE_MIN_FILES). `bm25_merge_ratio`: see
    bm25.write_next; `vectors_merge_ratio`: see vectors.write_next."""

    ivf_threshold: int = 50_000
    checkpoint_chunks: int = 20_000
    checkpoint_seconds: float = 300.0
    pipeline: bool = True
    bm25_merge_ratio: float = 0.1
    vectors_merge_ratio: float = 0.1

    def _add(self, paths: Sequence[Path], prog: IndexProgress) -> tuple[list[FileOutcome], int]:
        """Commit a new generation when anything changed, and on the way a checkpoint
        generation every `checkpoint_chunks` new chunks or `checkpoint_seconds`, so that
        a run killed midway keeps what it committed and the next run carries on from
        there (committed files are unchanged, so skipped)."""
        with _store_errors(self.index_dir), self._session(prog) as (store, base):
            run = _Run(base, _Pending([], [], []), [], time.monotonic())
            outcomes = self._add_files(store, run, paths, prog)
            if run.pending.ids or run.removed or run.pending.files_changed:
                self._embed_pending(store, run, prog, everything=True)
                self._commit(store, run.base, run.pending, run.removed, prog)
            elif not index_exists(self.index_dir):
                # Nothing could be indexed into a new index: leave no empty store behind
                # to confuse later runs. Done under the lock, and the lock file stays, so
                # a writer waiting for this one still finds the folder it locked.
                store.conn.close()
                self._remove_unfinished()
        return outcomes, run.chunks_added + len(run.pending.ids)

    def remove(self, paths: Sequence[Path], progress: IndexProgress | None = None) -> list[str]:
        prog = progress or NoProgress()
        with _store_errors(self.index_dir), self._session(prog) as (store, base):
            gone = covered(store.file_states(base.generation), paths)
            removed: list[int] = []
            for source in gone:
                removed.extend(store.remove_source(source, base.generation + 1))
            if gone:
                self._commit(store, base, _Pending([], [], []), removed, prog)
        return gone

    def repair(self, progress: IndexProgress | None = None) -> int:
        """Rebuild vectors and BM25 of a new generation from SQLite (vectors from the
        cache, re-embedding any that are missing); return the number of chunks."""
        prog = progress or NoProgress()
        with (
            _store_errors(self.index_dir),
            self._session(prog, repairing=True) as (
                store,
                base,
            ),
        ):
            rows = store.chunk_ids_and_hashes(base.generation)
            texts = dict(store.iter_chunk_texts(base.generation))
            hashes = [h for _, h in rows]
            self._embed(store, hashes, [texts[i] for i, _ in rows], prog)
            pending = _Pending([i for i, _ in rows], hashes, [])
            self._commit(store, base, pending, [], prog, rebuild=True)
            return len(rows)

    @contextmanager
    def _session(
        self, prog: IndexProgress, repairing: bool = False
    ) -> Iterator[tuple[Store, Manifest]]:
        """Hold the write lock with the store open and a crashed writer's leftovers gone."""
        self.index_dir.mkdir(parents=True, exist_ok=True)
        with WriteLock(self.index_dir, wait=self.wait, on_wait=prog.waiting):
            fresh = not index_exists(self.index_dir)
            conn = connect(self.index_dir)
            try:
                store = Store(conn)
                base = self._repair_base(store) if repairing else self._base_manifest()
                store.discard_after(base.generation)
                self._remove_stale_generations(base.generation)
                yield store, base
            except BaseException:
                if fresh and not index_exists(self.index_dir):
                    # A first run that failed (disk full, Ctrl-C) leaves no store or
                    # generation behind that a later run or reader would trip over.
                    conn.close()
                    self._remove_unfinished()
                raise
            finally:
                conn.close()

    def _remove_unfinished(self) -> None:
        for name in (STORE, STORE + "-wal", STORE + "-shm", STORE + "-journal"):
            (self.index_dir / name).unlink(missing_ok=True)
        self._remove_stale_generations(0)

    def _repair_base(self, store: Store) -> Manifest:
        if index_exists(self.index_dir):
            try:
                return self._base_manifest(upgrade=True)
            except IndexCorruptError:
                pass  # rebuilt below; a mismatch (other embedder or format) still refuses
        # Without a readable manifest the store is the only record: take everything it
        # holds as the state to rebuild, with the configured embedder.
        latest = store.max_generation()
        if latest == 0:
            raise IndexNotFoundError(
                f"index {self.index_dir} holds no documents to repair; index files into it"
            )
        return self._fresh_manifest().model_copy(update={"generation": latest})

    # --- steps -------------------------------------------------------------------------
    def _base_manifest(self, upgrade: bool = False) -> Manifest:
        if index_exists(self.index_dir):
            manifest = read_manifest(self.index_dir, upgrade=upgrade)
            built = manifest.embedder
            # A model of the same family (the int8 builds of the fp32 model an index was
            # made with, or the reverse) may add to it: their vectors agree to a cosine
            # of ~0.995, and the manifest keeps naming the model that created the index.
            if not self.embedder.compatible_with(built.id, built.family or built.id, built.dim):
                raise embedder_mismatch(self.index_dir, manifest, self.embedder.id)
            if (
                manifest.chunker != chunker_info(self.chunker)
                or manifest.analyzer != self.analyzer.id
            ):
                raise mismatch(self.index_dir, manifest)
            return manifest
        return self._fresh_manifest()

    def _fresh_manifest(self) -> Manifest:
        return fresh_manifest(self.embedder, self.chunker, self.analyzer.id)

    def _remove_stale_generations(self, current: int) -> None:
        for child in self.index_dir.glob("gen-*"):
            number = _generation_number(child.name)
            if number is not None and number > current:
                shutil.rmtree(child, ignore_errors=True)

    def _add_files(
        self, store: Store, run: _Run, paths: Sequence[Path], prog: IndexProgress
    ) -> list[FileOutcome]:
        def stored() -> None:
            self._embed_pending(store, run, prog)
            if self._checkpoint_due(run):
                self._checkpoint(store, run, prog)

        def retire(source: str) -> None:
            run.removed.extend(store.remove_source(source, run.base.generation + 1))

        ingest = self._ingest(analyzed=True, pipeline=self.pipeline)
        known = store.file_states(run.base.generation)
        return ingest.run(
            paths, known, prog, lambda p: self._store_file(store, p, run), retire, stored
        )

    def _store_file(self, store: Store, prepared: Prepared, run: _Run) -> FileOutcome:
        """Write one prepared file into the next generation's rows.

        SQLite errors are not the file's fault (a full disk, a damaged store) and end
        the run; anything else fails this file only, and the store's own transaction
        rolls back whatever the file had half-written."""
        if prepared.outcome is not None:
            return prepared.outcome
        source, state, pairs = prepared.source, prepared.state, prepared.docs
        assert state is not None
        terms = prepared.terms
        try:
            change = store.replace_file(
                state, pairs, run.base.generation + 1, lambda text: terms[text]
            )
        except sqlite3.Error:
            raise
        except Exception as exc:
            return FileOutcome(source, "failed", f"could not be indexed ({type(exc).__name__})")
        run.removed.extend(change.removed)
        run.pending.files_changed += 1
        for chunk_id, h, text in change.added:
            run.pending.ids.append(chunk_id)
            run.pending.hashes.append(h)
            run.pending.texts.append(text)
        return prepared.indexed(len(change.added), change.documents_added, change.documents_removed)

    def _embed_pending(
        self, store: Store, run: _Run, prog: IndexProgress, everything: bool = False
    ) -> None:
        """Embed the pending chunks not embedded yet: a batch of `EMBED_FLUSH` as soon
        as there is one (so embedding runs while the worker reads the next files), all
        of them when `everything`."""
        pending = run.pending
        left = len(pending.ids) - run.embedded
        if left <= 0 or (left < EMBED_FLUSH and not everything):
            return
        hashes = pending.hashes[run.embedded :]
        texts = pending.texts[run.embedded :]
        run.embedded = len(pending.ids)
        self._embed(store, hashes, texts, prog, run)

    def _checkpoint_due(self, run: _Run) -> bool:
        if not (run.pending.ids or run.removed):
            return False
        return (
            len(run.pending.ids) >= self.checkpoint_chunks
            or time.monotonic() - run.committed_at >= self.checkpoint_seconds
        )

    def _checkpoint(self, store: Store, run: _Run, prog: IndexProgress) -> None:
        """Commit what is pending as a generation of its own and go on from there."""
        self._embed_pending(store, run, prog, everything=True)
        run.base = self._commit(store, run.base, run.pending, run.removed, prog)
        run.chunks_added += len(run.pending.ids)
        run.pending = _Pending([], [], [])
        run.removed = []
        run.embedded = 0
        run.committed_at = time.monotonic()

    def _embed(
        self,
        store: Store,
        hashes: Sequence[str],
        texts: Sequence[str],
        prog: IndexProgress,
        run: _Run | None = None,
    ) -> None:
        """Embed the texts whose hash has no cached vector, caching as it goes."""

        def total(count: int) -> int:
            if run is None:
                return count
            # The total grows batch by batch while files are still being read.
            run.queued += count
            return run.queued

        cached = store.cached_vectors(hashes, self.embedder.dim)
        for done, vectors in self._embed_missing(hashes, texts, cached, EMBED_FLUSH, prog, total):
            store.cache_vectors(zip(done, vectors, strict=True))

    def _commit(
        self,
        store: Store,
        base: Manifest,
        pending: _Pending,
        removed: list[int],
        prog: IndexProgress,
        rebuild: bool = False,
    ) -> Manifest:
        """Write and commit generation `base.generation + 1`; return its manifest."""
        new_gen = base.generation + 1
        gen_dir = self.index_dir / generation_dirname(new_gen)
        gen_dir.mkdir()
        prog.stage("vectors")
        change = _Change(store, base, pending, removed, rebuild)
        docs, chunks = _counts(store, base, new_gen, rebuild)
        vector_layout, vectors_reused = self._next_vectors(change, chunks)
        prog.stage("bm25")
        bm25_layout, bm25_reused = self._next_bm25(change, chunks)
        prog.stage("commit")
        # Segments hard-linked from the previous generation were synced when written
        # and keep the checksums the previous manifest verified.
        known: dict[str, str | None] = {}
        for part, reused in ((VECTORS_DIR, vectors_reused), (BM25_DIR, bm25_reused)):
            base_rel = f"{generation_dirname(base.generation)}/{part}/"
            new_rel = f"{generation_dirname(new_gen)}/{part}/"
            known.update({new_rel + rel: base.files.get(base_rel + rel) for rel in reused})
        files: dict[str, str] = {}
        folders = [gen_dir]
        for path in sorted(gen_dir.rglob("*")):
            rel = path.relative_to(self.index_dir).as_posix()
            if path.is_dir():
                folders.append(path)
            elif path.is_file():
                digest = known.get(rel)
                if digest is None:
                    fsync_file(path)
                    digest = file_checksum(path)
                files[rel] = digest
        for folder in reversed(folders):
            fsync_dir(folder)
        fsync_dir(self.index_dir)
        manifest = next_generation(
            base,
            (docs, chunks),
            format_version=FORMAT_VERSION,
            vectors=vector_layout,
            bm25=bm25_layout,
            files=files,
        )
        write_manifest(self.index_dir, manifest)  # the commit point
        # Keep the previous generation for readers that opened it a moment ago.
        for child in self.index_dir.glob("gen-*"):
            number = _generation_number(child.name)
            if number is not None and number < base.generation:
                shutil.rmtree(child, ignore_errors=True)
        store.purge_removed(base.generation)
        return manifest

    def _next_bm25(self, change: _Change, expected: int) -> tuple[BM25Layout, list[str]]:
        """Write the next generation's BM25 segments: the previous ones with `removed`
        masked and `pending` added (see bm25.write_next), or, for repair, one segment
        rebuilt from the terms stored in SQLite. Returns the layout and the files reused
        unchanged from the previous generation."""
        store, base, pending, removed = change.store, change.base, change.pending, change.removed
        new_gen = base.generation + 1
        folder = self.index_dir / generation_dirname(new_gen) / BM25_DIR

        def incremental() -> tuple[BM25Layout, list[str]]:
            gone = set(removed)
            added = [(i, t) for i, t in store.chunk_terms(pending.ids) if i not in gone]
            return bm25_segments.write_next(
                base.gen_dir(self.index_dir) / BM25_DIR,
                base.bm25,
                folder,
                new_gen,
                removed,
                [i for i, _ in added],
                [t for _, t in added],
                self.bm25_merge_ratio,
            )

        def rebuilt() -> BM25Layout:
            ids: list[int] = []
            tokens: list[list[str]] = []
            for chunk_id, terms in store.iter_chunk_terms(new_gen):
                ids.append(chunk_id)
                tokens.append(terms)
            return bm25_segments.write_rebuilt(folder, new_gen, ids, tokens)

        return _next_or_rebuilt(folder, expected, None if change.rebuild else incremental, rebuilt)

    def _next_vectors(self, change: _Change, count: int) -> tuple[VectorLayout, list[str]]:
        """Write the next generation's vector segments (`count` live vectors): the previous
        ones with `removed` masked and `pending` added (see vectors.write_next), or one
        segment of every cached vector when the size calls for a new layout or on repair.
        Returns the layout and the files reused unchanged from the previous generation."""
        store, base, pending, removed = change.store, change.base, change.pending, change.removed
        dim = self.embedder.dim
        new_gen = base.generation + 1
        folder = self.index_dir / generation_dirname(new_gen) / VECTORS_DIR
        decision = choose_layout(base.vectors, count, self.ivf_threshold)
        # Format 3 always has segments past generation 0; an older layout is rebuilt.
        segmented = bool(base.vectors.segments) or base.generation == 0

        def incremental() -> tuple[VectorLayout, list[str]]:
            gone = set(removed)
            # A chunk added and removed within this generation was never in a segment.
            added = [
                (i, h) for i, h in zip(pending.ids, pending.hashes, strict=True) if i not in gone
            ]
            new_ids = set(pending.ids)
            cache = store.cached_vectors([h for _, h in added], dim)
            matrix = np.vstack([cache[h] for _, h in added]) if added else np.zeros((0, dim), "f4")
            return vector_segments.write_next(
                base.gen_dir(self.index_dir) / VECTORS_DIR,
                base.vectors,
                folder,
                new_gen,
                dim,
                [i for i in removed if i not in new_ids],
                np.asarray([i for i, _ in added], dtype=np.int64),
                matrix.astype(np.float32),
                self.vectors_merge_ratio,
            )

        def rebuilt() -> VectorLayout:
            rows = store.chunk_ids_and_hashes(new_gen)
            cache = store.cached_vectors([h for _, h in rows], dim)
            ids = np.asarray([i for i, _ in rows], dtype=np.int64)
            matrix = np.vstack([cache[h] for _, h in rows]) if rows else np.zeros((0, dim), "f4")
            matrix = matrix.astype(np.float32)
            kind = base.vectors.kind if decision == "keep" else decision
            if kind == "ivf":
                centroids = self._trained_lists(base) if base.vectors.kind == "ivf" else None
                if centroids is not None and decision == "keep":
                    # Repair of an IVF still fit for its size: the trained lists (and the
                    # nprobe calibrated on them) are kept, the vectors re-added from the store.
                    segment = Segment.create_ivf(centroids, base.vectors.nprobe)
                    segment.add(ids, matrix)
                    layout = base.vectors.model_copy(update={"segments": ()})
                else:
                    segment, layout = build_ivf(ids, matrix)
            else:
                segment, layout = build_flat(ids, matrix), VectorLayout()
            return vector_segments.write_single(folder, new_gen, segment, layout)

        keep = decision == "keep" and segmented and not change.rebuild
        return _next_or_rebuilt(folder, count, incremental if keep else None, rebuilt)

    def _trained_lists(self, base: Manifest) -> np.ndarray | None:
        """The centroids of the base generation's IVF, when its large segment (or, in
        format 1 and 2, its one vectors file) is intact; None otherwise."""
        gen_dir = base.gen_dir(self.index_dir)
        if base.vectors.segments:
            name = vector_segments.segment_file(base.vectors.segments[0].name)
            path = gen_dir / VECTORS_DIR / name
        else:
            path = gen_dir / LEGACY_VECTORS
        digest = base.files.get(path.relative_to(self.index_dir).as_posix())
        try:
            if digest is None or not verify_checksum(path, digest):
                return None
            centroids = Segment.load(path, base.vectors.nprobe, mmap=True).centroids()
        except (OSError, RuntimeError):
            return None
        if centroids.shape != (base.vectors.nlist, self.embedder.dim):
            return None
        return centroids


class _Layout(Protocol):
    @property
    def live(self) -> int: ...


_L = TypeVar("_L", bound=_Layout)


def _next_or_rebuilt(
    folder: Path,
    expected: int,
    incremental: Callable[[], tuple[_L, list[str]]] | None,
    rebuilt: Callable[[], _L],
) -> tuple[_L, list[str]]:
    """The rule both the vector and the BM25 segments follow: the next generation's
    segments are written incrementally (`incremental`: the previous ones reused, the
    changes added; None where a new layout or a repair rules it out) and kept when their
    live count agrees with the store's `expected`; otherwise (a bug, damage the checksums
    missed, an index upgraded without repair) the store is the record, and `rebuilt`
    builds them from it whole. Returns the layout and the files reused unchanged."""
    if incremental is not None:
        layout, reused = incremental()
        if layout.live == expected:
            return layout, reused
        shutil.rmtree(folder)
    return rebuilt(), []


@contextmanager
def _store_errors(index_dir: Path) -> Iterator[None]:
    """Turn an SQLite error (disk full, read-only, damaged), or a failure to write the
    index's own files, into one line with advice. (A source file's read errors never get
    here: they are that file's line in the report.)"""
    try:
        yield
    except sqlite3.Error as exc:
        raise store_error(exc, index_dir) from None
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise IndexStoreError(
                f"the disk holding {index_dir} is full ({exc.strerror}); the index keeps its "
                "previous state: free some space and run the command again"
            ) from None
        if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
            raise IndexStoreError(
                f"cannot write the index {index_dir} ({exc.strerror}); give write permission "
                "or index into a folder on writable storage"
            ) from None
        raise


def _counts(store: Store, base: Manifest, new_gen: int, rebuild: bool) -> tuple[int, int]:
    """Documents and chunks visible at `new_gen`: the committed base's counts moved by
    what this generation changed (a lookup of the changed rows; counting every row is a
    scan of about a second at 1M chunks), or counted whole where the base's counts are
    not to be trusted (repair) or there is no base."""
    if rebuild or base.generation == 0:
        return store.counts(new_gen)
    docs, chunks = store.count_change(new_gen)
    return base.counts.documents + docs, base.counts.chunks + chunks


def _generation_number(name: str) -> int | None:
    try:
        return int(name.removeprefix("gen-"))
    except ValueError:
        return None


def _check_listing(index_dir: Path, manifest: Manifest) -> None:
    """A committed manifest lists every file of its generation (the writer lists the whole
    generation folder), so one that lists fewer, or none, is damaged: otherwise an emptied
    list would open the files without a single checksum verified."""
    if manifest.generation == 0:
        return
    gen_dir = manifest.gen_dir(index_dir)
    try:
        present = {p.relative_to(index_dir).as_posix() for p in gen_dir.rglob("*") if p.is_file()}
    except OSError:
        present = set()
    unlisted = sorted(present - set(manifest.files))
    # Every listed file lies in the generation's folder: a manifest whose generation
    # number changed lists another generation's files (and FAISS would fail on a folder
    # that is not there with a message of its own).
    prefix = gen_dir.relative_to(index_dir).as_posix() + "/"
    foreign = sorted(rel for rel in manifest.files if not rel.startswith(prefix))
    if not manifest.files or unlisted or foreign or not present:
        if foreign:
            what = f"{foreign[0]}, which is not in generation {manifest.generation}"
        elif unlisted:
            what = f"not {unlisted[0]} of generation {manifest.generation}"
        elif not present:
            what = f"generation {manifest.generation}, whose folder is missing"
        else:
            what = f"no files at all of generation {manifest.generation}"
        raise IndexCorruptError(
            f"index {index_dir}: its manifest is damaged (it lists {what}); "
            f"run: ragkit repair --index {index_dir}"
        )


class IndexReader:
    """One generation of an index, opened for searching. Cheap to keep open."""

    def __init__(
        self,
        index_dir: Path,
        manifest: Manifest,
        store: Store,
        vectors: VectorIndex,
        bm25: BM25Index,
        manifest_stamp: tuple[int, int] = (0, 0),
    ) -> None:
        self.index_dir = index_dir
        self.manifest = manifest
        self.store = store
        self.vectors = vectors
        self.bm25 = bm25
        self._manifest_stamp = manifest_stamp

    @classmethod
    def open(cls, index_dir: Path, verify: bool = True) -> IndexReader:
        require_index(index_dir)
        last: Exception | None = None
        for _ in range(3):
            # Stamp before reading: if a writer commits in between, the reader holds the
            # older generation with the older stamp and so notices the commit later.
            stamp = _stamp(index_dir / MANIFEST)
            manifest = read_manifest(index_dir)
            try:
                return cls._open_generation(index_dir, manifest, verify, stamp)
            except IndexCorruptError as exc:
                # A writer may have committed and cleaned up between our reads: retry
                # when the manifest moved on, fail when it did not.
                last = exc
                if read_manifest(index_dir).generation == manifest.generation:
                    raise
        assert last is not None
        raise last

    @classmethod
    def _open_generation(
        cls, index_dir: Path, manifest: Manifest, verify: bool, stamp: tuple[int, int]
    ) -> IndexReader:
        _check_listing(index_dir, manifest)
        for rel, digest in manifest.files.items():
            path = index_dir / rel
            if not path.is_file():
                raise IndexCorruptError(
                    f"index file {path} is missing; run: ragkit repair --index {index_dir}"
                )
            if verify and not verify_checksum(path, digest):
                raise IndexCorruptError(
                    f"index file {path} is damaged (checksum mismatch); "
                    f"run: ragkit repair --index {index_dir}"
                )
        try:
            conn = connect(index_dir, readonly=True)
            store = Store(conn)
            if manifest.generation == 0:
                vectors = VectorIndex.empty(manifest.embedder.dim)
                bm25 = BM25Index.empty()
            else:
                gen_dir = manifest.gen_dir(index_dir)
                vectors = VectorIndex.load(gen_dir / VECTORS_DIR, manifest.vectors, mmap=True)
                bm25 = BM25Index.load(gen_dir / BM25_DIR, manifest.bm25)
        except sqlite3.Error as exc:
            raise store_error(exc, index_dir) from None
        except (OSError, RuntimeError, ValueError) as exc:
            raise IndexCorruptError(
                f"index {index_dir} could not be opened ({exc}); "
                f"run: ragkit repair --index {index_dir}"
            ) from None
        return cls(index_dir, manifest, store, vectors, bm25, stamp)

    @property
    def generation(self) -> int:
        return self.manifest.generation

    def is_stale(self) -> bool:
        """True when a writer has committed a newer generation since this was opened."""
        return _stamp(self.index_dir / MANIFEST) != self._manifest_stamp

    def chunks(self, ids: Sequence[int]) -> dict[int, StoredChunk]:
        return self.store.chunks_by_id(ids, self.generation)

    def verify_store(self) -> list[str]:
        """What is wrong with the store, as lines (empty: nothing found): SQLite's own
        `integrity_check` and every visible chunk's text against its checksum. Reads the
        whole store, so it is a command of its own, not part of every open."""
        try:
            problems = []
            check = self.store.integrity_check()
            if check != "ok":
                problems.append(f"{self.index_dir / STORE}: {check}")
            bad = self.store.damaged_chunks(self.generation)
            if bad:
                shown = ", ".join(map(str, bad))
                problems.append(f"chunk text does not match its checksum (chunks {shown})")
            docs = self.store.damaged_documents(self.generation)
            if docs:
                problems.append(
                    "document path or title does not match its checksum (" + ", ".join(docs) + ")"
                )
            return problems
        except sqlite3.DatabaseError as exc:
            return [f"{self.index_dir / STORE}: {exc}"]

    def close(self) -> None:
        self.store.conn.close()


def _stamp(path: Path) -> tuple[int, int]:
    """Identity of the manifest file: every commit replaces it, giving a new inode."""
    try:
        st = os.stat(path)
        return st.st_ino, st.st_mtime_ns
    except OSError:
        return (0, 0)
