"""`KnowledgeBase.documents`, `chunk` and `page_text`: what an application may show of an
index without reaching into its store, over the hashing fake embedder and real files."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from pdfs import make_pdf

from ragkit import DocumentInfo, HashingEmbedder, KnowledgeBase
from ragkit.options import Models

PDF_PAGES = (
    "Welcome to the Ember handbook about brewing kettles.",
    "Warranty terms. The Ember kettle carries a warranty of seven years.",
    "Cleaning. Descale the kettle every month with citric acid.",
)


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    root = tmp_path / "docs"
    root.mkdir()
    make_pdf(root / "handbook.pdf", PDF_PAGES)
    (root / "care.md").write_text("# Care\n\nRinse the kettle after use.\n", encoding="utf-8")
    lines = [{"_id": "a", "text": "Alpha line about tea."}, {"_id": "b", "text": "Beta line."}]
    (root / "faq.jsonl").write_text("\n".join(json.dumps(x) for x in lines), encoding="utf-8")
    return root


@pytest.fixture
def kb(tmp_path: Path, docs: Path) -> KnowledgeBase:
    kb = KnowledgeBase.open(tmp_path / "ix", models=Models(embedder=HashingEmbedder(dim=64)))
    kb.add([docs])
    return kb


def test_documents_lists_each_indexed_document(
    kb: KnowledgeBase, docs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = str(docs.resolve())
    listed = kb.documents()
    assert [(d.source, d.key, d.file_type, d.pages) for d in listed] == [
        (f"{root}/care.md", f"{root}/care.md", "md", None),
        (f"{root}/faq.jsonl", f"{root}/faq.jsonl#a", "jsonl", None),
        (f"{root}/faq.jsonl", f"{root}/faq.jsonl#b", "jsonl", None),
        (f"{root}/handbook.pdf", f"{root}/handbook.pdf", "pdf", 3),
    ]
    assert all(isinstance(d, DocumentInfo) and d.chunks >= 1 for d in listed)
    assert sum(d.chunks for d in listed) == kb.reader().store.counts(kb.reader().generation)[1]
    # A file given as a relative path names the same documents.
    monkeypatch.chdir(docs)
    assert [d.key for d in kb.documents("faq.jsonl")] == [
        f"{root}/faq.jsonl#a",
        f"{root}/faq.jsonl#b",
    ]
    assert kb.documents("missing.txt") == []


def test_an_index_not_built_yet_has_no_documents_chunks_or_pages(tmp_path: Path) -> None:
    kb = KnowledgeBase.open(tmp_path / "none", models=Models(embedder=HashingEmbedder(dim=64)))
    assert kb.documents() == [] and kb.chunk(1) is None
    assert kb.page_text(tmp_path / "a.txt") is None


def test_chunk_returns_the_stored_chunk_until_its_file_is_removed(
    kb: KnowledgeBase, docs: Path
) -> None:
    hit = kb.search("seven years warranty", k=1)[0]
    assert kb.chunk(hit.chunk.id) == hit.chunk
    assert kb.chunk(10_000) is None
    kb.remove([docs / "handbook.pdf"])
    assert kb.chunk(hit.chunk.id) is None
    assert [d.file_type for d in kb.documents()] == ["md", "jsonl", "jsonl"]


def test_page_text_reads_the_page_again(kb: KnowledgeBase, docs: Path) -> None:
    pdf = docs / "handbook.pdf"
    page = kb.page_text(pdf, 2)
    assert page is not None and "seven years" in page and "Descale" not in page
    whole = kb.page_text(str(pdf))
    assert whole is not None and all(p.split()[0] in whole for p in PDF_PAGES)
    assert kb.page_text(pdf, 4) is None  # no such page
    assert kb.page_text(docs / "care.md", 1) is None  # a format without pages
    assert kb.page_text(docs / "care.md") == "# Care\n\nRinse the kettle after use.\n"
    key = f"{docs.resolve()}/faq.jsonl#b"
    assert kb.page_text(docs / "faq.jsonl", key=key) == "Beta line."
    assert kb.page_text(docs / "faq.jsonl") == "Alpha line about tea."
    assert kb.page_text(docs / "faq.jsonl", key="nope") is None
    with pytest.raises(ValueError, match="pages count from 1"):
        kb.page_text(pdf, 0)


def test_page_text_is_none_once_the_file_changed_or_is_gone(
    kb: KnowledgeBase, docs: Path, tmp_path: Path
) -> None:
    care = docs / "care.md"
    original = kb.page_text(care)
    assert original is not None
    # Touched but not changed: the content hash still matches what was indexed.
    os.utime(care, ns=(1, 1))
    assert kb.page_text(care) == original
    care.write_text("# Care\n\nSomething else entirely now.\n", encoding="utf-8")
    assert kb.page_text(care) is None
    care.unlink()
    assert kb.page_text(care) is None
    outside = tmp_path / "other.md"
    outside.write_text("Never indexed.", encoding="utf-8")
    assert kb.page_text(outside) is None
