"""`bm25/`: the lexical index of one generation, built with bm25s.

Terms come from `ragkit.text.analysis.Analyzer` (stemmed English, jieba-segmented Chinese).
bm25s stores its eagerly computed score matrix as NumPy arrays and its vocabulary as
JSON — no pickle; `ids.npy` maps its rows to chunk ids. bm25s has no incremental update,
so each generation rebuilds this from the store's chunk texts (about a second per
5,000 chunks). Leaves out BM25 variants other than Lucene's and phrase queries.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

BM25_DIR = "bm25"
IDS = "ids.npy"


class BM25Index:
    def __init__(self, retriever: Any, ids: npt.NDArray[np.int64]) -> None:
        self._retriever = retriever
        self._ids = ids
        vocab = retriever.vocab_dict if retriever is not None else {}
        self._vocab: dict[str, int] = vocab

    @classmethod
    def build(
        cls,
        ids: Sequence[int],
        token_lists: Sequence[list[str]],
        k1: float = 1.2,
        b: float = 0.75,
    ) -> BM25Index:
        import bm25s

        id_array = np.asarray(ids, dtype=np.int64)
        if not token_lists:
            return cls(None, id_array)
        vocab: dict[str, int] = {}
        rows = [[vocab.setdefault(t, len(vocab)) for t in tokens] for tokens in token_lists]
        # bm25s needs at least one term per row; an empty chunk gets a sentinel term.
        empty = vocab.setdefault("", len(vocab))
        rows = [r if r else [empty] for r in rows]
        retriever = bm25s.BM25(k1=k1, b=b, method="lucene")
        _quiet()
        retriever.index(bm25s.tokenization.Tokenized(ids=rows, vocab=vocab), show_progress=False)
        return cls(retriever, id_array)

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        np.save(folder / IDS, self._ids, allow_pickle=False)
        if self._retriever is not None:
            self._retriever.save(str(folder), show_progress=False)

    @classmethod
    def load(cls, folder: Path) -> BM25Index:
        import bm25s

        ids = np.load(folder / IDS, allow_pickle=False)
        if len(ids) == 0:
            return cls(None, ids)
        _quiet()
        retriever = bm25s.BM25.load(str(folder), mmap=True, load_corpus=False, show_progress=False)
        return cls(retriever, ids)

    def files(self, folder: Path) -> list[Path]:
        return sorted(p for p in folder.iterdir() if p.is_file())

    def __len__(self) -> int:
        return len(self._ids)

    def search(
        self, tokens: Sequence[str], k: int
    ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
        """Top-k (scores, chunk ids); chunks sharing no term with the query are left out."""
        term_ids = [self._vocab[t] for t in tokens if t in self._vocab and t != ""]
        if self._retriever is None or not term_ids:
            return np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int64)
        scores = np.asarray(self._retriever.get_scores(term_ids), dtype=np.float32)
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        top = top[scores[top] > 0]
        return scores[top], self._ids[top]


def _quiet() -> None:
    # bm25s logs progress at INFO level; ragkit shows its own progress.
    logging.getLogger("bm25s").setLevel(logging.WARNING)
