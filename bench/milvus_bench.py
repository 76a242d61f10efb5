"""The local index and Milvus (milvus-lite 2.5.1, the real engine) side by side at scale.

The corpus is scale_bench's: Zipf-distributed synthetic words in JSON-lines files, one
chunk per record, each chunk's vector a seed vector plus seeded noise (no model). The
seed vectors come from an existing index's vector cache (`--seed-index`, as in
scale_bench) or, without one, from seeded random unit vectors; queries are synthetic
too (8 corpus words; the vector of a chunk-like text), so the figures say how the
engines behave, not how relevant the results are. Both knowledge bases are built and
searched through `KnowledgeBase` (`add`, `search`), the same pipeline a user runs.

Prints per backend and size: build time, the time to re-index after one record of one
file changed, the time to open the knowledge base in a fresh process and to answer its
first search (apart: a fresh milvus-lite process loads the collection first), hybrid and
dense search latency p50/p99 (query embedding is a table lookup here), recall@10 of
dense search against exact brute force over the same vectors, peak RSS of the reader
process (and of the milvus-lite server process), and size on disk. Timings on a shared
machine are only comparable within one run: compare the ratios, and note the load
average printed with them.

    python bench/milvus_bench.py --sizes 100000 [--queries 200]

With `--from-index DIR --work WORK`, instead: an existing local index (e.g. scale_bench's
1M one, kept with `--keep`) is copied into WORK (the original is only copied; everything
else reads the copy, so no SQLite -wal/-shm file appears next to it), then into
Milvus with `migrate` (its vectors, nothing embedded: the insert-and-commit time stands
for Milvus's build); one record of one of its JSON-lines files is changed (the file is
written back from the index's own text where it was, if nothing is there now, and
removed after) and both copies re-index that file (each opened and searched once first,
timed apart: a milvus-lite process loads a 1M-row collection for minutes before its first
answer); then both are searched as above,
recall@10 of dense search by chunk id against exact search over the stored vectors.
Queries are stored chunk vectors plus noise, with 8 of the chunk's words.

    python bench/milvus_bench.py --from-index /path/to/ix-1000000 --work /scratch/m1

With `--quality`, instead: retrieval quality (nDCG@10, Recall@1/10) per mode on CMRC 2018
dev and/or SciFact test (`--sets cmrc scifact`; `--scifact-docs N` for a corpus of the judged
documents of the queries asked topped up to N) through `ragkit.evaluation`. The local
index is built first; the Milvus one is then copied from it with `migrate` (the same
vectors, nothing embedded twice), and both answer the same queries. Both backends score
BM25 from ragkit's analyzer terms with k1 = 1.2, b = 0.75, so all three modes should
agree to rounding.

    python bench/milvus_bench.py --quality [--limit 500] [--sets cmrc scifact] [--scifact-docs N]

With `--large-file N`, instead: one JSON-lines file of N one-chunk records (plus one small
file) in milvus-lite, with the ragkit of this checkout and, side by side in the same run,
the ragkit of git revision `--baseline REV` (its `ragkit/` extracted with `git archive`;
each in a process of its own, one after the other, with the load average printed before
each). Each: builds, re-indexes the file with every record changed (`--changed K`: K
records, spread over the file), removes it, then
commits one small change (which deletes the removed file's rows). After each commit it
prints the time, the tombstone rows, the length of the expression every reader filters
chunk rows with, and hybrid and dense search latency p50 with that expression in place;
then the ratios before/after.

    python bench/milvus_bench.py --large-file 30000 --baseline 4cfd44a [--queries 50]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from scale_bench import SyntheticEmbedder, pct, peak_rss_mb, seed_vectors, write_corpus

from ragkit.options import Models

BACKENDS = ("local", "milvus")


def _kb(backend: str, index: Path, synth: SyntheticEmbedder) -> Any:
    from ragkit import KnowledgeBase
    from ragkit.index.milvus import MilvusBackend, MilvusTarget, collection_name

    milvus = (
        MilvusBackend(
            MilvusTarget(str(index / "milvus.db"), collection_name("bench"), index_type="FLAT")
        )
        if backend == "milvus"
        else None
    )
    return KnowledgeBase.open(index, models=Models(embedder=synth.embedder), backend=milvus)


def _server_rss_mb() -> float:
    """Peak RSS of this process's milvus-lite server (a child process), 0 if none."""
    total = 0.0
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
            if f"PPid:\t{os.getpid()}\n" not in text or "Name:\tmilvus" not in text:
                continue
            for line in text.splitlines():
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1]) / 1024
        except OSError:
            continue
    return total


