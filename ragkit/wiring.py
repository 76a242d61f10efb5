"""Build library objects from `Settings`: the one place settings become arguments.

The CLI and the apps call these; library classes never read `Settings` themselves.
Leaves out parsing (config.py) and presentation (cli.py)."""

from __future__ import annotations

from pathlib import Path

from ragkit.agent.chat import ChatOptions, ChatSession
from ragkit.agent.context import ToolContext
from ragkit.agent.loop import Agent, AgentOptions
from ragkit.agent.memory import ConversationStore
from ragkit.agent.tools import ToolRegistry
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


def agent_options(settings: Settings) -> AgentOptions:
    a = settings.agent
    return AgentOptions(
        max_steps=a.max_steps,
        time_budget_s=a.time_budget_s,
        retries=a.retries,
        protocol=a.protocol,
    )


def agent(
    settings: Settings,
    tools: ToolRegistry,
    kb: KnowledgeBase | None,
    model: ChatModel | None = None,
) -> Agent:
    """An agent over `kb` (None: the document tools say there is no index) with `tools`."""
    llm = model or chat_model(settings)
    options = generation_options(settings)
    context = ToolContext(
        knowledge_base=kb, chat_model=llm, generation=options, search_k=settings.agent.search_k
    )
    return Agent(llm, tools, context, agent_options(settings), options)


def conversation_store(settings: Settings) -> ConversationStore:
    path = settings.agent.conversations_db or settings.index.home / "conversations.sqlite"
    return ConversationStore(path)


def chat_session(
    settings: Settings, kb: KnowledgeBase, conversation_id: str, model: ChatModel | None = None
) -> ChatSession:
    """A `ChatSession` continuing conversation `conversation_id` (create one with
    `conversation_store(settings).create(title)`)."""
    r = settings.retrieval
    return ChatSession(
        kb,
        model or kb.chat_model,
        conversation_store(settings),
        conversation_id,
        ChatOptions(k=r.ask_k, mode=r.mode, history_tokens=settings.agent.history_tokens),
        generation_options(settings),
    )
