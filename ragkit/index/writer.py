"""What the local index writer (engine.py) and the Milvus writer share.

`Writer` holds the models and options both are given, times an `add` into its report,
finds the indexed files a `remove` names, and embeds the texts that have no vector yet.
`mismatch` words the refusal to add to an index built with other settings. Leaves out
how either stores anything: sessions, rows, generations and commits stay in each writer.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ragkit.errors import IndexMismatchError
from ragkit.index.ingest import FileIngest
from ragkit.index.manifest import Manifest
from ragkit.index.progress import IndexProgress, NoProgress
from ragkit.ingest.chunking import Chunker
from ragkit.ingest.loaders import LoaderOptions
from ragkit.models.embeddings import Embedder
from ragkit.text.analysis import Analyzer
from ragkit.types import FileOutcome, IndexReport


@dataclass(eq=False, repr=False)
class Writer(ABC):
    """Adds files to, or removes them from, one index. Subclasses write one generation
    per call (the local engine may commit checkpoints on the way). `wait`: wait for
    another writer's lock rather than fail at once."""

    index_dir: Path
    embedder: Embedder
    chunker: Chunker
    analyzer: Analyzer
    loader_options: LoaderOptions
    wait: bool = True

    def add(self, paths: Sequence[Path], progress: IndexProgress | None = None) -> IndexReport:
        """Index `paths` (files, or folders walked recursively); unchanged files are
        skipped and files gone from a folder indexed again are removed."""
        started = time.perf_counter()
        outcomes, chunks_added = self._add(paths, progress or NoProgress())
        return IndexReport(
            files=tuple(outcomes),
            chunks_added=chunks_added,
            seconds=time.perf_counter() - started,
        )

    @abstractmethod
    def _add(self, paths: Sequence[Path], prog: IndexProgress) -> tuple[list[FileOutcome], int]:
        """The report's lines and the number of chunks added."""

    @abstractmethod
    def remove(self, paths: Sequence[Path], progress: IndexProgress | None = None) -> list[str]:
        """Remove files (or every file under a folder) from the index; return their paths."""

    @abstractmethod
    def repair(self, progress: IndexProgress | None = None) -> int:
        """Rebuild what can be rebuilt; return the number of chunks."""

    def _ingest(self, analyzed: bool, pipeline: bool = False) -> FileIngest:
        """The shared walk-and-prepare loop with this writer's models; `analyzed`: with
        ragkit's BM25 terms (a backend that analyses text itself needs none)."""
        analyzer = self.analyzer if analyzed else None
        return FileIngest(self.loader_options, self.chunker, analyzer, pipeline)

    def _embed_missing(
        self,
        hashes: Sequence[str],
        texts: Sequence[str],
        cached: Collection[str],
        batch: int,
        prog: IndexProgress,
        queued: Callable[[int], int] = lambda n: n,
    ) -> Iterable[tuple[list[str], np.ndarray]]:
        """(hashes, vectors) of each batch of the texts whose hash is not in `cached`,
        each text embedded once. `queued` turns this call's count into the total shown
        (a run that embeds batch by batch shows its running total)."""
        todo: dict[str, str] = {}
        for h, text in zip(hashes, texts, strict=True):
            if h not in cached:
                todo.setdefault(h, text)
        prog.embedding(queued(len(todo)))
        items = list(todo.items())
        for start in range(0, len(items), batch):
            part = items[start : start + batch]
            vectors = self.embedder.embed([t for _, t in part], progress=prog.embedded)
            yield [h for h, _ in part], vectors


def covered(sources: Iterable[str], paths: Sequence[Path]) -> list[str]:
    """The indexed `sources` that `paths` name, as files or as folders holding them."""
    targets = [p.resolve() for p in paths]
    return [s for s in sources if any(Path(s) == t or Path(s).is_relative_to(t) for t in targets)]


def mismatch(index: object, manifest: Manifest, analyzer: bool = True) -> IndexMismatchError:
    """The refusal to add to `index` with chunker (and analyzer) settings other than
    the ones `manifest` records."""
    built = manifest.chunker
    analysed = f" and analyzer {manifest.analyzer}" if analyzer else ""
    return IndexMismatchError(
        f"index {index} was built with chunk_size {built.chunk_size}, chunk_overlap "
        f"{built.chunk_overlap}{analysed}; use the same settings or a new index"
    )


def embedder_mismatch(index: object, manifest: Manifest, configured: str) -> IndexMismatchError:
    """The refusal to add to `index` with an embedder other than the one it was built with."""
    e = manifest.embedder
    return IndexMismatchError(
        f"index {index} was built with embedder {e.id} (dim {e.dim}) but {configured} is "
        "configured; use the same RAGKIT_EMBEDDER__MODEL or index into a new index"
    )
