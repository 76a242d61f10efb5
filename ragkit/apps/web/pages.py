"""The cited page as text, with the cited sentence's (or passage's) place in it, for the
page viewer; and which sentence of which page supports each citation of an answer.

A citation names a chunk; `KnowledgeBase.page_text` reads its page again from the file
(pypdf for a PDF) and the chunk's text is located on it (chunks are exact slices of the
document, so a passage running over a page break is found as the page's head or tail).
The supporting sentence is the evidence's best source sentence for that citation
(`Answer.evidence`), widened to the whole sentence of the page (PDF text breaks lines
mid-sentence), and its page is the page that holds it, not the chunk's first page.
Formats without pages show a window of the document around the passage, as formatted
blocks from the loader's structure (ragkit.apps.web.formatted). When the file is
gone or changed since indexing, the stored chunk text is shown on its own, the cited
sentence highlighted in it (the whole passage when it is not there, or none was asked
for). Callers hold the collection's read lock. Leaves out drawing the page
(ragkit.apps.web.pdfpages renders it and finds the sentence's boxes).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ragkit import Answer, KnowledgeBase
from ragkit.answer.citations import strip_citations
from ragkit.apps.web.errors import ApiError
from ragkit.apps.web.formatted import formatted_blocks, within_block
from ragkit.apps.web.pdfpages import find_span
from ragkit.text.sentences import split_sentences
from ragkit.types import StoredChunk

WINDOW = 6000  # characters shown on each side of a passage in a document without pages
# Fewest characters a passage must share with a page's start or end to be marked there;
# shorter overlaps match by chance.
MIN_OVERLAP = 16


@dataclass(frozen=True)
class PageView:
    file: str
    page: int | None
    pages: int | None
    text: str
    highlights: tuple[tuple[int, int], ...]
    exact: bool  # False: the file could not be read again; only the chunk text is shown
    lit: str = ""  # the text lit: the sentence when it was found, else the passage's part
    file_type: str = ""
    # A document without pages, formatted (ragkit.apps.web.formatted); () for a PDF page.
    blocks: tuple[dict[str, Any], ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "file_type": self.file_type,
            "page": self.page,
            "pages": self.pages,
            "text": self.text,
            "highlights": [list(h) for h in self.highlights],
            "exact": self.exact,
            "blocks": list(self.blocks),
        }


def page_view(
    kb: KnowledgeBase, chunk: StoredChunk, page: int | None, sentence: str = ""
) -> PageView:
    """The text of `page` (default: the chunk's first page) with `sentence` highlighted
    when it is on the page, else the chunk's part of the page."""
    name = Path(chunk.source).name
    kind = Path(chunk.source).suffix.lower().lstrip(".")
    # The file gone or changed: the stored passage, its cited sentence lit when it is in
    # it (the whole passage lit read as one long quote, "## The first harvests" and all).
    part = (find_span(chunk.text, sentence) if sentence else None) or (0, len(chunk.text))
    stored_only = PageView(
        name,
        chunk.page_start,
        None,
        chunk.text,
        (part,),
        False,
        chunk.text[part[0] : part[1]] if sentence else "",
        kind,
    )
    if chunk.page_start is None:
        doc = kb.document(chunk.source, key=chunk.doc_key)
        text = None if doc is None else doc.text
        start = -1 if text is None else text.find(chunk.text)
        if doc is None or text is None or start < 0:
            return stored_only
        end = start + len(chunk.text)
        structure = doc.pages[0].blocks if len(doc.pages) == 1 else ()
        if sentence:  # the sentence, looked for inside the passage first
            inside = find_span(text[start:end], sentence)
            if inside is not None:
                start, end = within_block(structure, (start + inside[0], start + inside[1]))
        lo, hi = max(0, start - WINDOW), min(len(text), end + WINDOW)
        shown = formatted_blocks(
            text,
            structure,
            (lo, hi),
            (start, end),
            markdown=doc.file_type == "md",
            plain=doc.file_type == "txt",
        )
        return PageView(
            name,
            None,
            None,
            text[lo:hi],
            ((start - lo, end - lo),),
            True,
            text[start:end],
            kind,
            tuple(shown),
        )
    last = chunk.page_end or chunk.page_start
    info = next((d for d in kb.documents(chunk.source) if d.key == chunk.doc_key), None)
    pages = info.pages if info is not None and info.pages is not None else last
    wanted = page if page is not None else chunk.page_start
    if not 1 <= wanted <= pages:
        # A page that is not there is a resource that does not exist, as a chunk id is.
        raise ApiError(
            404, f"{name} has no page {wanted}; it has {pages} pages", "not_found_error", "page"
        )
    text = kb.page_text(chunk.source, wanted, key=chunk.doc_key)
    if text is None:
        return stored_only
    if not chunk.page_start <= wanted <= last:
        return PageView(name, wanted, pages, text, (), True, "", kind)
    span = passage_span(text, chunk.text)
    if span is None:  # the page no longer reads as it did when indexed
        return stored_only
    if sentence:
        inside = find_span(text, sentence)
        if inside is not None:
            span = inside
    lit = text[span[0] : span[1]]
    return PageView(name, wanted, pages, text, (span,), True, lit, kind)


# Chinese characters one by one (no spaces between words), other words whole.
_WORD = re.compile(r"[\u3400-\u9fff]|[^\W\u3400-\u9fff]+")


def _words(text: str) -> set[str]:
    return {w.casefold() for w in _WORD.findall(text)}


def supporting_sentence(
    kb: KnowledgeBase, chunk: StoredChunk, support: str, answer_text: str
) -> tuple[str, int | None]:
    """The sentence of `chunk` that supports an answer, whole as the page has it, and
    the page it is on. `support` is the evidence's sentence for the citation ("" when
    there is none: then the chunk's sentence sharing most words with the answer)."""
    if not support:
        flat = " ".join(chunk.text.split())
        answer_words = _words(strip_citations(answer_text))
        best, best_score = "", 0.0
        for s in split_sentences(flat):
            words = _words(s.text)
            if words:
                score = len(words & answer_words) / math.sqrt(len(words))
                if score > best_score:
                    best, best_score = s.text, score
        support = best or flat
    first = chunk.page_start
    pages = range(first, (chunk.page_end or first) + 1) if first is not None else [None]
    for page in pages:
        text = kb.page_text(chunk.source, page, key=chunk.doc_key)
        if text is None:
            break
        flat = " ".join(text.split())
        span = find_span(flat, support)
        if span is None:
            continue
        # Widen to whole sentences: the evidence may hold a line of a wrapped sentence.
        whole = [s for s in split_sentences(flat) if s.start < span[1] and s.end > span[0]]
        if whole:
            return flat[whole[0].start : whole[-1].end], page
        return flat[span[0] : span[1]], page
    return " ".join(support.split()), first


def cited_sentences(kb: KnowledgeBase, answer: Answer) -> dict[int, tuple[str, int | None]]:
    """For each source the answer cites: its supporting sentence and that sentence's
    page, as the citation gives them (`Citation.sentence`, `Citation.page`) or, when it
    does not, found from the evidence. Sources that are not cited get none (the page
    folds them away)."""
    best: dict[int, tuple[float, str]] = {}
    for e in answer.evidence:
        if e.source is not None and e.support and e.score > best.get(e.source, (-1.0, ""))[0]:
            best[e.source] = (e.score, e.support)
    out: dict[int, tuple[str, int | None]] = {}
    for c in answer.citations:
        if c.sentence:  # the answer already says which sentence, on which page
            out[c.number] = " ".join(c.sentence.split()), c.page
            continue
        chunk = kb.chunk(c.chunk_id)
        if chunk is None:
            continue
        out[c.number] = supporting_sentence(
            kb, chunk, best.get(c.number, (0.0, ""))[1], answer.text
        )
    return out


def passage_span(page: str, passage: str) -> tuple[int, int] | None:
    """Where on `page` the part of `passage` that lies on it is: all of it, its beginning
    at the page's end, its end at the page's start, or the whole page inside it."""
    at = page.find(passage)
    if at >= 0:
        return at, at + len(passage)
    # Longest overlap first: the passage runs on past this page...
    for start in range(max(0, len(page) - len(passage)), len(page) - MIN_OVERLAP + 1):
        if passage.startswith(page[start:]):
            return start, len(page)
    # ...or began on an earlier one.
    for end in range(min(len(page), len(passage)), MIN_OVERLAP - 1, -1):
        if passage.endswith(page[:end]):
            return 0, end
    if page and page in passage:
        return 0, len(page)
    return None
