"""The cited page as text, with the cited passage's place in it, for the page viewer.

A citation names a chunk; `KnowledgeBase.page_text` reads its page again from the file
(pypdf for a PDF) and the chunk's text is located on it (chunks are exact slices of the
document, so a passage running over a page break is found as the page's head or tail).
Formats without pages show a window of the document around the passage. When the file is
gone or changed since indexing, the stored chunk text is shown on its own, wholly
highlighted. Callers hold the collection's read lock. Leaves out rendering the page as an
image.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from apps.web.errors import ApiError
from ragkit import KnowledgeBase
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

    def as_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "page": self.page,
            "pages": self.pages,
            "text": self.text,
            "highlights": [list(h) for h in self.highlights],
            "exact": self.exact,
        }


def page_view(kb: KnowledgeBase, chunk: StoredChunk, page: int | None) -> PageView:
    """The text of `page` (default: the chunk's first page) with the chunk highlighted."""
    name = Path(chunk.source).name
    stored_only = PageView(name, chunk.page_start, None, chunk.text, ((0, len(chunk.text)),), False)
    if chunk.page_start is None:
        text = kb.page_text(chunk.source, key=chunk.doc_key)
        start = -1 if text is None else text.find(chunk.text)
        if text is None or start < 0:
            return stored_only
        end = start + len(chunk.text)
        lo, hi = max(0, start - WINDOW), min(len(text), end + WINDOW)
        return PageView(name, None, None, text[lo:hi], ((start - lo, end - lo),), True)
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
        return PageView(name, wanted, pages, text, (), True)
    span = passage_span(text, chunk.text)
    if span is None:  # the page no longer reads as it did when indexed
        return stored_only
    return PageView(name, wanted, pages, text, (span,), True)


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
