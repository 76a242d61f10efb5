"""Retrieval metrics over ranked document ids, as BEIR reports them (via pytrec_eval).

What it does: nDCG@k with graded gains (gain = grade, discount log2(rank + 1), ideal DCG
from the query's own grades), Recall@k (relevant documents in the top k over all
relevant documents) and MRR@k (reciprocal rank of the first relevant document), each
for one query, plus `mean`. Documents, not chunks, are the unit: `rank_documents`
collapses a chunk ranking to documents, each placed where its best chunk was.

What it leaves out: ties in score (the ranking given is taken as it stands; pytrec_eval
breaks ties by document id), exponential-gain nDCG, MAP and precision. Pure functions:
nothing here reads files or an index.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence

from ragkit.types import SearchHit, StoredChunk

Qrels = Mapping[str, int]
"""One query's judgements: document id -> grade; a grade of 0 or less is not relevant."""


def jsonl_doc_id(chunk: StoredChunk) -> str:
    """A JSON-lines document's own id: its key is `path#id`, so the part after the file's
    path (or, failing that, after the last '#'); other documents' keys as they are."""
    prefix = chunk.source + "#"
    if chunk.doc_key.startswith(prefix):
        # Stripping the known path first keeps ids that themselves contain '#' whole.
        return chunk.doc_key[len(prefix) :]
    return chunk.doc_key.rpartition("#")[2]


def rank_documents(
    hits: Sequence[SearchHit], doc_id_of: Callable[[StoredChunk], str] = jsonl_doc_id
) -> list[str]:
    """Document ids in rank order, each once, at the rank of its best (first) chunk."""
    seen: set[str] = set()
    ranked: list[str] = []
    for hit in sorted(hits, key=lambda h: h.rank):
        doc_id = doc_id_of(hit.chunk)
        if doc_id not in seen:
            seen.add(doc_id)
            ranked.append(doc_id)
    return ranked


def _check_k(k: int) -> None:
    if k < 1:
        raise ValueError(f"k must be at least 1, not {k}")


def dcg(grades: Iterable[int]) -> float:
    """Discounted cumulative gain of grades in rank order (rank 1 is undiscounted)."""
    return sum(g / math.log2(rank + 1) for rank, g in enumerate(grades, start=1) if g > 0)


def ndcg_at_k(ranked: Sequence[str], qrels: Qrels, k: int) -> float:
    """nDCG@k; 0.0 for a query with no relevant document."""
    _check_k(k)
    ideal = dcg(sorted((g for g in qrels.values() if g > 0), reverse=True)[:k])
    if ideal == 0.0:
        return 0.0
    return dcg(qrels.get(doc, 0) for doc in ranked[:k]) / ideal


def recall_at_k(ranked: Sequence[str], qrels: Qrels, k: int) -> float:
    """Share of the relevant documents found in the top k; 0.0 when none is relevant."""
    _check_k(k)
    relevant = {doc for doc, g in qrels.items() if g > 0}
    if not relevant:
        return 0.0
    return len(relevant.intersection(ranked[:k])) / len(relevant)


def mrr_at_k(ranked: Sequence[str], qrels: Qrels, k: int) -> float:
    """1 / rank of the first relevant document within the top k, else 0.0."""
    _check_k(k)
    for rank, doc in enumerate(ranked[:k], start=1):
        if qrels.get(doc, 0) > 0:
            return 1.0 / rank
    return 0.0


def mean(values: Iterable[float]) -> float:
    """Arithmetic mean; 0.0 for no values (an empty evaluation scores nothing)."""
    total = 0.0
    count = 0
    for v in values:
        total += v
        count += 1
    return total / count if count else 0.0
