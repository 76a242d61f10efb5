"""The cited page as text, with the cited passage's place in it, for the page viewer.

A citation names a chunk; its file is read again with ragkit's loaders (pypdf for a PDF)
and the chunk's text is located in the document (chunks are exact slices of it), then
clipped to the page asked for. Formats without pages show a window of the document
around the passage. When the file is gone or changed since indexing, the stored chunk
text is shown on its own, wholly highlighted. Leaves out rendering the page as an image.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from apps.web.errors import ApiError
from ragkit import LoaderOptions, RagkitError
from ragkit.loaders import load_file
from ragkit.types import PAGE_SEPARATOR, Document, StoredChunk

WINDOW = 6000  # characters shown on each side of a passage in a document without pages


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


class DocumentCache:
    """The last few documents read again, keyed by path, size and mtime, so paging
    through a long PDF does not re-extract it on every click. Lives on the app state."""

    def __init__(self, size: int = 8) -> None:
        self.size = size
        self._lock = threading.Lock()
        self._docs: OrderedDict[tuple[str, int, int], list[Document]] = OrderedDict()

    def load(self, path: Path, options: LoaderOptions) -> list[Document]:
        st = path.stat()
        key = (str(path), st.st_size, st.st_mtime_ns)
        with self._lock:
            if key in self._docs:
                self._docs.move_to_end(key)
                return self._docs[key]
        docs = load_file(path, options)
        with self._lock:
            self._docs[key] = docs
            while len(self._docs) > self.size:
                self._docs.popitem(last=False)
        return docs


def page_view(
    chunk: StoredChunk, page: int | None, options: LoaderOptions, cache: DocumentCache
) -> PageView:
    """The text of `page` (default: the chunk's first page) with the chunk highlighted."""
    name = Path(chunk.source).name
    doc = _reload(chunk, options, cache)
    span = _locate(doc, chunk) if doc is not None else None
    if doc is None or span is None:
        return PageView(name, chunk.page_start, None, chunk.text, ((0, len(chunk.text)),), False)
    start, end = span
    numbered = [p for p in doc.pages if p.number is not None]
    if not numbered:
        lo, hi = max(0, start - WINDOW), min(len(doc.text), end + WINDOW)
        return PageView(name, None, None, doc.text[lo:hi], ((start - lo, end - lo),), True)
    wanted = page if page is not None else chunk.page_start or 1
    offset = 0
    for p in doc.pages:
        if p.number == wanted:
            lo, hi = max(start, offset), min(end, offset + len(p.text))
            marks = ((lo - offset, hi - offset),) if lo < hi else ()
            return PageView(name, wanted, len(doc.pages), p.text, marks, True)
        offset += len(p.text) + len(PAGE_SEPARATOR)
    raise ApiError(400, f"{name} has no page {wanted}; it has {len(doc.pages)} pages", param="page")


def _reload(chunk: StoredChunk, options: LoaderOptions, cache: DocumentCache) -> Document | None:
    try:
        docs = cache.load(Path(chunk.source), options)
    except (RagkitError, OSError):
        return None
    return next((d for d in docs if d.key == chunk.doc_key), None)


def _locate(doc: Document, chunk: StoredChunk) -> tuple[int, int] | None:
    """Where the chunk's text lies in the document, preferring an occurrence on its page."""
    text = doc.text
    hits: list[int] = []
    at = text.find(chunk.text)
    while at != -1 and len(hits) < 50:
        hits.append(at)
        at = text.find(chunk.text, at + 1)
    if not hits:
        return None
    first = hits[0]
    if chunk.page_start is not None:
        offset = 0
        for p in doc.pages:
            if p.number == chunk.page_start:
                on_page = [h for h in hits if offset <= h < offset + len(p.text)]
                first = on_page[0] if on_page else first
                break
            offset += len(p.text) + len(PAGE_SEPARATOR)
    return first, first + len(chunk.text)
