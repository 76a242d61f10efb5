"""Segmented indexes, BM25 and vectors (flat and IVF): a changing corpus indexed commit
by commit ranks exactly as an index built in one piece from the same chunks (BM25: bit for
bit Lucene BM25 as bm25s computes it; vectors: the same ids and scores as one FAISS index);
the large segment is reused, not rewritten; merges happen past the ratio and on repair;
damage to a shared segment is caught and repaired; segments that disagree with the store
are built from it whole; format versions before segments are refused until repaired (an
IVF keeps its trained lists); the store's generation columns are indexed. The tests the
two kinds share are one test each, parametrised by `Kind`."""

from __future__ import annotations

import json
import random
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from ragkit import HashingEmbedder, KnowledgeBase
from ragkit.errors import IndexCorruptError, IndexMismatchError
from ragkit.index import bm25 as bm25_segments
from ragkit.index import vectors as vector_segments
from ragkit.index.bm25 import BM25_DIR, BM25Index, Postings, write_rebuilt
from ragkit.index.engine import IndexReader
from ragkit.index.manifest import FORMAT_VERSION, BM25Layout, Manifest, VectorLayout, read_manifest
from ragkit.index.store import STORE, Store, connect
from ragkit.index.vectors import (
    LEGACY_VECTORS,
    VECTORS_DIR,
    Segment,
    VectorIndex,
    segment_file,
)
from ragkit.options import IndexOptions, Models
from ragkit.testing import VOCAB, ChangingCorpus

DIM = 32


# --- BM25 -------------------------------------------------------------------------------


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


# --- vectors ----------------------------------------------------------------------------


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


# --- what the two kinds share -----------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    """One kind of segments, as the shared tests see it."""

    name: str  # "bm25" or "vectors"
    ivf: bool = False

    @property
    def threshold(self) -> int:
        return 150 if self.ivf else 50_000

    def files(self, small: int) -> int:
        """Corpus size: an IVF needs more chunks than its threshold."""
        return 120 if self.ivf else small

    def kb(self, path: Path, ratio: float = 0.5) -> KnowledgeBase:
        index = (
            IndexOptions(bm25_merge_ratio=ratio)
            if self.name == "bm25"
            else IndexOptions(vectors_merge_ratio=ratio, ivf_threshold=self.threshold)
        )
        return KnowledgeBase.open(
            path, models=Models(embedder=HashingEmbedder(dim=DIM)), index=index
        )

    def layout(self, m: Manifest) -> BM25Layout | VectorLayout:
        return m.bm25 if self.name == "bm25" else m.vectors

    def big_file(self, ix: Path, m: Manifest) -> Path:
        """A file of the generation's large segment."""
        name = self.layout(m).segments[0].name
        if self.name == "bm25":
            return m.gen_dir(ix) / BM25_DIR / name / "tf.npy"
        return m.gen_dir(ix) / VECTORS_DIR / segment_file(name)

    def chunk_ids(self, reader: IndexReader) -> list[int]:
        index = reader.bm25 if self.name == "bm25" else reader.vectors
        return list(index.chunk_ids().tolist())

    def check_as_built_whole(self, reader: IndexReader, scratch: Path, seed: int) -> None:
        """The reader's segments answer as one index built from the store."""
        if self.name == "bm25":
            _same_rankings(reader.bm25, _rebuilt(reader, scratch), _queries(seed))
        else:
            assert _same_results(reader.vectors, _unsegmented(reader), seed=seed) >= 25

    def check_index_as_built_whole(self, ix: Path, scratch: Path, seed: int) -> None:
        """`check_as_built_whole` on the index at `ix`, opened for it."""
        reader = IndexReader.open(ix)
        try:
            self.check_as_built_whole(reader, scratch, seed)
        finally:
            reader.close()


BM25, FLAT, IVF = Kind("bm25"), Kind("vectors"), Kind("vectors", ivf=True)
KINDS = pytest.mark.parametrize("kind", [BM25, FLAT, IVF], ids=["bm25", "flat", "ivf"])


@KINDS
def test_segments_answer_as_one_index_on_a_changing_corpus(tmp_path: Path, kind: Kind) -> None:
    corpus = ChangingCorpus(tmp_path / "docs", seed=3, files=kind.files(60))
    ix = tmp_path / "ix"
    kb = kind.kb(ix, ratio=0.5)
    kb.add([corpus.root])
    assert read_manifest(ix).vectors.kind == ("ivf" if kind.ivf else "flat")
    two_segments = reused = masked = 0
    for step in range(6):
        corpus.mutate(change=0.05, delete=0.03, add=0.03)
        before = read_manifest(ix)
        kb.add([corpus.root])
        m = read_manifest(ix)
        assert m.generation == before.generation + 1
        layout = kind.layout(m)
        assert layout.live == m.counts.chunks
        big = layout.segments[0]
        two_segments += len(layout.segments) == 2
        masked += big.deleted > 0
        if big.name == kind.layout(before).segments[0].name:
            # The large segment is the previous generation's file, hard-linked.
            assert kind.big_file(ix, before).stat().st_ino == kind.big_file(ix, m).stat().st_ino
            reused += 1
        reader = IndexReader.open(ix)
        try:
            # Counts carried from the previous manifest match the store's own count.
            assert reader.store.counts(m.generation) == (m.counts.documents, m.counts.chunks)
            stored = sorted(i for i, _ in reader.store.chunk_ids_and_hashes(m.generation))
            assert kind.chunk_ids(reader) == stored
            kind.check_as_built_whole(reader, tmp_path / f"ref{step}", step)
        finally:
            reader.close()
    # Removed rows of the large segment were masked (and, for BM25, counted out of df and N).
    assert two_segments >= 3 and reused >= 3 and masked >= 1


