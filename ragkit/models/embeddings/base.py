"""The `Embedder` interface: subclasses implement `embed_batch`; batching, progress
and query embedding derive from it. Leaves out caching (the index store caches
vectors by text hash) and any model loading policy (subclasses load lazily)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.float32]
ProgressFn = Callable[[int], None]
"""Called with the number of texts just embedded."""


class Embedder(ABC):
    """Maps texts to unit-length float32 vectors of a fixed dimension.

    `id` names the model for index manifests: an index built with one id refuses to be
    searched with another, because their vectors are not comparable.
    """

    id: str
    batch_size: int = 8
    _family: str | None = None  # what `family` and `languages` say, when set
    _languages: frozenset[str] | None = None

    @property
    def family(self) -> str:
        """Models whose vectors are interchangeable share a family: the int8 ONNX copy of
        all-MiniLM-L6-v2 can embed queries for an index its fp32 original built (their
        vectors agree to a cosine of 0.9995). Default: the id itself."""
        return self._family or self.id

    @property
    def languages(self) -> frozenset[str] | None:
        """Languages the model was trained for (ISO 639-1), or None when it is
        multilingual or unknown. Hybrid search leaves the dense ranking out for a query
        in a language the model does not know, where it would only add noise."""
        return self._languages

    def compatible_with(self, embedder_id: str, family: str, dim: int) -> bool:
        """Whether this embedder's queries may search vectors made by that embedder."""
        return dim == self.dim and (
            embedder_id == self.id or (bool(family) and family == self.family)
        )

    @property
    @abstractmethod
    def dim(self) -> int:
        """Vector dimension."""

    @abstractmethod
    def embed_batch(self, texts: Sequence[str]) -> Vectors:
        """Embed one batch; returns shape (len(texts), dim), rows L2-normalised."""

    def embed(self, texts: Sequence[str], progress: ProgressFn | None = None) -> Vectors:
        """Embed any number of texts in batches of `batch_size`."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        # Batching texts of similar length wastes less compute on padding.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]), reverse=True)
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(order), self.batch_size):
            rows = order[start : start + self.batch_size]
            out[rows] = self.embed_batch([texts[i] for i in rows])
            if progress is not None:
                progress(len(rows))
        return out

    def embed_query(self, text: str) -> Vectors:
        """Embed one query; returns shape (1, dim)."""
        return self.embed_batch([text])


def normalize(vectors: npt.NDArray[np.floating]) -> Vectors:
    """Scale rows to unit length (zero rows stay zero)."""
    vecs = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vecs, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.ascontiguousarray(vecs / norms, dtype=np.float32)
