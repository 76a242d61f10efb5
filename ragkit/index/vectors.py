"""`vectors/`: the dense vectors of one generation, keyed by chunk id, in segments so that
a small change writes a small file.

Two layouts, chosen by size (`choose_layout`):

- `flat`: `IndexIDMap2(IndexFlatIP)`, exact cosine search on unit vectors. Used below
  `ivf_threshold` vectors, where scanning everything is fast enough.
- `ivf`: `IndexIVFFlat` with ~sqrt(n) lists, which keeps ids natively. Its `nprobe` is
  calibrated when the layout is built: the smallest value whose recall@10 against exact
  search, on a sample of stored vectors used as queries, reaches `target_recall` on
  deliberately hard queries (see `_calibrate`). That measured recall is recorded in the
  manifest.

Segments follow bm25.py: a generation has a large segment, written once and then
hard-linked from generation to generation (never rewritten), and a small one that each
commit writes anew from the previous small segment's live vectors plus the new ones.
Removed vectors of the large segment are masked at search (a FAISS `IDSelector` over a
per-generation list of deleted ids), so they are never scored. The small segment of an
IVF layout is an IVF over the large one's trained centroids: a query probes the same
lists in both and every vector of a probed list is scored by the same kernel, so a
segmented generation returns the ids and scores one IVF holding the same vectors would
(tests/unit/test_segments.py); results are ordered by score, ties by chunk id.
When the small segment and the masked vectors pass `merge_ratio` of the large segment's
live vectors, the commit merges them into one new large segment (reusing its trained
lists); `ragkit repair` writes one segment from the vectors cached in SQLite.

The whole layout is rebuilt only when it changes (crossing the threshold, or an IVF that
has grown far past the size it was trained for). Readers memory-map the large segment,
so opening does not pull every vector through Python. Written with `faiss.write_index`
and `np.save`, no pickle. Leaves out product quantization and GPU indexes.
"""

from __future__ import annotations

import math
import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from ragkit.index.manifest import VectorLayout, VectorSegment

VECTORS_DIR = "vectors"
LEGACY_VECTORS = "vectors.faiss"  # the one file per generation of format versions 1 and 2
Vectors = npt.NDArray[np.float32]
Ids = npt.NDArray[np.int64]


def _faiss() -> Any:
    import faiss

    return faiss


def segment_file(name: str) -> str:
    return f"{name}.faiss"


def deleted_file(name: str) -> str:
    return f"{name}.deleted.npy"


def segment_name(generation: int) -> str:
    """Each generation writes at most one segment, so its number names it."""
    return f"seg-{generation:06d}"


def choose_layout(
    current: VectorLayout, count: int, ivf_threshold: int
) -> Literal["keep", "flat", "ivf"]:
    """Whether the next generation keeps the layout or is rebuilt as flat or IVF."""
    if current.kind == "flat":
        return "ivf" if count >= ivf_threshold else "keep"
    if count < ivf_threshold // 2:
        return "flat"  # hysteresis: no flapping around the threshold
    if count > 4 * max(current.trained_on, 1):
        return "ivf"  # too few lists for its size now: retrain
    return "keep"


