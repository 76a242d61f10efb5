"""Retrieval quality and speed on SciFact (English) and CMRC 2018 dev (Chinese).

Prints, side by side in one run:

1. embedding throughput on whole SciFact documents (title + abstract, the way a
   sentence-transformers baseline embeds them): sentence-transformers float32 (the
   baseline), the weight-only int8 ONNX file as it ships (`bundled-onnx`) and its
   dynamically quantized build (`bundled-int8`), as documents/s, ratio to the baseline
   and cosine to the baseline's vectors. Each embedder runs `--rounds` times, alternating,
   and its best round counts (other work on the machine only ever slows a round down);
2. retrieval quality per data set and mode through `ragkit.evaluation` (the normal
   index pipeline; indexes are cached under `--home` and reused): BM25, dense, plain RRF
   hybrid (k=60), ragkit's hybrid (convex fusion of min-max scaled scores, equal
   weights; BM25 alone for a question in a language the embedder does not know), and
   optionally ragkit's hybrid + multi-query (the bundled chat model writes variants; on
   the first `--multi-query-limit` queries, with plain hybrid on the same queries beside
   it) and + a cross-encoder reranker (`--reranker DIR`, any local CrossEncoder folder);
3. with `--int8-index`, SciFact again with documents embedded by `bundled-int8`, to show
   what int8 indexing costs in nDCG@10.
4. `--only embedders`: each `--embedders` model (default bundled-int8 and multilingual)
   side by side on the same subsets of CMRC 2018 dev and SciFact (`subset`: the first
   N queries over their judged documents plus distractors): BM25, dense and ragkit
   hybrid, ms per query, and the subset's end-to-end indexing wall time and passages/s
   with the load average (docs/embedders.md);
5. `--only speed`: the same embedders alternately on the same ragkit chunks (chunks/s)
   and their median question-embedding time.

    python bench/retrieval_bench.py                     # everything but multi-query, ~15 min
    python bench/retrieval_bench.py --only throughput --docs 400
    python bench/retrieval_bench.py --only quality --multi-query 3 --multi-query-limit 50
    python bench/retrieval_bench.py --int8-index --json > retrieval.json

The first run indexes SciFact (17k chunks: ~8 min with sentence-transformers on 2 cores,
~3 min int8) and CMRC 2018 (848 passages); later runs reuse the cached indexes.
Queries/s count search time only (question embedding included). Nothing is asserted.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from ragkit.config import load_settings
from ragkit.evaluation import evaluate_retrieval, load_dataset
from ragkit.evaluation.datasets import EvalDataset, slug
from ragkit.evaluation.runner import RetrievalScores, prepare_index
from ragkit.index.fsutil import atomic_write_bytes
from ragkit.kb import KnowledgeBase
from ragkit.models.embeddings import make_embedder
from ragkit.wiring import knowledge_base

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"


def scifact_documents(corpus: Path, limit: int) -> list[str]:
    docs: list[str] = []
    with corpus.open(encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            docs.append(f"{row.get('title', '')}\n{row['text']}".strip())
            if len(docs) >= limit:
                break
    return docs


def throughput(
    docs: list[str], rounds: int, batch: int, models_dir: Path | None
) -> list[dict[str, Any]]:
    """Best-of-`rounds` documents/s per embedder, alternating embedders every round."""
    embedders = {
        "sentence-transformers fp32": make_embedder("bundled", batch),
        "onnx weight-only int8 (bundled-onnx)": make_embedder("bundled-onnx", batch),
        "onnx dynamic int8 (bundled-int8)": make_embedder("bundled-int8", batch, models_dir),
    }
    best: dict[str, float] = {}
    vectors: dict[str, np.ndarray] = {}
    for e in embedders.values():
        e.embed(docs[:8])  # load (and build) outside the timed rounds
    for _ in range(rounds):
        for name, e in embedders.items():
            started = time.perf_counter()
            v = e.embed(docs)
            rate = len(docs) / (time.perf_counter() - started)
            best[name] = max(best.get(name, 0.0), rate)
            vectors[name] = np.asarray(v)
    base_name = next(iter(embedders))
    base = best[base_name]
    rows = []
    for name in embedders:
        cos = (vectors[name] * vectors[base_name]).sum(axis=1)
        rows.append(
            {
                "embedder": name,
                "docs_per_s": round(best[name], 1),
                "ratio": round(best[name] / base, 2),
                "cosine_min": round(float(cos.min()), 4),
                "cosine_mean": round(float(cos.mean()), 4),
            }
        )
    return rows


def subset(data: EvalDataset, queries: int, docs: int, cache: Path) -> EvalDataset:
    """The first `queries` queries of `data` over a corpus of their judged documents
    topped up, in corpus order, with unjudged ones to `docs` documents: small enough for
    the multilingual model to index on a loaded 2-core machine, the same for every
    embedder. A smaller corpus has fewer distractors, so compare rows of one subset only."""
    picked = data.queries[:queries]
    judged = {doc for qid, _ in picked for doc in data.qrels[qid]}
    rows: list[str] = []
    kept = 0
    with data.corpus_file.open(encoding="utf-8") as f:
        lines = f.readlines()
    for line in lines:
        if json.loads(line)["_id"] in judged:
            rows.append(line)
    for line in lines:
        if len(rows) >= docs:
            break
        if json.loads(line)["_id"] not in judged:
            rows.append(line)
            kept += 1
    body = "".join(rows).encode("utf-8")
    folder = cache / f"{slug(data.name)}-q{queries}-d{docs}"
    corpus = folder / "corpus.jsonl"
    if not corpus.is_file() or corpus.read_bytes() != body:
        folder.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(corpus, body)
    return dataclasses.replace(
        data,
        name=f"{data.name}-q{queries}-d{docs}",
        corpus_file=corpus,
        queries=picked,
        qrels={qid: data.qrels[qid] for qid, _ in picked},
    )


def factory(home: Path, **overrides: dict[str, Any]) -> Callable[[Path], KnowledgeBase]:
    settings = load_settings(overrides={"index": {"home": str(home)}, **overrides})
    return lambda path: knowledge_base(settings, str(path), with_llm=False)


def llm_factory(home: Path, variants: int) -> Callable[[Path], KnowledgeBase]:
    settings = load_settings(
        overrides={"index": {"home": str(home)}, "retrieval": {"multi_query": variants}}
    )
    return lambda path: knowledge_base(settings, str(path), with_llm=True)


def score(
    label: str,
    data: EvalDataset,
    make: Callable[[Path], KnowledgeBase],
    cache: Path,
    modes: Sequence[str],
    note: str = "",
) -> list[dict[str, Any]]:
    say = lambda msg: print(f"  [{label}] {msg}", file=sys.stderr, flush=True)  # noqa: E731
    results: list[RetrievalScores] = evaluate_retrieval(data, make, cache, modes, progress=say)
    return [{"set": label, "variant": note or r.mode, **dataclasses.asdict(r)} for r in results]


def quality(args: argparse.Namespace) -> list[dict[str, Any]]:
    home = args.home.resolve()
    cache = home / ".eval"
    rows: list[dict[str, Any]] = []
    sets = [
        ("SciFact test", load_dataset(f"beir:{args.scifact}", cache_dir=cache)),
        ("CMRC 2018 dev", load_dataset(f"squad:{args.cmrc}", cache_dir=cache)),
    ]
    for label, data in sets:
        rows += score(label, data, factory(home), cache, ["bm25", "dense"])
        rows += score(
            label, data, factory(home, retrieval={"fusion": "rrf"}), cache, ["hybrid"], "RRF k=60"
        )
        rows += score(label, data, factory(home), cache, ["hybrid"], "ragkit hybrid")
        if args.reranker:
            make = factory(home, retrieval={"reranker_model": str(args.reranker)})
            rows += score(label, data, make, cache, ["hybrid"], "ragkit hybrid + rerank")
        if args.multi_query:
            subset = dataclasses.replace(data, queries=data.queries[: args.multi_query_limit])
            sub = f"{label} (first {len(subset.queries)})"
            rows += score(sub, subset, factory(home), cache, ["hybrid"], "ragkit hybrid")
            rows += score(
                sub,
                subset,
                llm_factory(home, args.multi_query),
                cache,
                ["hybrid"],
                f"ragkit hybrid + multi-query {args.multi_query}",
            )
        if args.int8_index and label.startswith("SciFact"):
            int8 = {"embedder": {"model": "bundled-int8"}}
            rows += score(label, data, factory(home, **int8), cache, ["dense"], "dense, int8 docs")
            rows += score(
                label, data, factory(home, **int8), cache, ["hybrid"], "ragkit hybrid, int8 docs"
            )
    return rows


def embedders(args: argparse.Namespace) -> list[dict[str, Any]]:
    """Each embedder of `--embedders` side by side on the same subsets of CMRC 2018 dev
    and SciFact: dense and ragkit hybrid (BM25 once, beside them), plus what indexing the
    subset end to end took (wall time, passages/s, load average) when this run built it."""
    home = args.home.resolve()
    cache = home / ".eval"
    rows: list[dict[str, Any]] = []
    sets = [
        (
            "CMRC 2018 dev",
            load_dataset(f"squad:{args.cmrc}", cache_dir=cache),
            args.cmrc_queries,
            args.cmrc_docs,
        ),
        (
            "SciFact test",
            load_dataset(f"beir:{args.scifact}", cache_dir=cache),
            args.scifact_queries,
            args.scifact_docs,
        ),
    ]
    say = lambda msg: print(f"  {msg}", file=sys.stderr, flush=True)  # noqa: E731
    for name, full, queries, docs in sets:
        data = subset(full, queries, docs, cache) if queries else full
        label = f"{name} q{len(data.queries)}" + (f" d{docs}" if queries else "")
        for model in args.embedders.split(","):
            make = factory(home, embedder={"model": model})
            load_before = os.getloadavg()[0]
            prepared = prepare_index(data, make, cache, say)
            report = prepared.report
            prepared.kb.close()
            passages = sum(1 for _ in data.corpus_file.open(encoding="utf-8"))
            built = None
            if not prepared.reused:
                built = {
                    "passages": passages,
                    "chunks": report.chunks_added,
                    "seconds": round(report.seconds, 1),
                    "passages_per_s": round(passages / max(report.seconds, 1e-9), 2),
                    "load_avg": round((load_before + os.getloadavg()[0]) / 2, 1),
                }
            modes = ["bm25", "dense", "hybrid"] if model == args.embedders.split(",")[0] else []
            modes = modes or ["dense", "hybrid"]
            load_before = os.getloadavg()[0]
            results = evaluate_retrieval(data, make, cache, modes, progress=say)
            load = round((load_before + os.getloadavg()[0]) / 2, 1)
            for r in results:
                rows.append(
                    {
                        "set": label,
                        "embedder": "-" if r.mode == "bm25" else model,
                        "variant": r.mode,
                        **dataclasses.asdict(r),
                        "ms_per_query": round(1000 / r.qps, 1),
                        "load_avg": load,
                        "indexing": built,
                    }
                )
    return rows


def speed(args: argparse.Namespace) -> list[dict[str, Any]]:
    """Chunks/s and question latency per embedder on the same texts, measured side by
    side: `--speed-chunks` ragkit chunks (default chunker) of CMRC passages and of SciFact
    documents, embedded `--rounds` times alternating embedders (best round counts), and
    the median `embed_query` time over CMRC questions."""
    from ragkit.ingest.chunking import Chunker, ChunkerParams

    cache = args.home.resolve() / ".eval"
    cmrc = load_dataset(f"squad:{args.cmrc}", cache_dir=cache)
    splitter = Chunker(ChunkerParams())._splitter
    texts = {
        "CMRC": _chunks(cmrc.corpus_file, splitter, args.speed_chunks),
        "SciFact": _chunks(args.scifact / "corpus.jsonl", splitter, args.speed_chunks),
    }
    questions = [q for _, q in cmrc.queries[: args.speed_chunks]]
    models = {m: make_embedder(m, args.batch, args.models_dir) for m in args.embedders.split(",")}
    for e in models.values():
        e.embed(texts["CMRC"][:2])  # load (and build) outside the timed rounds
    best: dict[tuple[str, str], float] = {}
    latency: dict[str, float] = {}
    load: list[float] = []
    for _ in range(args.rounds):
        for model, e in models.items():
            for name, chunks in texts.items():
                load.append(os.getloadavg()[0])
                started = time.perf_counter()
                e.embed(chunks)
                rate = len(chunks) / (time.perf_counter() - started)
                best[model, name] = max(best.get((model, name), 0.0), rate)
            times = []
            for q in questions:
                started = time.perf_counter()
                e.embed_query(q)
                times.append(time.perf_counter() - started)
            latency[model] = min(latency.get(model, 1e9), float(np.median(times)))
    base = next(iter(models))
    return [
        {
            "embedder": model,
            **{f"{name}_chunks_per_s": round(best[model, name], 2) for name in texts},
            **{
                f"{name}_vs_{base}": round(best[model, name] / best[base, name], 3)
                for name in texts
            },
            "query_ms_median": round(1000 * latency[model], 1),
            "load_avg": round(sum(load) / len(load), 1),
            "chunks": args.speed_chunks,
        }
        for model in models
    ]


def _chunks(corpus: Path, splitter: Any, limit: int) -> list[str]:
    out: list[str] = []
    with corpus.open(encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            out += splitter.split_text(f"{row.get('title', '')}\n{row['text']}".strip())
            if len(out) >= limit:
                return out[:limit]
    return out


def print_speed(rows: list[dict[str, Any]]) -> None:
    print("\nEmbedder speed, side by side (best round; median question latency):")
    for r in rows:
        print(
            f"{r['embedder']:14} CMRC {r['CMRC_chunks_per_s']:7.2f} chunks/s, SciFact "
            f"{r['SciFact_chunks_per_s']:7.2f} chunks/s, question {r['query_ms_median']:7.1f} ms "
            f"({r['chunks']} chunks each, load {r['load_avg']})"
        )


def print_embedders(rows: list[dict[str, Any]]) -> None:
    print("\nEmbedders side by side (ms/query: search incl. question embedding):")
    print(
        f"{'set':26} {'embedder':14} {'mode':7} {'nDCG@10':>8} {'R@1':>6} {'R@5':>6} "
        f"{'ms/q':>7} {'load':>5}  indexing"
    )
    for r in rows:
        built = r["indexing"]
        index = (
            f"{built['passages']} passages ({built['chunks']} chunks) in {built['seconds']} s, "
            f"{built['passages_per_s']} passages/s, load {built['load_avg']}"
            if built and r["variant"] != "bm25"
            else ""
        )
        print(
            f"{r['set']:26} {r['embedder']:14} {r['variant']:7} {r['ndcg_10']:8.4f} "
            f"{r['recall_1']:6.4f} {r['recall_5']:6.4f} {r['ms_per_query']:7.1f} "
            f"{r['load_avg']:5.1f}  {index}"
        )


def print_throughput(rows: list[dict[str, Any]], docs: int) -> None:
    print(f"\nEmbedding throughput, {docs} SciFact documents (best round):")
    print(f"{'embedder':40} {'docs/s':>8} {'vs ST':>6} {'cos min':>8} {'cos mean':>8}")
    for r in rows:
        print(
            f"{r['embedder']:40} {r['docs_per_s']:8.1f} {r['ratio']:5.2f}x "
            f"{r['cosine_min']:8.4f} {r['cosine_mean']:8.4f}"
        )


def print_quality(rows: list[dict[str, Any]]) -> None:
    print("\nRetrieval quality:")
    head = f"{'set':28} {'variant':38} {'nDCG@10':>8} {'R@1':>6} {'R@5':>6} {'R@100':>6} {'q/s':>7}"
    print(head)
    for r in rows:
        print(
            f"{r['set']:28} {r['variant']:38} {r['ndcg_10']:8.4f} {r['recall_1']:6.4f} "
            f"{r['recall_5']:6.4f} {r['recall_100']:6.4f} {r['qps']:7.1f}"
        )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--only", choices=["throughput", "quality", "embedders", "speed"])
    p.add_argument("--speed-chunks", type=int, default=24, help="texts per set for --only speed")
    p.add_argument(
        "--embedders",
        default="bundled-int8,multilingual",
        help="embedder.model values compared by --only embedders (the first also gives BM25)",
    )
    p.add_argument("--cmrc-queries", type=int, default=300, help="0: all, full corpus")
    p.add_argument("--cmrc-docs", type=int, default=200, help="passages in the CMRC subset")
    p.add_argument("--scifact-queries", type=int, default=50, help="0: all, full corpus")
    p.add_argument("--scifact-docs", type=int, default=150, help="documents in the subset")
    p.add_argument("--scifact", type=Path, default=DATA / "scifact")
    p.add_argument("--cmrc", type=Path, default=DATA / "cmrc2018" / "cmrc2018_dev.json")
    p.add_argument("--home", type=Path, default=Path("indexes"), help="index home for caches")
    p.add_argument("--docs", type=int, default=600, help="documents for the throughput test")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--models-dir", type=Path, default=None)
    p.add_argument("--reranker", type=Path, default=None, help="a CrossEncoder folder")
    p.add_argument("--multi-query", type=int, default=0, help="variants per query (0: skip)")
    p.add_argument("--multi-query-limit", type=int, default=50)
    p.add_argument("--int8-index", action="store_true", help="also index SciFact with int8")
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    out: dict[str, Any] = {}
    if args.only in (None, "throughput"):
        docs = scifact_documents(args.scifact / "corpus.jsonl", args.docs)
        out["throughput"] = throughput(docs, args.rounds, args.batch, args.models_dir)
        if not args.json:
            print_throughput(out["throughput"], len(docs))
    if args.only in (None, "quality"):
        out["quality"] = quality(args)
        if not args.json:
            print_quality(out["quality"])
    if args.only in (None, "speed"):
        out["speed"] = speed(args)
        if not args.json:
            print_speed(out["speed"])
    if args.only in (None, "embedders"):
        out["embedders"] = embedders(args)
        if not args.json:
            print_embedders(out["embedders"])
    if args.json:
        print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
