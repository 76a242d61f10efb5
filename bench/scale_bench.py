"""Index engine at scale: synthetic indexes of 100k and 1M chunks with stored vectors.

No model embeds anything here: each chunk's vector is a real all-MiniLM-L6-v2 vector of a
SciFact chunk (taken from an existing ragkit index's vector cache) plus seeded noise, so
the vectors cluster the way real ones do; chunk texts are Zipf-distributed synthetic
words for BM25. Queries are the 300 SciFact test queries, embedded once with the bundled
model. The index is built through the normal `KnowledgeBase.add` pipeline (JSON-lines
files → SQLite → FAISS layout chosen by size → BM25). Prints, per size: build time, open
time (in a fresh process), hybrid and dense query latency p50/p99 excluding query
embedding, recall@10 of hybrid and dense against the same search with exact vectors,
peak RSS of the reader process, and size on disk.

Then a one-file update: a small file is added, rewritten and committed again (median of
`--updates` rewrites), timed whole and by commit stage (vectors: the vector segments, or
before segments the whole FAISS file read, edited and written; bm25; the rest: reading
the file, SQLite, fsyncs, manifest, clean-up). "Before" is BM25 as ragkit built it
until segments came, the whole index rebuilt with bm25s from the stored terms at every
commit (`legacy_bm25`, the old code path, timed on the same index); the before total is
the measured commit with its BM25 stage replaced by that rebuild. Hybrid latency and
recall@10 are measured with both BM25s on the same queries, each query's text carrying
three synthetic words so that BM25 has something to match.

    python bench/scale_bench.py --sizes 100000 1000000 [--seed-index indexes/scifact]
        [--keep DIR --reuse] [--no-legacy-bm25]

The seed index must hold SciFact (build it with
`ragkit index ../shared/data/scifact/corpus.jsonl --index scifact`).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ragkit.options import IndexOptions, Models

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "scifact"


class SyntheticEmbedder:
    """Derives a fixed vector from each text's hash: a seed vector plus noise.

    Queries registered with `register_query` return their real embedding instead."""

    def __init__(self, base: np.ndarray, sigma: float) -> None:
        from ragkit.models.embeddings.base import Embedder

        self._base = base
        self._sigma = sigma
        self._queries: dict[str, np.ndarray] = {}
        outer = self

        class _Impl(Embedder):
            id = "all-MiniLM-L6-v2"
            batch_size = 4096

            @property
            def dim(self) -> int:
                return int(outer._base.shape[1])

            def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
                return np.vstack([outer.vector(t) for t in texts])

        self.embedder = _Impl()

    def register_query(self, text: str, vector: np.ndarray) -> None:
        self._queries[text] = vector.reshape(1, -1).astype(np.float32)

    def vector(self, text: str) -> np.ndarray:
        if text in self._queries:
            return self._queries[text][0]
        seed = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")
        rng = np.random.default_rng(seed)
        v = self._base[seed % len(self._base)] + rng.normal(
            scale=self._sigma, size=self._base.shape[1]
        )
        return (v / np.linalg.norm(v)).astype(np.float32)


def seed_vectors(seed_index: Path) -> np.ndarray:
    import sqlite3

    conn = sqlite3.connect(f"file:{seed_index / 'store.sqlite'}?mode=ro", uri=True)
    rows = conn.execute("SELECT vector FROM embeddings").fetchall()
    return np.vstack([np.frombuffer(r[0], dtype=np.float32) for r in rows])


def write_corpus(folder: Path, n: int, seed: int = 7) -> None:
    rng = np.random.default_rng(seed)
    vocab = np.array([f"w{i}" for i in range(50_000)])
    weights = 1.0 / np.arange(1, len(vocab) + 1) ** 1.05
    weights /= weights.sum()
    per_file = 20_000
    for start in range(0, n, per_file):
        count = min(n, start + per_file) - start
        # One draw per file: drawing per line with `p=` costs a pass over the weights each.
        sizes = rng.integers(30, 70, size=count)
        words = vocab[rng.choice(len(vocab), size=int(sizes.sum()), p=weights)]
        ends = np.cumsum(sizes)
        with open(folder / f"part{start // per_file:04d}.jsonl", "w", encoding="utf-8") as fh:
            for j, end in enumerate(ends.tolist()):
                text = " ".join(words[end - sizes[j] : end])
                fh.write(json.dumps({"_id": str(start + j), "text": text}) + "\n")


def queries(data: Path, n: int = 300) -> list[str]:
    wanted = {
        line.split("\t")[0] for line in (data / "qrels" / "test.tsv").read_text().splitlines()[1:]
    }
    out = []
    for line in (data / "queries.jsonl").read_text().splitlines():
        q = json.loads(line)
        if q["_id"] in wanted:
            out.append(q["text"])
    return out[:n]


def peak_rss_mb() -> float:
    """This process's own peak RSS. (ru_maxrss would include the parent's memory at fork
    time, which Linux carries across exec.)"""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def query_words(n: int, seed: int = 11) -> list[str]:
    """Three mid-frequency synthetic words per query (ranks 100-5,000 of the corpus's
    Zipf vocabulary), appended to the query text for BM25 only."""
    rng = np.random.default_rng(seed)
    return [" ".join(f"w{i}" for i in rng.integers(100, 5000, size=3)) for _ in range(n)]


class StageClock:
    """Records when each commit stage (vectors, bm25, commit) starts."""

    def __init__(self) -> None:
        self.marks: list[tuple[str, float]] = []

    def stage(self, name: str) -> None:
        self.marks.append((name, time.perf_counter()))

    def __getattr__(self, name: str):  # the other IndexProgress calls: ignored
        return lambda *args, **kwargs: None


def legacy_bm25(index: Path, dest: Path) -> float:
    """The BM25 stage as ragkit ran it at every commit before segments: read every
    visible chunk's terms, rebuild bm25s whole, save and fsync. Returns its seconds."""
    import bm25s

    from ragkit.index.fsutil import fsync_dir, fsync_file
    from ragkit.index.manifest import read_manifest
    from ragkit.index.store import Store, connect

    gen = read_manifest(index).generation
    conn = connect(index, readonly=True)
    t0 = time.perf_counter()
    ids, tokens = [], []
    for chunk_id, terms in Store(conn).iter_chunk_terms(gen):
        ids.append(chunk_id)
        tokens.append(terms)
    vocab: dict[str, int] = {}
    rows = [[vocab.setdefault(t, len(vocab)) for t in tok] for tok in tokens]
    empty = vocab.setdefault("", len(vocab))
    rows = [r if r else [empty] for r in rows]
    retriever = bm25s.BM25(k1=1.2, b=0.75, method="lucene")
    retriever.index(bm25s.tokenization.Tokenized(ids=rows, vocab=vocab), show_progress=False)
    dest.mkdir(parents=True)
    np.save(dest / "ids.npy", np.asarray(ids, dtype=np.int64), allow_pickle=False)
    retriever.save(str(dest), show_progress=False)
    for path in dest.iterdir():
        fsync_file(path)
    fsync_dir(dest)
    seconds = time.perf_counter() - t0
    conn.close()
    return seconds


