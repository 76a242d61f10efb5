"""`vectors.faiss`: the dense vectors of one generation, keyed by chunk id.

Two layouts, chosen by size (`choose_layout`):

- `flat`: `IndexIDMap2(IndexFlatIP)`, exact cosine search on unit vectors. Used below
  `ivf_threshold` vectors, where scanning everything is fast enough.
- `ivf`: `IndexIVFFlat` with ~sqrt(n) lists, which keeps ids natively and supports
  removal. Its `nprobe` is calibrated when the layout is built: the smallest value whose
  recall@10 against exact search, on a sample of stored vectors used as queries, reaches
  `target_recall` on deliberately hard queries (see `_calibrate`). That measured recall
  is recorded in the manifest.

Each generation's file is derived from the previous one by removing and adding ids; the
whole file is rebuilt only when the layout changes (crossing the threshold, or an IVF
that has grown far past the size it was trained for). Readers memory-map the file, so
opening does not pull every vector through Python. Written with `faiss.write_index`,
no pickle. Leaves out product quantization and GPU indexes.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from ragkit.index.manifest import VectorLayout

VECTORS = "vectors.faiss"
Vectors = npt.NDArray[np.float32]
Ids = npt.NDArray[np.int64]


def _faiss() -> Any:
    import faiss

    return faiss


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


class VectorIndex:
    def __init__(self, index: Any, layout: VectorLayout) -> None:
        self._index = index
        self.layout = layout

    @classmethod
    def create_flat(cls, dim: int) -> VectorIndex:
        faiss = _faiss()
        return cls(faiss.IndexIDMap2(faiss.IndexFlatIP(dim)), VectorLayout())

    @classmethod
    def build_ivf(
        cls,
        ids: Ids,
        vectors: Vectors,
        target_recall: float = 0.95,
        seed: int = 1234,
    ) -> VectorIndex:
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
        layout = VectorLayout(
            kind="ivf", nlist=nlist, nprobe=nprobe, trained_on=n, recall_at_10=recall
        )
        return cls(index, layout)

    @classmethod
    def build_flat(cls, ids: Ids, vectors: Vectors) -> VectorIndex:
        index = cls.create_flat(vectors.shape[1])
        index.add(ids, vectors)
        return index

    @classmethod
    def load(cls, path: Path, layout: VectorLayout, mmap: bool = False) -> VectorIndex:
        """Load a generation's file; `mmap` maps it read-only instead of reading it."""
        faiss = _faiss()
        flags = 0
        if mmap:
            flags = faiss.IO_FLAG_MMAP if layout.kind == "ivf" else faiss.IO_FLAG_MMAP_IFC
        index = faiss.read_index(str(path), flags)
        if layout.kind == "ivf":
            index.nprobe = layout.nprobe
        return cls(index, layout)

    def save(self, path: Path) -> None:
        _faiss().write_index(self._index, str(path))

    @property
    def dim(self) -> int:
        return int(self._index.d)

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def add(self, ids: Ids, vectors: Vectors) -> None:
        if len(ids):
            self._index.add_with_ids(
                np.ascontiguousarray(vectors, dtype=np.float32),
                np.ascontiguousarray(ids, dtype=np.int64),
            )

    def remove(self, ids: Ids) -> None:
        if len(ids):
            self._index.remove_ids(np.ascontiguousarray(ids, dtype=np.int64))

    def search(self, query: Vectors, k: int) -> tuple[Vectors, Ids]:
        """Top-k (scores, chunk ids) for one query vector of shape (1, dim)."""
        if len(self) == 0:
            return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
        scores, ids = self._index.search(np.ascontiguousarray(query, dtype=np.float32), k)
        keep = ids[0] >= 0
        return scores[0][keep], ids[0][keep]


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
