"""Rank an index's chunks for a query: dense (FAISS), BM25, or both fused, then optionally
filter, rerank and diversify.

Hybrid search asks each retriever for `candidates` results and fuses the two lists. The
default, `fusion="convex"`, scales each list's scores to 0..1 (min-max over the list)
and adds them weighted, `dense_weight` × dense + (1 − dense_weight) × BM25, a chunk
missing from a list scoring 0 there. Unlike reciprocal rank fusion (`fusion="rrf"`:
sum of 1 / (rrf_k + rank)) it keeps how far apart the scores are, not only their order:
on SciFact, equal weights give nDCG@10 0.734 against RRF's 0.724 (bench/retrieval_bench.py).
A query in a language the embedder was not trained for (a Chinese question with the
English-only bundled model) is ranked by BM25 alone.

A search runs in stages, each optional after the first:

1. candidates: the mode's ranking of the query, or of the query and its variants
   fused with RRF (`search_multi`, RAG-Fusion; see ragkit.search.multiquery);
2. `SearchFilter`: chunks outside a path glob, file type, page range or document
   metadata are dropped; the ranking is retrieved deeper (×4 at a time, up to the
   whole index) until enough chunks survive;
3. reranking: a `Reranker` (ragkit.search.rerank) rescores the top `rerank_depth` candidates;
4. MMR: maximal marginal relevance picks k of the top `mmr_depth` candidates, trading
   relevance (the previous stage's scores) against similarity to chunks already picked
   (cosine of their cached embeddings).

Filters apply to the candidates, not inside FAISS or BM25: exact, at the cost of a
deeper search when the filter is selective. Leaves out query rewriting (the caller
passes variants) and any model loading (the reranker loads itself).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, TypeGuard

import numpy as np
import numpy.typing as npt

from ragkit.errors import EmptyQueryError, RagkitError
from ragkit.index.engine import IndexReader
from ragkit.index.fusion import convex_fuse, rrf_fuse
from ragkit.index.store import text_hash
from ragkit.models.embeddings import Embedder
from ragkit.models.embeddings.base import Vectors, normalize
from ragkit.options import DocumentFields, Fusion, SearchFilter, SearchOptions
from ragkit.search.rerank import Reranker
from ragkit.text.analysis import Analyzer, query_language
from ragkit.types import SearchHit, SearchMode, StoredChunk

if TYPE_CHECKING:
    from ragkit.index.milvus import AnyReader, MilvusReader

MODES: tuple[SearchMode, ...] = ("hybrid", "dense", "bm25")
FUSIONS: tuple[Fusion, ...] = ("convex", "rrf")
DEPTH_GROWTH = 4  # how much deeper each retry of a filtered search looks


def mmr(
    query_vec: Vectors | None,
    vectors: Vectors,
    k: int,
    lambda_: float,
    relevance: Sequence[float] | None = None,
) -> list[int]:
    """Maximal marginal relevance: indices of `k` rows of `vectors`, in pick order.

    Each step picks the row maximising lambda_ * relevance - (1 - lambda_) * (highest
    cosine to a row already picked). Relevance is `relevance` when given, else the
    cosine to `query_vec`. lambda_ = 1 is plain ranking by relevance; lower values
    favour rows unlike those picked. Rows must be unit length; ties go to the lower index.
    """
    n = len(vectors)
    if n == 0 or k <= 0:
        return []
    if relevance is not None:
        rel = np.asarray(relevance, dtype=np.float64)
    elif query_vec is not None:
        rel = (vectors @ np.asarray(query_vec, dtype=np.float32).reshape(-1)).astype(np.float64)
    else:
        raise ValueError("mmr needs a query vector or relevance scores")
    if rel.shape != (n,):
        raise ValueError(f"mmr got {rel.shape[0]} relevance scores for {n} vectors")
    sims = (vectors @ vectors.T).astype(np.float64)
    redundancy = np.zeros(n, dtype=np.float64)  # max similarity to the picked rows
    picked: list[int] = []
    free = np.ones(n, dtype=bool)
    for _ in range(min(k, n)):
        gain = lambda_ * rel - (1.0 - lambda_) * redundancy
        gain[~free] = -np.inf
        best = int(np.argmax(gain))
        picked.append(best)
        free[best] = False
        redundancy = sims[best] if len(picked) == 1 else np.maximum(redundancy, sims[best])
    return picked


def _unit_range(scores: Sequence[float]) -> list[float]:
    """Scores rescaled to [0, 1] over the candidates (all 1 when they are equal), so MMR's
    relevance term is on the cosine's scale whatever stage produced them."""
    low, high = min(scores), max(scores)
    if not math.isfinite(high - low) or high - low <= 0:
        return [1.0] * len(scores)
    return [(s - low) / (high - low) for s in scores]


