"""Look at an index without loading it: its manifest and its SQLite store, read-only.

What `ragkit ls` and `ragkit info` need, and the existence checks every reader shares.
Imports neither numpy nor FAISS nor bm25s, so those commands start in a fraction of a
second. Leaves out checksum verification and the vector and BM25 files, which
`IndexReader.open` (engine.py) loads and verifies for searching.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ragkit.errors import IndexCorruptError, IndexNotFoundError
from ragkit.index.lock import LOCK_FILE
from ragkit.index.manifest import MANIFEST, Manifest, read_manifest
from ragkit.index.store import Store, connect


def require_index(index_dir: Path) -> None:
    """Raise the error a user sees when `index_dir` holds no committed index."""
    if (index_dir / MANIFEST).is_file():
        return
    if index_dir.exists() and any(p.name != LOCK_FILE for p in index_dir.iterdir()):
        raise IndexCorruptError(
            f"{index_dir} has no {MANIFEST}; it is not a ragkit index or was never "
            "finished — delete the folder and index again"
        )
    raise IndexNotFoundError(
        f"index {index_dir} does not exist; build it first with: "
        f"ragkit index PATH --index {index_dir}{_others(index_dir)}"
    )


def _others(index_dir: Path) -> str:
    """ "; the indexes here are: a, b" (the finished indexes beside `index_dir`), or ""."""
    try:
        names = sorted(
            p.name
            for p in index_dir.parent.iterdir()
            if p != index_dir and (p / MANIFEST).is_file()
        )
    except OSError:
        return ""
    if not names:
        return f" ({index_dir.parent} holds no index yet)"
    shown = ", ".join(names[:20]) + (f" and {len(names) - 20} more" if len(names) > 20 else "")
    return f" (the indexes in {index_dir.parent} are: {shown})"


@dataclass
class Catalog:
    """The committed generation's manifest and the store to read its rows from."""

    manifest: Manifest
    store: Store

    @property
    def generation(self) -> int:
        return self.manifest.generation

    def close(self) -> None:
        self.store.conn.close()


def open_catalog(index_dir: Path) -> Catalog:
    """The manifest and a read-only store of `index_dir`. Rows of the manifest's
    generation stay in the store until a writer commits the generation after next, so a
    commit racing this read still leaves a consistent view."""
    require_index(index_dir)
    manifest = read_manifest(index_dir)
    return Catalog(manifest, Store(connect(index_dir, readonly=True)))
