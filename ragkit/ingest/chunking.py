"""Split documents into overlapping chunks that remember their pages and offsets.

The splitting itself is LangChain's `RecursiveCharacterTextSplitter`, given separators
that know CJK sentence punctuation (。！？；) as well as Western punctuation, and a
length function that counts a CJK character as four units, because one CJK character
costs the embedder about as many tokens as four Latin letters. What this module adds
is the bookkeeping: each chunk's character span in `Document.text` and the 1-based
pages it covers. It leaves out token-exact sizing and semantic (embedding-based) splits.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass

from ragkit.types import PAGE_SEPARATOR, Chunk, Document

# Strongest boundary first. The sentence enders are kept with the sentence they end.
SEPARATORS: tuple[str, ...] = (
    "\n\n",
    "\n",
    "。",
    "！",
    "？",
    "；",
    ". ",
    "! ",
    "? ",
    "; ",
    "，",
    ", ",
    " ",
    "",
)

CJK_WEIGHT = 4


def _is_wide(ch: str) -> bool:
    code = ord(ch)
    return (
        0x3040 <= code <= 0x30FF  # kana
        or 0x3400 <= code <= 0x9FFF  # CJK ideographs (ext. A and unified)
        or 0xAC00 <= code <= 0xD7AF  # hangul
        or 0xF900 <= code <= 0xFAFF
        or 0xFF00 <= code <= 0xFFEF  # full-width forms
        or 0x3000 <= code <= 0x303F  # CJK punctuation
        or 0x20000 <= code <= 0x2FA1F
    )


def text_length(text: str) -> int:
    """Length in chunker units: one per character, CJK_WEIGHT per CJK character."""
    wide = sum(1 for ch in text if ord(ch) >= 0x3000 and _is_wide(ch))
    return len(text) + (CJK_WEIGHT - 1) * wide


@dataclass(frozen=True)
class ChunkerParams:
    """Chunker parameters; recorded in an index's manifest so a change is detectable."""

    chunk_size: int = 800
    chunk_overlap: int = 100

    def __post_init__(self) -> None:
        if self.chunk_overlap >= self.chunk_size:
            raise ValueError(
                f"chunk_overlap ({self.chunk_overlap}) must be smaller than "
                f"chunk_size ({self.chunk_size})"
            )


class Chunker:
    """Splits `Document`s into `Chunk`s; construct once, call `split` per document."""

    def __init__(self, params: ChunkerParams) -> None:
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        self.params = params
        self._splitter = RecursiveCharacterTextSplitter(
            separators=list(SEPARATORS),
            keep_separator="end",
            chunk_size=params.chunk_size,
            chunk_overlap=params.chunk_overlap,
            length_function=text_length,
            strip_whitespace=True,
        )

    def split(self, doc: Document) -> list[Chunk]:
        text = doc.text
        page_starts, page_numbers = _page_offsets(doc)
        chunks: list[Chunk] = []
        cursor = 0
        for piece in self._splitter.split_text(text):
            if not piece.strip():
                continue
            # Chunks come back in order and overlap by at most chunk_overlap, so the next
            # occurrence at or after (previous start + 1) is this chunk's true position.
            start = text.find(piece, cursor)
            if start < 0:  # whitespace normalisation inside the splitter; fall back
                start = max(0, min(cursor, len(text) - 1))
            end = start + len(piece)
            cursor = start + 1
            first = _page_at(page_starts, page_numbers, start)
            last = _page_at(page_starts, page_numbers, max(start, end - 1))
            chunks.append(
                Chunk(
                    text=piece,
                    doc_key=doc.key,
                    ordinal=len(chunks),
                    char_start=start,
                    char_end=end,
                    page_start=first,
                    page_end=last,
                )
            )
        return chunks


def _page_offsets(doc: Document) -> tuple[list[int], list[int | None]]:
    starts: list[int] = []
    numbers: list[int | None] = []
    offset = 0
    for page in doc.pages:
        starts.append(offset)
        numbers.append(page.number)
        offset += len(page.text) + len(PAGE_SEPARATOR)
    return starts, numbers


def _page_at(starts: Sequence[int], numbers: Sequence[int | None], offset: int) -> int | None:
    if not starts:
        return None
    return numbers[max(0, bisect.bisect_right(starts, offset) - 1)]