class Segment:
    """One FAISS file: a flat or IVF index of some chunks' vectors."""

    def __init__(self, index: Any, nprobe: int = 0) -> None:
        self._index = index
        self.nprobe = nprobe

    @property
    def is_ivf(self) -> bool:
        return bool(self.nprobe)

    @classmethod
    def create_flat(cls, dim: int) -> Segment:
        faiss = _faiss()
        return cls(faiss.IndexIDMap2(faiss.IndexFlatIP(dim)))

    @classmethod
    def create_ivf(cls, centroids: Vectors, nprobe: int) -> Segment:
        """An empty IVF whose lists are the given (trained) centroids."""
        faiss = _faiss()
        nlist, dim = centroids.shape
        quantizer = faiss.IndexFlatIP(dim)
        quantizer.add(np.ascontiguousarray(centroids, dtype=np.float32))
        index = faiss.IndexIVFFlat(quantizer, dim, nlist, faiss.METRIC_INNER_PRODUCT)
        # The index frees its quantizer (and Python no longer does).
        index.own_fields = True
        quantizer.this.disown()
        index.nprobe = nprobe
        return cls(index, nprobe)

    @classmethod
    def load(cls, path: Path, nprobe: int, mmap: bool = False) -> Segment:
        """`nprobe` 0: a flat file. `mmap` maps it read-only instead of reading it."""
        faiss = _faiss()
        flags = 0
        if mmap:
            flags = faiss.IO_FLAG_MMAP if nprobe else faiss.IO_FLAG_MMAP_IFC
        index = faiss.read_index(str(path), flags)
        if nprobe:
            index.nprobe = nprobe
        return cls(index, nprobe)

    def save(self, path: Path) -> None:
        _faiss().write_index(self._index, str(path))

    @property
    def dim(self) -> int:
        return int(self._index.d)

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def centroids(self) -> Vectors:
        quantizer = self._index.quantizer
        return np.asarray(quantizer.reconstruct_n(0, quantizer.ntotal), dtype=np.float32)

    def empty_like(self) -> Segment:
        """A segment of the same layout without vectors (IVF: the same trained lists)."""
        if self.is_ivf:
            return Segment.create_ivf(self.centroids(), self.nprobe)
        return Segment.create_flat(self.dim)

    def add(self, ids: Ids, vectors: Vectors) -> None:
        if len(ids):
            self._index.add_with_ids(
                np.ascontiguousarray(vectors, dtype=np.float32),
                np.ascontiguousarray(ids, dtype=np.int64),
            )

    def remove(self, ids: Ids) -> None:
        if len(ids):
            self._index.remove_ids(np.ascontiguousarray(ids, dtype=np.int64))

    def contents(self, vectors: bool = True) -> tuple[Ids, Vectors]:
        """Every stored (id, vector), in storage order; `vectors=False` reads ids only
        (the vectors returned are then empty)."""
        faiss = _faiss()
        n, dim = len(self), self.dim
        empty = np.zeros((0, dim), dtype=np.float32)
        if not self.is_ivf:
            ids = faiss.vector_to_array(self._index.id_map).astype(np.int64)
            if not vectors or n == 0:
                return ids, empty
            return ids, np.asarray(self._index.index.reconstruct_n(0, n), dtype=np.float32)
        lists = self._index.invlists
        id_parts, vec_parts = [], []
        for number in range(self._index.nlist):
            size = lists.list_size(number)
            if not size:
                continue
            id_parts.append(faiss.rev_swig_ptr(lists.get_ids(number), size).copy())
            if vectors:
                codes = faiss.rev_swig_ptr(lists.get_codes(number), size * lists.code_size)
                vec_parts.append(codes.copy().view(np.float32).reshape(size, dim))
        ids = np.concatenate(id_parts).astype(np.int64) if id_parts else np.zeros(0, np.int64)
        if not vectors or not vec_parts:
            return ids, empty
        return ids, np.concatenate(vec_parts)

    def search(self, query: Vectors, k: int, selector: Any = None) -> tuple[Vectors, Ids]:
        """Top-k (scores, ids) of one query among the vectors `selector` lets through."""
        faiss = _faiss()
        if self.is_ivf:
            params = faiss.SearchParametersIVF(nprobe=self.nprobe)
        else:
            params = faiss.SearchParameters()
        if selector is not None:
            params.sel = selector
        scores, ids = self._index.search(
            np.ascontiguousarray(query, dtype=np.float32), k, params=params
        )
        keep = ids[0] >= 0
        return scores[0][keep], ids[0][keep]


