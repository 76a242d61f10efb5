"""Vector segments: a changing corpus indexed commit by commit searches exactly (same ids,
same scores) as one FAISS index holding the same vectors, flat and IVF; the large segment
is reused, not rewritten; merges past the ratio and on repair; format 2 indexes are
refused until repaired, and repair keeps an IVF's trained lists; the store's generation
columns are indexed, for new and existing stores."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from ragkit import HashingEmbedder, KnowledgeBase
from ragkit.errors import IndexCorruptError, IndexMismatchError
from ragkit.index.engine import IndexReader
from ragkit.index.manifest import FORMAT_VERSION, read_manifest
from ragkit.index.store import STORE, Store, connect
from ragkit.index.vectors import (
    LEGACY_VECTORS,
    VECTORS_DIR,
    Segment,
    VectorIndex,
    segment_file,
)
from ragkit.options import IndexOptions, Models
from ragkit.testing import ChangingCorpus

DIM = 32


def _kb(path: Path, ratio: float = 0.5, ivf_threshold: int = 50_000) -> KnowledgeBase:
    return KnowledgeBase.open(
        path,
        models=Models(embedder=HashingEmbedder(dim=DIM)),
        index=IndexOptions(vectors_merge_ratio=ratio, ivf_threshold=ivf_threshold),
    )


def _stored(reader: IndexReader) -> tuple[np.ndarray, np.ndarray]:
    """(ids, vectors) of every chunk the reader's generation shows, from the store."""
    rows = reader.store.chunk_ids_and_hashes(reader.generation)
    cache = reader.store.cached_vectors([h for _, h in rows], DIM)
    ids = np.asarray([i for i, _ in rows], dtype=np.int64)
    return ids, np.vstack([cache[h] for _, h in rows]).astype(np.float32)


def _unsegmented(reader: IndexReader) -> Segment:
    """One FAISS index of the generation's vectors, in the same layout: flat, or an IVF
    on the same trained lists with the same nprobe."""
    ids, vectors = _stored(reader)
    layout = reader.manifest.vectors
    if layout.kind == "flat":
        one = Segment.create_flat(DIM)
    else:
        big = layout.segments[0].name
        folder = reader.manifest.gen_dir(reader.index_dir) / VECTORS_DIR
        trained = Segment.load(folder / segment_file(big), layout.nprobe, mmap=True)
        one = Segment.create_ivf(trained.centroids(), layout.nprobe)
    one.add(ids, vectors)
    return one


def _same_results(segmented: VectorIndex, one: Segment, seed: int, k: int = 10) -> int:
    """Compare top-k of random queries; returns how many queries were compared (a query
    whose k-th and (k+1)-th scores tie, which only duplicate vectors cause, is skipped:
    which of equal chunks fills the last place is FAISS's choice in either index)."""
    rng = np.random.default_rng(seed)
    whole = VectorIndex([(one, np.zeros(0, np.int64))], segmented.layout)
    compared = 0
    for _ in range(30):
        q = rng.normal(size=(1, DIM)).astype(np.float32)
        q /= np.linalg.norm(q)
        ref_scores, ref_ids = whole.search(q, k + 1)
        if len(ref_scores) > k and ref_scores[k - 1] == ref_scores[k]:
            continue
        scores, ids = segmented.search(q, k)
        assert ids.tolist() == ref_ids[:k].tolist()
        assert scores.tolist() == ref_scores[:k].tolist()  # bit for bit: same kernels
        compared += 1
    return compared


@pytest.mark.parametrize("ivf", [False, True])
def test_segmented_vectors_search_as_one_index_on_a_changing_corpus(
    tmp_path: Path, ivf: bool
) -> None:
    corpus = ChangingCorpus(tmp_path / "docs", seed=3, files=120 if ivf else 60)
    ix = tmp_path / "ix"
    kb = _kb(ix, ratio=0.5, ivf_threshold=150 if ivf else 50_000)
    kb.add([corpus.root])
    assert read_manifest(ix).vectors.kind == ("ivf" if ivf else "flat")
    two_segments = reused = masked = 0
    for step in range(6):
        corpus.mutate(change=0.05, delete=0.03, add=0.03)
        before = read_manifest(ix)
        kb.add([corpus.root])
        m = read_manifest(ix)
        assert m.generation == before.generation + 1
        assert m.vectors.live == m.counts.chunks
        big = m.vectors.segments[0]
        two_segments += len(m.vectors.segments) == 2
        masked += big.deleted > 0
        if big.name == before.vectors.segments[0].name:
            # The large segment is the previous generation's file, hard-linked.
            old = before.gen_dir(ix) / VECTORS_DIR / segment_file(big.name)
            new = m.gen_dir(ix) / VECTORS_DIR / segment_file(big.name)
            assert old.stat().st_ino == new.stat().st_ino
            reused += 1
        reader = IndexReader.open(ix)
        try:
            # Counts carried from the previous manifest match the store's own count.
            assert reader.store.counts(m.generation) == (m.counts.documents, m.counts.chunks)
            ids, _ = _stored(reader)
            assert reader.vectors.chunk_ids().tolist() == sorted(ids.tolist())
            assert _same_results(reader.vectors, _unsegmented(reader), seed=step) >= 25
        finally:
            reader.close()
    assert two_segments >= 3 and reused >= 3 and masked >= 1