def reader_job(backend: str, index: str, work: str) -> None:
    """In a fresh process: open the knowledge base, time searches, print JSON."""
    base = np.load(Path(work) / "base.npy")
    qvecs = np.load(Path(work) / "queries.npy")
    qtexts = json.loads((Path(work) / "queries.json").read_text())
    synth = SyntheticEmbedder(base, 0.02)
    for text, vec in zip(qtexts, qvecs, strict=True):
        synth.register_query(text, vec)
    kb = _kb(backend, Path(index), synth)
    t0 = time.perf_counter()
    kb.reader()
    opened = time.perf_counter() - t0
    out: dict[str, Any] = {"open_s": opened, "hybrid_ms": [], "dense_ms": [], "dense": []}
    # The first search apart: a fresh milvus-lite process loads the collection first
    # (minutes at 1M rows), which one slow query in 200 would hide from p99.
    t0 = time.perf_counter()
    kb.search(qtexts[0], k=10, mode="hybrid")
    out["first_s"] = time.perf_counter() - t0
    for text in qtexts:
        t0 = time.perf_counter()
        kb.search(text, k=10, mode="hybrid")
        t1 = time.perf_counter()
        hits = kb.search(text, k=10, mode="dense")
        t2 = time.perf_counter()
        out["hybrid_ms"].append((t1 - t0) * 1000)
        out["dense_ms"].append((t2 - t1) * 1000)
        out["dense"].append([h.chunk.text for h in hits])
        out.setdefault("dense_ids", []).append([h.chunk.id for h in hits])
    out["rss_mb"] = peak_rss_mb()
    out["server_rss_mb"] = _server_rss_mb()
    kb.close()
    print(json.dumps(out))


def _texts(corpus: Path) -> list[str]:
    texts = []
    for part in sorted(corpus.glob("*.jsonl")):
        texts.extend(json.loads(line)["text"] for line in part.read_text().splitlines())
    return texts


def _exact(synth: SyntheticEmbedder, texts: list[str], qvecs: np.ndarray) -> list[set[str]]:
    matrix = np.vstack([synth.vector(t) for t in texts])
    scores = qvecs @ matrix.T
    top = np.argsort(-scores, axis=1)[:, :10]
    return [{texts[i] for i in row} for row in top]


def _disk_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


def _migrated(data: Any, settings: Any, cache: Path) -> None:
    """Copy the local index of `data` into Milvus unless Milvus already holds it."""
    from ragkit.evaluation.runner import index_dir_for
    from ragkit.index.milvus import migrate
    from ragkit.wiring import knowledge_base, milvus_backend

    probe = knowledge_base(settings, str(cache.resolve()), with_llm=False)
    index_dir = index_dir_for(data, probe, cache.resolve())
    backend = milvus_backend(settings, index_dir)
    assert backend is not None
    try:
        if not backend.exists():
            report = migrate(index_dir, backend)
            print(f"  migrated {report.chunks} chunks into Milvus", file=sys.stderr)
    finally:
        backend.close()


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def _read_reader(backend: str, index: Path, work: Path) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-W", "ignore", __file__, "--reader", backend, str(index), str(work)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        sys.exit(f"reader of {backend} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _visible(t: str) -> str:
    return f"{t}.added_gen <= :gen AND ({t}.removed_gen IS NULL OR {t}.removed_gen > :gen)"


