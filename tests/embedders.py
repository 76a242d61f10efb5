"""Embedders the tests watch: the hashing fake, keeping every text it embeds, for tests
of what is (and is not) embedded again.

Leaves out fakes that hold or fail their work (gated, slow, spying on one language):
each is written beside the test whose timing or fault it stages."""

from __future__ import annotations

from collections.abc import Sequence

from ragkit import HashingEmbedder
from ragkit.models.embeddings.base import Vectors


class CountingEmbedder(HashingEmbedder):
    """The hashing fake, keeping every text it embeds in `embedded`."""

    def __init__(self, dim: int = 64) -> None:
        super().__init__(dim=dim)
        self.embedded: list[str] = []

    def embed_batch(self, texts: Sequence[str]) -> Vectors:
        self.embedded.extend(texts)
        return super().embed_batch(texts)
