"""Options as types, declared once: how to search, how to answer, how to index, which models.

`SearchOptions` and `AnswerOptions` are frozen pydantic models: each field's default, bounds
and description live here and nowhere else. The settings model (ragkit.config) builds its
`retrieval` and `answer` sections on the same field declarations (`SearchFields`,
`AnswerFields`), the CLI's flags change them per call with `with_()`, and the configuration
reference in docs/configuration.md is checked against them by a test. Adding a search setting
means adding one field to `SearchFields`.

    kb = KnowledgeBase.open("indexes/docs", search=SearchOptions(mmr_lambda=0.7))
    kb.search("kettle warranty", kb.search_options.with_(k=3, mode="bm25"))

`IndexOptions` (chunker, loader, vector layout) and `Models` (embedder, question embedder, chat
model, reranker) are plain frozen dataclasses: they carry objects, not user-typed values.
`SearchFilter` lives here too, as the one option that is a condition rather than a number.
Leaves out reading files or the environment (ragkit.config) and building models
(ragkit.wiring).
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from pathlib import PurePath
from typing import TYPE_CHECKING, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ragkit.errors import ConfigError, RagkitError
from ragkit.models.llm.base import GenerationOptions
from ragkit.models.prompts import PromptTemplates
from ragkit.types import AnswerMode, SearchMode, StoredChunk

if TYPE_CHECKING:
    from ragkit.answer.judge import AnswerJudge
    from ragkit.ingest.chunking import ChunkerParams
    from ragkit.ingest.loaders import LoaderOptions
    from ragkit.models.embeddings.base import Embedder
    from ragkit.models.llm.base import ChatModel
    from ragkit.search.rerank import Reranker

Fusion = Literal["convex", "rrf"]

DocumentFields = tuple[str, dict[str, str]]
"""A chunk's document file type and metadata, as filters need them."""


@dataclass(frozen=True)
class SearchFilter:
    """Conditions every returned chunk meets; a condition left None is not checked.

    `path_glob` is matched (fnmatch, `*` crosses folders) against the chunk's full source
    path and against its file name, so both `*.pdf` and `*/reports/*` work. `file_types`
    are loader types (`pdf`, `md`, `txt`, `html`, `docx`, `jsonl`; case and a leading dot
    are ignored). The page range keeps chunks whose pages overlap [page_min, page_max];
    chunks of page-less formats fail it. `metadata` keys must equal the document's
    metadata values (JSON lines fields, for example).
    """

    path_glob: str | None = None
    file_types: frozenset[str] | None = None
    page_min: int | None = None
    page_max: int | None = None
    metadata: dict[str, str] | None = None

    def __post_init__(self) -> None:
        if self.file_types is not None:
            types = frozenset(t.strip().lower().lstrip(".") for t in self.file_types)
            object.__setattr__(self, "file_types", types)
        if self.page_min is not None and self.page_max is not None:
            if self.page_min > self.page_max:
                raise RagkitError(
                    f"page range {self.page_min}-{self.page_max} is empty; "
                    "give the first page before the last"
                )

    @property
    def active(self) -> bool:
        """Whether any condition is set (an all-None filter keeps everything)."""
        return any(
            v is not None
            for v in (self.path_glob, self.file_types, self.page_min, self.page_max, self.metadata)
        )

    @property
    def needs_document_fields(self) -> bool:
        """Whether matching needs the document's file type and metadata from the store."""
        return self.file_types is not None or bool(self.metadata)

    def matches(self, chunk: StoredChunk, fields: DocumentFields | None = None) -> bool:
        if self.path_glob is not None:
            name = PurePath(chunk.source).name
            if not (
                fnmatch.fnmatch(chunk.source, self.path_glob)
                or fnmatch.fnmatch(name, self.path_glob)
            ):
                return False
        if self.page_min is not None or self.page_max is not None:
            if chunk.page_start is None:
                return False
            last = chunk.page_end if chunk.page_end is not None else chunk.page_start
            if self.page_min is not None and last < self.page_min:
                return False
            if self.page_max is not None and chunk.page_start > self.page_max:
                return False
        if self.needs_document_fields:
            if fields is None:
                return False
            file_type, metadata = fields
            if self.file_types is not None and file_type.lower() not in self.file_types:
                return False
            for key, value in (self.metadata or {}).items():
                if metadata.get(key) != value:
                    return False
        return True


