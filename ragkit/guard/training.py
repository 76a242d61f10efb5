"""Fitting the injection classifier: L2-regularised logistic regression in numpy.

Texts become sparse hashed features (features.py); the model is fitted by full-batch
Adam on the class-balanced log loss, and a threshold is chosen from out-of-fold scores
of the training texts only, so that the false-positive rate stays at or under a target.
Used by `scripts/train_injection_model.py` (the shipped model) and `bench/guard_bench.py`
(k-fold cross-validated figures). Leaves out data loading and any reporting.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from ragkit.guard.classifier import LinearModel
from ragkit.guard.features import featurize

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Sparse:
    """Rows of hashed features in coordinate form."""

    rows: npt.NDArray[np.int64]
    cols: npt.NDArray[np.int64]
    vals: npt.NDArray[np.float64]
    n_rows: int

    def take(self, which: npt.NDArray[np.int64]) -> Sparse:
        remap = np.full(self.n_rows, -1, dtype=np.int64)
        remap[which] = np.arange(len(which))
        keep = remap[self.rows] >= 0
        return Sparse(remap[self.rows[keep]], self.cols[keep], self.vals[keep], len(which))


def vectorize(texts: Sequence[str], buckets: int) -> Sparse:
    rows, cols, vals = [], [], []
    for i, text in enumerate(texts):
        idx, v = featurize(text, buckets)
        rows.append(np.full(len(idx), i, dtype=np.int64))
        cols.append(idx)
        vals.append(v.astype(np.float64))
    return Sparse(np.concatenate(rows), np.concatenate(cols), np.concatenate(vals), len(texts))


def margins(x: Sparse, w: FloatArray, b: float) -> FloatArray:
    return np.asarray(
        np.bincount(x.rows, weights=w[x.cols] * x.vals, minlength=x.n_rows) + b, dtype=np.float64
    )


def fit(
    x: Sparse, y: npt.NDArray[np.int64], buckets: int, l2: float = 1e-4, steps: int = 300
) -> tuple[FloatArray, float]:
    """Weights and bias minimising the balanced log loss plus `l2`·|w|²."""
    pos = max(1, int(y.sum()))
    neg = max(1, len(y) - pos)
    sample_w = np.where(y == 1, len(y) / (2 * pos), len(y) / (2 * neg)) / len(y)
    w = np.zeros(buckets)
    b = 0.0
    m_w, v_w = np.zeros(buckets), np.zeros(buckets)
    m_b = v_b = 0.0
    lr, beta1, beta2, eps = 0.05, 0.9, 0.999, 1e-8
    for t in range(1, steps + 1):
        p = 1.0 / (1.0 + np.exp(-np.clip(margins(x, w, b), -60, 60)))
        err = (p - y) * sample_w
        g_w = np.bincount(x.cols, weights=err[x.rows] * x.vals, minlength=buckets) + 2 * l2 * w
        g_b = float(err.sum())
        m_w = beta1 * m_w + (1 - beta1) * g_w
        v_w = beta2 * v_w + (1 - beta2) * g_w * g_w
        m_b = beta1 * m_b + (1 - beta1) * g_b
        v_b = beta2 * v_b + (1 - beta2) * g_b * g_b
        w -= lr * (m_w / (1 - beta1**t)) / (np.sqrt(v_w / (1 - beta2**t)) + eps)
        b -= lr * (m_b / (1 - beta1**t)) / (np.sqrt(v_b / (1 - beta2**t)) + eps)
    return w, b


def fold_ids(
    n: int, k: int, seed: int, groups: Sequence[str] | None = None
) -> npt.NDArray[np.int64]:
    """A fold number per item; items of the same group (e.g. duplicates) share a fold."""
    rng = np.random.default_rng(seed)
    keys = list(groups) if groups is not None else [str(i) for i in range(n)]
    unique = sorted(set(keys))
    order = rng.permutation(len(unique))
    fold_of = {unique[j]: int(pos % k) for pos, j in enumerate(order)}
    return np.asarray([fold_of[key] for key in keys], dtype=np.int64)


def probabilities(x: Sparse, w: FloatArray, b: float) -> FloatArray:
    return 1.0 / (1.0 + np.exp(-np.clip(margins(x, w, b), -60, 60)))


def threshold_for_fpr(neg_scores: FloatArray, target_fpr: float) -> float:
    """The lowest threshold at which at most `target_fpr` of negatives score above it."""
    if len(neg_scores) == 0:
        return 0.5
    ordered = np.sort(neg_scores)[::-1]
    allowed = int(np.floor(target_fpr * len(ordered)))
    # Scores strictly above the threshold count as positive.
    return float(ordered[allowed]) if allowed < len(ordered) else 0.0


def train(
    texts: Sequence[str],
    labels: Sequence[int],
    *,
    buckets: int = 1 << 17,
    target_fpr: float = 0.03,
    inner_folds: int = 4,
    seed: int = 0,
    steps: int = 300,
    l2: float = 1e-4,
    meta: dict[str, object] | None = None,
) -> LinearModel:
    """Fit on all of `texts`; the threshold comes from `inner_folds`-fold out-of-fold
    scores of these same texts (never from scores of texts the model was fitted on)."""
    y = np.asarray(labels, dtype=np.int64)
    x = vectorize(texts, buckets)
    folds = fold_ids(len(texts), inner_folds, seed, [t.strip().casefold() for t in texts])
    oof = np.zeros(len(texts))
    for f in range(inner_folds):
        tr = np.flatnonzero(folds != f)
        te = np.flatnonzero(folds == f)
        w, b = fit(x.take(tr), y[tr], buckets, l2, steps)
        oof[te] = probabilities(x.take(te), w, b)
    threshold = threshold_for_fpr(oof[y == 0], target_fpr)
    w, b = fit(x, y, buckets, l2, steps)
    info = dict(meta or {})
    info.update({"target_fpr": target_fpr, "inner_folds": inner_folds, "steps": steps, "l2": l2})
    return LinearModel(w.astype(np.float32), float(b), threshold, info)
