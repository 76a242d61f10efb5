"""Index engine behaviour with the hashing fake embedder: real SQLite, FAISS and BM25
files on disk, no model."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from corpus_files import write_file
from embedders import CountingEmbedder

from ragkit import HashingEmbedder, KnowledgeBase
from ragkit.errors import IndexCorruptError, IndexMismatchError, IndexNotFoundError
from ragkit.index.engine import IndexReader
from ragkit.index.manifest import read_manifest
from ragkit.index.store import Store, connect
from ragkit.options import IndexOptions, Models


def _kb(path: Path, dim: int = 64) -> KnowledgeBase:
    return KnowledgeBase.open(path, models=Models(embedder=HashingEmbedder(dim=dim)))


def test_add_then_search_finds_each_document(tmp_path: Path, corpus: Path) -> None:
    kb = _kb(tmp_path / "ix")
    report = kb.add([corpus])
    assert [f.status for f in report.files] == ["indexed"] * 3
    assert report.chunks_added == 3
    top = kb.search("kettle warranty", k=1)[0]
    assert top.chunk.source.endswith("kettle.txt") and top.rank == 1
    zh = kb.search("茶园的海拔是多少", k=1, mode="bm25")[0]
    assert zh.chunk.source.endswith("zh.txt")
    for mode in ("dense", "bm25", "hybrid"):
        hits = kb.search("green tea picking", k=3, mode=mode)  # type: ignore[arg-type]
        assert hits[0].chunk.source.endswith("tea.md"), mode


def test_manifest_records_format_embedder_counts_and_checksums(
    tmp_path: Path, corpus: Path
) -> None:
    kb = _kb(tmp_path / "ix")
    kb.add([corpus])
    raw = json.loads((tmp_path / "ix" / "manifest.json").read_text())
    assert raw["format"] == "ragkit-index" and raw["format_version"] == 3
    assert raw["embedder"] == {"id": "hashing-64", "dim": 64, "family": "hashing-64"}
    assert raw["chunker"] == {"chunk_size": 800, "chunk_overlap": 100}
    assert raw["counts"] == {"documents": 3, "chunks": 3}
    assert any(name.endswith(".faiss") and "/vectors/" in name for name in raw["files"])
    assert all(d.startswith("xxh3_128:") and len(d) == 41 for d in raw["files"].values())
    assert raw["vectors"]["kind"] == "flat"


def test_rerun_over_unchanged_files_does_nothing(tmp_path: Path, corpus: Path) -> None:
    kb = _kb(tmp_path / "ix")
    kb.add([corpus])
    before = read_manifest(tmp_path / "ix").generation
    report = kb.add([corpus])
    assert {f.status for f in report.files} == {"unchanged"}
    assert report.chunks_added == 0
    assert read_manifest(tmp_path / "ix").generation == before


def test_changed_file_is_replaced_and_deleted_file_vanishes(tmp_path: Path, corpus: Path) -> None:
    kb = _kb(tmp_path / "ix")
    kb.add([corpus])
    write_file(corpus / "kettle.txt", "The Ember kettle now has a warranty of two years.")
    os.utime(corpus / "kettle.txt", ns=(1, 1))  # a different mtime even on coarse clocks
    (corpus / "tea.md").unlink()
    report = kb.add([corpus])
    statuses = {Path(f.path).name: f.status for f in report.files}
    assert statuses["kettle.txt"] == "indexed" and statuses["zh.txt"] == "unchanged"
    assert statuses["tea.md"] == "skipped"
    texts = [h.chunk.text for h in kb.search("kettle warranty", k=10)]
    assert any("two years" in t for t in texts)
    assert not any("eighteen" in t for t in texts)
    assert not any("Green tea" in t for t in texts)
    m = read_manifest(tmp_path / "ix")
    assert (m.counts.documents, m.counts.chunks) == (2, 2)
    # Old generations beyond the previous one are cleaned up.
    kb.add([write_file(corpus / "new.txt", "another file")])
    gens = sorted(p.name for p in (tmp_path / "ix").glob("gen-*"))
    assert gens == ["gen-000002", "gen-000003"]


def test_unchanged_text_is_not_embedded_again(tmp_path: Path, corpus: Path) -> None:
    embedder = CountingEmbedder()
    kb = KnowledgeBase.open(tmp_path / "ix", models=Models(embedder=embedder))
    kb.add([corpus])
    assert len(embedder.embedded) == 3
    # Same bytes, new mtime: hashed, found unchanged, not re-read.
    os.utime(corpus / "kettle.txt", ns=(5, 5))
    report = kb.add([corpus])
    assert {f.status for f in report.files} == {"unchanged"}
    # A new file whose text is already indexed reuses the cached vector.
    shutil.copy(corpus / "tea.md", corpus / "tea-copy.md")
    report = kb.add([corpus])
    assert [f.status for f in report.files if f.path.endswith("copy.md")] == ["indexed"]
    assert report.chunks_added == 1
    assert len(embedder.embedded) == 3


def test_one_bad_file_does_not_lose_the_batch(tmp_path: Path, corpus: Path) -> None:
    (corpus / "bad.pdf").write_bytes(b"%PDF-1.4 this is not really a pdf")
    (corpus / "photo.png").write_bytes(b"\x89PNG\r\n")
    report = _kb(tmp_path / "ix").add([corpus, tmp_path / "missing"])
    status = {Path(f.path).name: (f.status, f.reason) for f in report.files}
    assert status["bad.pdf"][0] == "failed"
    assert status["photo.png"][0] == "skipped" and ".png" in status["photo.png"][1]
    assert status["missing"][0] == "failed" and "no such file" in status["missing"][1]
    assert len(report.by_status("indexed")) == 3


def test_empty_folder_leaves_no_index_behind(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    kb = _kb(tmp_path / "ix")
    report = kb.add([tmp_path / "empty"])
    assert report.files == ()
    assert [p.name for p in (tmp_path / "ix").iterdir()] == ["write.lock"]
    with pytest.raises(IndexNotFoundError):
        kb.search("anything")


def test_missing_index_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(IndexNotFoundError, match="does not exist; build it first"):
        _kb(tmp_path / "nope").search("x")


def test_damaged_file_is_named_on_open(tmp_path: Path, corpus: Path) -> None:
    _kb(tmp_path / "ix").add([corpus])
    faiss_file = next((tmp_path / "ix").glob("gen-*/vectors/seg-*.faiss"))
    with open(faiss_file, "r+b") as fh:
        fh.seek(100)
        fh.write(b"\x00garbage\x00")
    with pytest.raises(IndexCorruptError, match=r"seg-\d+\.faiss is damaged"):
        IndexReader.open(tmp_path / "ix")
    faiss_file.unlink()
    with pytest.raises(IndexCorruptError, match=r"seg-\d+\.faiss is missing"):
        IndexReader.open(tmp_path / "ix")


def test_other_embedder_is_refused(tmp_path: Path, corpus: Path) -> None:
    _kb(tmp_path / "ix").add([corpus])
    with pytest.raises(IndexMismatchError, match="hashing-64"):
        _kb(tmp_path / "ix", dim=32).add([corpus])
    with pytest.raises(Exception, match="hashing-64"):
        _kb(tmp_path / "ix", dim=32).search("tea")


def test_newer_format_is_refused_not_damaged(tmp_path: Path, corpus: Path) -> None:
    _kb(tmp_path / "ix").add([corpus])
    path = tmp_path / "ix" / "manifest.json"
    raw = json.loads(path.read_text())
    raw["format_version"] = 99
    path.write_text(json.dumps(raw))
    with pytest.raises(IndexMismatchError, match="format version 99"):
        _kb(tmp_path / "ix").search("tea")
    assert json.loads(path.read_text())["format_version"] == 99


def test_leftovers_of_a_crashed_writer_are_discarded(tmp_path: Path, corpus: Path) -> None:
    ix = tmp_path / "ix"
    kb = _kb(ix)
    kb.add([corpus])
    # Simulate a writer killed after preparing generation 2 but before committing it.
    conn = connect(ix)
    conn.execute(
        "INSERT INTO files (source, size, mtime_ns, sha256, added_gen) VALUES ('/ghost',1,1,'x',2)"
    )
    doc_id = conn.execute(
        "INSERT INTO documents (key, source, title, file_type, content_hash, metadata,"
        " added_gen) VALUES ('k','/ghost','','txt','x','{}',2)"
    ).lastrowid
    conn.execute(
        "INSERT INTO chunks (doc_id, ordinal, text, text_hash, terms, char_start, char_end,"
        " added_gen) VALUES (?, 0, 'ghost text', 'h', 'ghost text', 0, 10, 2)",
        (doc_id,),
    )
    conn.execute("UPDATE chunks SET removed_gen = 2")
    conn.execute("UPDATE files SET removed_gen = 2 WHERE added_gen = 1")
    conn.commit()
    conn.close()
    shutil.copytree(ix / "gen-000001", ix / "gen-000002")
    # Readers still see generation 1 exactly.
    assert len(kb.search("tea kettle 茶园", k=10)) == 3
    # The next writer rolls the leftovers back before writing generation 2 itself.
    kb.add([write_file(corpus / "more.txt", "more text about oolong")])
    store = Store(connect(ix, readonly=True))
    m = read_manifest(ix)
    assert m.generation == 2 and m.counts.chunks == 4
    assert store.counts(2) == (4, 4)
    assert not any("ghost" in t for _, t in store.iter_chunk_texts(2))


def test_gb18030_and_pdf_pages_flow_through(tmp_path: Path) -> None:
    from fpdf import FPDF

    root = tmp_path / "in"
    root.mkdir()
    (root / "gbk.txt").write_bytes("乌龙茶是半发酵茶。铁观音产自福建安溪。".encode("gb18030"))
    pdf = FPDF()
    for text in ("Page one is about oolong.", "Page two covers the warranty period."):
        pdf.add_page()
        pdf.set_font("Helvetica", size=12)
        pdf.cell(text=text)
    pdf.output(str(root / "h.pdf"))
    kb = _kb(tmp_path / "ix")
    kb.add([root])
    hit = kb.search("warranty period", k=1, mode="bm25")[0]
    assert hit.chunk.source.endswith("h.pdf")
    assert (hit.chunk.page_start, hit.chunk.page_end) == (1, 2) or hit.chunk.page_start == 2
    zh = kb.search("铁观音", k=1, mode="bm25")[0]
    assert zh.chunk.source.endswith("gbk.txt")


def test_remove_drops_a_file_from_every_structure(tmp_path: Path, corpus: Path) -> None:
    kb = _kb(tmp_path / "ix")
    kb.add([corpus])
    gone = kb.remove([corpus / "kettle.txt"])
    assert [Path(g).name for g in gone] == ["kettle.txt"]
    for mode in ("dense", "bm25", "hybrid"):
        hits = kb.search("kettle warranty", k=10, mode=mode)  # type: ignore[arg-type]
        assert not any(h.chunk.source.endswith("kettle.txt") for h in hits)
    reader = kb.reader()
    assert len(reader.vectors) == 2 and len(reader.bm25) == 2
    assert kb.remove([tmp_path / "not-indexed.txt"]) == []
    # Removing a folder removes everything under it.
    assert len(kb.remove([corpus])) == 2
    assert kb.search("tea") == []


def test_repair_rebuilds_damaged_files_without_the_model(tmp_path: Path, corpus: Path) -> None:
    class NoEmbedding(HashingEmbedder):
        def embed_batch(self, texts):  # type: ignore[no-untyped-def]
            raise AssertionError("repair must reuse cached vectors")

    ix = tmp_path / "ix"
    _kb(ix).add([corpus])
    before = [h.chunk.id for h in _kb(ix).search("green tea", k=3)]
    for f in next(ix.glob("gen-*")).rglob("*"):
        if f.is_file():
            f.write_bytes(b"junk")
    with pytest.raises(IndexCorruptError, match="ragkit repair"):
        IndexReader.open(ix)
    kb = KnowledgeBase.open(ix, models=Models(embedder=NoEmbedding()))
    assert kb.repair() == 3
    assert [h.chunk.id for h in _kb(ix).search("green tea", k=3)] == before
    # A lost manifest is repaired from the store alone.
    (ix / "manifest.json").unlink()
    assert _kb(ix).repair() == 3
    assert read_manifest(ix).counts.chunks == 3


def test_damaged_sqlite_is_named(tmp_path: Path, corpus: Path) -> None:
    ix = tmp_path / "ix"
    _kb(ix).add([corpus])
    for suffix in ("", "-wal", "-shm"):
        p = ix / f"store.sqlite{suffix}"
        if p.exists():
            p.unlink()
    (ix / "store.sqlite").write_bytes(b"this is not a database" * 100)
    with pytest.raises(IndexCorruptError, match=r"store\.sqlite is damaged"):
        _kb(ix).search("tea")


def test_layout_switches_to_ivf_past_the_threshold_and_back(tmp_path: Path) -> None:
    docs = tmp_path / "many"
    docs.mkdir()
    words = "tea kettle oolong garden harvest leaf water steam roast market".split()
    rng = np.random.default_rng(0)
    for i in range(1200):
        text = " ".join(rng.choice(words, size=12)) + f" item{i}"
        (docs / f"d{i:04d}.txt").write_text(text)
    kb = KnowledgeBase.open(
        tmp_path / "ix",
        models=Models(embedder=HashingEmbedder()),
        index=IndexOptions(ivf_threshold=1000),
    )
    kb.add([docs])
    m = read_manifest(tmp_path / "ix")
    assert m.vectors.kind == "ivf" and m.vectors.nlist >= 16
    assert m.vectors.recall_at_10 >= 0.97 and 1 <= m.vectors.nprobe <= m.vectors.nlist
    exact_text = (docs / "d0077.txt").read_text()
    assert kb.search(exact_text, k=1, mode="dense")[0].chunk.source.endswith("d0077.txt")
    assert kb.search("item77", k=1, mode="bm25")[0].chunk.source.endswith("d0077.txt")
    # Incremental edits keep the IVF layout and its ids.
    (docs / "d0005.txt").unlink()
    kb.add([docs])
    m = read_manifest(tmp_path / "ix")
    assert m.vectors.kind == "ivf" and m.counts.chunks == 1199
    assert len(kb.reader().vectors) == 1199
    # Falling below half the threshold goes back to exact search.
    for i in range(700):
        (docs / f"d{i + 100:04d}.txt").unlink()
    kb.add([docs])
    assert read_manifest(tmp_path / "ix").vectors.kind == "flat"
    assert len(kb.reader().vectors) == 499


def test_jsonl_edit_reindexes_only_the_changed_documents(tmp_path: Path) -> None:
    embedder = CountingEmbedder()
    lines = [
        json.dumps({"_id": str(i), "text": f"document number {i} about tea"}) for i in range(50)
    ]
    corpus = tmp_path / "c.jsonl"
    corpus.write_text("\n".join(lines) + "\n")
    kb = KnowledgeBase.open(tmp_path / "ix", models=Models(embedder=embedder))
    kb.add([corpus])
    assert len(embedder.embedded) == 50
    before = {h.chunk.doc_key: h.chunk.id for h in kb.search("document tea", k=50, mode="bm25")}
    lines[7] = json.dumps({"_id": "7", "text": "document seven now about coffee"})
    del lines[9]
    corpus.write_text("\n".join(lines) + "\n")
    report = kb.add([corpus])
    assert report.chunks_added == 1 and embedder.embedded[50:] == [
        "document seven now about coffee"
    ]
    assert "1 of 49 documents new or changed" in report.files[0].reason
    after = {h.chunk.doc_key: h.chunk.id for h in kb.search("document", k=50, mode="bm25")}
    assert len(after) == 49 and f"{corpus}#9" not in after
    # Unchanged documents keep their chunk ids; the edited one got a new id.
    assert after[f"{corpus}#3"] == before[f"{corpus}#3"]
    assert after[f"{corpus}#7"] != before[f"{corpus}#7"]
    assert kb.search("coffee", k=1, mode="bm25")[0].chunk.doc_key == f"{corpus}#7"
    # Rewriting the file with the same documents commits the new file state, nothing else.
    corpus.write_text("\n".join(lines) + "\n\n")
    report = kb.add([corpus])
    assert report.chunks_added == 0
    assert {f.status for f in kb.add([corpus]).files} == {"unchanged"}
