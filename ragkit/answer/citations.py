"""Citation marks in an answer, and where a cited sentence stands in its document.

`marked` writes a mark the one way every answer shows it (`… 1921 [2].`);
`cited_numbers`/`clean_citations` find `[n]`, `[n, m]` (and the full-width `【n】`) and
remove the numbers that name no source the model was given; a removed number is
reported, not silently dropped, so a caller can tell a model that invents sources from
one that cites well. `locate` maps a sentence of a stored chunk to the one page it
stands on and its character offsets in that page's text (what
`KnowledgeBase.page_text` returns), from the chunk's offsets into `Document.text` and
the document read again; `cite` builds the `Citation`. Leaves out checking that a
cited source supports the sentence (that is `ragkit.answer.checking`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import replace

from ragkit.text.cjk import CJK_CHARS
from ragkit.text.sentences import split_sentences
from ragkit.types import PAGE_SEPARATOR, Citation, Document, StoredChunk

DocumentLookup = Callable[[str, str], "Document | None"]
"""(source, document key) -> the document read again, or None when it cannot be."""

CITE = re.compile(r"[\[【]\s*(\d+(?:\s*[,，、]\s*\d+)*)\s*[\]】]")


def cited_numbers(text: str) -> list[int]:
    """Numbers cited as [n] or [n, m] in order of first appearance."""
    seen: dict[int, None] = {}
    for match in CITE.finditer(text):
        for part in re.split(r"[,，、]", match.group(1)):
            seen.setdefault(int(part), None)
    return list(seen)


def clean_citations(text: str, valid: Collection[int]) -> tuple[str, tuple[int, ...]]:
    """`text` without citations to numbers outside `valid`, and those numbers in order.

    `[1, 7]` becomes `[1]` and a lone `[7]` disappears with the space before it."""
    invalid: dict[int, None] = {}

    def keep(match: re.Match[str]) -> str:
        numbers = [int(p) for p in re.split(r"[,，、]", match.group(1))]
        good = [n for n in numbers if n in valid]
        for n in numbers:
            if n not in valid:
                invalid.setdefault(n, None)
        if len(good) == len(numbers):
            return match.group(0)
        return "[" + ", ".join(str(n) for n in good) + "]" if good else ""

    cleaned = CITE.sub(keep, text)
    if invalid:
        # A removed mark leaves "months ." or a double space behind; tidy just that.
        cleaned = re.sub(r"[ \t]+([.,;:!?。，；])", r"\1", cleaned)
        cleaned = re.sub(r"[ \t]{2,}", " ", cleaned)
    return cleaned, tuple(invalid)


_CJK_END = re.compile(rf"[{CJK_CHARS}，。、；：！？）」』]$")


def marked(text: str, number: int, chinese: bool = False) -> str:
    """`text` with its source mark before the closing full stop (`… 1921 [2].`,
    `…90摄氏度[1]。`): one style for every answer, quoted or written by a model, so a
    reader meets the mark inside the sentence it cites. No space before the mark after
    Chinese text (or with `chinese`)."""
    # An ellipsis is not a full stop: the mark goes after it whole ("… employees ... [5]"),
    # not inside it ("… employees .. [5].").
    ellipsis = text.rstrip().endswith(("...", "…"))
    body, end = (text[:-1], text[-1]) if text[-1:] in ".!?。！？" and not ellipsis else (text, "")
    body = body.rstrip()
    sep = "" if chinese or _CJK_END.search(body) else " "
    return f"{body}{sep}[{number}]{end}"


def strip_citations(text: str) -> str:
    """`text` without any citation marks (for comparing its words with sources)."""
    bare = re.sub(r"[ \t]+([.,;:!?。，；])", r"\1", CITE.sub("", text))
    return re.sub(r"[ \t]{2,}", " ", bare).strip()


def _page_of(doc: Document, offset: int) -> tuple[int | None, int]:
    """The page number holding character `offset` of `doc.text`, and where it starts."""
    start = 0
    for page in doc.pages:
        end = start + len(page.text)
        if offset < end + len(PAGE_SEPARATOR):
            return page.number, start
        start = end + len(PAGE_SEPARATOR)
    last = doc.pages[-1] if doc.pages else None
    return (last.number if last else None), max(0, start - len(PAGE_SEPARATOR))


def locate(
    chunk: StoredChunk, start: int, end: int, doc: Document | None
) -> tuple[int | None, int | None, int | None]:
    """Page, start and end of `chunk.text[start:end]` in that page's text (for a format
    without pages: page None, offsets into the whole text). Without the document, or
    when it no longer matches the chunk, the page is the chunk's when it spans one page
    (else None) and the offsets are None."""
    single = chunk.page_start if chunk.page_start == chunk.page_end else None
    if doc is None or chunk.char_start is None:
        return single, None, None
    text = chunk.text[start:end]
    full = doc.text
    at = chunk.char_start + start
    if full[at : at + len(text)] != text:
        # The chunker had to guess the chunk's position; find the sentence near it.
        near = full.find(text, max(0, chunk.char_start - len(chunk.text)))
        if near < 0:
            near = full.find(text)
        if near < 0:
            return single, None, None
        at = near
    number, page_start = _page_of(doc, at)
    return number, at - page_start, at - page_start + len(text)


def cite(
    number: int,
    chunk: StoredChunk,
    span: tuple[int, int] | None = None,
    doc: Document | None = None,
) -> Citation:
    """The `Citation` for source `number` (chunk `chunk`); with `span`, the supporting
    sentence `chunk.text[span[0]:span[1]]`, located on its page."""
    snippet = " ".join(chunk.text.split())[:200]
    base = Citation(
        number,
        chunk.id,
        chunk.source,
        chunk.page_start,
        chunk.page_end,
        snippet,
        doc_key=chunk.doc_key,
    )
    if span is None:
        single = chunk.page_start if chunk.page_start == chunk.page_end else None
        return replace(base, page=single)
    page, start, end = locate(chunk, span[0], span[1], doc)
    sentence = chunk.text[span[0] : span[1]]
    cut = span[0] == 0 or span[1] >= len(chunk.text.rstrip())
    if cut and doc is not None and start is not None and end is not None:
        # A sentence at the chunk's edge may run on past it (the chunker cut it): take the
        # whole sentence from the page it stands on, so the citation shows all of it.
        page_text = (
            doc.text
            if page is None
            else next((p.text for p in doc.pages if p.number == page), None)
        )
        whole = _enclosing_sentence(page_text, start, end) if page_text else None
        if page_text and whole is not None:
            start, end = whole
            sentence = page_text[start:end]
    return replace(base, page=page, sentence=sentence, start=start, end=end)


def _enclosing_sentence(text: str, start: int, end: int) -> tuple[int, int] | None:
    """The span of the sentences of `text` that [start, end) lies in, or None."""
    spans = [(s.start, s.end) for s in split_sentences(text) if s.start < end and s.end > start]
    if not spans:
        return None
    return min(start, spans[0][0]), max(end, spans[-1][1])