def test_merge_past_the_ratio_and_on_repair(tmp_path: Path) -> None:
    corpus = ChangingCorpus(tmp_path / "docs", seed=5, files=30)
    ix = tmp_path / "ix"
    _kb(ix, ratio=0.0).add([corpus.root])
    corpus.mutate(change=0.1, delete=0.0, add=0.0)
    _kb(ix, ratio=0.0).add([corpus.root])
    merged = read_manifest(ix)
    assert len(merged.vectors.segments) == 1 and merged.vectors.segments[0].deleted == 0
    assert merged.vectors.segments[0].name == f"seg-{merged.generation:06d}"
    corpus.mutate(change=0.1, delete=0.05, add=0.0)
    kb = _kb(ix, ratio=1.0)
    kb.add([corpus.root])
    split = read_manifest(ix).vectors
    assert len(split.segments) == 2 and split.segments[0].deleted > 0
    assert kb.repair() == read_manifest(ix).counts.chunks
    repaired = read_manifest(ix)
    assert len(repaired.vectors.segments) == 1 and repaired.vectors.segments[0].deleted == 0
    reader = IndexReader.open(ix)
    try:
        assert _same_results(reader.vectors, _unsegmented(reader), seed=9) >= 25
    finally:
        reader.close()


def _as_format_2(ix: Path) -> None:
    """Rewrite the current generation as format 2 wrote it: one `vectors.faiss` (all
    live vectors in one FAISS index of the layout) and no vector segments."""
    m = read_manifest(ix)
    reader = IndexReader.open(ix)
    try:
        one = _unsegmented(reader)
    finally:
        reader.close()
    gen_dir = m.gen_dir(ix)
    for path in (gen_dir / VECTORS_DIR).iterdir():
        path.unlink()
    (gen_dir / VECTORS_DIR).rmdir()
    one.save(gen_dir / LEGACY_VECTORS)
    from ragkit.index.fsutil import file_checksum

    raw = json.loads((ix / "manifest.json").read_text())
    prefix = f"{gen_dir.name}/{VECTORS_DIR}/"
    files = {k: v for k, v in raw["files"].items() if not k.startswith(prefix)}
    files[f"{gen_dir.name}/{LEGACY_VECTORS}"] = file_checksum(gen_dir / LEGACY_VECTORS)
    raw.update(format_version=2, files=files)
    del raw["vectors"]["segments"]
    (ix / "manifest.json").write_text(json.dumps(raw))


@pytest.mark.parametrize("ivf", [False, True])
def test_format_2_index_is_refused_until_repaired(tmp_path: Path, ivf: bool) -> None:
    corpus = ChangingCorpus(tmp_path / "docs", seed=8, files=120 if ivf else 10)
    ix = tmp_path / "ix"
    threshold = 150 if ivf else 50_000
    kb = _kb(ix, ivf_threshold=threshold)
    kb.add([corpus.root])
    corpus.mutate(change=0.1, delete=0.05, add=0.05)
    kb.add([corpus.root])
    kb.close()
    query = "tea garden altitude"
    expected = [(h.chunk.id, h.score) for h in _kb(ix).search(query, k=5, mode="dense")]
    before = read_manifest(ix).vectors
    _as_format_2(ix)
    with pytest.raises(IndexMismatchError, match=r"format version 2.*ragkit repair"):
        _kb(ix).search(query)
    with pytest.raises(IndexMismatchError, match="ragkit repair"):
        _kb(ix, ivf_threshold=threshold).add([corpus.root])
    assert (
        _kb(ix, ivf_threshold=threshold).repair() == read_manifest(ix, upgrade=True).counts.chunks
    )
    after = read_manifest(ix)
    assert after.format_version == FORMAT_VERSION and len(after.vectors.segments) == 1
    # An IVF keeps its trained lists and calibrated nprobe through the upgrade.
    keep = ("kind", "nlist", "nprobe", "trained_on", "recall_at_10")
    assert after.vectors.model_dump(include=set(keep)) == before.model_dump(include=set(keep))
    again = [(h.chunk.id, h.score) for h in _kb(ix).search(query, k=5, mode="dense")]
    assert again == expected


