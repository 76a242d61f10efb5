"""`OnnxEmbedder.start_loading`: the question embedder's session loads on a thread of its
own (`ragkit ask` imports the answer path meanwhile), the first embedding shares that one
load instead of starting a second, and a load that fails there is the same clear error
where the embedder is first used. A stub stands in for onnxruntime's session; the
tokenizer is the bundled model's own."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import onnxruntime
import pytest
from ceilings import HANG_S

from ragkit.errors import ModelError
from ragkit.models.embeddings.bundled import bundled_model_dir
from ragkit.models.embeddings.onnx import OnnxEmbedder


class _Sessions:
    """onnxruntime.InferenceSession as a counter of sessions made, each waiting for
    `release` (the real one takes a few hundred ms)."""

    def __init__(self) -> None:
        self.made: list[str] = []
        self.entered = threading.Event()
        self.release = threading.Event()

    def __call__(self, path: str, *args: Any, **kwargs: Any) -> object:
        self.made.append(threading.current_thread().name)
        self.entered.set()
        self.release.wait(HANG_S)
        return object()


def _embedder(tmp_path: Path) -> OnnxEmbedder:
    model = tmp_path / "model.onnx"
    model.write_bytes(b"stub")
    return OnnxEmbedder(model, bundled_model_dir() / "tokenizer.json", "stub")


def test_the_first_use_waits_for_the_load_started_ahead_instead_of_a_second(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sessions = _Sessions()
    monkeypatch.setattr(onnxruntime, "InferenceSession", sessions)
    embedder = _embedder(tmp_path)
    embedder.start_loading()
    assert sessions.entered.wait(HANG_S)  # the thread is inside the session's load ...
    got: list[tuple[Any, Any]] = []
    using = threading.Thread(target=lambda: got.append(embedder._load()))
    using.start()  # ... when the search asks for it
    sessions.release.set()
    using.join(HANG_S)
    assert sessions.made == ["ragkit-embedder-load"]
    session, tokenizer = got[0]
    assert session is embedder._session and tokenizer is not None


def test_a_load_that_fails_ahead_is_a_clear_error_where_the_embedder_is_used(
    tmp_path: Path,
) -> None:
    embedder = _embedder(tmp_path)  # "stub" is no ONNX model
    embedder.start_loading()
    with pytest.raises(ModelError, match=r"could not load ONNX model .*model\.onnx"):
        embedder.embed_query("How long is the warranty?")