def _distinct(queries: Sequence[str]) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for query in queries:
        key = " ".join(query.casefold().split())
        if key and key not in seen:
            seen.add(key)
            out.append(query.strip())
    return out


__all__ = ["MODES", "Retriever", "SearchFilter", "convex_fuse", "mmr", "rrf_fuse"]


def _in_milvus(reader: AnyReader) -> TypeGuard[MilvusReader]:
    """Whether `reader` reads an index kept in Milvus. Asked without importing the Milvus
    side (a local index never needs it): a reader of it exists only once it is imported."""
    milvus = sys.modules.get("ragkit.index.milvus")
    return milvus is not None and isinstance(reader, milvus.MilvusReader)


class Retriever:
    """Ranks one generation's chunks for a query as its `SearchOptions` say."""

    def __init__(
        self,
        reader: AnyReader,
        embedder: Embedder,
        analyzer: Analyzer,
        options: SearchOptions | None = None,
        *,
        reranker: Reranker | None = None,
    ) -> None:
        built = reader.manifest.embedder
        if not embedder.compatible_with(built.id, built.family or built.id, built.dim):
            raise RagkitError(
                f"index {reader.index_dir} was built with embedder "
                f"{reader.manifest.embedder.id} but {embedder.id} is configured; set "
                "RAGKIT_EMBEDDER__MODEL to the index's model or index again"
            )
        self.reader = reader
        self.embedder = embedder
        self.analyzer = analyzer
        self.options = options or SearchOptions()
        self.reranker = reranker

    def search(self, query: str) -> list[SearchHit]:
        """The best chunks for `query`, as the options say."""
        return self.search_multi(query, ())

    def search_multi(self, question: str, variants: Sequence[str]) -> list[SearchHit]:
        """Search `question` and each variant, fuse the rankings with RRF (scores are then
        fused RRF scores), then filter, rerank against `question` itself and diversify."""
        o = self.options
        if not question.strip():
            raise EmptyQueryError("the query is empty; give a question or some search words")
        reranker = self.reranker if o.rerank else None
        if reranker is not None:
            depth = max(o.k, o.rerank_depth)
        elif o.mmr_lambda is not None:
            depth = max(o.k, o.mmr_depth)
        else:
            depth = o.k
        active = o.filters if o.filters is not None and o.filters.active else None
        chunks: dict[int, StoredChunk] = {}
        fields: dict[int, DocumentFields] = {}
        rankings = [
            self._candidates(q, o.mode, depth, active, chunks, fields)
            for q in _distinct([question, *variants])
        ]
        if len(rankings) == 1:
            ranked = rankings[0]
        else:
            ranked = rrf_fuse([[i for i, _ in r] for r in rankings], o.rrf_k)[:depth]
        hits = [
            SearchHit(rank=rank, score=float(score), chunk=chunks[chunk_id])
            for rank, (chunk_id, score) in enumerate(ranked, start=1)
        ]
        if reranker is not None and hits:
            hits = reranker.rerank(question, hits)
        if o.mmr_lambda is not None and len(hits) > 1:
            hits = self._diversify(hits, o.k, o.mmr_lambda)
        return hits[: o.k]

    def _candidates(
        self,
        query: str,
        mode: SearchMode,
        want: int,
        filters: SearchFilter | None,
        chunks: dict[int, StoredChunk],
        fields: dict[int, DocumentFields],
    ) -> list[tuple[int, float]]:
        """Up to `want` (id, score) of chunks passing `filters`, best first; fills
        `chunks` (and `fields`, when the filter needs them) for the ids returned."""
        if _in_milvus(self.reader):
            return self._engine_candidates(self.reader, query, mode, want, filters, chunks)
        total = max(len(self._local.vectors), self.reader.manifest.counts.chunks)
        depth = (
            want
            if filters is None
            else min(max(want * DEPTH_GROWTH, self.options.candidates), total)
        )
        depth = max(depth, want)
        while True:
            ranked = self._ranked(query, mode, depth)
            missing = [i for i, _ in ranked if i not in chunks]
            if missing:
                chunks.update(self.reader.chunks(missing))
            if filters is not None and filters.needs_document_fields:
                unknown = [i for i, _ in ranked if i not in fields]
                if unknown:
                    fields.update(
                        self.reader.store.chunk_document_fields(unknown, self.reader.generation)
                    )
            # Ids of rows purged by a concurrent writer have no chunk and drop out.
            kept = [
                (i, s)
                for i, s in ranked
                if i in chunks and (filters is None or filters.matches(chunks[i], fields.get(i)))
            ]
            if filters is None or len(kept) >= want or depth >= total:
                return kept[:want]
            depth = min(depth * DEPTH_GROWTH, total)

    def _engine_candidates(
        self,
        reader: MilvusReader,
        query: str,
        mode: SearchMode,
        want: int,
        filters: SearchFilter | None,
        chunks: dict[int, StoredChunk],
    ) -> list[tuple[int, float]]:
        """The same candidates ranked inside Milvus, filters pushed down; the language
        gate applies as it does locally."""
        dense = mode == "dense" or (mode == "hybrid" and self._dense_knows(query))
        vector = self.embedder.embed_query(query) if dense else None
        found = reader.engine_search(
            "" if mode == "dense" else query,
            vector,
            want,
            filters,
            fusion=self.options.fusion,
            dense_weight=self.options.dense_weight,
            rrf_k=self.options.rrf_k,
            candidates=self.options.candidates,
        )
        for chunk, _ in found:
            chunks[chunk.id] = chunk
        return [(chunk.id, score) for chunk, score in found]

    @property
    def _local(self) -> IndexReader:
        assert isinstance(self.reader, IndexReader)
        return self.reader

    def _ranked(self, query: str, mode: SearchMode, k: int) -> list[tuple[int, float]]:
        if mode == "dense":
            return self._dense(query, k)
        if mode == "bm25":
            return self._bm25(query, k)
        o = self.options
        depth = max(k, o.candidates)
        bm25 = self._bm25(query, depth)
        if not self._dense_knows(query):
            return bm25[:k]
        dense = self._dense(query, depth)
        if o.fusion == "rrf":
            return rrf_fuse([[i for i, _ in dense], [i for i, _ in bm25]], o.rrf_k)[:k]
        return convex_fuse([dense, bm25], [o.dense_weight, 1.0 - o.dense_weight])[:k]

    def _diversify(self, hits: Sequence[SearchHit], k: int, lambda_: float) -> list[SearchHit]:
        """MMR over the top `mmr_depth` hits; each keeps its score, ranks are renumbered."""
        pool = list(hits[: max(k, self.options.mmr_depth)])
        vectors = self._chunk_vectors([h.chunk for h in pool])
        relevance = _unit_range([h.score for h in pool])
        order = mmr(None, vectors, k, lambda_, relevance=relevance)
        return [replace(pool[i], rank=rank) for rank, i in enumerate(order, start=1)]

    def _chunk_vectors(self, chunks: Sequence[StoredChunk]) -> Vectors:
        """Unit vectors of `chunks`: from the index's embedding cache (keyed by the text's
        sha256), embedding only texts missing from it."""
        hashes = [text_hash(c.text) for c in chunks]
        cached: Mapping[str, npt.NDArray[np.float32]] = self.reader.store.cached_vectors(
            hashes, self.reader.manifest.embedder.dim
        )
        missing = sorted({c.text for c, h in zip(chunks, hashes, strict=True) if h not in cached})
        fresh = dict(zip(missing, self.embedder.embed(missing), strict=True)) if missing else {}
        rows = [
            cached[h] if h in cached else fresh[c.text] for c, h in zip(chunks, hashes, strict=True)
        ]
        return normalize(np.stack(rows))

    def _dense_knows(self, query: str) -> bool:
        """Whether the dense model was trained for the query's language. Fusing a ranking
        that is noise drags hybrid below BM25 alone (measured on CMRC 2018 with the
        English-only bundled model: Recall@1 0.598 fused against 0.914 for BM25)."""
        languages = self.embedder.languages
        return languages is None or query_language(query) in languages

    def _dense(self, query: str, k: int) -> list[tuple[int, float]]:
        if len(self._local.vectors) == 0:
            return []
        vector = self.embedder.embed_query(query)
        scores, ids = self._local.vectors.search(vector, k)
        return list(zip(ids.tolist(), scores.tolist(), strict=True))

    def _bm25(self, query: str, k: int) -> list[tuple[int, float]]:
        scores, ids = self._local.bm25.search(self.analyzer.tokenize(query), k)
        return list(zip(np.asarray(ids).tolist(), np.asarray(scores).tolist(), strict=True))
