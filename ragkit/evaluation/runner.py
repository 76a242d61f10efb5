"""Score ragkit's retrieval on a test collection: index it, search every query, report.

What it does: `evaluate_retrieval` indexes the data set's corpus file through the normal
pipeline (`KnowledgeBase.add`) into a folder under a cache directory named by the data
set, a digest of the corpus, and a digest of the settings that shape an index (embedder,
chunker, loader fields), so indexes built with other settings sit side by side and a
second run finds its files unchanged and re-indexes nothing. Then, for each search mode,
it runs every query, collapses chunk hits to documents and averages nDCG@10,
Recall@1/5/10/100 and MRR@10; queries per second count the time inside `search` only.
`format_table` and `to_json` present the results.

What it leaves out: argument parsing and printing (the CLI's job), per-query result
dumps, significance tests, and removing old cached indexes.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ragkit.errors import ConfigError, RagkitError
from ragkit.evaluation.datasets import DIGEST_CHARS, EvalDataset, corpus_digest, slug
from ragkit.evaluation.metrics import jsonl_doc_id, mean, mrr_at_k, ndcg_at_k, rank_documents
from ragkit.evaluation.metrics import recall_at_k as recall
from ragkit.index.progress import IndexProgress
from ragkit.kb import KnowledgeBase
from ragkit.search.retrieval import MODES
from ragkit.types import IndexReport, SearchMode

ProgressFn = Callable[[str], None]

MIN_DEPTH = 100  # Recall@100 needs at least 100 documents per query
# Chunks asked for per document wanted: a document split into several chunks fills
# several ranks. Measured on SciFact (3.3 chunks per abstract), three per document give
# 100 distinct documents for every test query that matches that many; the rare query
# that falls short is searched again deeper (see `_rank`).
CHUNKS_PER_DOCUMENT = 3


@dataclass(frozen=True)
class RetrievalScores:
    """Mean scores of one search mode over `queries` queries; `qps` counts search time only."""

    mode: str
    ndcg_10: float
    recall_1: float
    recall_5: float
    recall_10: float
    recall_100: float
    mrr_10: float
    qps: float
    queries: int


@dataclass(frozen=True)
class PreparedIndex:
    """The knowledge base to search and what indexing did (all files unchanged on reuse)."""

    kb: KnowledgeBase
    report: IndexReport

    @property
    def reused(self) -> bool:
        return self.report.chunks_added == 0 and all(
            f.status == "unchanged" for f in self.report.files
        )


def evaluate_retrieval(
    dataset: EvalDataset,
    kb_factory: Callable[[Path], KnowledgeBase],
    cache_dir: Path,
    modes: Sequence[str],
    depth: int = 100,
    progress: ProgressFn | None = None,
    index_progress: IndexProgress | None = None,
) -> list[RetrievalScores]:
    """Index `dataset` (or reuse its cached index) and score each mode in `modes`.

    `kb_factory(path)` opens a knowledge base at `path` with the settings to evaluate; it
    is called twice, so it should be cheap (`KnowledgeBase.open` loads models lazily):
    once to learn those settings, then at the index folder they select. `depth` is the
    number of documents ranked per query. `progress` receives one-line status messages,
    `index_progress` the indexing progress (files, chunks, embedding).
    """
    checked = [_search_mode(m) for m in modes]
    if not checked:
        raise ConfigError("no search mode to evaluate; give at least one of " + ", ".join(MODES))
    if depth < MIN_DEPTH:
        raise ConfigError(f"depth {depth} is too shallow: Recall@100 needs at least {MIN_DEPTH}")
    say = progress or _silent
    prepared = prepare_index(dataset, kb_factory, cache_dir, say, index_progress)
    with prepared.kb as kb:
        _check_coverage(kb, dataset, say)
        return [_score_mode(kb, dataset, mode, depth, say) for mode in checked]


def index_dir_for(dataset: EvalDataset, kb: KnowledgeBase, cache_dir: Path) -> Path:
    """The cached index folder for `dataset` under the settings of `kb`."""
    corpus = corpus_digest(dataset.corpus_file)[:DIGEST_CHARS]
    return cache_dir / f"{slug(dataset.name)}-{corpus}" / f"index-{settings_digest(kb)}"


def settings_digest(kb: KnowledgeBase) -> str:
    """A short digest of what decides an index's content for the same corpus."""
    shape = {
        "embedder": kb.embedder.id,
        "chunker": dataclasses.asdict(kb.chunker_params),
        "loader": dataclasses.asdict(kb.loader_options),
        # The vector layout (flat or IVF) changes results, so it is part of the key too.
        "ivf_threshold": kb.index_options.ivf_threshold,
    }
    text = json.dumps(shape, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:10]


def prepare_index(
    dataset: EvalDataset,
    kb_factory: Callable[[Path], KnowledgeBase],
    cache_dir: Path,
    progress: ProgressFn | None = None,
    index_progress: IndexProgress | None = None,
) -> PreparedIndex:
    """Open the cached index for `dataset` and bring it up to date with `kb.add`."""
    say = progress or _silent
    # Absolute, so a factory that tells index names from paths by a '/' sees a path.
    cache_dir = cache_dir.resolve()
    probe = kb_factory(cache_dir)
    index_dir = index_dir_for(dataset, probe, cache_dir)
    kb = kb_factory(index_dir)
    say(f"index {index_dir}: checking {dataset.corpus_file}")
    report = kb.add([dataset.corpus_file], progress=index_progress)
    failed = report.by_status("failed") + report.by_status("skipped")
    if failed:
        kb.close()
        reasons = "; ".join(f"{f.path}: {f.reason}" for f in failed)
        raise RagkitError(f"could not index the corpus of {dataset.name}: {reasons}")
    prepared = PreparedIndex(kb, report)
    if prepared.reused:
        say(f"index {index_dir}: corpus unchanged, reused (no chunks added)")
    else:
        say(f"index {index_dir}: {report.chunks_added} chunks added in {report.seconds:.1f} s")
    return prepared


