"""Build library objects from `Settings`: the one place settings become arguments.

The CLI and the apps call these; library classes never read `Settings` themselves.
Leaves out parsing (config.py) and presentation (cli.py)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ragkit.chunking import ChunkerParams
from ragkit.config import Settings
from ragkit.embeddings import Embedder, make_embedder
from ragkit.errors import ConfigError
from ragkit.kb import KnowledgeBase
from ragkit.llm.base import ChatModel, GenerationOptions
from ragkit.llm.llama_cpp import LlamaCppChatModel, resolve_gguf
from ragkit.loaders import LoaderOptions
from ragkit.rerank import CrossEncoderReranker, Reranker


def index_path(settings: Settings, name: str | None = None) -> Path:
    """Folder of index `name` (default: the configured one) under the index home.
    A name containing a path separator is taken as a path as it stands."""
    chosen = name or settings.index.name
    if not chosen or chosen in {".", ".."}:
        raise ConfigError(f"index name {chosen!r} is not valid; use a plain name such as 'docs'")
    if "/" in chosen or "\\" in chosen:
        return Path(chosen)
    return settings.index.home / chosen


def chat_model(settings: Settings) -> ChatModel:
    llm = settings.llm
    return LlamaCppChatModel(resolve_gguf(llm.model_path), n_ctx=llm.n_ctx, n_threads=llm.n_threads)


def generation_options(settings: Settings) -> GenerationOptions:
    llm = settings.llm
    return GenerationOptions(
        max_tokens=llm.max_tokens,
        temperature=llm.temperature,
        seed=llm.seed,
        repeat_penalty=llm.repeat_penalty,
    )


def query_embedder(settings: Settings) -> Embedder | None:
    """The embedder for questions, or None to use the indexing one."""
    choice = settings.embedder.query_model
    model = settings.embedder.model
    if choice == "same":
        return None
    if choice == "auto":
        if model not in ("bundled", "bundled-int8"):
            return None
        choice = "bundled-int8"
    return make_embedder(choice, settings.embedder.batch_size)


def knowledge_base(
    settings: Settings, name: str | None = None, with_llm: bool = False
) -> KnowledgeBase:
    try:
        chunker = ChunkerParams(settings.index.chunk_size, settings.index.chunk_overlap)
    except ValueError as exc:
        raise ConfigError(f"setting index.chunk_overlap: {exc}") from None
    loader = settings.loader
    return KnowledgeBase.open(
        index_path(settings, name),
        embedder=make_embedder(settings.embedder.model, settings.embedder.batch_size),
        chunker=chunker,
        loader_options=LoaderOptions(
            jsonl_text_field=loader.jsonl_text_field,
            jsonl_title_field=loader.jsonl_title_field,
            jsonl_id_field=loader.jsonl_id_field,
            max_file_bytes=loader.max_file_bytes,
        ),
        chat_model=chat_model(settings) if with_llm or settings.retrieval.multi_query else None,
        generation=generation_options(settings),
        rrf_k=settings.retrieval.rrf_k,
        candidates=settings.retrieval.candidates,
        ivf_threshold=settings.index.ivf_threshold,
        query_embedder=query_embedder(settings),
        reranker=reranker(settings),
        rerank_depth=settings.retrieval.rerank_depth,
        multi_query=settings.retrieval.multi_query,
    )


def reranker(settings: Settings) -> Reranker | None:
    r = settings.retrieval
    if r.reranker_model is None:
        return None
    return CrossEncoderReranker(r.reranker_model, r.reranker_batch_size)


@dataclass(frozen=True)
class SharedModels:
    """Models built once and shared by many indexes, as the server's collections are:
    each `KnowledgeBase` would otherwise load its own copy."""

    embedder: Embedder
    query_embedder: Embedder | None
    chat_model: ChatModel
    reranker: Reranker | None


def shared_models(settings: Settings) -> SharedModels:
    """The configured models, built (not yet loaded: each loads on first use)."""
    return SharedModels(
        embedder=make_embedder(settings.embedder.model, settings.embedder.batch_size),
        query_embedder=query_embedder(settings),
        chat_model=chat_model(settings),
        reranker=reranker(settings),
    )


def knowledge_base_at(settings: Settings, path: Path, models: SharedModels) -> KnowledgeBase:
    """A `KnowledgeBase` for the index folder `path` over already-built `models`."""
    try:
        chunker = ChunkerParams(settings.index.chunk_size, settings.index.chunk_overlap)
    except ValueError as exc:
        raise ConfigError(f"setting index.chunk_overlap: {exc}") from None
    loader = settings.loader
    return KnowledgeBase.open(
        path,
        embedder=models.embedder,
        chunker=chunker,
        loader_options=LoaderOptions(
            jsonl_text_field=loader.jsonl_text_field,
            jsonl_title_field=loader.jsonl_title_field,
            jsonl_id_field=loader.jsonl_id_field,
            max_file_bytes=loader.max_file_bytes,
        ),
        chat_model=models.chat_model,
        generation=generation_options(settings),
        rrf_k=settings.retrieval.rrf_k,
        candidates=settings.retrieval.candidates,
        ivf_threshold=settings.index.ivf_threshold,
        query_embedder=models.query_embedder,
        reranker=models.reranker,
        rerank_depth=settings.retrieval.rerank_depth,
        multi_query=settings.retrieval.multi_query,
    )
