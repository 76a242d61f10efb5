"""Score fusion: several ranked or scored lists of chunk ids made into one.

`rrf_fuse` is reciprocal-rank fusion; `convex_fuse` a weighted sum of min-max scaled scores.
They sit with the index because both the local retriever (`ragkit.search.retrieval`) and the
Milvus backend's reader fuse with them. Pure functions: no I/O, no models, no options.
"""

from __future__ import annotations

from collections.abc import Sequence


def rrf_fuse(rankings: Sequence[Sequence[int]], rrf_k: int = 60) -> list[tuple[int, float]]:
    """Fuse ranked id lists; returns (id, fused score) best first, ties by first seen."""
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + 1.0 / (rrf_k + rank)
    return sorted(scores.items(), key=lambda kv: -kv[1])


def convex_fuse(
    scored: Sequence[Sequence[tuple[int, float]]], weights: Sequence[float]
) -> list[tuple[int, float]]:
    """Fuse scored lists by a weighted sum of their min-max scaled scores; an id missing
    from a list gets 0 from it. Returns (id, fused score) best first, ties by first seen."""
    fused: dict[int, float] = {}
    for items, weight in zip(scored, weights, strict=True):
        if not items:
            continue
        values = [s for _, s in items]
        low, high = min(values), max(values)
        span = high - low
        for item, score in items:
            # A list whose scores are all equal says nothing about order: each gets 1.
            scaled = (score - low) / span if span > 0 else 1.0
            fused[item] = fused.get(item, 0.0) + weight * scaled
    return sorted(fused.items(), key=lambda kv: -kv[1])