def _plan(conn: sqlite3.Connection, sql: str) -> str:
    return " ".join(str(r[-1]) for r in conn.execute("EXPLAIN QUERY PLAN " + sql, (1,)))


def test_generation_columns_are_indexed_also_in_an_existing_store(tmp_path: Path) -> None:
    corpus = ChangingCorpus(tmp_path / "docs", seed=2, files=5)
    ix = tmp_path / "ix"
    _kb(ix).add([corpus.root])
    # A store written before the indexes existed gets them from the next writer.
    conn = sqlite3.connect(ix / STORE)
    for table in ("files", "documents", "chunks"):
        conn.execute(f"DROP INDEX {table}_added")
        conn.execute(f"DROP INDEX {table}_removed")
    conn.commit()
    conn.close()
    corpus.mutate(change=0.4, delete=0.2, add=0.0)
    kb = _kb(ix)
    kb.add([corpus.root])
    m = read_manifest(ix)
    conn = connect(ix)
    try:
        # Rolling back a crashed writer, purging and counting a commit's change look up
        # the generations concerned instead of scanning every row.
        for table in ("files", "documents", "chunks"):
            assert f"{table}_added" in _plan(conn, f"DELETE FROM {table} WHERE added_gen > ?")
            assert f"{table}_removed" in _plan(
                conn, f"UPDATE {table} SET removed_gen = NULL WHERE removed_gen > ?"
            )
            assert f"{table}_removed" in _plan(
                conn, f"DELETE FROM {table} WHERE removed_gen IS NOT NULL AND removed_gen <= ?"
            )
        assert "chunks_removed" in _plan(
            conn, "SELECT count(*) FROM chunks WHERE removed_gen = ?1 AND added_gen < ?1"
        )
        # ...while reading a whole generation still scans the table, not an index.
        visible = _plan(
            conn,
            "SELECT id FROM chunks c WHERE +c.added_gen <= ?1 AND "
            "(+c.removed_gen IS NULL OR +c.removed_gen > ?1)",
        )
        assert "SCAN" in visible and "INDEX" not in visible
        assert Store(conn).counts(m.generation) == (m.counts.documents, m.counts.chunks)
    finally:
        conn.close()


@pytest.mark.parametrize("ivf", [False, True])
def test_damaged_shared_segment_is_reported_and_repaired(tmp_path: Path, ivf: bool) -> None:
    corpus = ChangingCorpus(tmp_path / "docs", seed=4, files=120 if ivf else 20)
    ix = tmp_path / "ix"
    threshold = 150 if ivf else 50_000
    kb = _kb(ix, ratio=1.0, ivf_threshold=threshold)
    kb.add([corpus.root])
    corpus.mutate(change=0.1, delete=0.0, add=0.05)
    kb.add([corpus.root])
    m = read_manifest(ix)
    assert len(m.vectors.segments) == 2
    # The large segment's file is shared (hard-linked) with the previous generation, so
    # damage shows in both; the checksum carried over catches it.
    big = m.gen_dir(ix) / VECTORS_DIR / segment_file(m.vectors.segments[0].name)
    data = bytearray(big.read_bytes())
    data[-5] ^= 0xFF
    big.write_bytes(bytes(data))
    with pytest.raises(IndexCorruptError, match=r"seg-\d+\.faiss is damaged.*ragkit repair"):
        IndexReader.open(ix)
    # Repair rebuilds from the store (an IVF whose file is damaged is trained anew).
    assert _kb(ix, ivf_threshold=threshold).repair() == m.counts.chunks
    repaired = read_manifest(ix)
    assert repaired.vectors.kind == m.vectors.kind and len(repaired.vectors.segments) == 1
    reader = IndexReader.open(ix)
    try:
        assert _same_results(reader.vectors, _unsegmented(reader), seed=4) >= 25
    finally:
        reader.close()