def _search_mode(mode: str) -> SearchMode:
    if mode not in MODES:
        raise ConfigError(f"unknown search mode {mode!r}; use one of {', '.join(MODES)}")
    return mode


def _check_coverage(kb: KnowledgeBase, dataset: EvalDataset, say: ProgressFn) -> None:
    """Fail when no judged document is in the index (ids read from the wrong field score
    every query 0 without any other sign) and warn when some are missing."""
    reader = kb.reader()
    source = str(dataset.corpus_file.resolve())
    indexed = {
        key[len(source) + 1 :]
        for src, key, _ in reader.store.documents(reader.generation)
        if src == source
    }
    judged = {doc for docs in dataset.qrels.values() for doc in docs}
    missing = judged - indexed
    if missing == judged:
        raise RagkitError(
            f"none of the {len(judged)} judged documents of {dataset.name} is in the index "
            f"{kb.path}; document ids are read from the JSON-lines field "
            f"'{kb.loader_options.jsonl_id_field}' (setting loader.jsonl_id_field)"
        )
    if missing:
        say(f"warning: {len(missing)} of {len(judged)} judged documents are not in the index")


def _score_mode(
    kb: KnowledgeBase, dataset: EvalDataset, mode: SearchMode, depth: int, say: ProgressFn
) -> RetrievalScores:
    k = depth * CHUNKS_PER_DOCUMENT
    # One untimed search first: it loads the embedding model and the index files, which
    # would otherwise be charged to the first query and skew queries per second.
    kb.search(dataset.queries[0][1], k=k, mode=mode)
    ndcg10: list[float] = []
    r1: list[float] = []
    r5: list[float] = []
    r10: list[float] = []
    r100: list[float] = []
    mrr10: list[float] = []
    searching = 0.0
    for qid, text in dataset.queries:
        started = time.perf_counter()
        ranked = _rank(kb, text, mode, depth, k)
        searching += time.perf_counter() - started
        judged = dataset.qrels[qid]
        ndcg10.append(ndcg_at_k(ranked, judged, 10))
        r1.append(recall(ranked, judged, 1))
        r5.append(recall(ranked, judged, 5))
        r10.append(recall(ranked, judged, 10))
        r100.append(recall(ranked, judged, 100))
        mrr10.append(mrr_at_k(ranked, judged, 10))
    count = len(dataset.queries)
    scores = RetrievalScores(
        mode=mode,
        ndcg_10=mean(ndcg10),
        recall_1=mean(r1),
        recall_5=mean(r5),
        recall_10=mean(r10),
        recall_100=mean(r100),
        mrr_10=mean(mrr10),
        # A floor, not infinity, for a clock too coarse to see the searches: JSON has no inf.
        qps=count / max(searching, 1e-9),
        queries=count,
    )
    say(f"{mode}: {count} queries in {searching:.2f} s, nDCG@10 {scores.ndcg_10:.4f}")
    return scores


def _rank(kb: KnowledgeBase, text: str, mode: SearchMode, depth: int, k: int) -> list[str]:
    """The top `depth` documents for one query. A query whose best chunks crowd into
    few documents is searched again deeper, until `depth` documents show up or the index
    has no more chunks to give (BM25 returns only chunks sharing a term with the query);
    the time of those repeats is part of the query's cost."""
    while True:
        hits = kb.search(text, k=k, mode=mode)
        ranked = rank_documents(hits, jsonl_doc_id)
        if len(ranked) >= depth or len(hits) < k:
            return ranked[:depth]
        k *= 2


def _silent(message: str) -> None:
    pass


_COLUMNS: tuple[tuple[str, str], ...] = (
    ("mode", "mode"),
    ("nDCG@10", "ndcg_10"),
    ("R@1", "recall_1"),
    ("R@5", "recall_5"),
    ("R@10", "recall_10"),
    ("R@100", "recall_100"),
    ("MRR@10", "mrr_10"),
    ("q/s", "qps"),
    ("queries", "queries"),
)


def format_table(scores: Sequence[RetrievalScores]) -> str:
    """A plain-text table, one row per mode, metrics to four decimals."""
    rows = [[title for title, _ in _COLUMNS]]
    for s in scores:
        row: list[str] = []
        for _, attr in _COLUMNS:
            value = getattr(s, attr)
            if attr == "qps":
                row.append(f"{value:.1f}")
            elif isinstance(value, float):
                row.append(f"{value:.4f}")
            else:
                row.append(str(value))
        rows.append(row)
    widths = [max(len(r[i]) for r in rows) for i in range(len(_COLUMNS))]
    lines = [
        "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in rows
    ]
    return "\n".join(line.rstrip() for line in lines)


def to_json(scores: Sequence[RetrievalScores]) -> str:
    """The scores as a JSON list of objects, one per mode, field names as in the dataclass."""
    return json.dumps([dataclasses.asdict(s) for s in scores], indent=2)
