"""A linear prompt-injection classifier over hashed n-grams, loaded from shipped weights.

The weights (`data/injection_model.npy`, float32, one per hash bucket) and their
metadata (`data/injection_model.json`: bucket count, bias, decision threshold, how the
model was fitted) are written by `scripts/train_injection_model.py`. Scoring one text is
a feature hash and a dot product. Leaves out fitting (training.py) and rules
(injection.py): this only says how injection-like a text's wording is.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ragkit.errors import ConfigError
from ragkit.guard.features import featurize

MODEL_NAME = "injection_model"


@dataclass(frozen=True)
class LinearModel:
    weights: npt.NDArray[np.float32]
    bias: float
    threshold: float
    meta: dict[str, Any]

    @property
    def buckets(self) -> int:
        return int(self.weights.shape[0])

    def score(self, text: str) -> float:
        """Probability-like score in 0..1 that `text` is an injection."""
        idx, vals = featurize(text, self.buckets)
        margin = float(np.dot(self.weights[idx], vals)) + self.bias
        return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, margin))))

    def save(self, folder: Path, name: str = MODEL_NAME) -> None:
        np.save(folder / f"{name}.npy", self.weights.astype(np.float32), allow_pickle=False)
        meta = {
            **self.meta,
            "buckets": self.buckets,
            "bias": self.bias,
            "threshold": self.threshold,
        }
        (folder / f"{name}.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, folder: Path | None = None, name: str = MODEL_NAME) -> LinearModel:
        """From `folder`, or the weights shipped in the package when None."""
        where = folder if folder is not None else Path(str(resources.files(__package__) / "data"))
        weights_file, meta_file = where / f"{name}.npy", where / f"{name}.json"
        try:
            meta = json.loads(meta_file.read_text(encoding="utf-8"))
            weights = np.load(weights_file, allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise ConfigError(
                f"injection model {weights_file} could not be read ({exc}); reinstall ragkit "
                "or run scripts/train_injection_model.py"
            ) from None
        if weights.ndim != 1 or weights.shape[0] != int(meta.get("buckets", -1)):
            raise ConfigError(f"injection model {weights_file} does not match {meta_file}")
        return cls(weights.astype(np.float32), float(meta["bias"]), float(meta["threshold"]), meta)
