"""ragkit: offline retrieval-augmented generation over your own documents.

The public API is re-exported here; everything else is an implementation detail.
Importing ragkit loads no model and imports neither torch nor llama.cpp.
"""

from __future__ import annotations

from ragkit._version import __version__
from ragkit.chunking import ChunkerParams
from ragkit.embeddings import Embedder, HashingEmbedder, SentenceTransformerEmbedder
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
from ragkit.kb import KnowledgeBase
from ragkit.llm import ChatModel, GenerationOptions, LlamaCppChatModel, Message, ScriptedChatModel
from ragkit.loaders import LoaderOptions
from ragkit.rerank import CrossEncoderReranker, Reranker
from ragkit.retrieval import SearchFilter
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

__all__ = [
    "Answer",
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
    "IndexReport",
    "KnowledgeBase",
    "LlamaCppChatModel",
    "LoaderError",
    "LoaderOptions",
    "Message",
    "ModelError",
    "PromptTooLongError",
    "RagkitError",
    "Reranker",
    "ScriptedChatModel",
    "SearchFilter",
    "SearchHit",
    "SentenceTransformerEmbedder",
    "StoredChunk",
    "__version__",
]