class Options(BaseModel):
    """A frozen, validated group of options; unknown names are errors."""

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    def with_(self, **changes: Any) -> Self:
        """A copy with `changes` applied and validated (`None` values are ignored, so
        unset CLI flags keep what is configured). A bad value is a `ConfigError`."""
        values = {name: getattr(self, name) for name in type(self).model_fields}
        values.update({k: v for k, v in changes.items() if v is not None})
        try:
            return type(self)(**values)
        except ValidationError as exc:
            raise ConfigError(_describe(exc)) from None

    @classmethod
    def from_fields(cls, source: BaseModel) -> Self:
        """This type's fields read from `source` (a settings section built on them);
        fields `source` lacks keep their defaults."""
        given = type(source).model_fields
        return cls(**{name: getattr(source, name) for name in cls.model_fields if name in given})


def _describe(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        name = ".".join(str(p) for p in err["loc"])
        parts.append(f"{name}: {err['msg']}")
    return "invalid option " + "; ".join(parts)


class SearchFields(Options):
    """The search options a user can set (settings section `retrieval`)."""

    k: int = Field(5, ge=1, le=1000, description="Results for search.")
    mode: SearchMode = Field("hybrid", description="hybrid, dense or bm25.")
    fusion: Fusion = Field(
        "convex", description="Hybrid fusion: convex (weighted scaled scores) or rrf."
    )
    dense_weight: float = Field(
        0.5, ge=0.0, le=1.0, description="Convex fusion: weight of dense scores (BM25: 1 - w)."
    )
    rrf_k: int = Field(60, ge=1, description="Reciprocal rank fusion constant.")
    candidates: int = Field(50, ge=1, description="Candidates each retriever gives fusion.")
    rerank: bool = Field(True, description="Rescore with the reranker, when one is configured.")
    rerank_depth: int = Field(50, ge=1, description="Candidates the reranker rescores.")
    mmr_lambda: float | None = Field(
        None, ge=0.0, le=1.0, description="MMR trade-off (1: relevance only); unset: off."
    )
    mmr_depth: int = Field(20, ge=1, description="Candidates MMR picks from.")
    multi_query: int = Field(
        0, ge=0, le=10, description="Query variants the chat model writes (0: off)."
    )


class SearchOptions(SearchFields):
    """How to search: everything `KnowledgeBase.search` and the retriever need."""

    filters: SearchFilter | None = Field(
        None, description="Path glob, file types, page range and metadata to keep."
    )


class AnswerFields(Options):
    """The answer options a user can set (settings section `answer`)."""

    mode: AnswerMode = Field(
        "generate",
        description="'generate' (the chat model writes the answer) or 'extractive' (the "
        "best sentences of the sources, no model).",
    )
    k: int = Field(
        6,
        ge=1,
        le=50,
        description="Chunks searched for an answer's evidence; the model is given the best "
        "sentences of them (three passages), an extractive answer quotes them.",
    )
    sentences: int = Field(3, ge=1, le=20, description="Sentences an extractive answer gives.")
    history_share: float = Field(
        0.25, ge=0.0, le=0.9, description="Share of the prompt budget chat history may use."
    )
    rewrite: bool = Field(
        True,
        description="Rewrite a follow-up into a standalone question (with the chat model) "
        "before searching, when there is conversation history.",
    )
    evidence: bool = Field(
        False, description="Pair each answer sentence with the source sentence supporting it."
    )


class AnswerOptions(AnswerFields):
    """How to answer: the `AnswerFields` plus the sampling options of the model.
    Retrieval for an answer uses the knowledge base's `SearchOptions` with `k` sources."""

    generation: GenerationOptions | None = Field(
        None, description="Sampling options; unset: the model's defaults."
    )


@dataclass(frozen=True)
class IndexOptions:
    """How files become an index: chunking, loading, the vector layout threshold and
    how often a long build commits a checkpoint."""

    chunker: ChunkerParams | None = None
    loader: LoaderOptions | None = None
    ivf_threshold: int = 50_000
    """Vectors from which search is approximate (IVF), not exact."""
    checkpoint_chunks: int = 20_000
    """A long build commits a generation after this many new chunks (resumable)."""
    checkpoint_seconds: float = 300.0
    """...or this many seconds after the last commit, whichever comes first."""
    bm25_merge_ratio: float = 0.1
    """BM25 merges its small segment into the large one past this fraction of it."""
    vectors_merge_ratio: float = 0.1
    """The vectors merge their small segment into the large one past this fraction of it."""


@dataclass(frozen=True)
class Models:
    """The models a knowledge base uses; None means the bundled default (built on first
    use). `query_embedder` embeds questions and must be of the same family as the index's
    embedder (e.g. the int8 ONNX copy of the same model); None = `embedder`."""

    embedder: Embedder | None = None
    query_embedder: Embedder | None = None
    chat_model: ChatModel | None = None
    reranker: Reranker | None = None
    prompts: PromptTemplates | None = None
    """Prompt templates for answers; None = the shipped ones."""
    judge: AnswerJudge | None = None
    """Orders the sentences that could answer a question (`ragkit.answer.judge`);
    None = the sentence scores alone."""