def _exact_ids(
    conn: Any, gen: int, n: int, dim: int, picks: int, rng: Any
) -> tuple[np.ndarray, list[str], list[set[int]]]:
    """Every visible chunk's stored vector (in id order); `picks` queries made from
    random chunks (vector plus noise, 8 of its words); exact top-10 chunk ids each."""
    ids = np.empty(n, dtype=np.int64)
    mat = np.empty((n, dim), dtype=np.float32)
    i = 0
    for cid, blob in conn.execute(
        "SELECT c.id, e.vector FROM chunks c JOIN embeddings e ON e.text_hash = c.text_hash"
        f" WHERE {_visible('c')} ORDER BY c.id",
        {"gen": gen},
    ):
        ids[i] = cid
        mat[i] = np.frombuffer(blob, dtype=np.float32)
        i += 1
    ids, mat = ids[:i], mat[:i]
    chosen = rng.choice(i, size=picks, replace=False)
    qvecs = mat[chosen] + rng.normal(scale=0.02, size=(picks, dim)).astype(np.float32)
    qvecs /= np.linalg.norm(qvecs, axis=1, keepdims=True)
    qtexts = []
    for j, row in enumerate(chosen):
        (text,) = conn.execute("SELECT text FROM chunks WHERE id = ?", (int(ids[row]),)).fetchone()
        qtexts.append(" ".join(text.split()[:8]) + f" q{j}")
    best_s = np.full((picks, 10), -np.inf, dtype=np.float32)
    best_i = np.zeros((picks, 10), dtype=np.int64)
    for start in range(0, i, 100_000):
        scores = qvecs @ mat[start : start + 100_000].T
        top = np.argpartition(-scores, 10, axis=1)[:, :10]
        cand_s = np.concatenate([best_s, np.take_along_axis(scores, top, axis=1)], axis=1)
        cand_i = np.concatenate([best_i, ids[start : start + 100_000][top]], axis=1)
        order = np.argsort(-cand_s, axis=1)[:, :10]
        best_s = np.take_along_axis(cand_s, order, axis=1)
        best_i = np.take_along_axis(cand_i, order, axis=1)
    return qvecs, qtexts, [set(r.tolist()) for r in best_i]


def _one_changed_file(conn: Any, gen: int) -> tuple[Path, str, list[Path]] | None:
    """The last JSON-lines source whose records are one chunk each, written back from
    the index's text with its first record changed, if nothing is at its path now:
    (path, the original content, folders created for it)."""
    sources = [
        s
        for (s,) in conn.execute(
            f"SELECT f.source FROM files f WHERE {_visible('f')} AND f.source LIKE '%.jsonl'"
            " ORDER BY f.source DESC",
            {"gen": gen},
        )
    ]
    for source in sources:
        path = Path(source)
        if path.exists():
            continue
        rows = conn.execute(
            "SELECT d.metadata, c.text, c.ordinal FROM documents d JOIN chunks c ON c.doc_id = "
            f"d.id WHERE d.source = :src AND {_visible('d')} AND {_visible('c')} ORDER BY d.id",
            {"gen": gen, "src": source},
        ).fetchall()
        if not rows or any(o != 0 for _, _, o in rows):
            continue
        lines = [json.dumps({"_id": json.loads(m)["id"], "text": t}) for m, t, _ in rows]
        original = "\n".join(lines) + "\n"
        # A word new at every generation: with --reuse the copies hold an earlier change.
        changed = rows[0][1] + f" wx{gen}"
        lines[0] = json.dumps({"_id": json.loads(rows[0][0])["id"], "text": changed})
        made = [p for p in reversed(path.parents) if not p.exists()]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path, original, made
    return None


