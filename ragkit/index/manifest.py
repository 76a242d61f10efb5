"""`manifest.json`: what an index is and which generation of its files is current.

The manifest is the commit point of every write: a new generation's files are written
and synced first, then the manifest is replaced atomically. It records the format
version, the embedder id and dimension, the chunker and analyzer parameters, counts,
and the sha256 of every data file of the current generation, verified on open.
Leaves out the files' contents (see store.py, vectors.py, bm25.py).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from ragkit._version import __version__
from ragkit.errors import IndexCorruptError, IndexMismatchError
from ragkit.index.fsutil import atomic_write_bytes

if TYPE_CHECKING:
    from ragkit.ingest.chunking import Chunker
    from ragkit.models.embeddings import Embedder

FORMAT_NAME = "ragkit-index"
FORMAT_VERSION = 3
# Version 1 kept BM25 as one bm25s index per generation, versions 1 and 2 the vectors as
# one FAISS file per generation (`vectors.faiss`); `ragkit repair` rebuilds both as
# segments from the store (its vectors cache included: nothing is embedded again).
UPGRADABLE_VERSIONS = (1, 2)
MANIFEST = "manifest.json"


class VectorSegment(BaseModel):
    """One vector segment of a generation (see vectors.py): `vectors/<name>.faiss` holds
    `vectors` vectors, of which `deleted` are masked, listed in `vectors/<name>.deleted.npy`."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str
    vectors: int
    deleted: int = 0


class VectorLayout(BaseModel):
    """How a generation's vectors are laid out (see vectors.py), its segments largest
    first; kept here, without numpy, so that reading a manifest (`ragkit ls`, `info`)
    imports neither numpy nor FAISS."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: Literal["flat", "ivf"] = "flat"
    nlist: int = 0
    nprobe: int = 0
    trained_on: int = 0
    recall_at_10: float = 1.0
    segments: tuple[VectorSegment, ...] = ()

    @property
    def live(self) -> int:
        return sum(s.vectors - s.deleted for s in self.segments)


class BM25Segment(BaseModel):
    """One BM25 segment of a generation (see bm25.py): `bm25/<name>/` holds its
    postings; `deleted` of its `chunks` rows are masked, listed in `bm25/<name>.deleted.npy`."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str
    chunks: int
    deleted: int = 0


class BM25Layout(BaseModel):
    """The BM25 segments of a generation, largest first."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    segments: tuple[BM25Segment, ...] = ()

    @property
    def live(self) -> int:
        return sum(s.chunks - s.deleted for s in self.segments)


class EmbedderInfo(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    dim: int
    family: str = ""


class ChunkerInfo(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    chunk_size: int
    chunk_overlap: int


class Counts(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    documents: int = 0
    chunks: int = 0


class Manifest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    format: str = FORMAT_NAME
    format_version: int = FORMAT_VERSION
    ragkit_version: str
    created: str
    updated: str
    generation: int
    embedder: EmbedderInfo
    chunker: ChunkerInfo
    analyzer: str
    counts: Counts = Counts()
    vectors: VectorLayout = VectorLayout()
    bm25: BM25Layout = BM25Layout()
    files: dict[str, str] = {}
    """Path relative to the index folder → checksum (`xxh3_128:<hex>`)."""

    def gen_dir(self, index_dir: Path) -> Path:
        return index_dir / generation_dirname(self.generation)


def generation_dirname(generation: int) -> str:
    return f"gen-{generation:06d}"


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def next_generation(base: Manifest, counts: tuple[int, int], **update: object) -> Manifest:
    """The manifest that commits the generation after `base`, holding `counts`
    (documents, chunks), with `update`'s other fields changed."""
    documents, chunks = counts
    return base.model_copy(
        update={
            "generation": base.generation + 1,
            "updated": now_iso(),
            "ragkit_version": __version__,
            "counts": Counts(documents=documents, chunks=chunks),
            **update,
        }
    )


def chunker_info(chunker: Chunker) -> ChunkerInfo:
    return ChunkerInfo(
        chunk_size=chunker.params.chunk_size, chunk_overlap=chunker.params.chunk_overlap
    )


def fresh_manifest(embedder: Embedder, chunker: Chunker, analyzer: str) -> Manifest:
    """Generation 0 of a new index built with these models (local folder or Milvus)."""
    now = now_iso()
    return Manifest(
        ragkit_version=__version__,
        created=now,
        updated=now,
        generation=0,
        embedder=EmbedderInfo(id=embedder.id, dim=embedder.dim, family=embedder.family),
        chunker=chunker_info(chunker),
        analyzer=analyzer,
    )


def read_manifest(index_dir: Path, upgrade: bool = False) -> Manifest:
    """The manifest of `index_dir`. `upgrade` (for `ragkit repair`, which rebuilds what
    changed between versions) also accepts the versions in UPGRADABLE_VERSIONS."""
    path = index_dir / MANIFEST
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise IndexCorruptError(
            f"index {index_dir} has no {MANIFEST}; it is not a ragkit index or was never "
            "finished — delete the folder and index again"
        ) from None
    except (OSError, ValueError) as exc:
        raise IndexCorruptError(
            f"{path} is unreadable ({exc}); run: ragkit repair --index {index_dir}"
        ) from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT_NAME:
        raise IndexCorruptError(f"{path} is not a ragkit index manifest")
    version = raw.get("format_version")
    if version in UPGRADABLE_VERSIONS and upgrade:
        raw = {**raw, "format_version": FORMAT_VERSION}
    elif version in UPGRADABLE_VERSIONS:
        raise IndexMismatchError(
            f"index {index_dir} has format version {version} of an earlier ragkit; "
            f"run: ragkit repair --index {index_dir} to bring it to version {FORMAT_VERSION} "
            "(vectors and BM25 are rebuilt from the store; nothing is embedded again)"
        )
    elif version != FORMAT_VERSION:
        raise IndexMismatchError(
            f"index {index_dir} has format version {version}, this ragkit reads version "
            f"{FORMAT_VERSION}; use a matching ragkit or index the files again into a new index"
        )
    try:
        return Manifest.model_validate(raw)
    except ValidationError as exc:
        raise IndexCorruptError(f"{path} is malformed: {exc.errors()[0]['msg']}") from None


def write_manifest(index_dir: Path, manifest: Manifest) -> None:
    data = json.dumps(manifest.model_dump(), indent=2, ensure_ascii=False).encode("utf-8")
    atomic_write_bytes(index_dir / MANIFEST, data + b"\n")
