"""Build library objects from `Settings`: the one place settings become arguments.

The CLI and the apps call these; library classes never read `Settings` themselves.
Leaves out parsing (config.py) and presentation (cli.py)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ragkit.chunking import ChunkerParams
from ragkit.config import Settings
from ragkit.embeddings import Embedder, make_embedder
from ragkit.errors import ConfigError
from ragkit.kb import KnowledgeBase
from ragkit.llm.base import ChatModel, GenerationOptions
from ragkit.llm.llama_cpp import LlamaCppChatModel, resolve_gguf
from ragkit.loaders import LoaderOptions
from ragkit.prompts import PromptTemplates
from ragkit.rerank import CrossEncoderReranker, Reranker

if TYPE_CHECKING:
    from ragkit.llm.openai_compat import OpenAICompatChatModel


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
    if llm.backend == "openai":
        return remote_chat_model(settings)
    return LlamaCppChatModel(
        resolve_gguf(llm.model_path), n_ctx=llm.n_ctx, n_threads=llm.n_threads, n_batch=llm.n_batch
    )


def remote_chat_model(settings: Settings) -> OpenAICompatChatModel:
    # Imported here: httpx is needed only by the remote backend.
    from ragkit.llm.openai_compat import OpenAICompatChatModel
    from ragkit.llm.retry import RetryPolicy

    llm = settings.llm
    if not llm.base_url:
        raise ConfigError(
            "llm.backend is 'openai' but llm.base_url is not set; set RAGKIT_LLM__BASE_URL "
            "to the server's base URL, e.g. http://127.0.0.1:8000/v1"
        )
    if not llm.model:
        raise ConfigError(
            "llm.backend is 'openai' but llm.model is not set; set RAGKIT_LLM__MODEL to the "
            "served model's name"
        )
    return OpenAICompatChatModel(
        llm.base_url,
        llm.model,
        llm.api_key.get_secret_value() if llm.api_key else None,
        context_window=llm.n_ctx,
        connect_timeout=llm.connect_timeout,
        read_timeout=llm.read_timeout,
        retry=RetryPolicy(max_retries=llm.max_retries),
    )


def templates(settings: Settings) -> PromptTemplates:
    folder = settings.prompts.dir
    if folder is not None and not folder.is_dir():
        raise ConfigError(
            f"prompt folder {folder} does not exist; set prompts.dir (RAGKIT_PROMPTS__DIR) "
            "to a folder of .txt templates"
        )
    return PromptTemplates(folder)


def generation_options(settings: Settings) -> GenerationOptions:
    llm = settings.llm
    return GenerationOptions(
        max_tokens=llm.max_tokens,
        temperature=llm.temperature,
        seed=llm.seed,
        repeat_penalty=llm.repeat_penalty,
        stop=tuple(s for s in llm.stop if s),
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
        templates=templates(settings),
        rrf_k=settings.retrieval.rrf_k,
        candidates=settings.retrieval.candidates,
        ivf_threshold=settings.index.ivf_threshold,
        query_embedder=query_embedder(settings),
        reranker=reranker(settings),
        rerank_depth=settings.retrieval.rerank_depth,
        multi_query=settings.retrieval.multi_query,
        answer_mode=settings.answer.mode,
        extract_sentences=settings.answer.sentences,
        history_share=settings.answer.history_share,
    )


def reranker(settings: Settings) -> Reranker | None:
    r = settings.retrieval
    if r.reranker_model is None:
        return None
    return CrossEncoderReranker(r.reranker_model, r.reranker_batch_size)
