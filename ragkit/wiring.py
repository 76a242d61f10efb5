"""Build library objects from `Settings`: the one place settings become arguments.

The CLI and the apps call these; library classes never read `Settings` themselves.
Leaves out parsing (config.py) and presentation (cli.py)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING

from ragkit.config import BUNDLED, Settings
from ragkit.errors import ConfigError
from ragkit.models.llm.base import ChatModel, GenerationOptions
from ragkit.models.llm.llama_cpp import LlamaCppChatModel, resolve_gguf
from ragkit.models.prompts import PromptTemplates
from ragkit.options import AnswerOptions, IndexOptions, Models, SearchOptions

# The rest is imported where it is used: `ragkit ask` builds its models through this
# module before the answer path is imported, so that the model file loads meanwhile.
if TYPE_CHECKING:
    from ragkit.agent.chat import ChatSession
    from ragkit.agent.loop import Agent, AgentOptions
    from ragkit.agent.memory import ConversationStore
    from ragkit.agent.tools import ToolRegistry
    from ragkit.answer.judge import AnswerJudge
    from ragkit.guard import Guard
    from ragkit.index.milvus import MilvusBackend
    from ragkit.kb import KnowledgeBase
    from ragkit.models.embeddings import Embedder
    from ragkit.models.llm.openai_compat import OpenAICompatChatModel
    from ragkit.search.rerank import Reranker


def index_path(settings: Settings, name: str | None = None) -> Path:
    """Folder of index `name` (default: the configured one) under the index home.
    A name containing a path separator is taken as a path as it stands."""
    return settings.index.folder(name)


def chat_model(settings: Settings) -> ChatModel:
    llm = settings.llm
    if llm.backend == "openai":
        return remote_chat_model(settings)
    return LlamaCppChatModel(
        resolve_gguf(llm.model_path),
        n_ctx=llm.n_ctx,
        n_threads=llm.n_threads,
        n_batch=llm.n_batch,
        n_threads_batch=llm.n_threads_batch,
        q8_folder=q8_folder(settings),
    )


def q8_folder(settings: Settings) -> Path | None:
    """Where the bundled chat model's Q8_0 copy is kept; None: load the file as given
    (a user's own GGUF file is never converted)."""
    if settings.llm.model_path != BUNDLED or not settings.llm.bundled_q8:
        return None
    from ragkit.models.embeddings.quantize import default_models_dir

    return settings.embedder.models_dir or default_models_dir()


def remote_chat_model(settings: Settings) -> OpenAICompatChatModel:
    # Imported here: httpx is needed only by the remote backend.
    from ragkit.models.llm.openai_compat import OpenAICompatChatModel
    from ragkit.models.llm.retry import RetryPolicy

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
        send_repeat_penalty=llm.send_repeat_penalty,
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
        if model not in ("bundled", "bundled-int8", "bundled-onnx"):
            return None
        # The weight-only int8 file: closest to the float32 model, needs no build step.
        choice = "bundled-onnx"
    from ragkit.models.embeddings import make_embedder

    return make_embedder(choice, settings.embedder.batch_size, settings.embedder.models_dir)


def search_options(settings: Settings) -> SearchOptions:
    """The configured search options (section `retrieval`)."""
    return SearchOptions.from_fields(settings.retrieval)


def answer_options(settings: Settings) -> AnswerOptions:
    """The configured answer options (section `answer`, sampling from section `llm`)."""
    return AnswerOptions.from_fields(settings.answer).with_(generation=generation_options(settings))


def index_options(settings: Settings) -> IndexOptions:
    from ragkit.ingest.chunking import ChunkerParams
    from ragkit.ingest.loaders import LoaderOptions

    try:
        chunker = ChunkerParams(settings.index.chunk_size, settings.index.chunk_overlap)
    except ValueError as exc:
        raise ConfigError(f"setting index.chunk_overlap: {exc}") from None
    return IndexOptions(
        chunker=chunker,
        loader=LoaderOptions(**settings.loader.model_dump()),
        ivf_threshold=settings.index.ivf_threshold,
        checkpoint_chunks=settings.index.checkpoint_chunks,
        checkpoint_seconds=settings.index.checkpoint_seconds,
        bm25_merge_ratio=settings.index.bm25_merge_ratio,
        vectors_merge_ratio=settings.index.vectors_merge_ratio,
    )


def knowledge_base(
    settings: Settings,
    name: str | None = None,
    with_llm: bool = False,
    *,
    path: Path | None = None,
    models: Models | None = None,
) -> KnowledgeBase:
    """The knowledge base the settings describe: index `name` under the index home, or
    the folder `path`. `models` shares already-built models between many indexes (the
    server's collections); otherwise each is built here, the chat model only when
    `with_llm` (or multi-query) needs it. The guard is on (when `guard.enabled`) for
    every knowledge base that answers, generated or extractive."""
    from ragkit.kb import KnowledgeBase

    if models is None:
        models = knowledge_base_models(settings, with_llm)
    folder = path if path is not None else index_path(settings, name)
    return KnowledgeBase.open(
        folder,
        models=models,
        index=index_options(settings),
        search=search_options(settings),
        answer=answer_options(settings),
        guard=guard(settings, models.chat_model) if settings.guard.enabled else None,
        backend=milvus_backend(settings, folder),
    )


def knowledge_base_models(
    settings: Settings, with_llm: bool = False, llm: ChatModel | None = None
) -> Models:
    """The models of one knowledge base (`knowledge_base`), built, none loaded yet: the
    chat model only when `with_llm` (or multi-query) needs it; `llm`, when given, is it."""
    if llm is None and (with_llm or settings.retrieval.multi_query):
        llm = chat_model(settings)
    return Models(
        embedder=embedder(settings),
        query_embedder=query_embedder(settings),
        chat_model=llm,
        reranker=reranker(settings),
        prompts=templates(settings),
        judge=answer_judge(settings),
    )


def milvus_backend(settings: Settings, path: Path, uri: str | None = None) -> MilvusBackend | None:
    """The Milvus side of the index at `path` when `index.backend` is 'milvus' (None:
    a local index folder). Its collections are named after the index (`path`'s name);
    an empty `index.milvus_uri` means a milvus-lite file `milvus.db` in `path`. `uri`,
    when given, overrides both (`ragkit migrate --to`)."""
    ix = settings.index
    if ix.backend != "milvus" and uri is None:
        return None
    from ragkit.index.milvus import MilvusBackend, MilvusTarget, collection_name

    return MilvusBackend(
        MilvusTarget(
            uri=uri or ix.milvus_uri or str(path / "milvus.db"),
            collection=collection_name(path.name),
            token=ix.milvus_token,
            user=ix.milvus_user,
            password=ix.milvus_password,
            index_type=ix.milvus_index_type,
        )
    )


def embedder(settings: Settings) -> Embedder:
    """The embedder that indexes documents."""
    from ragkit.models.embeddings import make_embedder

    e = settings.embedder
    return make_embedder(e.model, e.batch_size, e.models_dir)


def guard(settings: Settings, model: ChatModel | None = None) -> Guard:
    """The content filter the settings describe (whether or not `guard.enabled`);
    `model` serves the LLM judge when `guard.judge` is on (default: the configured one)."""
    from ragkit.guard import Policy, default_guard

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
    from ragkit.search.rerank import CrossEncoderReranker

    return CrossEncoderReranker(r.reranker_model, r.reranker_batch_size)


def shared_models(settings: Settings) -> Models:
    """The configured models, built (not yet loaded: each loads on first use), for many
    knowledge bases to share, as the server's collections do."""
    return Models(
        embedder=embedder(settings),
        query_embedder=query_embedder(settings),
        chat_model=chat_model(settings),
        reranker=reranker(settings),
        prompts=templates(settings),
        judge=answer_judge(settings),
    )


def answer_judge(settings: Settings) -> AnswerJudge | None:
    """What orders the sentences that could answer a question (`answer.judge`)."""
    from ragkit.answer.judge import make_judge

    return make_judge(settings.answer.judge)


def knowledge_base_at(settings: Settings, path: Path, models: Models) -> KnowledgeBase:
    """A `KnowledgeBase` for the index folder `path` over already-built `models`."""
    return knowledge_base(settings, path=path, models=models)


def agent_options(settings: Settings) -> AgentOptions:
    """`AgentOptions` with every field the `[agent]` settings section shares with it."""
    from ragkit.agent.loop import AgentOptions

    section = settings.agent
    given = type(section).model_fields
    shared = [f.name for f in dataclasses.fields(AgentOptions) if f.name in given]
    return AgentOptions(**{name: getattr(section, name) for name in shared})


def agent(
    settings: Settings,
    tools: ToolRegistry,
    kb: KnowledgeBase | None,
    model: ChatModel | None = None,
) -> Agent:
    """An agent over `kb` (None: the document tools say there is no index) with `tools`."""
    from ragkit.agent.context import ToolContext
    from ragkit.agent.loop import Agent

    llm = model or chat_model(settings)
    options = generation_options(settings)
    context = ToolContext(
        knowledge_base=kb, chat_model=llm, generation=options, search_k=settings.agent.search_k
    )
    # The answer goes out through the same output guard as `ask`'s, index or not.
    shown = kb.guard if kb is not None else None
    if shown is None and settings.guard.enabled:
        shown = guard(settings, llm)
    return Agent(llm, tools, context, agent_options(settings), options, guard=shown)


def conversation_store(settings: Settings) -> ConversationStore:
    from ragkit.agent.memory import ConversationStore

    path = settings.agent.conversations_db or settings.index.home / "conversations.sqlite"
    return ConversationStore(path)


def chat_session(
    settings: Settings, kb: KnowledgeBase, conversation_id: str, model: ChatModel | None = None
) -> ChatSession:
    """A `ChatSession` continuing conversation `conversation_id` (create one with
    `conversation_store(settings).create(title)`)."""
    from ragkit.agent.chat import ChatOptions, ChatSession

    return ChatSession(
        kb,
        model or kb.chat_model,
        conversation_store(settings),
        conversation_id,
        ChatOptions(history_tokens=settings.agent.history_tokens),
        generation_options(settings),
    )