@pytest.mark.parametrize("kind", [BM25, FLAT], ids=["bm25", "flat"])
def test_merge_past_the_ratio_and_on_repair(tmp_path: Path, kind: Kind) -> None:
    corpus = ChangingCorpus(tmp_path / "docs", seed=5, files=30)
    ix = tmp_path / "ix"
    kind.kb(ix, ratio=0.0).add([corpus.root])
    corpus.mutate(change=0.1, delete=0.0, add=0.0)
    kind.kb(ix, ratio=0.0).add([corpus.root])
    merged = read_manifest(ix)
    segments = kind.layout(merged).segments
    assert len(segments) == 1 and segments[0].deleted == 0
    assert segments[0].name == f"seg-{merged.generation:06d}"
    corpus.mutate(change=0.1, delete=0.05, add=0.0)
    kb = kind.kb(ix, ratio=1.0)
    kb.add([corpus.root])
    split = kind.layout(read_manifest(ix)).segments
    assert len(split) == 2 and split[0].deleted > 0
    assert kb.repair() == read_manifest(ix).counts.chunks
    repaired = kind.layout(read_manifest(ix)).segments
    assert len(repaired) == 1 and repaired[0].deleted == 0
    kind.check_index_as_built_whole(ix, tmp_path / "ref", 9)


@KINDS
def test_damaged_shared_segment_is_reported_and_repaired(tmp_path: Path, kind: Kind) -> None:
    corpus = ChangingCorpus(tmp_path / "docs", seed=4, files=kind.files(20))
    ix = tmp_path / "ix"
    kb = kind.kb(ix, ratio=1.0)
    kb.add([corpus.root])
    corpus.mutate(change=0.1, delete=0.0, add=0.05)
    kb.add([corpus.root])
    m = read_manifest(ix)
    assert len(kind.layout(m).segments) == 2
    # The large segment's file is shared (hard-linked) with the previous generation, so
    # damage shows in both; the checksum carried over catches it.
    big = kind.big_file(ix, m)
    data = bytearray(big.read_bytes())
    data[-5] ^= 0xFF
    big.write_bytes(bytes(data))
    with pytest.raises(IndexCorruptError, match=re.escape(big.name) + " is damaged.*ragkit repair"):
        IndexReader.open(ix)
    # Repair rebuilds from the store (an IVF whose file is damaged is trained anew).
    assert kind.kb(ix).repair() == m.counts.chunks
    repaired = read_manifest(ix)
    assert repaired.vectors.kind == m.vectors.kind and len(kind.layout(repaired).segments) == 1
    kind.check_index_as_built_whole(ix, tmp_path / "ref", 4)


@KINDS
def test_segments_that_disagree_with_the_store_are_built_from_it(
    tmp_path: Path, kind: Kind, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = ChangingCorpus(tmp_path / "docs", seed=6, files=kind.files(20))
    ix = tmp_path / "ix"
    kb = kind.kb(ix, ratio=1.0)
    kb.add([corpus.root])
    module = bm25_segments if kind.name == "bm25" else vector_segments
    real = module.write_next

    def losing_one(*args: object, **kwargs: object) -> object:
        # The next segments as a bug would write them: one live row short.
        layout, reused = real(*args, **kwargs)  # type: ignore[operator]
        first = layout.segments[0]
        short = first.model_copy(update={"deleted": first.deleted + 1})
        return layout.model_copy(update={"segments": (short, *layout.segments[1:])}), reused

    monkeypatch.setattr(module, "write_next", losing_one)
    corpus.mutate(change=0.1, delete=0.0, add=0.05)
    kb.add([corpus.root])
    m = read_manifest(ix)
    layout = kind.layout(m)
    # Not the short layout: one segment of every live chunk, from the store.
    assert layout.live == m.counts.chunks and len(layout.segments) == 1
    assert layout.segments[0].deleted == 0
    kind.check_index_as_built_whole(ix, tmp_path / "ref", 6)


# --- format versions before segments, and the store ------------------------------------


def _kb(path: Path, ratio: float = 0.5, ivf_threshold: int = 50_000) -> KnowledgeBase:
    return KnowledgeBase.open(
        path,
        models=Models(embedder=HashingEmbedder(dim=DIM)),
        index=IndexOptions(
            bm25_merge_ratio=ratio, vectors_merge_ratio=ratio, ivf_threshold=ivf_threshold
        ),
    )


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
