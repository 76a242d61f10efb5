"""`KnowledgeBase`: the public, typed entry point for Python callers.

It ties one index folder to an embedder, chunker, analyzer and (for `ask`) a chat model,
all passed in as typed objects or built from defaults (the bundled models). Search options
(filters, MMR, a reranker, multi-query variants written by the chat model) are passed
through to the `Retriever`; all are off unless asked for. Models load
lazily and are cached on the instance, never in module globals. The reader is reopened
when another process commits a newer generation. `documents`, `chunk` and `page_text`
let an application show what is indexed without reaching into the index's store; an
instance is not safe to share between threads without the caller's own lock. Leaves out
configuration files and environment variables: `ragkit.config` and the CLI turn those
into arguments here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from types import TracebackType

from ragkit.analysis import Analyzer
from ragkit.chunking import Chunker, ChunkerParams
from ragkit.embeddings import Embedder, make_embedder
from ragkit.errors import EmptyQueryError, RagkitError
from ragkit.extractive import extract_answer
from ragkit.grounding import SentenceScorer
from ragkit.guard import Guard
from ragkit.guard.session import GuardSession
from ragkit.index.engine import IndexReader, IndexWriter, index_exists
from ragkit.index.fsutil import sha256_file
from ragkit.index.milvus import AnyReader, AnyWriter, MilvusBackend
from ragkit.index.progress import IndexProgress
from ragkit.llm.base import ChatModel, GenerationOptions, Message
from ragkit.llm.llama_cpp import LlamaCppChatModel, bundled_gguf_path
from ragkit.loaders import LoaderOptions, load_file
from ragkit.multiquery import generate_variants
from ragkit.pipelines import AnswerStream, Prompt, answer
from ragkit.prompts import PromptTemplates
from ragkit.rerank import Reranker
from ragkit.retrieval import Fusion, Retriever, SearchFilter
from ragkit.types import (
    Answer,
    AnswerMode,
    Document,
    DocumentInfo,
    IndexReport,
    SearchHit,
    SearchMode,
    StoredChunk,
)


class KnowledgeBase:
    """An index on disk you can add files to, search and ask questions of.

    >>> kb = KnowledgeBase.open("indexes/docs")      # doctest: +SKIP
    >>> kb.add(["papers/"])                          # doctest: +SKIP
    >>> kb.search("attention heads", k=5)            # doctest: +SKIP
    >>> kb.ask("What is X?").citations               # doctest: +SKIP
    """

    def __init__(
        self,
        path: Path,
        embedder: Embedder,
        chunker: ChunkerParams,
        loader_options: LoaderOptions,
        chat_model: ChatModel | None,
        generation: GenerationOptions,
        templates: PromptTemplates,
        rrf_k: int = 60,
        candidates: int = 50,
        ivf_threshold: int = 50_000,
        query_embedder: Embedder | None = None,
        reranker: Reranker | None = None,
        rerank_depth: int = 50,
        multi_query: int = 0,
        answer_mode: AnswerMode = "generate",
        extract_sentences: int = 3,
        history_share: float = 0.25,
        fusion: Fusion = "convex",
        dense_weight: float = 0.5,
        guard: Guard | None = None,
        backend: MilvusBackend | None = None,
    ) -> None:
        self.path = path
        self.backend = backend
        self.fusion = fusion
        self.dense_weight = dense_weight
        self.guard = guard
        self.answer_mode: AnswerMode = answer_mode
        self.extract_sentences = extract_sentences
        self.history_share = history_share
        self.reranker = reranker
        self.rerank_depth = rerank_depth
        self.multi_query = multi_query
        self.ivf_threshold = ivf_threshold
        self.query_embedder = query_embedder or embedder
        self.embedder = embedder
        self.chunker_params = chunker
        self.loader_options = loader_options
        self.generation = generation
        self.templates = templates
        self.rrf_k = rrf_k
        self.candidates = candidates
        self._chat_model = chat_model
        self._analyzer = Analyzer()
        self._reader: AnyReader | None = None
        # The file `page_text` read last, keyed by what identifies its content, so paging
        # through a long PDF does not extract it again on every call.
        self._reread: tuple[tuple[str, str, int, int], list[Document]] | None = None

    @classmethod
    def open(
        cls,
        path: str | Path,
        *,
        embedder: Embedder | None = None,
        chunker: ChunkerParams | None = None,
        loader_options: LoaderOptions | None = None,
        chat_model: ChatModel | None = None,
        generation: GenerationOptions | None = None,
        templates: PromptTemplates | None = None,
        rrf_k: int = 60,
        candidates: int = 50,
        ivf_threshold: int = 50_000,
        query_embedder: Embedder | None = None,
        reranker: Reranker | None = None,
        rerank_depth: int = 50,
        multi_query: int = 0,
        answer_mode: AnswerMode = "generate",
        extract_sentences: int = 3,
        history_share: float = 0.25,
        fusion: Fusion = "convex",
        dense_weight: float = 0.5,
        guard: Guard | None = None,
        backend: MilvusBackend | None = None,
    ) -> KnowledgeBase:
        """Open (or prepare to create) the index at `path`. Defaults: the bundled
        all-MiniLM-L6-v2 embedder and, for `ask`, the bundled SmolLM2 GGUF.
        `query_embedder` embeds questions (default: `embedder`); it must be of the same
        family as the index's embedder, e.g. the int8 ONNX copy of the same model.
        `reranker` (e.g. `CrossEncoderReranker`) rescores the top `rerank_depth`
        candidates of every search. `multi_query` > 0 has the chat model write that many
        variants of every query, fused with RRF (RAG-Fusion); 0 = off. `answer_mode`
        is how `ask` answers by default: "generate" (the chat model) or "extractive"
        (the `extract_sentences` best source sentences, no model); `history_share` is
        the part of the prompt budget chat history may take. `fusion` and `dense_weight`
        choose how hybrid search fuses dense and BM25 (ragkit.retrieval). `guard` (e.g.
        `ragkit.guard.default_guard()`) filters questions, retrieved chunks and answers in
        `ask`; None = no filtering. `backend` keeps the index in Milvus
        (ragkit.index.milvus) instead of the folder `path`."""
        return cls(
            Path(path),
            embedder or make_embedder("bundled-int8"),
            chunker or ChunkerParams(),
            loader_options or LoaderOptions(),
            chat_model,
            generation or GenerationOptions(),
            templates or PromptTemplates(),
            rrf_k,
            candidates,
            ivf_threshold,
            query_embedder,
            reranker,
            rerank_depth,
            multi_query,
            answer_mode,
            extract_sentences,
            history_share,
            fusion,
            dense_weight,
            guard,
            backend,
        )

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
            ivf_threshold=self.ivf_threshold,
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
                self._reread = (stamp, load_file(path, self.loader_options))
        except (OSError, RagkitError):
            return None
        doc = next((d for d in self._reread[1] if key is None or d.key == key), None)
        if doc is None:
            return None
        if page is None:
            return doc.text
        return next((p.text for p in doc.pages if p.number == page), None)

    def retriever(self) -> Retriever:
        return Retriever(
            self.reader(),
            self.query_embedder,
            self._analyzer,
            self.rrf_k,
            self.candidates,
            reranker=self.reranker,
            rerank_depth=self.rerank_depth,
            fusion=self.fusion,
            dense_weight=self.dense_weight,
        )

    def search(
        self,
        query: str,
        k: int = 5,
        mode: SearchMode = "hybrid",
        *,
        filters: SearchFilter | None = None,
        mmr_lambda: float | None = None,
        rerank: bool = True,
        multi_query: int | None = None,
    ) -> list[SearchHit]:
        """The k best chunks for `query`. `filters` restricts them (path glob, file type,
        pages, metadata); `mmr_lambda` in 0..1 diversifies them (None = off); `rerank`
        uses the configured reranker, if any; `multi_query` overrides the number of
        model-written query variants (0 = off; None = as opened)."""
        if not query.strip():
            raise EmptyQueryError("the query is empty; give a question or some search words")
        return self.retriever().search_multi(
            query,
            self._variants(query, multi_query),
            k,
            mode,
            filters=filters,
            mmr_lambda=mmr_lambda,
            rerank=rerank,
        )

    def _variants(self, query: str, multi_query: int | None) -> list[str]:
        """Model-written rephrasings of `query` (without it), or none when off."""
        n = self.multi_query if multi_query is None else multi_query
        if n <= 0:
            return []
        return generate_variants(query, self.chat_model, n, templates=self.templates)[1:]

    @property
    def chat_model(self) -> ChatModel:
        if self._chat_model is None:
            self._chat_model = LlamaCppChatModel(bundled_gguf_path())
        return self._chat_model

    def scorer(self) -> SentenceScorer:
        """Scores sentences for extractive answers and evidence (query embedder + BM25
        terms)."""
        return SentenceScorer(self._analyzer, self.query_embedder)

    def ask_stream(
        self,
        question: str,
        k: int = 4,
        mode: SearchMode = "hybrid",
        *,
        filters: SearchFilter | None = None,
        mmr_lambda: float | None = None,
        rerank: bool = True,
        multi_query: int | None = None,
        answer_mode: AnswerMode | None = None,
        history: Sequence[Message] = (),
        evidence: bool = False,
        generation: GenerationOptions | None = None,
    ) -> AnswerStream:
        """Like `ask`, but iterate the result for the answer's pieces as they arrive."""
        if not question.strip():
            raise EmptyQueryError("the question is empty; ask something about your documents")
        session = GuardSession(self.guard) if self.guard is not None else None
        # Search gets the filtered question too: multi-query hands it to the model.
        prompt_question = session.check_input(question) if session is not None else question
        hits = self.search(
            prompt_question,
            k,
            mode,
            filters=filters,
            mmr_lambda=mmr_lambda,
            rerank=rerank,
            multi_query=multi_query,
        )
        if session is not None:
            hits = session.check_hits(hits)
            history = session.check_history(history)
        if (answer_mode or self.answer_mode) == "extractive":
            found = extract_answer(question, hits, self.scorer(), self.extract_sentences)
            return AnswerStream(
                question,
                Prompt((), found.sources),
                lambda: iter([found.text]),
                # The guard may have redacted the text on its way out; keep what was shown.
                lambda shown: replace(found, text=shown),
                session,
            )
        return answer(
            prompt_question,
            hits,
            self.chat_model,
            self.templates,
            self.generation if generation is None else generation,
            history=history,
            history_share=self.history_share,
            scorer=self.scorer(),
            evidence=evidence,
            guard=session,
        )

    def ask(
        self,
        question: str,
        k: int = 4,
        mode: SearchMode = "hybrid",
        *,
        filters: SearchFilter | None = None,
        mmr_lambda: float | None = None,
        rerank: bool = True,
        multi_query: int | None = None,
        answer_mode: AnswerMode | None = None,
        history: Sequence[Message] = (),
        evidence: bool = False,
        generation: GenerationOptions | None = None,
    ) -> Answer:
        """Answer `question` from the index; `answer.citations` resolve to file and page.
        The first keyword options are those of `search`. `answer_mode` overrides the
        default ("generate" or "extractive", which needs no chat model); `history` is
        the conversation so far (packed into the window, oldest dropped first);
        `evidence` pairs each answer sentence with the source sentence supporting it;
        `generation` replaces the sampling options given to `open` for this answer only."""
        return self.ask_stream(
            question,
            k,
            mode,
            filters=filters,
            mmr_lambda=mmr_lambda,
            rerank=rerank,
            multi_query=multi_query,
            answer_mode=answer_mode,
            history=history,
            evidence=evidence,
            generation=generation,
        ).answer

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None
        if self.backend is not None:
            self.backend.close()

    def __enter__(self) -> KnowledgeBase:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _source_name(source: str | Path) -> str:
    """A file as the index names it: resolved, as the writer resolves what it indexes."""
    return str(Path(source).resolve())