class VectorIndex:
    """The vector segments of one generation, searched as one index."""

    def __init__(self, parts: Sequence[tuple[Segment, Ids]], layout: VectorLayout) -> None:
        faiss = _faiss()
        self.layout = layout
        # (segment, its deleted ids, the selector masking them); FAISS holds a selector
        # by pointer only, so the Python objects stay referenced here.
        self._parts: list[tuple[Segment, Ids, Any]] = []
        for segment, deleted in parts:
            selector = None
            if len(deleted):
                batch = faiss.IDSelectorBatch(np.ascontiguousarray(deleted, dtype=np.int64))
                selector = (faiss.IDSelectorNot(batch), batch)
            self._parts.append((segment, deleted, selector))
        self._live = sum(len(s) - len(d) for s, d in parts)
        self._dim = parts[0][0].dim if parts else 0

    @classmethod
    def empty(cls, dim: int) -> VectorIndex:
        return cls([(Segment.create_flat(dim), _i64([]))], VectorLayout())

    @classmethod
    def load(cls, folder: Path, layout: VectorLayout, mmap: bool = False) -> VectorIndex:
        """A generation's segments from its `vectors/` folder; `mmap` maps the files."""
        parts = []
        for seg in layout.segments:
            segment = Segment.load(folder / segment_file(seg.name), layout.nprobe, mmap)
            deleted = (
                np.load(folder / deleted_file(seg.name), allow_pickle=False)
                if seg.deleted
                else _i64([])
            )
            if len(segment) != seg.vectors or len(deleted) != seg.deleted:
                raise ValueError(f"vector segment {seg.name} does not match the manifest")
            parts.append((segment, deleted))
        return cls(parts, layout)

    @property
    def dim(self) -> int:
        return self._dim

    def __len__(self) -> int:
        return self._live

    def chunk_ids(self) -> Ids:
        """The chunk ids of every live vector, ascending (reads every segment's ids)."""
        out = []
        for segment, deleted, _ in self._parts:
            ids, _ = segment.contents(vectors=False)
            out.append(ids[~np.isin(ids, deleted)] if len(deleted) else ids)
        return np.sort(np.concatenate(out)) if out else _i64([])

    def search(self, query: Vectors, k: int) -> tuple[Vectors, Ids]:
        """Top-k (scores, chunk ids) for one query vector of shape (1, dim), best first,
        ties by ascending chunk id."""
        if self._live <= 0 or k <= 0:
            return np.zeros(0, dtype=np.float32), _i64([])
        all_scores, all_ids = [], []
        for segment, _, selector in self._parts:
            if len(segment):
                scores, ids = segment.search(query, k, None if selector is None else selector[0])
                all_scores.append(scores)
                all_ids.append(ids)
        scores = np.concatenate(all_scores)
        ids = np.concatenate(all_ids).astype(np.int64)
        order = np.lexsort((ids, -scores))[:k]
        return scores[order], ids[order]


def build_flat(ids: Ids, vectors: Vectors) -> Segment:
    segment = Segment.create_flat(vectors.shape[1])
    segment.add(ids, vectors)
    return segment


def build_ivf(
    ids: Ids,
    vectors: Vectors,
    target_recall: float = 0.95,
    seed: int = 1234,
) -> tuple[Segment, VectorLayout]:
    """Train an IVF layout on `vectors`, add them, and calibrate nprobe."""
    faiss = _faiss()
    n, dim = vectors.shape
    nlist = int(min(65536, max(16, round(math.sqrt(n)))))
    rng = np.random.default_rng(seed)
    sample = vectors[rng.choice(n, size=min(n, 64 * nlist), replace=False)]
    index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, nlist, faiss.METRIC_INNER_PRODUCT)
    index.cp.seed = seed
    index.train(np.ascontiguousarray(sample))
    index.add_with_ids(np.ascontiguousarray(vectors), np.ascontiguousarray(ids))
    nprobe, recall = _calibrate(index, ids, vectors, target_recall, rng)
    index.nprobe = nprobe
    layout = VectorLayout(kind="ivf", nlist=nlist, nprobe=nprobe, trained_on=n, recall_at_10=recall)
    return Segment(index, nprobe), layout


def write_single(
    folder: Path, generation: int, segment: Segment, layout: VectorLayout
) -> VectorLayout:
    """`segment` as the only one of a generation, in `folder` (created)."""
    folder.mkdir(parents=True)
    # Written even when empty: every generation has files, and a manifest listing none
    # is taken for a damaged one.
    name = segment_name(generation)
    segment.save(folder / segment_file(name))
    return layout.model_copy(update={"segments": (VectorSegment(name=name, vectors=len(segment)),)})


