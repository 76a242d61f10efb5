"""Knowledge bases kept in Milvus (milvus-lite, the real engine) as the integration tests
open them: the database file `milvus.db` inside the index folder, the collections named
after that folder, the hashing fake embedding unless a test passes its own; and that fake
counting what it embeds, for tests of what is not embedded again.

Leaves out starting a Milvus server (milvus-lite runs in process; each test uses its own
`.db` file, since milvus-lite opens a file from one process at a time) and reaching into
the collections' rows, which each test does its own way."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ragkit import HashingEmbedder, KnowledgeBase
from ragkit.index.milvus import MilvusBackend, MilvusTarget, collection_name
from ragkit.models.embeddings import Embedder
from ragkit.models.embeddings.base import Vectors
from ragkit.options import Models


class CountingEmbedder(HashingEmbedder):
    """The hashing fake, keeping every text it embeds in `embedded`."""

    def __init__(self, dim: int = 64) -> None:
        super().__init__(dim=dim)
        self.embedded: list[str] = []

    def embed_batch(self, texts: Sequence[str]) -> Vectors:
        self.embedded.extend(texts)
        return super().embed_batch(texts)


def milvus_target(index: Path) -> MilvusTarget:
    """`index/milvus.db`, collections named after the index folder."""
    return MilvusTarget(str(index / "milvus.db"), collection_name(index.name))


def open_milvus(index: Path, embedder: Embedder | None = None) -> KnowledgeBase:
    """The knowledge base at `index` kept in Milvus, embedding with `embedder` (the
    64-dimension hashing fake when None)."""
    return KnowledgeBase.open(
        index,
        models=Models(embedder=embedder or HashingEmbedder(dim=64)),
        backend=MilvusBackend(milvus_target(index)),
    )
