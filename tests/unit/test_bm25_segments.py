"""Segmented BM25: a changing corpus indexed commit by commit ranks exactly as BM25 built
in one piece from the same chunks; the large segment is reused, not rewritten; merges
happen past the ratio and on repair; the scores are bm25s's Lucene BM25; format version."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest

from ragkit import HashingEmbedder, KnowledgeBase
from ragkit.errors import IndexCorruptError, IndexMismatchError
from ragkit.index.bm25 import BM25_DIR, BM25Index, Postings, write_rebuilt
from ragkit.index.engine import IndexReader
from ragkit.index.manifest import FORMAT_VERSION, read_manifest
from ragkit.options import IndexOptions, Models
from ragkit.testing import VOCAB, ChangingCorpus


def _kb(path: Path, ratio: float = 0.5) -> KnowledgeBase:
    return KnowledgeBase.open(
        path,
        models=Models(embedder=HashingEmbedder(dim=32)),
        index=IndexOptions(bm25_merge_ratio=ratio),
    )


def _queries(seed: int, n: int = 40) -> list[list[str]]:
    from ragkit.text.analysis import Analyzer

    rng = random.Random(seed)
    analyzer = Analyzer()
    return [
        analyzer.tokenize(" ".join(rng.choice(VOCAB) for _ in range(rng.randint(1, 4))))
        for _ in range(n)
    ]


def _rebuilt(reader: IndexReader, folder: Path) -> BM25Index:
    """BM25 of the reader's visible chunks built in one piece from the store."""
    rows = list(reader.store.iter_chunk_terms(reader.generation))
    layout = write_rebuilt(folder, 1, [i for i, _ in rows], [t for _, t in rows])
    return BM25Index.load(folder, layout)


def _same_rankings(a: BM25Index, b: BM25Index, queries: list[list[str]]) -> None:
    for q in queries:
        sa, ia = a.search(q, 10)
        sb, ib = b.search(q, 10)
        assert ia.tolist() == ib.tolist(), q
        assert sa.tolist() == sb.tolist(), q  # bit for bit: same global statistics


def test_segmented_index_ranks_as_a_rebuilt_one_on_a_changing_corpus(tmp_path: Path) -> None:
    corpus = ChangingCorpus(tmp_path / "docs", seed=3, files=60)
    kb = _kb(tmp_path / "ix", ratio=0.5)
    kb.add([corpus.root])
    ix = tmp_path / "ix"
    two_segments = reused = masked = 0
    for step in range(6):
        corpus.mutate(change=0.05, delete=0.03, add=0.03)
        before = read_manifest(ix)
        kb.add([corpus.root])
        m = read_manifest(ix)
        assert m.generation == before.generation + 1
        assert m.bm25.live == m.counts.chunks
        big = m.bm25.segments[0]
        if len(m.bm25.segments) == 2:
            two_segments += 1
        masked += big.deleted > 0
        if big.name == before.bm25.segments[0].name:
            # The large segment is the previous generation's file, hard-linked.
            old = before.gen_dir(ix) / BM25_DIR / big.name / "rows.npy"
            new = m.gen_dir(ix) / BM25_DIR / big.name / "rows.npy"
            assert old.stat().st_ino == new.stat().st_ino
            reused += 1
        reader = IndexReader.open(ix)
        try:
            assert reader.bm25.chunk_ids().tolist() == sorted(
                i for i, _ in reader.store.chunk_ids_and_hashes(m.generation)
            )
            _same_rankings(reader.bm25, _rebuilt(reader, tmp_path / f"ref{step}"), _queries(step))
        finally:
            reader.close()
    # Removed rows of the large segment were masked (and counted out of df and N).
    assert two_segments >= 3 and reused >= 3 and masked >= 1


def test_merge_past_the_ratio_and_on_repair(tmp_path: Path) -> None:
    corpus = ChangingCorpus(tmp_path / "docs", seed=5, files=30)
    ix = tmp_path / "ix"
    _kb(ix, ratio=0.0).add([corpus.root])
    corpus.mutate(change=0.1, delete=0.0, add=0.0)
    _kb(ix, ratio=0.0).add([corpus.root])
    merged = read_manifest(ix)
    assert len(merged.bm25.segments) == 1 and merged.bm25.segments[0].deleted == 0
    assert merged.bm25.segments[0].name == f"seg-{merged.generation:06d}"
    corpus.mutate(change=0.1, delete=0.05, add=0.0)
    kb = _kb(ix, ratio=1.0)
    kb.add([corpus.root])
    split = read_manifest(ix).bm25
    assert len(split.segments) == 2 and split.segments[0].deleted > 0
    assert kb.repair() == read_manifest(ix).counts.chunks
    repaired = read_manifest(ix)
    assert len(repaired.bm25.segments) == 1 and repaired.bm25.segments[0].deleted == 0
    reader = IndexReader.open(ix)
    try:
        _same_rankings(reader.bm25, _rebuilt(reader, tmp_path / "ref"), _queries(9))
    finally:
        reader.close()