def write_next(
    prev_folder: Path,
    prev: VectorLayout,
    folder: Path,
    generation: int,
    dim: int,
    removed: Sequence[int],
    added_ids: Ids,
    added: Vectors,
    merge_ratio: float,
) -> tuple[VectorLayout, list[str]]:
    """The next generation's segments in `folder` (created) from the previous ones in
    `prev_folder`, in the same layout: `removed` chunk ids (each live in the previous
    generation) masked or dropped, the added vectors in the small segment, or all merged
    into one when the small segment and masked vectors pass `merge_ratio` of the large
    one's live vectors. Returns the layout and the files (relative to `folder`)
    hard-linked unchanged from `prev_folder`, whose checksums stay those of the previous
    manifest."""
    gone = _i64(sorted(set(removed)))
    new_name = segment_name(generation)
    if not prev.segments:
        # Nothing to build on (a new index, or one emptied): the new vectors alone.
        segment = Segment.create_flat(dim)
        segment.add(added_ids, added)
        return write_single(folder, generation, segment, prev), []
    big_seg = prev.segments[0]
    big = Segment.load(prev_folder / segment_file(big_seg.name), prev.nprobe, mmap=True)
    if len(prev.segments) > 1:
        small = Segment.load(prev_folder / segment_file(prev.segments[1].name), prev.nprobe)
    else:
        small = big.empty_like()
    small_ids, _ = small.contents(vectors=False)
    in_small = np.isin(gone, small_ids)
    small.remove(gone[in_small])
    big_deleted = gone[~in_small]
    if big_seg.deleted:
        earlier = np.load(prev_folder / deleted_file(big_seg.name), allow_pickle=False)
        big_deleted = np.union1d(earlier, big_deleted).astype(np.int64)
    big_live = len(big) - len(big_deleted)
    if len(small) + len(added_ids) + len(big_deleted) > merge_ratio * big_live:
        # Merge: the large segment read whole, its masked vectors dropped, the small
        # segment's and the new ones added; an IVF keeps its trained lists.
        merged = Segment.load(prev_folder / segment_file(big_seg.name), prev.nprobe)
        merged.remove(big_deleted)
        merged.add(*small.contents())
        merged.add(added_ids, added)
        return write_single(folder, generation, merged, prev), []
    small.add(added_ids, added)
    folder.mkdir(parents=True)
    reused = _link(prev_folder / segment_file(big_seg.name), folder / segment_file(big_seg.name))
    segments = [VectorSegment(name=big_seg.name, vectors=len(big), deleted=len(big_deleted))]
    if len(big_deleted):
        np.save(folder / deleted_file(big_seg.name), big_deleted, allow_pickle=False)
    if len(small):
        small.save(folder / segment_file(new_name))
        segments.append(VectorSegment(name=new_name, vectors=len(small)))
    return prev.model_copy(update={"segments": tuple(segments)}), reused


def _link(src: Path, dest: Path) -> list[str]:
    """Hard-link a segment file into the new generation; where the file system has no
    hard links, copy it (and report nothing reused, so it is synced and summed)."""
    try:
        os.link(src, dest)
    except OSError:
        shutil.copyfile(src, dest)
        return []
    return [dest.name]


def _calibrate(
    index: Any,
    ids: Ids,
    vectors: Vectors,
    target: float,
    rng: np.random.Generator,
    queries: int = 200,
) -> tuple[int, float]:
    """Smallest power-of-two nprobe whose recall@10 against exact search reaches `target`.

    Each calibration query is the normalised sum of three random stored vectors: a point
    between clusters, like a real question that resembles no single passage. Measured on
    SciFact-derived vectors, such queries need a larger nprobe than real questions do, so
    the recall they report is a conservative estimate of real recall."""
    faiss = _faiss()
    n, dim = vectors.shape
    count = min(queries, n)
    mixed = sum(vectors[rng.choice(n, size=count)] for _ in range(3))
    noisy = np.ascontiguousarray(
        mixed / np.linalg.norm(mixed, axis=1, keepdims=True), dtype=np.float32
    )
    exact = faiss.IndexFlatIP(dim)
    exact.add(np.ascontiguousarray(vectors))
    _, truth_pos = exact.search(noisy, 10)
    truth = [set(ids[row[row >= 0]].tolist()) for row in truth_pos]
    recall = 0.0
    nprobe = 1
    while True:
        index.nprobe = nprobe
        _, found = index.search(noisy, 10)
        hits = sum(len(t & set(f.tolist())) for t, f in zip(truth, found, strict=True))
        recall = hits / max(1, sum(len(t) for t in truth))
        if recall >= target or nprobe >= index.nlist:
            return nprobe, recall
        nprobe = min(2 * nprobe, index.nlist)


def _i64(values: Sequence[int]) -> Ids:
    return np.asarray(values, dtype=np.int64)