class LegacySearch:
    """bm25s search as ragkit ran it before segments (ties in row order)."""

    def __init__(self, folder: Path) -> None:
        import bm25s

        self.ids = np.load(folder / "ids.npy")
        self.retriever = bm25s.BM25.load(str(folder), mmap=True, show_progress=False)
        self.vocab = self.retriever.vocab_dict

    def search(self, tokens: list[str], k: int) -> tuple[np.ndarray, np.ndarray]:
        term_ids = [self.vocab[t] for t in tokens if t in self.vocab and t != ""]
        if not term_ids:
            return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
        scores = np.asarray(self.retriever.get_scores(term_ids), dtype=np.float32)
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        top = top[scores[top] > 0]
        return scores[top], self.ids[top]


def reader_job(index: str, qfile: str, exact: bool, legacy: str = "") -> None:
    """Runs in a fresh process: open the index, time searches, print JSON."""
    started = time.perf_counter()
    from ragkit.index.engine import IndexReader
    from ragkit.search.retrieval import rrf_fuse
    from ragkit.text.analysis import Analyzer

    imported = time.perf_counter()
    reader = IndexReader.open(Path(index))
    opened = time.perf_counter()
    data = np.load(qfile)
    qtexts = json.loads(Path(qfile + ".json").read_text())
    if exact:
        import faiss

        # Exact reference: every stored vector, brute force, same ids.
        rows = reader.store.chunk_ids_and_hashes(reader.generation)
        cache = reader.store.cached_vectors([h for _, h in rows], data.shape[1])
        flat = faiss.IndexIDMap2(faiss.IndexFlatIP(data.shape[1]))
        flat.add_with_ids(
            np.vstack([cache[h] for _, h in rows]), np.array([i for i, _ in rows], dtype=np.int64)
        )
    analyzer = Analyzer()
    lexical = LegacySearch(Path(legacy)) if legacy else reader.bm25
    words = query_words(len(qtexts))
    dense_lat, hybrid_lat, dense_ids, hybrid_ids, bm25_ids = [], [], [], [], []
    for qv, qt, extra in zip(data, qtexts, words, strict=True):
        q = qv.reshape(1, -1)
        t0 = time.perf_counter()
        if exact:
            ids = flat.search(q, 50)[1][0]
        else:
            ids = reader.vectors.search(q, 50)[1]
        t1 = time.perf_counter()
        _, lex = lexical.search(analyzer.tokenize(qt + " " + extra), 50)
        fused = rrf_fuse([ids.tolist(), lex.tolist()])[:10]
        reader.chunks([i for i, _ in fused])
        t2 = time.perf_counter()
        dense_lat.append(t1 - t0)
        hybrid_lat.append(t2 - t0)
        dense_ids.append(ids[:10].tolist())
        hybrid_ids.append([i for i, _ in fused])
        bm25_ids.append(lex[:10].tolist())
    print(
        json.dumps(
            {
                "import_s": imported - started,
                "open_s": opened - imported,
                "dense_ms": [x * 1000 for x in dense_lat],
                "hybrid_ms": [x * 1000 for x in hybrid_lat],
                "dense_ids": dense_ids,
                "hybrid_ids": hybrid_ids,
                "bm25_ids": bm25_ids,
                "rss_mb": peak_rss_mb(),
            }
        )
    )