def from_index(args: argparse.Namespace) -> None:
    """Both backends at the size of an existing local index (see the module docstring)."""
    import sqlite3

    from ragkit.index.milvus import MilvusBackend, MilvusTarget, collection_name, migrate

    src = args.from_index.resolve()
    work = args.work.resolve()
    local, milvus = work / "local", work / "milvus"
    reuse = args.reuse and local.exists() and milvus.exists()
    if (local.exists() or milvus.exists()) and not reuse:
        sys.exit(f"{work} already holds a run; give another --work (or --reuse it)")
    work.mkdir(parents=True, exist_ok=True)
    print(f"load average {_load()} at start", flush=True)
    if not reuse:
        t0 = time.perf_counter()
        shutil.copytree(src, local, ignore=shutil.ignore_patterns("write.lock"))
        print(f"copied the local index: {time.perf_counter() - t0:.0f} s", flush=True)
    # Everything is read from the copy: even a read-only SQLite connection leaves -wal
    # and -shm files next to a WAL-mode store, and the original is not to be touched.
    manifest = json.loads((local / "manifest.json").read_text())
    gen, n = int(manifest["generation"]), int(manifest["counts"]["chunks"])
    dim = int(manifest["embedder"]["dim"])
    print(f"{n} chunks in {src.name} (generation {gen} of the copy)", flush=True)
    conn = sqlite3.connect(f"file:{local / 'store.sqlite'}?mode=ro", uri=True)
    t0 = time.perf_counter()
    qvecs, qtexts, truth = _exact_ids(conn, gen, n, dim, args.queries, np.random.default_rng(11))
    print(f"exact search for {len(truth)} queries: {time.perf_counter() - t0:.0f} s", flush=True)
    np.save(work / "base.npy", qvecs)
    np.save(work / "queries.npy", qvecs)
    (work / "queries.json").write_text(json.dumps(qtexts))
    conn.close()
    build = float("nan")
    if not reuse:
        backend = MilvusBackend(
            MilvusTarget(str(milvus / "milvus.db"), collection_name("bench"), index_type="FLAT")
        )
        t0 = time.perf_counter()
        try:
            report = migrate(local, backend)
            build = time.perf_counter() - t0
            server_mb = _server_rss_mb()
        finally:
            backend.close()
        print(
            f"migrate (insert + commit) of {report.chunks} chunks into milvus-lite: "
            f"{build:.0f} s, server peak RSS {server_mb:.0f} MB; load average {_load()}",
            flush=True,
        )
    conn = sqlite3.connect(f"file:{local / 'store.sqlite'}?mode=ro", uri=True)
    changed = _one_changed_file(conn, gen)
    conn.close()
    updates: dict[str, tuple[float, int]] = {}
    synth = SyntheticEmbedder(qvecs, 0.02)
    for text, vec in zip(qtexts, qvecs, strict=True):
        synth.register_query(text, vec)
    try:
        for backend_name, index in (("local", local), ("milvus", milvus)):
            if changed is None:
                break
            kb = _kb(backend_name, index, synth)
            # Opened and searched once first: a milvus-lite process starting on a 1M-row
            # file loads the collection for minutes, which is no part of an update.
            t0 = time.perf_counter()
            kb.search(qtexts[0], k=10, mode="hybrid")
            opened = time.perf_counter() - t0
            t0 = time.perf_counter()
            added = kb.add([changed[0]]).chunks_added
            updates[backend_name] = (time.perf_counter() - t0, added)
            kb.close()
            print(
                f"{backend_name}: opened and searched once in {opened:.1f} s, then a one-file "
                f"update in {updates[backend_name][0]:.1f} s ({added} chunk re-embedded); "
                f"load average {_load()}",
                flush=True,
            )
    finally:
        if changed is not None:
            path, _original, made = changed
            path.unlink()
            for folder in reversed(made):
                folder.rmdir()
    print(
        f"{'backend':>7} {'chunks':>8} {'build s':>8} {'update s':>8} "
        f"{'open s':>7} {'1st s':>7} "
        f"{'hyb p50':>8} {'hyb p99':>8} {'dns p50':>8} {'dns p99':>8} {'R@10 dns':>8} "
        f"{'RSS MB':>7} {'srv MB':>7} {'disk MB':>8}"
    )
    for backend_name, index in (("local", local), ("milvus", milvus)):
        r = _read_reader(backend_name, index, work)
        rec = sum(len(set(got) & want) for got, want in zip(r["dense_ids"], truth, strict=True)) / (
            10 * len(truth)
        )
        built = f"{build:>8.1f}" if backend_name == "milvus" else f"{'-':>8}"
        upd = updates.get(backend_name, (float("nan"), 0))[0]
        print(
            f"{backend_name:>7} {n:>8} {built} {upd:>8.2f} "
            f"{r['open_s']:>7.2f} {r['first_s']:>7.2f} "
            f"{statistics.median(r['hybrid_ms']):>8.2f} {pct(r['hybrid_ms'], 99):>8.2f} "
            f"{statistics.median(r['dense_ms']):>8.2f} {pct(r['dense_ms'], 99):>8.2f} "
            f"{rec:>8.3f} {r['rss_mb']:>7.0f} {r['server_rss_mb']:>7.0f} "
            f"{_disk_mb(index):>8.0f}",
            flush=True,
        )
    print(f"load average {_load()} at end")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


