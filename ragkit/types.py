"""Small immutable records passed between ragkit's stages.

Loaders produce `Document`s, the chunker `Chunk`s, the index `SearchHit`s and the
pipelines `Answer`s with `Citation`s. Behaviour lives elsewhere; these are data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

SearchMode = Literal["hybrid", "dense", "bm25"]
AnswerMode = Literal["generate", "extractive"]
JudgeName = Literal["none", "e5"]
"""The answer judges `ragkit.answer.judge.make_judge` knows (the `answer.judge` setting)."""


@dataclass(frozen=True)
class Block:
    """A formatted block of a page's text, as the loader found it: characters
    [`start`, `end`) of `Page.text`. `kind` is "heading" (`level` 1-6), "paragraph",
    "bullet" or "number" (list items, `level` the nesting depth from 1), "quote",
    "code", "row" (a table row, `level` 1 for a header row) or "cell" (inside a row)."""

    kind: str
    start: int
    end: int
    level: int = 0


@dataclass(frozen=True)
class Page:
    """Text of one page. `number` is 1-based as a PDF reader shows it; None when the
    format has no pages (plain text, Markdown, HTML, Word, JSON lines). `blocks` is the
    page's structure where the format has one (Word, HTML, Markdown), for showing the
    text formatted; it takes no part in comparisons or in indexing."""

    number: int | None
    text: str
    blocks: tuple[Block, ...] = field(default=(), compare=False, repr=False)


@dataclass(frozen=True)
class Document:
    """One source document as a loader read it.

    `source` is the file path as given (resolved); `key` identifies the document within
    the index and differs from `source` only for multi-document files (JSON lines),
    where it is `path#id`.
    """

    source: str
    key: str
    pages: tuple[Page, ...]
    title: str = ""
    file_type: str = ""
    metadata: dict[str, str] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return PAGE_SEPARATOR.join(p.text for p in self.pages)


# Pages are joined with a blank line so a chunker sees a paragraph break between them.
PAGE_SEPARATOR = "\n\n"


@dataclass(frozen=True)
class Chunk:
    """A span of a document's text, with the pages it covers (both None when the
    document has no pages) and character offsets into `Document.text`."""

    text: str
    doc_key: str
    ordinal: int
    char_start: int
    char_end: int
    page_start: int | None
    page_end: int | None


@dataclass(frozen=True)
class StoredChunk:
    """A chunk as the index holds it: with its id and its document's file."""

    id: int
    text: str
    doc_key: str
    source: str
    title: str
    ordinal: int
    page_start: int | None
    page_end: int | None
    char_start: int | None = None
    """Where the chunk starts in its document's text (`Document.text`, pages joined by
    `PAGE_SEPARATOR`); None when not known (a chunk built by hand)."""
    char_end: int | None = None

    @property
    def location(self) -> str:
        """File and page as a person reads them: `report.pdf p. 3` or `p. 3-4`."""
        return format_location(self.source, self.page_start, self.page_end)


def display_path(source: str) -> str:
    """A source path relative to the working folder when it lies inside it."""
    try:
        return str(Path(source).relative_to(Path.cwd()))
    except ValueError:
        return source


def format_location(source: str, page_start: int | None, page_end: int | None) -> str:
    if page_start is None:
        return source
    if page_end is None or page_end == page_start:
        return f"{source} p. {page_start}"
    return f"{source} pp. {page_start}-{page_end}"


@dataclass(frozen=True)
class DocumentInfo:
    """One indexed document as `KnowledgeBase.documents()` lists it. `pages` is the last
    page any of its chunks reaches (pages after it hold no text); None for formats
    without pages."""

    source: str
    key: str
    title: str
    file_type: str
    chunks: int
    pages: int | None


@dataclass(frozen=True)
class SearchHit:
    """One retrieved chunk with its 1-based rank and the score of the mode that ranked it
    (cosine similarity for dense, BM25 score for bm25, fused RRF score for hybrid)."""

    rank: int
    score: float
    chunk: StoredChunk


@dataclass(frozen=True)
class Citation:
    """A numbered source `[n]` of an answer, resolved to chunk, file and page.

    `page_start`/`page_end` are the pages the whole chunk spans. `sentence` is the
    source sentence that supports the answer, `page` the one page it stands on, and
    `start`/`end` its character offsets in `KnowledgeBase.page_text(source, page,
    key=doc_key)` (for formats without pages, `page` is None and the offsets are into
    the document's whole text). They are None (and `sentence` empty) when not known,
    e.g. when the file changed since it was indexed."""

    number: int
    chunk_id: int
    source: str
    page_start: int | None
    page_end: int | None
    snippet: str
    page: int | None = None
    sentence: str = ""
    start: int | None = None
    end: int | None = None
    doc_key: str = ""

    @property
    def location(self) -> str:
        """File and page: the supporting sentence's page when known (`p. 2`), else the
        chunk's span."""
        if self.page is not None:
            return format_location(self.source, self.page, self.page)
        return format_location(self.source, self.page_start, self.page_end)


@dataclass(frozen=True)
class Evidence:
    """One sentence of an answer and the source sentence that best supports it, with
    the number `[n]` of the source it comes from; `support` is None when none does."""

    sentence: str
    support: str | None
    source: int | None
    score: float


@dataclass(frozen=True)
class Answer:
    """An answer. `sources` are every numbered source given to the model (or searched,
    for an extractive answer); `citations` the subset the answer text refers to with `[n]`.

    `invalid_citations` are numbers the model cited that name no source; they were
    removed from `text`. `not_found` is True when the answer is that the documents do
    not hold it. `evidence` (when asked for) pairs each answer sentence with its support.
    `unsupported` are the sentences the model wrote that were not shown as the answer
    (ragkit.answer.checking): those also in `off_topic` the sources back but they do not
    answer the question (a true sentence on another point, the question restated); the
    rest the sources do not back (a number, date or name in no source, or too few of
    their words).
    """

    question: str
    text: str
    sources: tuple[Citation, ...]
    citations: tuple[Citation, ...]
    mode: AnswerMode = "generate"
    not_found: bool = False
    invalid_citations: tuple[int, ...] = ()
    evidence: tuple[Evidence, ...] = ()
    unsupported: tuple[str, ...] = ()
    off_topic: tuple[str, ...] = ()


@dataclass(frozen=True)
class FileOutcome:
    """What happened to one input file during indexing."""

    path: str
    status: Literal["indexed", "unchanged", "skipped", "failed"]
    reason: str = ""
    chunks: int = 0


@dataclass(frozen=True)
class IndexReport:
    """Summary of one `add` run over a batch of paths."""

    files: tuple[FileOutcome, ...]
    chunks_added: int
    seconds: float

    def by_status(self, status: str) -> list[FileOutcome]:
        return [f for f in self.files if f.status == status]
