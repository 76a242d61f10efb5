"""Knowledge bases kept in Milvus (milvus-lite, the real engine) as the integration tests
open them: the database file `milvus.db` inside the index folder, the collections named
after that folder, the hashing fake embedding unless a test passes its own.

Leaves out starting a Milvus server (milvus-lite runs in process; each test uses its own
`.db` file, since milvus-lite opens a file from one process at a time) and reaching into
the collections' rows, which each test does its own way."""

from __future__ import annotations

from pathlib import Path

from ragkit import HashingEmbedder, KnowledgeBase
from ragkit.index.milvus import MilvusBackend, MilvusTarget, collection_name
from ragkit.models.embeddings import Embedder
from ragkit.options import Models


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
