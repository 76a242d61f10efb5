"""Look at an index without loading it: its manifest and its SQLite store, read-only.

What `ragkit ls` and `ragkit info` need, and the existence checks every reader shares.
Imports neither numpy nor FAISS nor bm25s, so those commands start in a fraction of a
second. Leaves out checksum verification and the vector and BM25 files, which
`IndexReader.open` (engine.py) loads and verifies for searching.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path

from ragkit.errors import IndexCorruptError, IndexNotFoundError
from ragkit.index.lock import LOCK_FILE
from ragkit.index.manifest import MANIFEST, Manifest, read_manifest
from ragkit.index.store import Store, connect


def require_index(index_dir: Path, given: str | None = None) -> None:
    """Raise the error a user sees when `index_dir` holds no committed index. `given` is
    the index as the user named it (`--index` as typed; "" for the configured default),
    so the advice repeats their own spelling and its command makes that very folder."""
    if (index_dir / MANIFEST).is_file():
        return
    if index_dir.exists() and any(p.name != LOCK_FILE for p in index_dir.iterdir()):
        raise IndexCorruptError(
            f"{index_dir} has no {MANIFEST}; it is not a ragkit index or was never "
            "finished — delete the folder and index again"
        )
    named = given if given else str(index_dir)
    # A plain name lives under the index home: say where, once.
    home = bool(given) and Path(named) != index_dir
    raise IndexNotFoundError(
        f"index {named} does not exist{f' in {_folder(index_dir.parent)}' if home else ''}; "
        f"build it first with: ragkit index DOCS{_index_flag(index_dir, given)}"
        f"{_others(index_dir, home)}"
    )


def _index_flag(index_dir: Path, given: str | None) -> str:
    """The `--index` the creating command needs: none for the default index."""
    if given == "":
        return ""
    return f" --index {shlex.quote(given if given is not None else str(index_dir))}"


def _others(index_dir: Path, named_parent: bool) -> str:
    """ " (the indexes in F are: a, b)" for the finished indexes in `index_dir`'s folder
    F, or a note that F holds none ("there" when the message has named F already)."""
    parent = index_dir.parent
    where = "there" if named_parent else f"in {_folder(parent)}"
    try:
        names = sorted(
            p.name for p in parent.iterdir() if p != index_dir and (p / MANIFEST).is_file()
        )
    except OSError:
        return ""
    if not names:
        return f" (no index {where} yet)"
    shown = ", ".join(names[:20]) + (f" and {len(names) - 20} more" if len(names) > 20 else "")
    return f" (the indexes {where} are: {shown})"


def _folder(path: Path) -> str:
    return "the current folder" if str(path) == "." else str(path)


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


def open_catalog(index_dir: Path, given: str | None = None) -> Catalog:
    """The manifest and a read-only store of `index_dir`. Rows of the manifest's
    generation stay in the store until a writer commits the generation after next, so a
    commit racing this read still leaves a consistent view. `given`: as for
    `require_index`."""
    require_index(index_dir, given)
    manifest = read_manifest(index_dir)
    return Catalog(manifest, Store(connect(index_dir, readonly=True)))
