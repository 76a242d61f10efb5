"""ragkit: offline retrieval-augmented generation over your own documents.

The public API is re-exported here; everything else is an implementation detail.
Importing ragkit loads no model and imports neither torch nor llama.cpp. The names are
resolved on first use (PEP 562), so `import ragkit` (and with it `ragkit --help` or
`ragkit ls`) does not pay for numpy, FAISS or the guard's classifier until a caller
actually touches `KnowledgeBase` and friends.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

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

# Public name -> the module that defines it.
_EXPORTS: dict[str, str] = {
    "Answer": "ragkit.types",
    "ChatModel": "ragkit.models.llm",
    "ChunkerParams": "ragkit.ingest.chunking",
    "Citation": "ragkit.types",
    "ConfigError": "ragkit.errors",
    "CrossEncoderReranker": "ragkit.search.rerank",
    "DocumentInfo": "ragkit.types",
    "Embedder": "ragkit.models.embeddings",
    "EmptyQueryError": "ragkit.errors",
    "Evidence": "ragkit.types",
    "FileOutcome": "ragkit.types",
    "GenerationOptions": "ragkit.models.llm",
    "HashingEmbedder": "ragkit.models.embeddings",
    "IndexCorruptError": "ragkit.errors",
    "IndexMismatchError": "ragkit.errors",
    "IndexNotFoundError": "ragkit.errors",
    "IndexReport": "ragkit.types",
    "KnowledgeBase": "ragkit.kb",
    "LlamaCppChatModel": "ragkit.models.llm",
    "LoaderError": "ragkit.errors",
    "LoaderOptions": "ragkit.ingest.loaders",
    "Message": "ragkit.models.llm",
    "ModelError": "ragkit.errors",
    "PromptTooLongError": "ragkit.errors",
    "RagkitError": "ragkit.errors",
    "Reranker": "ragkit.search.rerank",
    "ScriptedChatModel": "ragkit.models.llm",
    "SearchFilter": "ragkit.options",
    "SearchOptions": "ragkit.options",
    "AnswerOptions": "ragkit.options",
    "IndexOptions": "ragkit.options",
    "Models": "ragkit.options",
    "SearchHit": "ragkit.types",
    "SentenceTransformerEmbedder": "ragkit.models.embeddings",
    "StoredChunk": "ragkit.types",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'ragkit' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def __dir__() -> list[str]:
    return sorted([*_EXPORTS, "__version__"])


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