def _big_file(path: Path, n: int, tag: str, seed: int = 7) -> None:
    """One JSON-lines file of `n` one-chunk records (scale_bench's Zipf words); `tag`
    appended to every record, so that a new tag changes every record."""
    rng = np.random.default_rng(seed)
    vocab = np.array([f"w{i}" for i in range(50_000)])
    weights = 1.0 / np.arange(1, len(vocab) + 1) ** 1.05
    weights /= weights.sum()
    sizes = rng.integers(30, 70, size=n)
    words = vocab[rng.choice(len(vocab), size=int(sizes.sum()), p=weights)]
    ends = np.cumsum(sizes)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        for j, end in enumerate(ends.tolist()):
            text = " ".join(words[end - sizes[j] : end]) + f" {tag}"
            fh.write(json.dumps({"_id": str(j), "text": text}) + "\n")


def _change_records(path: Path, changed: int) -> None:
    """Append a word to `changed` records of `path`, spread evenly over the file."""
    lines = path.read_text(encoding="utf-8").splitlines()
    for j in range(changed):
        i = j * len(lines) // changed
        record = json.loads(lines[i])
        record["text"] += " v2"
        lines[i] = json.dumps(record)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def large_file_job(work: str, label: str, n: int, picks: int, changed: int) -> None:
    """In a fresh process, with whichever ragkit is on PYTHONPATH: the `--large-file`
    steps on one knowledge base; prints JSON."""
    root = Path(work)
    synth = SyntheticEmbedder(np.load(root / "base.npy"), 0.02)
    docs, index = root / f"docs-{label}", root / f"ix-{label}"
    big, small = docs / "big.jsonl", docs / "kettle.txt"
    _big_file(big, n, "v1")
    small.write_text("The Ember kettle has a warranty of eighteen months.", encoding="utf-8")
    rng = np.random.default_rng(5)
    lines = big.read_text(encoding="utf-8").splitlines()
    qtexts = [
        " ".join(json.loads(lines[int(i)])["text"].split()[:8])
        for i in rng.choice(n, size=picks, replace=False)
    ]
    kb = _kb("milvus", index, synth)
    out: dict[str, Any] = {"ragkit": str(Path(sys.modules["ragkit"].__file__ or "").parent)}

    def timed(step: str, action: Callable[[], object]) -> None:
        t0 = time.perf_counter()
        action()
        out[f"{step}_s"] = time.perf_counter() - t0
        reader = kb.reader()
        out[f"{step}_tombstones"] = len(reader.cols.tombstones())
        out[f"{step}_expr"] = len(reader.view.chunks().encode("utf-8"))
        out[f"{step}_chunks"] = reader.manifest.counts.chunks
        for mode in ("hybrid", "dense"):
            times = []
            try:
                for text in qtexts:
                    t0 = time.perf_counter()
                    hits = kb.search(text, k=10, mode=mode)
                    times.append((time.perf_counter() - t0) * 1000)
                    if step == "remove" and any(h.chunk.source == str(big.resolve()) for h in hits):
                        out["error"] = f"{mode} search found a chunk of the removed file"
                out[f"{step}_{mode}_ms"] = statistics.median(times)
            except Exception as exc:  # the baseline's expression may be past Milvus's limits
                out[f"{step}_{mode}_ms"] = float("nan")
                out.setdefault("error", f"{step} {mode}: {type(exc).__name__}: {str(exc)[:300]}")

    timed("build", lambda: kb.add([docs]))
    _change_records(big, changed or n)
    timed("reindex", lambda: kb.add([big]))
    timed("remove", lambda: kb.remove([big]))
    small.write_text("The Ember kettle now has a warranty of two years.", encoding="utf-8")
    timed("next", lambda: kb.add([small]))
    reader = kb.reader()
    out["rows_left"] = reader.cols.count(reader.cols.chunks, "gen >= 0")
    kb.close()
    print(json.dumps(out))


