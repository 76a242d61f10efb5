"""`KnowledgeBase`: the public, typed entry point for Python callers.

It ties one index folder to its models (`Models`: embedder, question embedder, chat model,
reranker; None = the bundled ones, loaded on first use) and to three groups of options,
each a frozen type declared once in ragkit.options: `IndexOptions` (how files become
chunks), `SearchOptions` (how `search` ranks) and `AnswerOptions` (how `ask` answers).
Per-call changes go through `options.with_(...)` or the few keyword shortcuts of `search`
and `ask`. `ask_stream` is the one conversation path of ragkit: with a conversation
`history` it rewrites a follow-up into a standalone question, searches for that, and
answers with the history in the prompt, the guard (when set) filtering question, history,
retrieved chunks and answer. The CLI, the web page, `/v1`, the terminal chat and the
agent's chat sessions all answer through it. The reader is reopened when another process
commits a newer generation. An instance is not safe to share between threads without the
caller's own lock. Leaves out configuration files and environment variables:
`ragkit.config` and `ragkit.wiring` turn those into the option objects here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict, Unpack

from ragkit.answer.extractive import extract_answer
from ragkit.answer.grounding import SentenceScorer
from ragkit.answer.pipelines import (
    AnswerStream,
    Prompt,
    Standalone,
    answer,
    standalone_follow_up,
)
from ragkit.errors import EmptyQueryError, RagkitError
from ragkit.guard import Guard
from ragkit.guard.session import GuardSession
from ragkit.index.engine import IndexReader, IndexWriter, index_exists
from ragkit.index.progress import IndexProgress
from ragkit.ingest.chunking import Chunker, ChunkerParams
from ragkit.ingest.digest import sha256_file
from ragkit.ingest.loaders import LoaderOptions, load_file_bounded
from ragkit.models.embeddings import Embedder, make_embedder
from ragkit.models.embeddings.quantize import default_models_dir
from ragkit.models.llm.base import ChatModel, GenerationOptions, Message
from ragkit.models.llm.llama_cpp import LlamaCppChatModel, bundled_gguf_path
from ragkit.models.prompts import PromptTemplates
from ragkit.options import AnswerOptions, IndexOptions, Models, SearchFilter, SearchOptions
from ragkit.search.multiquery import generate_variants
from ragkit.search.retrieval import Retriever
from ragkit.text.analysis import Analyzer
from ragkit.types import (
    Answer,
    Document,
    DocumentInfo,
    IndexReport,
    SearchHit,
    SearchMode,
    StoredChunk,
)

# The Milvus side is imported only when an index lives there (`ragkit.wiring` builds the
# backend); a local index's questions never need it.
if TYPE_CHECKING:
    from ragkit.index.milvus import AnyReader, AnyWriter, MilvusBackend


class Parts(TypedDict, total=False):
    """What `KnowledgeBase.open` takes besides the path, each optional (None or left out:
    the default that `open` describes)."""

    models: Models | None
    index: IndexOptions | None
    search: SearchOptions | None
    answer: AnswerOptions | None
    guard: Guard | None
    backend: MilvusBackend | None


class Call(TypedDict, total=False):
    """Per-call changes to `ask` and `ask_stream` (see `ask`)."""

    search: SearchOptions | None
    history: Sequence[Message]
    k: int | None


class KnowledgeBase:
    """An index on disk you can add files to, search and ask questions of.

    >>> kb = KnowledgeBase.open("indexes/docs")      # doctest: +SKIP
    >>> kb.add(["papers/"])                          # doctest: +SKIP
    >>> kb.search("attention heads", k=5)            # doctest: +SKIP
    >>> kb.ask("What is X?").citations               # doctest: +SKIP
    """

    def __init__(self, path: str | Path, **parts: Unpack[Parts]) -> None:
        """See `open`, which takes the same arguments."""
        _check_keywords(parts, Parts.__optional_keys__, "KnowledgeBase")
        models = parts.get("models") or Models()
        index = parts.get("index") or IndexOptions()
        self.path = Path(path)
        self._parts = parts
        self.backend = parts.get("backend")
        self.models = models
        self.index_options = index
        self.search_options = parts.get("search") or SearchOptions()
        self.answer_options = parts.get("answer") or AnswerOptions()
        self.guard = parts.get("guard")
        self.embedder: Embedder = models.embedder or make_embedder("bundled-int8")
        self.query_embedder: Embedder = models.query_embedder or self.embedder
        self.chunker_params = index.chunker or ChunkerParams()
        self.loader_options = index.loader or LoaderOptions()
        self.templates = models.prompts or PromptTemplates()
        self._chat_model = models.chat_model
        self._analyzer = Analyzer()
        self._reader: AnyReader | None = None
        # The file `page_text` read last, keyed by what identifies its content, so paging
        # through a long PDF does not extract it again on every call.
        self._reread: tuple[tuple[str, str, int, int], list[Document]] | None = None

    @classmethod
    def open(cls, path: str | Path, **parts: Unpack[Parts]) -> KnowledgeBase:
        """Open (or prepare to create) the index at `path`. `models` defaults to the
        bundled all-MiniLM-L6-v2 embedder and, for `ask`, the bundled GGUF chat model;
        `index`, `search` and `answer` default to the options' own defaults; `guard`
        (e.g. `ragkit.guard.default_guard()`) filters questions, retrieved chunks and
        answers in `ask`; None = no filtering. `backend` keeps the index in Milvus
        (ragkit.index.milvus) instead of the folder `path`."""
        return cls(path, **parts)

    def with_chat_model(self, model: ChatModel) -> KnowledgeBase:
        """The same index and options answered by `model` (e.g. a conversation's own)."""
        models = replace(
            self.models,
            embedder=self.embedder,
            query_embedder=self.query_embedder,
            chat_model=model,
            prompts=self.templates,
        )
        parts = self._parts.copy()
        parts["models"] = models
        return KnowledgeBase(self.path, **parts)

    @property
    def generation(self) -> GenerationOptions:
        """The sampling options answers use unless a call gives its own."""
        return self.answer_options.generation or GenerationOptions()

    @property
    def exists(self) -> bool:
        if self.backend is not None:
            return self.backend.exists()
        return index_exists(self.path)

    def add(
        self,
        paths: Sequence[str | Path],
        progress: IndexProgress | None = None,
        wait: bool = True,
    ) -> IndexReport:
        """Index files and folders (recursively); unchanged files are skipped."""
        return self._writer(wait).add([Path(p) for p in paths], progress)

    def _writer(self, wait: bool = True) -> AnyWriter:
        if self.backend is not None:
            return self.backend.writer(
                self.path,
                self.embedder,
                Chunker(self.chunker_params),
                self._analyzer,
                self.loader_options,
                wait,
            )
        return IndexWriter(
            self.path,
            self.embedder,
            Chunker(self.chunker_params),
            self._analyzer,
            self.loader_options,
            wait=wait,
            ivf_threshold=self.index_options.ivf_threshold,
            checkpoint_chunks=self.index_options.checkpoint_chunks,
            checkpoint_seconds=self.index_options.checkpoint_seconds,
            bm25_merge_ratio=self.index_options.bm25_merge_ratio,
            vectors_merge_ratio=self.index_options.vectors_merge_ratio,
        )

    def remove(self, paths: Sequence[str | Path]) -> list[str]:
        """Remove files (or all files under folders) from the index; returns their paths."""
        return self._writer().remove([Path(p) for p in paths])

    def repair(self) -> int:
        """Rebuild vectors and BM25 from the SQLite store; returns the chunk count."""
        count = self._writer().repair()
        self._reader = None
        return count

    def reader(self) -> AnyReader:
        """The current generation, reopened if a writer has committed since."""
        if self._reader is None or self._reader.is_stale():
            if self._reader is not None:
                self._reader.close()
            if self.backend is not None:
                self._reader = self.backend.reader(self.path)
            else:
                self._reader = IndexReader.open(self.path)
        return self._reader

    def documents(self, source: str | Path | None = None) -> list[DocumentInfo]:
        """The indexed documents (only those of file `source`, when given), by file;
        empty before anything is indexed."""
        if not self.exists:
            return []
        reader = self.reader()
        return reader.store.document_infos(
            reader.generation, None if source is None else _source_name(source)
        )

    def chunk(self, chunk_id: int) -> StoredChunk | None:
        """Chunk `chunk_id` (`SearchHit.chunk.id`, `Citation.chunk_id`); None when the
        index holds no such chunk now (removed or re-indexed since, or never)."""
        if not self.exists:
            return None
        return self.reader().chunks([chunk_id]).get(chunk_id)

    def page_text(
        self, source: str | Path, page: int | None = None, *, key: str | None = None
    ) -> str | None:
        """Page `page` (1-based) of indexed file `source` read again from the file, or
        with `page` None the document's whole text. `key` picks one document of a file
        holding several (JSON lines; default the first). None when the file is not
        indexed, is gone or changed since it was indexed, or has no such page."""
        if page is not None and page < 1:
            raise ValueError(f"page {page} is not a page number; pages count from 1")
        doc = self.document(source, key=key)
        if doc is None:
            return None
        if page is None:
            return doc.text
        return next((p.text for p in doc.pages if p.number == page), None)

    def document(self, source: str | Path, *, key: str | None = None) -> Document | None:
        """Indexed file `source` read again (its document `key`, default the first), as
        `page_text` reads it; None when it is not indexed, gone or changed since."""
        key = key or None
        if not self.exists:
            return None
        reader = self.reader()
        state = reader.store.file_state(_source_name(source), reader.generation)
        if state is None:
            return None
        path = Path(state.source)
        try:
            st = path.stat()
            stamp = (state.sha256, state.source, st.st_size, st.st_mtime_ns)
            if self._reread is None or self._reread[0] != stamp:
                # Same size and mtime, or failing that the same content, as the indexer
                # decides; a changed file's pages no longer match the stored chunks.
                same = (st.st_size, st.st_mtime_ns) == (state.size, state.mtime_ns)
                if not same and sha256_file(path) != state.sha256:
                    return None
                self._reread = (stamp, load_file_bounded(path, self.loader_options))
        except (OSError, RagkitError):
            return None
        return next((d for d in self._reread[1] if key is None or d.key == key), None)

    def _lookup(self, source: str, key: str) -> Document | None:
        """A source document read again, for citations that name a sentence's page."""
        return self.document(source, key=key)

    def retriever(self, options: SearchOptions | None = None) -> Retriever:
        """A retriever over the current generation with `options` (default: the knowledge
        base's search options)."""
        return Retriever(
            self.reader(),
            self.query_embedder,
            self._analyzer,
            options or self.search_options,
            reranker=self.models.reranker,
        )

    def search(
        self,
        query: str,
        options: SearchOptions | None = None,
        *,
        k: int | None = None,
        mode: SearchMode | None = None,
        filters: SearchFilter | None = None,
    ) -> list[SearchHit]:
        """The best chunks for `query`, ranked as `options` say (default: the knowledge
        base's `search_options`); `k`, `mode` and `filters` change those for this call."""
        if not query.strip():
            raise EmptyQueryError("the query is empty; give a question or some search words")
        chosen = (options or self.search_options).with_(k=k, mode=mode, filters=filters)
        return self.retriever(chosen).search_multi(query, self._variants(query, chosen))

    def _variants(self, query: str, options: SearchOptions) -> list[str]:
        """Model-written rephrasings of `query` (without it), or none when off."""
        if options.multi_query <= 0:
            return []
        return generate_variants(
            query, self.chat_model, options.multi_query, templates=self.templates
        )[1:]

    @property
    def chat_model(self) -> ChatModel:
        if self._chat_model is None:
            # The bundled model, from its Q8_0 copy (faster prompts), as `ragkit ask` loads it.
            self._chat_model = LlamaCppChatModel(
                bundled_gguf_path(), q8_folder=default_models_dir()
            )
        return self._chat_model

    def scorer(self) -> SentenceScorer:
        """Scores sentences for extractive answers and evidence (query embedder + BM25
        terms)."""
        return SentenceScorer(self._analyzer, self.query_embedder, judge=self.models.judge)

    def ask_stream(
        self, question: str, options: AnswerOptions | None = None, **call: Unpack[Call]
    ) -> AnswerStream:
        """Like `ask`, but iterate the result for the answer's pieces as they arrive."""
        _check_keywords(call, Call.__optional_keys__, "ask")
        if not question.strip():
            raise EmptyQueryError("the question is empty; ask something about your documents")
        search, history = call.get("search"), call.get("history", ())
        opts = (options or self.answer_options).with_(k=call.get("k"))
        session = GuardSession(self.guard) if self.guard is not None else None
        # The model sees only filtered texts: the rewrite, search (multi-query hands the
        # question to the model) and the answer prompt all get the filtered question.
        asked = session.check_input(question) if session is not None else question
        if session is not None:
            history = session.check_history(history)
        follow = Standalone(asked.strip())
        if opts.rewrite and _has_turns(history):
            # Extractive mode has no model to ask (none is loaded for it): the subject
            # rule alone makes the follow-up stand, as the generated path falls back to.
            model = self.chat_model if opts.mode == "generate" else None
            follow = standalone_follow_up(model, asked, history, self.generation.seed)
        standalone = follow.query
        hits = self.search(standalone, (search or self.search_options).with_(k=opts.k))
        if session is not None:
            hits = session.check_hits(hits)
        if opts.mode == "extractive":
            found = extract_answer(
                _answered_as(asked.strip(), follow),
                hits,
                self.scorer(),
                opts.sentences,
                documents=self._lookup,
                subject=follow.subject,
            )
            return AnswerStream(
                question,
                Prompt((), found.sources),
                lambda: iter([found.text]),
                # The guard may have redacted the text on its way out; keep what was shown.
                lambda shown: replace(found, text=shown),
                session,
                standalone_question=standalone,
            )
        stream = answer(
            _answered_as(asked.strip(), follow),
            hits,
            self.chat_model,
            self.templates,
            opts.with_(generation=opts.generation or self.generation),
            history=history,
            scorer=self.scorer(),
            guard=session,
            documents=self._lookup,
            # A follow-up the rule completed or restated is about its subject only.
            subject=follow.subject,
        )
        stream.question, stream.standalone_question = question, standalone
        return stream

    def ask(
        self, question: str, options: AnswerOptions | None = None, **call: Unpack[Call]
    ) -> Answer:
        """Answer `question` from the index; `answer.citations` resolve to file and page.
        `options` (default: the knowledge base's `answer_options`) say how: generate or
        extractive, how many sources (`k` changes that for this call), evidence, sampling;
        `search` how to retrieve them (default: `search_options`); `history` is the
        conversation so far (a follow-up is rewritten to stand alone before searching, and
        the history is packed into the prompt, oldest dropped first)."""
        return self.ask_stream(question, options, **call).answer

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None
        if self.backend is not None:
            self.backend.close()

    def __enter__(self) -> KnowledgeBase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _check_keywords(given: Mapping[str, object], allowed: frozenset[str], who: str) -> None:
    unknown = sorted(given.keys() - allowed)
    if unknown:  # what a signature would refuse, for callers mypy does not check
        raise TypeError(f"{who}() got unexpected keyword arguments: {unknown}")


def _source_name(source: str | Path) -> str:
    """A file as the index names it: resolved, as the writer resolves what it indexes."""
    return str(Path(source).resolve())


def _answered_as(asked: str, follow: Standalone) -> str:
    """The question the answer is written to. A follow-up the subject rule completed
    ("How often should the Ember brewing kettle be descaled?") is searched with the
    subject but answered as asked: ranked by the carried subject, every sentence naming it
    ("The most popular item is the Ember brewing kettle …") would outrank the one saying
    what was asked ("descale … every 4 weeks"), and the retrieved passages are already
    about the subject. A model's rewrite ("and what about the tea?" → "At what temperature
    is green tea steeped?") holds what the question left out, and is answered as
    rewritten."""
    return asked if follow.by_rule else follow.query


def _has_turns(history: Sequence[Message]) -> bool:
    """Whether `history` holds earlier questions or answers (not only instructions)."""
    return any(m.role in ("user", "assistant") for m in history)
