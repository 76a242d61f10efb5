"""Build library objects from `Settings`: the one place settings become arguments.

The CLI and the apps call these; library classes never read `Settings` themselves.
Leaves out parsing (config.py) and presentation (cli.py)."""

from __future__ import annotations

from pathlib import Path

from ragkit.chunking import ChunkerParams
from ragkit.config import Settings
from ragkit.embeddings import Embedder, make_embedder
from ragkit.errors import ConfigError
from ragkit.guard import Guard, Policy, default_guard
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
    llm = chat_model(settings) if with_llm or settings.retrieval.multi_query else None
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
        chat_model=llm,
        generation=generation_options(settings),
        rrf_k=settings.retrieval.rrf_k,
        candidates=settings.retrieval.candidates,
        ivf_threshold=settings.index.ivf_threshold,
        query_embedder=query_embedder(settings),
        reranker=reranker(settings),
        rerank_depth=settings.retrieval.rerank_depth,
        multi_query=settings.retrieval.multi_query,
        guard=guard(settings, llm) if with_llm and settings.guard.enabled else None,
    )


def guard(settings: Settings, model: ChatModel | None = None) -> Guard:
    """The content filter the settings describe (whether or not `guard.enabled`);
    `model` serves the LLM judge when `guard.judge` is on (default: the configured one)."""
    g = settings.guard
    terms = list(g.banned_terms)
    if g.banned_terms_file is not None:
        try:
            lines = g.banned_terms_file.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(
                f"setting guard.banned_terms_file: {g.banned_terms_file} could not be read "
                f"({exc}); give a UTF-8 file with one term per line"
            ) from None
        terms += [t.strip() for t in lines if t.strip() and not t.lstrip().startswith("#")]
    policy = Policy({"input": g.input, "chunk": g.chunk, "output": g.output})
    judge = (model or chat_model(settings)) if g.judge else None
    return default_guard(
        policy,
        banned_terms=terms,
        classifier=g.classifier,
        threshold=g.threshold,
        classifier_directions=g.classifier_directions,
        judge=judge,
    )


def reranker(settings: Settings) -> Reranker | None:
    r = settings.retrieval
    if r.reranker_model is None:
        return None
    return CrossEncoderReranker(r.reranker_model, r.reranker_batch_size)
