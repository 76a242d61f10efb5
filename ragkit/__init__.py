"""ragkit: offline retrieval-augmented generation over your own documents.

The public API is re-exported here; everything else is an implementation detail.
Importing ragkit loads no model and imports neither torch nor llama.cpp. The names are
resolved on first use (PEP 562), so `import ragkit` (and with it `ragkit --help` or
`ragkit ls`) does not pay for numpy, FAISS or the guard's classifier until a caller
actually touches `KnowledgeBase` and friends.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ragkit._lazy import lazy_getattr
from ragkit._version import __version__

if TYPE_CHECKING:
    from ragkit.errors import (
        ConfigError,
        EmptyQueryError,
        IndexCorruptError,
        IndexMismatchError,
        IndexNotFoundError,
        LoaderError,
        ModelError,
        PromptTooLongError,
        RagkitError,
    )
    from ragkit.ingest.chunking import ChunkerParams
    from ragkit.ingest.loaders import LoaderOptions
    from ragkit.kb import KnowledgeBase
    from ragkit.models.embeddings import Embedder, HashingEmbedder, SentenceTransformerEmbedder
    from ragkit.models.llm import (
        ChatModel,
        GenerationOptions,
        LlamaCppChatModel,
        Message,
        ScriptedChatModel,
    )
    from ragkit.options import AnswerOptions, IndexOptions, Models, SearchFilter, SearchOptions
    from ragkit.search.rerank import CrossEncoderReranker, Reranker
    from ragkit.types import (
        Answer,
        Citation,
        DocumentInfo,
        Evidence,
        FileOutcome,
        IndexReport,
        SearchHit,
        StoredChunk,
    )

# The module that defines each public name.
__getattr__ = lazy_getattr(
    __name__,
    {
        "ragkit.errors": [
            "ConfigError",
            "EmptyQueryError",
            "IndexCorruptError",
            "IndexMismatchError",
            "IndexNotFoundError",
            "LoaderError",
            "ModelError",
            "PromptTooLongError",
            "RagkitError",
        ],
        "ragkit.ingest.chunking": ["ChunkerParams"],
        "ragkit.ingest.loaders": ["LoaderOptions"],
        "ragkit.kb": ["KnowledgeBase"],
        "ragkit.models.embeddings": ["Embedder", "HashingEmbedder", "SentenceTransformerEmbedder"],
        "ragkit.models.llm": [
            "ChatModel",
            "GenerationOptions",
            "LlamaCppChatModel",
            "Message",
            "ScriptedChatModel",
        ],
        "ragkit.options": [
            "AnswerOptions",
            "IndexOptions",
            "Models",
            "SearchFilter",
            "SearchOptions",
        ],
        "ragkit.search.rerank": ["CrossEncoderReranker", "Reranker"],
        "ragkit.types": [
            "Answer",
            "Citation",
            "DocumentInfo",
            "Evidence",
            "FileOutcome",
            "IndexReport",
            "SearchHit",
            "StoredChunk",
        ],
    },
)


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "Answer",
    "AnswerOptions",
    "ChatModel",
    "ChunkerParams",
    "Citation",
    "ConfigError",
    "CrossEncoderReranker",
    "DocumentInfo",
    "Embedder",
    "EmptyQueryError",
    "Evidence",
    "FileOutcome",
    "GenerationOptions",
    "HashingEmbedder",
    "IndexCorruptError",
    "IndexMismatchError",
    "IndexNotFoundError",
    "IndexOptions",
    "IndexReport",
    "KnowledgeBase",
    "LlamaCppChatModel",
    "LoaderError",
    "LoaderOptions",
    "Message",
    "ModelError",
    "Models",
    "PromptTooLongError",
    "RagkitError",
    "Reranker",
    "ScriptedChatModel",
    "SearchFilter",
    "SearchHit",
    "SearchOptions",
    "SentenceTransformerEmbedder",
    "StoredChunk",
    "__version__",
]
