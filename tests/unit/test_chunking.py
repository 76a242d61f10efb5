from __future__ import annotations

import pytest

from ragkit.ingest.chunking import Chunker, ChunkerParams, text_length
from ragkit.types import Document, Page


def _doc(*pages: tuple[int | None, str]) -> Document:
    return Document(source="/x/doc", key="/x/doc", pages=tuple(Page(n, t) for n, t in pages))


def test_cjk_characters_weigh_more_than_latin() -> None:
    assert text_length("abcd") == 4
    assert text_length("人工智能") == 16
    assert text_length("AI 人工") == 3 + 8


def test_chinese_splits_on_sentence_punctuation_and_keeps_it() -> None:
    sentence = "人工智能是计算机科学的一个分支。"  # 16 chars → 64 units
    text = sentence * 20
    chunks = Chunker(ChunkerParams(chunk_size=200, chunk_overlap=0)).split(_doc((None, text)))
    assert len(chunks) > 1
    for chunk in chunks:
        assert chunk.text.endswith("。")
        assert text_length(chunk.text) <= 200
        assert text[chunk.char_start : chunk.char_end] == chunk.text


def test_offsets_and_pages_are_tracked_across_pages() -> None:
    page1 = "Alpha beta gamma. " * 30
    page2 = "Delta epsilon zeta. " * 30
    doc = _doc((1, page1.strip()), (2, page2.strip()))
    chunks = Chunker(ChunkerParams(chunk_size=300, chunk_overlap=50)).split(doc)
    text = doc.text
    for chunk in chunks:
        assert text[chunk.char_start : chunk.char_end] == chunk.text
    assert chunks[0].page_start == 1
    assert chunks[-1].page_end == 2
    pages = {(c.page_start, c.page_end) for c in chunks}
    assert pages <= {(1, 1), (1, 2), (2, 2)}
    assert (2, 2) in pages and (1, 1) in pages
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))


def test_chunk_spanning_two_pages_says_so() -> None:
    doc = _doc((1, "First page ends here."), (2, "Second page starts here."))
    chunks = Chunker(ChunkerParams(chunk_size=400, chunk_overlap=0)).split(doc)
    assert len(chunks) == 1
    assert (chunks[0].page_start, chunks[0].page_end) == (1, 2)


def test_one_enormous_line_is_split() -> None:
    text = "x" * 100_000
    chunks = Chunker(ChunkerParams(chunk_size=1000, chunk_overlap=100)).split(_doc((None, text)))
    assert len(chunks) >= 100
    assert all(len(c.text) <= 1000 for c in chunks)


def test_overlap_must_be_smaller_than_size() -> None:
    with pytest.raises(ValueError, match="chunk_overlap"):
        ChunkerParams(chunk_size=100, chunk_overlap=100)