def test_merge_equals_build_of_the_live_rows() -> None:
    rng = random.Random(1)
    words = [f"t{i}" for i in range(60)]
    docs = [[rng.choice(words) for _ in range(rng.randint(0, 12))] for _ in range(300)]
    a = Postings.build(range(0, 150), docs[:150])
    b = Postings.build(range(150, 300), docs[150:])
    live_a = np.array([rng.random() > 0.3 for _ in range(150)])
    live_b = np.array([rng.random() > 0.3 for _ in range(150)])
    merged = Postings.merge([(a, live_a), (b, live_b)])
    keep = [i for i, m in enumerate([*live_a, *live_b]) if m]
    built = Postings.build(keep, [docs[i] for i in keep])
    assert merged.ids.tolist() == built.ids.tolist() == keep
    assert merged.lengths.tolist() == built.lengths.tolist()
    # Same postings per term, whatever the column order.
    for postings in (merged, built):
        assert len(postings.terms) == len(set(postings.terms))
    by_term = {
        t: (
            built.rows[built.indptr[c] : built.indptr[c + 1]].tolist(),
            built.tf[built.indptr[c] : built.indptr[c + 1]].tolist(),
        )
        for c, t in enumerate(built.terms)
    }
    got = {
        t: (
            merged.rows[merged.indptr[c] : merged.indptr[c + 1]].tolist(),
            merged.tf[merged.indptr[c] : merged.indptr[c + 1]].tolist(),
        )
        for c, t in enumerate(merged.terms)
    }
    assert got == by_term


def test_scores_are_lucene_bm25_as_bm25s_computes_them() -> None:
    import bm25s

    rng = random.Random(2)
    words = [f"w{i}" for i in range(80)]
    docs = [[rng.choice(words) for _ in range(rng.randint(1, 30))] for _ in range(200)]
    ours = BM25Index([(Postings.build(range(200), docs), np.zeros(0, dtype=np.int64))])
    vocab: dict[str, int] = {}
    rows = [[vocab.setdefault(t, len(vocab)) for t in d] for d in docs]
    ref = bm25s.BM25(k1=1.2, b=0.75, method="lucene")
    ref.index(bm25s.tokenization.Tokenized(ids=rows, vocab=vocab), show_progress=False)
    for _ in range(30):
        query = [rng.choice(words) for _ in range(rng.randint(1, 4))]
        expected = ref.get_scores([vocab[t] for t in query])
        scores, ids = ours.search(query, 200)
        assert len(ids) == int(np.count_nonzero(expected > 0))
        np.testing.assert_allclose(scores, expected[ids], rtol=1e-5)


def test_version_1_index_is_refused_until_repaired(tmp_path: Path) -> None:
    corpus = ChangingCorpus(tmp_path / "docs", seed=8, files=5)
    ix = tmp_path / "ix"
    kb = _kb(ix)
    kb.add([corpus.root])
    expected = [h.chunk.id for h in kb.search(VOCAB[3], k=5, mode="bm25")]
    path = ix / "manifest.json"
    raw = json.loads(path.read_text())
    raw["format_version"] = 1
    del raw["bm25"]
    path.write_text(json.dumps(raw))
    with pytest.raises(IndexMismatchError, match=r"format version 1.*ragkit repair"):
        _kb(ix).search(VOCAB[3])
    with pytest.raises(IndexMismatchError, match="ragkit repair"):
        _kb(ix).add([corpus.root])
    assert _kb(ix).repair() == raw["counts"]["chunks"]
    assert json.loads(path.read_text())["format_version"] == FORMAT_VERSION
    again = [h.chunk.id for h in _kb(ix).search(VOCAB[3], k=5, mode="bm25")]
    assert again == expected


def test_damaged_shared_segment_is_reported_and_repaired(tmp_path: Path) -> None:
    corpus = ChangingCorpus(tmp_path / "docs", seed=4, files=20)
    ix = tmp_path / "ix"
    kb = _kb(ix, ratio=1.0)
    kb.add([corpus.root])
    corpus.mutate(change=0.1, delete=0.0, add=0.05)
    kb.add([corpus.root])
    m = read_manifest(ix)
    assert len(m.bm25.segments) == 2
    # The large segment's file is shared (hard-linked) with the previous generation, so
    # damage shows in both; the checksum carried over catches it.
    tf = m.gen_dir(ix) / BM25_DIR / m.bm25.segments[0].name / "tf.npy"
    data = bytearray(tf.read_bytes())
    data[-1] ^= 0xFF
    tf.write_bytes(bytes(data))
    with pytest.raises(IndexCorruptError, match=r"tf\.npy is damaged.*ragkit repair"):
        IndexReader.open(ix)
    assert _kb(ix).repair() == m.counts.chunks
    reader = IndexReader.open(ix)
    try:
        _same_rankings(reader.bm25, _rebuilt(reader, tmp_path / "ref"), _queries(4))
    finally:
        reader.close()