def run_reader(index: Path, qfile: Path, exact: bool, legacy: Path | None = None) -> dict:
    done = subprocess.run(
        [
            sys.executable,
            __file__,
            "--reader",
            str(index),
            str(qfile),
            "1" if exact else "0",
            str(legacy or ""),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def one_file_update(
    index: Path,
    synth: SyntheticEmbedder,
    work: Path,
    times: int,
    qfile: Path,
    legacy_bm25_too: bool = True,
) -> dict:
    """Add a 1,200-word file (12 chunks), then rewrite and commit it `times` times: median commit
    and stage seconds; then the old BM25 rebuild and both BM25s' search figures (without
    `legacy_bm25_too`, the new BM25's only)."""
    from ragkit import KnowledgeBase

    folder = work / f"update-{index.name}"
    folder.mkdir(exist_ok=True)
    note = folder / "note.txt"
    rng = np.random.default_rng(5)

    def rewrite() -> None:
        words = [f"w{i}" for i in rng.integers(0, 50_000, size=1200)]
        note.write_text(" ".join(words) + "\n", encoding="utf-8")

    kb = KnowledgeBase.open(index, models=Models(embedder=synth.embedder))
    rewrite()
    kb.add([note])
    runs = []
    for _ in range(times):
        rewrite()
        clock = StageClock()
        t0 = time.perf_counter()
        kb.add([note], progress=clock)  # type: ignore[arg-type]
        end = time.perf_counter()
        marks = dict(clock.marks)
        runs.append(
            {
                "commit": end - t0,
                "vectors": marks["bm25"] - marks["vectors"],
                "bm25": marks["commit"] - marks["bm25"],
                "rest": (end - t0) - (marks["commit"] - marks["vectors"]),
            }
        )
    manifest = kb.reader().manifest
    segments = len(manifest.bm25.segments)
    # Indexes of format 2 and earlier kept their vectors in one file.
    vector_segments = len(getattr(manifest.vectors, "segments", ())) or 1
    kb.close()
    out = {key: statistics.median(r[key] for r in runs) for key in runs[0]}
    out["segments"] = segments
    out["vsegs"] = vector_segments
    if not legacy_bm25_too:
        new_a = run_reader(index, qfile, exact=False)
        new_e = run_reader(index, qfile, exact=True)
        out["hyb_p50"] = statistics.median(new_a["hybrid_ms"])
        out["recall"] = recall(new_a["hybrid_ids"], new_e["hybrid_ids"])
        nan = float("nan")
        out.update(legacy_bm25=nan, commit_old=nan, old_p50=nan, old_recall=nan, agree=nan)
        return out
    legacy = work / f"legacy-{index.name}"
    shutil.rmtree(legacy, ignore_errors=True)
    out["legacy_bm25"] = legacy_bm25(index, legacy)
    out["commit_old"] = out["commit"] - out["bm25"] + out["legacy_bm25"]
    new_a = run_reader(index, qfile, exact=False)
    new_e = run_reader(index, qfile, exact=True)
    old_a = run_reader(index, qfile, exact=False, legacy=legacy)
    old_e = run_reader(index, qfile, exact=True, legacy=legacy)
    out["hyb_p50"] = statistics.median(new_a["hybrid_ms"])
    out["old_p50"] = statistics.median(old_a["hybrid_ms"])
    out["recall"] = recall(new_a["hybrid_ids"], new_e["hybrid_ids"])
    out["old_recall"] = recall(old_a["hybrid_ids"], old_e["hybrid_ids"])
    out["agree"] = recall(new_a["bm25_ids"], old_a["bm25_ids"]) if any(old_a["bm25_ids"]) else 1.0
    shutil.rmtree(legacy)
    return out


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def recall(got: list[list[int]], truth: list[list[int]]) -> float:
    hits = sum(len(set(g) & set(t)) for g, t in zip(got, truth, strict=True))
    return hits / sum(len(t) for t in truth)


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--reader":
        reader_job(sys.argv[2], sys.argv[3], sys.argv[4] == "1", sys.argv[5])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--seed-index", type=Path, default=ROOT / "indexes" / "scifact")
    parser.add_argument("--sigma", type=float, default=0.02)
    parser.add_argument("--scifact", type=Path, default=DATA, help="SciFact folder (queries).")
    parser.add_argument("--keep", type=Path, default=None, help="Keep indexes in this folder.")
    parser.add_argument("--updates", type=int, default=5, help="One-file rewrites timed.")
    parser.add_argument(
        "--checkpoint-chunks", type=int, default=250_000, help="Build checkpoints (chunks)."
    )
    parser.add_argument(
        "--reuse", action="store_true", help="Measure the indexes already in --keep, unbuilt."
    )
    parser.add_argument(
        "--no-legacy-bm25",
        action="store_true",
        help="Skip the whole-bm25s rebuild (the 'old' BM25 columns) after the update.",
    )
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    from ragkit import KnowledgeBase
    from ragkit.models.embeddings import make_embedder

    base = seed_vectors(args.seed_index)
    qtexts = queries(args.scifact)
    model = make_embedder("bundled")
    qvecs = model.embed(qtexts)
    work = Path(tempfile.mkdtemp(prefix="ragkit-scale-"))
    qfile = work / "queries.npy"
    np.save(qfile, qvecs)
    Path(str(qfile) + ".json").write_text(json.dumps(qtexts))
    print(f"seed vectors {len(base)}, queries {len(qtexts)}, sigma {args.sigma}")
    print(
        f"{'chunks':>9} {'build s':>8} {'layout':>14} {'open s':>7} {'hyb p50':>8} "
        f"{'hyb p99':>8} {'dense p50':>9} {'R@10 hyb':>8} {'R@10 dns':>8} {'RSS MB':>7} "
        f"{'disk MB':>8}"
    )
    updates = []
    try:
        for n in args.sizes:
            synth = SyntheticEmbedder(base, args.sigma)
            index = (args.keep or work) / f"ix-{n}"
            kb = KnowledgeBase.open(
                index,
                models=Models(embedder=synth.embedder),
                index=IndexOptions(checkpoint_chunks=args.checkpoint_chunks),
            )
            build = float("nan")
            if not (args.reuse and (index / "manifest.json").exists()):
                corpus = work / f"corpus-{n}"
                corpus.mkdir()
                write_corpus(corpus, n)
                t0 = time.perf_counter()
                kb.add([corpus])
                build = time.perf_counter() - t0
                shutil.rmtree(corpus)
            m = kb.reader().manifest
            kb.close()
            approx = run_reader(index, qfile, exact=False)
            exact = run_reader(index, qfile, exact=True)
            disk = sum(p.stat().st_size for p in index.rglob("*") if p.is_file()) / 1e6
            layout = f"{m.vectors.kind}/{m.vectors.nlist}/{m.vectors.nprobe}"
            print(
                f"{m.counts.chunks:>9} {build:>8.1f} {layout:>14} {approx['open_s']:>7.3f} "
                f"{statistics.median(approx['hybrid_ms']):>8.2f} "
                f"{pct(approx['hybrid_ms'], 99):>8.2f} "
                f"{statistics.median(approx['dense_ms']):>9.2f} "
                f"{recall(approx['hybrid_ids'], exact['hybrid_ids']):>8.3f} "
                f"{recall(approx['dense_ids'], exact['dense_ids']):>8.3f} "
                f"{approx['rss_mb']:>7.0f} {disk:>8.0f}",
                flush=True,
            )
            updates.append(
                (
                    n,
                    one_file_update(
                        index, synth, work, args.updates, qfile, not args.no_legacy_bm25
                    ),
                )
            )
        print(
            f"\n{'chunks':>9} {'commit s':>8} {'vectors':>8} {'bm25':>7} {'rest':>6} "
            f"{'bm25 old':>8} {'commit old':>10} {'speed-up':>8} {'hyb p50':>8} "
            f"{'old p50':>8} {'R@10 hyb':>8} {'old R@10':>8} {'BM25 agree':>10} {'segs':>5} "
            f"{'vsegs':>5}"
        )
        for n, u in updates:
            print(
                f"{n:>9} {u['commit']:>8.2f} {u['vectors']:>8.2f} {u['bm25']:>7.3f} "
                f"{u['rest']:>6.2f} {u['legacy_bm25']:>8.2f} {u['commit_old']:>10.2f} "
                f"{u['commit_old'] / u['commit']:>7.1f}x {u['hyb_p50']:>8.2f} "
                f"{u['old_p50']:>8.2f} {u['recall']:>8.3f} {u['old_recall']:>8.3f} "
                f"{u['agree']:>10.3f} {u['segments']:>5} {u['vsegs']:>5}",
                flush=True,
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
