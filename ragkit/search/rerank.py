"""Second-stage reranking: score (query, chunk) pairs jointly and reorder the hits.

A `Reranker` takes the first stage's best hits and returns them reordered by its own
scores, with new 1-based ranks. `CrossEncoderReranker` wraps any sentence-transformers
`CrossEncoder` folder the user has on disk (none ships with ragkit); it loads lazily,
from local files only, so a missing file is an error rather than a download, and
importing this module imports neither torch nor sentence-transformers. Leaves out
choosing how many hits to rerank (the `Retriever` does) and LLM-as-reranker schemes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from ragkit.errors import ConfigError, ModelError
from ragkit.types import SearchHit

if TYPE_CHECKING:
    from sentence_transformers import CrossEncoder


class Reranker(Protocol):
    @property
    def id(self) -> str:
        """A name for the reranking model, shown to users."""
        ...

    def rerank(self, query: str, hits: Sequence[SearchHit]) -> list[SearchHit]:
        """`hits` reordered best first, each carrying this reranker's score and its new
        1-based rank."""
        ...


def reorder(hits: Sequence[SearchHit], scores: Sequence[float]) -> list[SearchHit]:
    """Hits sorted by `scores` (best first, ties keep the incoming order), re-ranked."""
    if len(scores) != len(hits):
        raise ModelError(f"reranker returned {len(scores)} scores for {len(hits)} hits")
    order = sorted(range(len(hits)), key=lambda i: -scores[i])
    return [replace(hits[i], rank=rank, score=float(scores[i])) for rank, i in enumerate(order, 1)]


class CrossEncoderReranker:
    """A sentence-transformers cross-encoder loaded from `model_dir`, run on the CPU."""

    def __init__(self, model_dir: Path, batch_size: int = 16, max_length: int | None = 512) -> None:
        model_dir = Path(model_dir).expanduser()
        if not model_dir.is_dir():
            raise ConfigError(
                f"reranker model folder {model_dir} does not exist; point it at a "
                "sentence-transformers CrossEncoder folder"
            )
        if not (model_dir / "config.json").is_file():
            raise ConfigError(
                f"reranker model folder {model_dir} has no config.json, so it is not a "
                "cross-encoder model; point it at a sentence-transformers CrossEncoder folder"
            )
        self.model_dir = model_dir.resolve()
        self.batch_size = batch_size
        self.max_length = max_length
        self._model: CrossEncoder | None = None

    @property
    def id(self) -> str:
        return f"cross-encoder:{self.model_dir.name}"

    def warm_up(self) -> None:
        """Load the model now rather than on the first query."""
        self._load()

    def _load(self) -> CrossEncoder:
        if self._model is None:
            from ragkit.models.embeddings.sentence_transformers import load_local

            self._model = load_local(
                "CrossEncoder", self.model_dir, "reranker model", max_length=self.max_length
            )
            num_labels = getattr(self._model, "num_labels", 1)
            if num_labels != 1:
                # A classifier with several labels gives no single relevance score.
                raise ModelError(
                    f"reranker model {self.model_dir} has {num_labels} output labels; a "
                    "cross-encoder reranker needs a model with one relevance score"
                )
        return self._model

    def scores(self, query: str, texts: Sequence[str]) -> list[float]:
        """Relevance of each text to `query` as the model scores it (higher is better)."""
        if not texts:
            return []
        raw = self._load().predict(
            [(query, text) for text in texts],
            batch_size=self.batch_size,
            show_progress_bar=False,
            convert_to_numpy=True,
        )
        return [float(s) for s in np.asarray(raw, dtype=np.float64).reshape(-1)]

    def rerank(self, query: str, hits: Sequence[SearchHit]) -> list[SearchHit]:
        return reorder(hits, self.scores(query, [hit.chunk.text for hit in hits]))