def large_file(args: argparse.Namespace) -> None:
    """`--large-file`: the baseline revision's ragkit and this checkout's, side by side."""
    repo = Path(__file__).resolve().parents[1]
    work = Path(tempfile.mkdtemp(prefix="ragkit-milvus-large-"))
    try:
        baseline = work / "baseline"
        baseline.mkdir()
        archive = subprocess.run(
            ["git", "-C", str(repo), "archive", args.baseline, "ragkit"],
            capture_output=True,
            check=True,
        )
        subprocess.run(["tar", "-x", "-C", str(baseline)], input=archive.stdout, check=True)
        raw = np.random.default_rng(11).normal(size=(2000, 384))
        np.save(work / "base.npy", raw / np.linalg.norm(raw, axis=1, keepdims=True))
        results: dict[str, dict[str, Any]] = {}
        for label, root in (("before", baseline), ("after", repo)):
            print(
                f"{label} ({args.baseline if label == 'before' else 'this checkout'}): "
                f"load average {_load()}",
                flush=True,
            )
            done = subprocess.run(
                [
                    sys.executable,
                    "-W",
                    "ignore",
                    __file__,
                    "--large-file-job",
                    str(work),
                    label,
                    str(args.large_file),
                    str(args.queries),
                    str(args.changed),
                ],
                capture_output=True,
                text=True,
                env={**os.environ, "PYTHONPATH": str(root)},
            )
            if done.returncode != 0:
                sys.exit(f"{label} failed:\n{done.stderr[-3000:]}")
            results[label] = json.loads(done.stdout.strip().splitlines()[-1])
            if "error" in results[label]:
                print(f"  {label}: {results[label]['error']}", flush=True)
        print(f"load average {_load()} at end")
        b, a = results["before"], results["after"]
        print(
            f"one file of {args.large_file} one-chunk records, milvus-lite, FLAT; "
            f"{args.changed or args.large_file} changed at the re-index; "
            f"{args.queries} queries per mode"
        )
        print(f"{'step':<8} {'metric':<12} {'before':>10} {'after':>10} {'before/after':>12}")
        for step in ("build", "reindex", "remove", "next"):
            for metric, name in (
                ("s", "time s"),
                ("tombstones", "tombstones"),
                ("expr", "expr bytes"),
                ("hybrid_ms", "hybrid ms"),
                ("dense_ms", "dense ms"),
            ):
                x, y = float(b[f"{step}_{metric}"]), float(a[f"{step}_{metric}"])
                ratio = f"{x / y:>12.1f}" if y else f"{'-':>12}"
                print(f"{step:<8} {name:<12} {x:>10.2f} {y:>10.2f} {ratio}")
        print(f"rows left after the last commit: before {b['rows_left']}, after {a['rows_left']}")
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def quality(args: argparse.Namespace) -> None:
    from retrieval_bench import subset

    from ragkit.config import load_settings
    from ragkit.evaluation import evaluate_retrieval, load_dataset
    from ragkit.wiring import knowledge_base

    data_dir = args.data
    home = args.home.resolve()
    cache = home / ".eval"
    specs = {
        "cmrc": ("CMRC 2018 dev", f"squad:{data_dir / 'cmrc2018' / 'cmrc2018_dev.json'}"),
        "scifact": ("SciFact test", f"beir:{data_dir / 'scifact'}"),
    }
    sets = [specs[name] for name in args.sets]
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} at start")
    print(f"{'set':<14} {'mode':<7} {'backend':<7} {'nDCG@10':>8} {'R@1':>6} {'R@10':>6}")
    for label, spec in sets:
        data = load_dataset(spec, cache_dir=cache)
        if label.startswith("SciFact") and args.scifact_docs:
            data = subset(data, args.limit, args.scifact_docs, cache)
        data = dataclasses.replace(data, queries=data.queries[: args.limit])
        for backend in BACKENDS:
            settings = load_settings(overrides={"index": {"home": str(home), "backend": backend}})
            if backend == "milvus":
                _migrated(data, settings, cache)
            rows = evaluate_retrieval(
                data,
                lambda path, s=settings: knowledge_base(s, str(path), with_llm=False),
                cache,
                ["bm25", "dense", "hybrid"],
                progress=lambda msg, tag=f"{label}/{backend}": print(
                    f"  [{tag}] {msg}", file=sys.stderr
                ),
            )
            for r in rows:
                print(
                    f"{label:<14} {r.mode:<7} {backend:<7} {r.ndcg_10:>8.3f} "
                    f"{r.recall_1:>6.3f} {r.recall_10:>6.3f}",
                    flush=True,
                )
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} at end")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--reader":
        reader_job(sys.argv[2], sys.argv[3], sys.argv[4])
        return
    if len(sys.argv) > 1 and sys.argv[1] == "--large-file-job":
        large_file_job(
            sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
        )
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    parser.add_argument("--seed-index", type=Path, default=None)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--quality", action="store_true")
    parser.add_argument(
        "--sets", nargs="+", choices=["cmrc", "scifact"], default=["cmrc"], help="with --quality"
    )
    parser.add_argument("--limit", type=int, default=500, help="with --quality: queries per set")
    parser.add_argument(
        "--scifact-docs",
        type=int,
        default=0,
        help="with --sets scifact: corpus of the asked queries' judged documents topped up to N "
        "(0: the whole corpus)",
    )
    parser.add_argument(
        "--data", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data"
    )
    parser.add_argument("--home", type=Path, default=Path("indexes"), help="index cache home")
    parser.add_argument("--from-index", type=Path, default=None, help="a local index to copy")
    parser.add_argument("--work", type=Path, default=None, help="with --from-index: copies")
    parser.add_argument("--keep", action="store_true", help="with --from-index: keep WORK")
    parser.add_argument(
        "--large-file", type=int, default=0, help="one file of N records: re-index, remove"
    )
    parser.add_argument(
        "--baseline", default="", help="with --large-file: the git revision to compare with"
    )
    parser.add_argument(
        "--changed", type=int, default=0, help="with --large-file: records re-indexed (0: all)"
    )
    parser.add_argument(
        "--reuse", action="store_true", help="with --from-index: WORK's copies, not made again"
    )
    args = parser.parse_args()
    if args.quality:
        quality(args)
        return
    if args.large_file:
        if not args.baseline:
            parser.error("--large-file needs --baseline REV (the ragkit to compare with)")
        large_file(args)
        return
    if args.from_index is not None:
        if args.work is None:
            parser.error("--from-index needs --work (a folder for the copies)")
        from_index(args)
        return
    rng = np.random.default_rng(11)
    if args.seed_index is not None:
        base = seed_vectors(args.seed_index)
    else:
        raw = rng.normal(size=(2000, 384))
        base = raw / np.linalg.norm(raw, axis=1, keepdims=True)
    work = Path(tempfile.mkdtemp(prefix="ragkit-milvus-bench-"))
    np.save(work / "base.npy", base)
    print(f"load average {os.getloadavg()[0]:.1f} {os.getloadavg()[1]:.1f} at start")
    print(
        f"{'backend':>7} {'chunks':>8} {'build s':>8} {'update s':>8} "
        f"{'open s':>7} {'1st s':>7} "
        f"{'hyb p50':>8} {'hyb p99':>8} {'dns p50':>8} {'dns p99':>8} {'R@10 dns':>8} "
        f"{'RSS MB':>7} {'srv MB':>7} {'disk MB':>8}"
    )
    try:
        for n in args.sizes:
            corpus = work / f"corpus-{n}"
            corpus.mkdir()
            write_corpus(corpus, n)
            texts = _texts(corpus)
            synth = SyntheticEmbedder(base, 0.02)
            picks = rng.choice(len(texts), size=args.queries, replace=False)
            qtexts = [" ".join(texts[i].split()[:8]) + f" q{j}" for j, i in enumerate(picks)]
            qvecs = np.vstack([synth.vector(texts[i] + " query") for i in picks])
            np.save(work / "queries.npy", qvecs)
            (work / "queries.json").write_text(json.dumps(qtexts))
            truth = _exact(synth, texts, qvecs)
            for backend in BACKENDS:
                index = work / f"{backend}-{n}"
                kb = _kb(backend, index, synth)
                t0 = time.perf_counter()
                kb.add([corpus])
                build = time.perf_counter() - t0
                # One record of one file changes: the update re-reads that file only.
                part = sorted(corpus.glob("*.jsonl"))[0]
                lines = part.read_text().splitlines()
                record = json.loads(lines[0])
                record["text"] += f" changed{backend}"
                lines[0] = json.dumps(record)
                part.write_text("\n".join(lines) + "\n")
                t0 = time.perf_counter()
                kb.add([corpus])
                update = time.perf_counter() - t0
                chunks = kb.reader().manifest.counts.chunks
                kb.close()
                done = subprocess.run(
                    [
                        sys.executable,
                        "-W",
                        "ignore",
                        __file__,
                        "--reader",
                        backend,
                        str(index),
                        str(work),
                    ],
                    capture_output=True,
                    text=True,
                )
                if done.returncode != 0:
                    sys.exit(f"reader of {backend} failed:\n{done.stderr[-3000:]}")
                r = json.loads(done.stdout.strip().splitlines()[-1])
                rec = sum(
                    len(set(got) & want) for got, want in zip(r["dense"], truth, strict=True)
                ) / (10 * len(truth))
                print(
                    f"{backend:>7} {chunks:>8} {build:>8.1f} {update:>8.2f} "
                    f"{r['open_s']:>7.2f} {r['first_s']:>7.2f} "
                    f"{statistics.median(r['hybrid_ms']):>8.2f} {pct(r['hybrid_ms'], 99):>8.2f} "
                    f"{statistics.median(r['dense_ms']):>8.2f} {pct(r['dense_ms'], 99):>8.2f} "
                    f"{rec:>8.3f} {r['rss_mb']:>7.0f} {r['server_rss_mb']:>7.0f} "
                    f"{_disk_mb(index):>8.0f}",
                    flush=True,
                )
            shutil.rmtree(corpus)
        print(f"load average {os.getloadavg()[0]:.1f} {os.getloadavg()[1]:.1f} at end")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
