"""`SerialEmbedder`: one shared embedder, used by one thread at a time.

The server's collections share one embedding model, and each collection's writer thread
may index at the same moment as another's. Hugging Face tokenizers refuse concurrent use
of one instance ("Already borrowed"), and two embeddings at once on a small CPU only slow
each other down, so calls are serialised behind a lock. Everything else (id, family,
dimension, languages) is the wrapped embedder's, so indexes record the real model.
Leaves out batching across callers.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from ragkit import Embedder
from ragkit.models.embeddings.base import Vectors


class SerialEmbedder(Embedder):
    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.id = inner.id
        self.batch_size = inner.batch_size
        self._lock = threading.Lock()

    @property
    def family(self) -> str:
        return self.inner.family

    @property
    def languages(self) -> frozenset[str] | None:
        return self.inner.languages

    @property
    def dim(self) -> int:
        with self._lock:  # may load the model to find out
            return self.inner.dim

    def embed_batch(self, texts: Sequence[str]) -> Vectors:
        with self._lock:
            return self.inner.embed_batch(texts)
