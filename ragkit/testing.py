"""Test support shipped with ragkit, like its fake models: a corpus that changes between
writes, and the state indexing it must produce, computed from the files alone.

Crash and concurrency tests (tests/integration) and bench/crash_bench.py share these.
Leaves out anything about processes or kills; callers own those.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path

from ragkit.index.verify import State
from ragkit.ingest.chunking import Chunker, ChunkerParams
from ragkit.ingest.loaders import LoaderOptions, iter_files, load_file

_SYLLABLES = "ka lo mi nu ra se ti vo ze pa do fe gu hi ju be ly wa xo qi".split()
VOCAB = tuple(a + b + c for a in _SYLLABLES for b in _SYLLABLES for c in _SYLLABLES[:5])


class ChangingCorpus:
    """A folder of small .txt files (2-3 chunks each) that changes between writes."""

    def __init__(self, root: Path, seed: int, files: int) -> None:
        self.root = root
        self.rng = random.Random(seed)
        self._next = 0
        root.mkdir(parents=True)
        for _ in range(files):
            self._write(self._new_name())

    def _new_name(self) -> str:
        self._next += 1
        return f"doc-{self._next:05d}.txt"

    def _write(self, name: str) -> None:
        words = " ".join(self.rng.choice(VOCAB) for _ in range(self.rng.randint(200, 380)))
        (self.root / name).write_text(f"{name} {words}\n", encoding="utf-8")

    def mutate(self, change: float = 0.2, delete: float = 0.04, add: float = 0.04) -> None:
        """Rewrite, delete and add files so that the next write has real work to do."""
        names = sorted(p.name for p in self.root.iterdir())
        picks = self.rng.sample(names, int(len(names) * (change + delete)))
        deleted = int(len(names) * delete)
        for name in picks[:deleted]:
            (self.root / name).unlink()
        for name in picks[deleted:]:
            self._write(name)
        for _ in range(int(len(names) * add)):
            self._write(self._new_name())

    def snapshot(self, dest: Path) -> Path:
        shutil.copytree(self.root, dest)
        return dest


class ExpectedState:
    """What indexing a folder must make visible, from its files through ragkit's loader
    and chunker with default settings. Chunks are cached by file content: most files
    stay unchanged between writes, and chunking them all again would cost seconds."""

    def __init__(self, params: ChunkerParams | None = None) -> None:
        self._chunker = Chunker(params or ChunkerParams())
        self._rows: dict[tuple[Path, bytes], list[tuple[int, str]]] = {}

    def __call__(self, folder: Path, as_folder: Path | None = None) -> State:
        """Sources are named as if the files lay in `as_folder` (for snapshots copied
        into the indexed folder later)."""
        rows: list[tuple[str, int, str]] = []
        for path in iter_files([folder]):
            key = (path, path.read_bytes())
            if key not in self._rows:
                docs = load_file(path, LoaderOptions())
                self._rows[key] = [
                    (c.ordinal, c.text) for d in docs for c in self._chunker.split(d)
                ]
            source = str(((as_folder or folder) / path.relative_to(folder)).resolve())
            rows.extend((source, ordinal, text) for ordinal, text in self._rows[key])
        return tuple(sorted(rows))
